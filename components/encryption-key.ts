/**
 * A customer managed KMS key (CMK) with yearly rotation and a key policy that names exactly which AWS services
 * may use it on the account's behalf. Everything else (Kinesis producers, Firehose, Flink, Athena users) gets
 * key access through IAM policies, which the key policy's account-root statement delegates to.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ArgsCheck, awsContext, policyJson, POLICY_VERSION } from "./naming";

/**
 * A service that must use the key itself (not through a role), for a resource encrypted with it:
 * - `logs`: CloudWatch Logs, for log groups encrypted with the key. Scoped by the encryption context CloudWatch
 *   Logs always sends (`kms:EncryptionContext:aws:logs:arn`), limited to log groups of this account and region
 *   whose name matches `logGroupNamePattern` (default every log group).
 * - `cloudwatch-alarms`: CloudWatch alarms publishing to an SNS topic encrypted with the key. Scoped with
 *   `aws:SourceAccount` and `aws:SourceArn` (alarms of this account and region matching `alarmNamePattern`).
 * - `eventbridge`: EventBridge rules publishing to an SNS topic encrypted with the key. No source conditions:
 *   AWS does not send `aws:SourceAccount`/`aws:SourceArn` on this KMS call, and a condition on them would make
 *   every delivery fail silently. The grant is still limited to `kms:Decrypt` and `kms:GenerateDataKey*`.
 */
export type KeyServiceUse =
  | { service: "logs"; logGroupNamePattern?: string }
  | { service: "cloudwatch-alarms"; alarmNamePattern?: string }
  | { service: "eventbridge" };

export interface EncryptionKeyArgs {
  /** What the key protects, shown in the KMS console. */
  description?: pulumi.Input<string>;
  /** Days a deleted key stays recoverable (7-30). Default 30: losing a key loses every object encrypted with it. */
  deletionWindowInDays?: number;
  /** Alias name including the `alias/` prefix. Default `alias/<project>/<stack>/<name>` (unique per stack). */
  aliasName?: string;
  /** Services allowed to use the key directly; see `KeyServiceUse`. Default none. */
  serviceUses?: KeyServiceUse[];
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export const ENCRYPTION_KEY_DEFAULTS = {
  /** The longest recovery window: losing a key loses every object encrypted with it. */
  deletionWindowInDays: 30,
  /** No service uses the key directly until one is named. */
  serviceUses: [] as KeyServiceUse[],
};

/** The key's settings: `args` over ENCRYPTION_KEY_DEFAULTS, every problem reported in one error. */
export function resolveEncryptionKeyArgs(name: string, args: EncryptionKeyArgs) {
  const d = ENCRYPTION_KEY_DEFAULTS;
  const check = new ArgsCheck(`EncryptionKey '${name}'`);
  const deletionWindowInDays = check.intRange("deletionWindowInDays", args.deletionWindowInDays ?? d.deletionWindowInDays, 7, 30);
  const aliasName = args.aliasName ?? `alias/${pulumi.getProject()}/${pulumi.getStack()}/${name}`;
  check.expect(
    /^alias\/[A-Za-z0-9/_-]+$/.test(aliasName) && !aliasName.startsWith("alias/aws/"),
    `aliasName must look like 'alias/<letters, digits, / _ ->' and not start with 'alias/aws/' (got '${aliasName}')`,
  );
  const cfg = { deletionWindowInDays, aliasName, description: args.description ?? `iotpipe ${name}`, serviceUses: args.serviceUses ?? d.serviceUses };
  check.done();
  return cfg;
}

/** Actions CloudWatch Logs needs on a log group's key (the set AWS documents for encrypted log groups). */
const LOGS_KEY_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"];
/** Actions an AWS service needs to publish to an SNS topic encrypted with the key. */
const SNS_PUBLISHER_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"];

export class EncryptionKey extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly alias: aws.kms.Alias;
  /** Key ARN: what encryption settings and IAM policies reference. */
  readonly arn: pulumi.Output<string>;
  readonly keyId: pulumi.Output<string>;
  readonly aliasName: pulumi.Output<string>;

  constructor(name: string, args: EncryptionKeyArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("iotpipe:security:EncryptionKey", name, {}, opts);
    const cfg = resolveEncryptionKeyArgs(name, args);
    const { deletionWindowInDays, aliasName } = cfg;

    const ctx = awsContext(this);
    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: cfg.description,
        enableKeyRotation: true,
        deletionWindowInDays,
        policy: policyJson(keyPolicy(ctx, cfg.serviceUses)),
        tags: args.tags,
      },
      { parent: this },
    );
    this.alias = new aws.kms.Alias(`${name}-alias`, { name: aliasName, targetKeyId: this.key.keyId }, { parent: this });

    this.arn = this.key.arn;
    this.keyId = this.key.keyId;
    this.aliasName = this.alias.name;
    this.registerOutputs({ arn: this.arn, keyId: this.keyId, aliasName: this.aliasName });
  }
}

/**
 * The key policy. `Resource: "*"` in a key policy means "this key" (AWS requires exactly that form). The first
 * statement is AWS's default: it lets the account's IAM policies grant use of the key; without it nobody could
 * manage the key, so it keeps `kms:*` for the account root principal.
 */
export function keyPolicy(ctx: { accountId: pulumi.Input<string>; region: pulumi.Input<string>; partition: pulumi.Input<string> }, uses: KeyServiceUse[]): pulumi.Output<object> {
  return pulumi.all([ctx.accountId, ctx.region, ctx.partition]).apply(([account, region, partition]) => ({
    Version: POLICY_VERSION,
    Statement: [
      {
        Sid: "AccountAdministersKeyThroughIam",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      ...uses.map((use) => serviceStatement(use, account, region, partition)),
    ],
  }));
}

function serviceStatement(use: KeyServiceUse, account: string, region: string, partition: string): object {
  switch (use.service) {
    case "logs":
      return {
        Sid: "CloudWatchLogsEncryptsLogGroups",
        Effect: "Allow",
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: LOGS_KEY_ACTIONS,
        Resource: "*",
        Condition: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${account}:log-group:${use.logGroupNamePattern ?? "*"}`,
          },
        },
      };
    case "cloudwatch-alarms":
      return {
        Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: SNS_PUBLISHER_KEY_ACTIONS,
        Resource: "*",
        Condition: {
          StringEquals: { "aws:SourceAccount": account },
          ArnLike: { "aws:SourceArn": `arn:${partition}:cloudwatch:${region}:${account}:alarm:${use.alarmNamePattern ?? "*"}` },
        },
      };
    case "eventbridge":
      return {
        Sid: "EventBridgePublishesToEncryptedTopics",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: SNS_PUBLISHER_KEY_ACTIONS,
        Resource: "*",
      };
  }
}
