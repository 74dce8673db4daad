/**
 * Device ingest on AWS IoT Core: the registry pieces devices are provisioned into (thing type, thing group), the
 * IoT policy that confines every device to its own client id and its own telemetry topic, and the topic rule that
 * turns each message into one raw-stream record.
 *
 * Devices publish to the Basic Ingest topic `$aws/rules/<ruleName>/telemetry/<site>/<line>/<device>`: no
 * messaging charge, and nothing can subscribe to it. Provisioning contract (document for device onboarding):
 * the thing name is the device id and the MQTT client id; the thing carries the attributes `site` and `line`;
 * its certificate is attached to the thing; the thing is in the thing group (which carries the policy). A device
 * whose thing lacks `site` or `line` cannot publish at all: the policy variables do not resolve, so nothing
 * matches. The rule takes device, site and line from the topic, which the policy pins to the registry, so a
 * device cannot speak for another one whatever its payload says.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { TOPIC } from "../contract/telemetry";
import { INGEST_ERRORS } from "../lake/tables";
import { ArgsCheck, awsContext, BucketRef, iotRuleSafeName, policyJson, POLICY_VERSION, serviceTrustPolicy, StreamRef } from "./naming";

/** Key prefix in the lake bucket where failed rule deliveries are kept (one JSON object per failed message). */
export const INGEST_ERRORS_PREFIX = INGEST_ERRORS.name;

/**
 * S3 key of one failed delivery: partitioned by UTC receive date like the lake tables (`dt=yyyy-MM-dd`), unique
 * per message. `${...}` are IoT substitution templates, evaluated by the rules engine, not by TypeScript.
 */
export const INGEST_ERRORS_KEY_TEMPLATE =
  `${INGEST_ERRORS_PREFIX}/dt=\${parse_time("yyyy-MM-dd", timestamp(), "UTC")}/\${newuuid()}.json`;

/** Thing attributes every device must carry (they address its topic). */
export const DEVICE_ATTRIBUTES = ["site", "line"] as const;

/**
 * The rule query: the published bytes untouched, base64 (`encode(*, 'base64')`, the form AWS documents for
 * payloads that may not be JSON), plus what the platform knows for sure: device, site and line from the topic,
 * ingest time from the rules engine. Nothing in the query reads the payload, so a truncated, binary or
 * otherwise unparseable message cannot fail the rule: it reaches the raw stream like any other, and the Flink
 * job judges it with the contract and quarantines it with its bytes (sql/flink/03-validate.sql).
 */
export function ingestSql(): string {
  return [
    "SELECT encode(*, 'base64') AS payload_base64,",
    `topic(${TOPIC.deviceLevel}) AS device_id, topic(${TOPIC.siteLevel}) AS site, topic(${TOPIC.lineLevel}) AS line,`,
    "timestamp() AS ingest_ts",
    `FROM '${TOPIC.filter}'`,
  ].join(" ");
}

export interface DeviceIngestArgs {
  /** Stream the rule writes each message to (partitioned by device id, so per-device order is kept). */
  rawStream: StreamRef;
  /** CMK of the raw stream: the rule needs kms:GenerateDataKey on it to write. */
  rawStreamKeyArn: pulumi.Input<string>;
  /** Bucket that keeps failed deliveries under `ingest_errors/` (the lake bucket). */
  errorBucket: BucketRef;
  /** CMK of that bucket's default encryption. */
  errorBucketKeyArn: pulumi.Input<string>;
  /**
   * Topic rule name (letters, digits, _). Devices publish to `$aws/rules/<ruleName>/...`, so keep it stable.
   * Default: derived from the component name and the stack, e.g. `ingest_prod`.
   */
  ruleName?: string;
  /** Use an existing thing group instead of creating one (devices already provisioned into it). */
  existingThingGroupName?: string;
  /** Attach the device policy to the thing group so every device in it inherits it. Default true. */
  attachPolicyToThingGroup?: boolean;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export const DEVICE_INGEST_DEFAULTS = {
  /** Every device in the thing group inherits the device policy. */
  attachPolicyToThingGroup: true,
};

/** The ingest settings: `args` over DEVICE_INGEST_DEFAULTS, every problem reported in one error. */
export function resolveDeviceIngestArgs(name: string, args: DeviceIngestArgs) {
  const check = new ArgsCheck(`DeviceIngest '${name}'`);
  const ruleName = args.ruleName ?? iotRuleSafeName(`${name}_${pulumi.getStack()}`);
  check.expect(/^[A-Za-z0-9_]{1,128}$/.test(ruleName), `ruleName must be 1-128 letters, digits or underscores (AWS IoT rule names; got '${ruleName}')`);
  const cfg = { ruleName, attachPolicyToThingGroup: args.attachPolicyToThingGroup ?? DEVICE_INGEST_DEFAULTS.attachPolicyToThingGroup };
  check.done();
  return cfg;
}

export class DeviceIngest extends pulumi.ComponentResource {
  readonly thingType: aws.iot.ThingType;
  /** The thing group, when this component created it. */
  readonly thingGroup?: aws.iot.ThingGroup;
  readonly devicePolicy: aws.iot.Policy;
  readonly policyAttachment?: aws.iot.PolicyAttachment;
  readonly ruleRole: aws.iam.Role;
  readonly ruleRolePolicy: aws.iam.RolePolicy;
  readonly rule: aws.iot.TopicRule;

  readonly ruleName: pulumi.Output<string>;
  /** What devices publish to, with placeholders: `$aws/rules/<rule>/telemetry/<site>/<line>/<device>`. */
  readonly basicIngestTopicPattern: pulumi.Output<string>;
  readonly policyName: pulumi.Output<string>;
  readonly thingTypeName: pulumi.Output<string>;
  readonly thingGroupName: pulumi.Output<string>;

  constructor(name: string, args: DeviceIngestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iotpipe:ingest:DeviceIngest", name, {}, opts);
    const cfg = resolveDeviceIngestArgs(name, args);
    const { ruleName } = cfg;
    const ctx = awsContext(this);
    const iotArn = (resource: string) => pulumi.interpolate`arn:${ctx.partition}:iot:${ctx.region}:${ctx.accountId}:${resource}`;

    this.thingType = new aws.iot.ThingType(
      `${name}-thing-type`,
      { properties: { description: "iotpipe telemetry device", searchableAttributes: [...DEVICE_ATTRIBUTES] }, tags: args.tags },
      { parent: this },
    );
    if (args.existingThingGroupName === undefined) {
      this.thingGroup = new aws.iot.ThingGroup(
        `${name}-devices`,
        { properties: { description: "iotpipe telemetry devices; members inherit the device policy" }, tags: args.tags },
        { parent: this },
      );
    }
    const thingGroupName = this.thingGroup ? this.thingGroup.name : pulumi.output(args.existingThingGroupName!);
    const thingGroupArn = this.thingGroup ? this.thingGroup.arn : iotArn(`thinggroup/${args.existingThingGroupName}`);

    this.devicePolicy = new aws.iot.Policy(
      `${name}-device-policy`,
      { policy: policyJson(devicePolicyDocument(iotArn("client"), iotArn("topic"), ruleName)), tags: args.tags },
      { parent: this },
    );
    if (cfg.attachPolicyToThingGroup) {
      this.policyAttachment = new aws.iot.PolicyAttachment(
        `${name}-device-policy-attachment`,
        { policy: this.devicePolicy.name, target: thingGroupArn },
        { parent: this },
      );
    }

    this.ruleRole = new aws.iam.Role(
      `${name}-rule-role`,
      {
        description: `IoT rule ${ruleName}: write telemetry to the raw stream, keep failed deliveries`,
        // Confused-deputy guard: only this account's rule of this name may use the role.
        assumeRolePolicy: serviceTrustPolicy("iot.amazonaws.com", {
          StringEquals: { "aws:SourceAccount": ctx.accountId },
          ArnLike: { "aws:SourceArn": iotArn(`rule/${ruleName}`) },
        }),
        tags: args.tags,
      },
      { parent: this },
    );
    this.ruleRolePolicy = new aws.iam.RolePolicy(
      `${name}-rule-policy`,
      {
        role: this.ruleRole.id,
        policy: policyJson(ruleRolePolicyDocument(args)),
      },
      { parent: this },
    );

    this.rule = new aws.iot.TopicRule(
      `${name}-rule`,
      {
        name: ruleName,
        description: "Telemetry from devices (Basic Ingest) to the raw stream; device/site/line from the topic",
        enabled: true,
        sql: ingestSql(),
        sqlVersion: "2016-03-23",
        kineses: [{ streamName: args.rawStream.name, roleArn: this.ruleRole.arn, partitionKey: `\${topic(${TOPIC.deviceLevel})}` }],
        // One error action is all AWS allows; S3 keeps the failed message itself (base64 payload and the error),
        // which a log line would not. Failures are also counted in the rule's CloudWatch metrics for alarms.
        errorAction: { s3: { bucketName: args.errorBucket.name, key: INGEST_ERRORS_KEY_TEMPLATE, roleArn: this.ruleRole.arn } },
        tags: args.tags,
      },
      // IoT checks the role when the rule is created: its permissions must exist first.
      { parent: this, dependsOn: [this.ruleRolePolicy] },
    );

    this.ruleName = this.rule.name;
    this.basicIngestTopicPattern = pulumi.interpolate`$aws/rules/${this.rule.name}/${TOPIC.root}/<site>/<line>/<device>`;
    this.policyName = this.devicePolicy.name;
    this.thingTypeName = this.thingType.name;
    this.thingGroupName = thingGroupName;
    this.registerOutputs({
      ruleName: this.ruleName,
      basicIngestTopicPattern: this.basicIngestTopicPattern,
      policyName: this.policyName,
      thingTypeName: this.thingTypeName,
      thingGroupName: this.thingGroupName,
    });
  }
}

/**
 * The device policy. `${iot:Connection.Thing.*}` are IoT policy variables resolved per connection from the
 * registry (escaped here so TypeScript leaves them alone). Connect only as the thing whose certificate is
 * attached (the client id names the thing); publish only to the own Basic Ingest topic, whose site and line are
 * the thing's registry attributes, so a device cannot report as another device, line or site. No
 * subscribe/receive: devices only send telemetry. tests/policy/iot-policy-eval.test.ts judges it request by request.
 */
export function devicePolicyDocument(clientArnPrefix: pulumi.Input<string>, topicArnPrefix: pulumi.Input<string>, ruleName: string): pulumi.Output<object> {
  const thing = "${iot:Connection.Thing.ThingName}";
  const site = "${iot:Connection.Thing.Attributes[site]}";
  const line = "${iot:Connection.Thing.Attributes[line]}";
  const attached = { Bool: { "iot:Connection.Thing.IsAttached": "true" } };
  return pulumi.all([clientArnPrefix, topicArnPrefix]).apply(([client, topic]) => ({
    Version: POLICY_VERSION,
    Statement: [
      {
        Sid: "ConnectAsOwnThing",
        Effect: "Allow",
        Action: "iot:Connect",
        Resource: `${client}/${thing}`,
        Condition: attached,
      },
      {
        Sid: "PublishOwnTelemetry",
        Effect: "Allow",
        Action: "iot:Publish",
        Resource: `${topic}/$aws/rules/${ruleName}/${TOPIC.root}/${site}/${line}/${thing}`,
        // Connect already requires it; repeated so the grant stands on its own if Connect is ever widened.
        Condition: attached,
      },
    ],
  }));
}

/**
 * What the rule's role may do: put records on the raw stream (PutRecord is the call the Kinesis action makes),
 * with the stream key; put failed deliveries under `ingest_errors/` only, with the bucket key.
 */
export function ruleRolePolicyDocument(args: Pick<DeviceIngestArgs, "rawStream" | "rawStreamKeyArn" | "errorBucket" | "errorBucketKeyArn">): pulumi.Output<object> {
  return pulumi
    .all([args.rawStream.arn, args.rawStreamKeyArn, args.errorBucket.arn, args.errorBucketKeyArn])
    .apply(([streamArn, streamKey, bucketArn, bucketKey]) => ({
      Version: POLICY_VERSION,
      Statement: [
        { Sid: "WriteRawStream", Effect: "Allow", Action: "kinesis:PutRecord", Resource: streamArn },
        { Sid: "EncryptRawStreamRecords", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: streamKey },
        { Sid: "KeepFailedDeliveries", Effect: "Allow", Action: "s3:PutObject", Resource: `${bucketArn}/${INGEST_ERRORS_PREFIX}/*` },
        ...(bucketKey === streamKey
          ? []
          : [{ Sid: "EncryptFailedDeliveries", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: bucketKey }]),
      ],
    }));
}
