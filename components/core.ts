/**
 * Building blocks every component uses the same way, in the spirit of AWS Solutions Constructs' `core`: the
 * TLS-only statement of a resource policy, an encrypted dead-letter queue with its policy, an encrypted log group,
 * an encrypted Lambda function with its log group, role and DLQ, and a metric alarm. One definition, so two components cannot drift
 * apart (the alert notifier's DLQ once lacked the data-key reuse and the TLS-only policy the report job's had).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { awsContext, policyJson, POLICY_VERSION, serviceTrustPolicy, type LambdaNodeRuntime } from "./naming";

/** The statement that refuses every request to `resource` not made over TLS (aws:SecureTransport false). */
export function denyInsecureTransport(action: string, resource: pulumi.Input<string> | pulumi.Input<string>[], sid = "TlsOnly") {
  return { Sid: sid, Effect: "Deny", Principal: "*", Action: action, Resource: resource, Condition: { Bool: { "aws:SecureTransport": "false" } } };
}

/**
 * Data keys are reused for 5 minutes (the SQS default) instead of one KMS call per message: a failing function
 * can send many, and each KMS request is billed.
 */
const DATA_KEY_REUSE_SECONDS = 300;

export interface DeadLetterQueueArgs {
  /** CMK the queue is encrypted with. */
  keyArn: pulumi.Input<string>;
  retentionSeconds: number;
  /** Roles whose failed events land here, allowed to send by the queue's policy too (none: the role policy only). */
  senderRoleArns?: pulumi.Input<string>[];
}

/** An encrypted dead-letter queue that accepts only TLS requests. */
export function deadLetterQueue(name: string, args: DeadLetterQueueArgs, opts: pulumi.CustomResourceOptions): aws.sqs.Queue {
  const queue = new aws.sqs.Queue(
    name,
    { kmsMasterKeyId: args.keyArn, kmsDataKeyReusePeriodSeconds: DATA_KEY_REUSE_SECONDS, messageRetentionSeconds: args.retentionSeconds },
    opts,
  );
  const senders = args.senderRoleArns ?? [];
  new aws.sqs.QueuePolicy(
    `${name}-policy`,
    {
      queueUrl: queue.url,
      policy: policyJson(
        pulumi.all([queue.arn, pulumi.all(senders)]).apply(([queueArn, roles]) => ({
          Version: POLICY_VERSION,
          Statement: [
            ...(roles.length > 0 ? [{ Sid: "DeadLetterSenders", Effect: "Allow", Principal: { AWS: roles }, Action: "sqs:SendMessage", Resource: queueArn }] : []),
            denyInsecureTransport("sqs:*", queueArn),
          ],
        })),
      ),
    },
    opts,
  );
  return queue;
}

type TreatMissingData = "breaching" | "notBreaching" | "ignore" | "missing";

/** What an alarm watches and when it fires: one metric, or metric math. */
export interface AlarmSpec {
  description: string;
  threshold: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  treatMissingData: TreatMissingData;
  /** A single metric ... */
  metric?: { namespace: string; metricName: string; dimensions: Record<string, pulumi.Input<string>>; statistic: string; period: number };
  /** ... or metric math (the query with returnData is the alarm's value). */
  metricQueries?: aws.types.input.cloudwatch.MetricAlarmMetricQuery[];
}

/** An alarm above its threshold that tells the operators' topic when it fires and when it clears. */
export function metricAlarm(name: string, spec: AlarmSpec, topicArn: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(
    name,
    {
      alarmDescription: spec.description,
      comparisonOperator: "GreaterThanThreshold",
      threshold: spec.threshold,
      evaluationPeriods: spec.evaluationPeriods,
      ...(spec.datapointsToAlarm !== undefined && { datapointsToAlarm: spec.datapointsToAlarm }),
      treatMissingData: spec.treatMissingData,
      ...(spec.metric ? { ...spec.metric } : { metricQueries: spec.metricQueries }),
      alarmActions: [topicArn],
      okActions: [topicArn],
    },
    opts,
  );
}

export interface EncryptedLogGroupArgs {
  /** CMK of the log data (its key policy must allow CloudWatch Logs for this group: EncryptionKey `logs` use). */
  keyArn: pulumi.Input<string>;
  retentionDays: number;
  /** Physical name, where the service writing to it expects one (Flink); default a Pulumi-generated name. */
  logGroupName?: pulumi.Input<string>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** A log group encrypted with a CMK that keeps its events for `retentionDays`, never forever. */
export function encryptedLogGroup(name: string, args: EncryptedLogGroupArgs, opts: pulumi.CustomResourceOptions): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(name, { name: args.logGroupName, retentionInDays: args.retentionDays, kmsKeyId: args.keyArn, tags: args.tags }, opts);
}

/** What a function needs besides its own statements: where it logs, where its failures go, the key of both. */
export interface EncryptedFunctionArgs {
  /** Logical name of the function resource. Default `<name>-function`; a deployed function keeps the name it has. */
  functionResourceName?: string;
  description: string;
  roleDescription: string;
  /** CMK of the environment variables, the log group and the DLQ (its key policy must allow CloudWatch Logs). */
  keyArn: pulumi.Input<string>;
  code: pulumi.asset.Archive;
  runtime: LambdaNodeRuntime;
  timeoutSeconds: number;
  memoryMiB: number;
  logRetentionDays: number;
  /** Powertools service name: logs and metrics say which function they came from. */
  serviceName: string;
  environment: Record<string, pulumi.Input<string>>;
  /** What the function itself may do; the builder adds its logs, its DLQ and its environment key. */
  statements: pulumi.Input<Record<string, unknown>[]>;
  /** A dead-letter queue for what the function (or its event source) gave up on; none for synchronous callers. */
  deadLetterQueue?: {
    retentionSeconds: number;
    /** Other roles that dead-letter here; given, the queue policy allows them and the function's role to send. */
    senderRoleArns?: pulumi.Input<string>[];
  };
  tags?: Record<string, string>;
}

/** The resources of an encrypted function, for wiring (event sources, alarms) and extension. */
export interface EncryptedFunction {
  function: aws.lambda.Function;
  role: aws.iam.Role;
  /** The role's inline policy: create what the function's callers check (an event source mapping) after it. */
  policy: aws.iam.RolePolicy;
  logGroup: aws.cloudwatch.LogGroup;
}

/** The builder's result: with a dead-letter queue exactly when one was asked for. */
export type EncryptedFunctionOf<A extends EncryptedFunctionArgs> = EncryptedFunction & (A["deadLetterQueue"] extends object ? { deadLetterQueue: aws.sqs.Queue } : unknown);

/** The condition that limits a KMS grant to requests `service` makes on the caller's behalf in `region`. */
export function kmsVia(service: string, region: string): { "kms:ViaService": string } {
  return { "kms:ViaService": `${service}.${region}.amazonaws.com` };
}

/** The Powertools metrics namespace every iotpipe function publishes to. */
const METRICS_NAMESPACE = "iotpipe";

/**
 * The statements every function's role gets: write its own log group, send to its DLQ through SQS with the DLQ's
 * key, and decrypt its environment variables (Lambda decrypts them with the execution role's permissions, through
 * the Lambda service, under the encryption context of a function of this account).
 */
export function functionBaseStatements(p: { partition: string; region: string; accountId: string; keyArn: string; logGroupArn: string; dlqArn?: string }): Record<string, unknown>[] {
  const via = (service: string) => kmsVia(service, p.region);
  return [
    { Sid: "OwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${p.logGroupArn}:*`] },
    ...(p.dlqArn
      ? [
          { Sid: "RecordFailures", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [p.dlqArn] },
          { Sid: "DlqKeyViaSqs", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [p.keyArn], Condition: { StringEquals: via("sqs") } },
        ]
      : []),
    {
      Sid: "EnvironmentKeyViaLambda",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [p.keyArn],
      Condition: {
        StringEquals: via("lambda"),
        ArnLike: { "kms:EncryptionContext:aws:lambda:FunctionArn": `arn:${p.partition}:lambda:${p.region}:${p.accountId}:function:*` },
      },
    },
  ];
}

/**
 * A Node.js Lambda function on arm64 with JSON logs in its own KMS-encrypted log group, environment variables
 * encrypted with the same CMK, a role that may do what `statements` say plus log, dead-letter and decrypt its
 * environment, and (optionally) an encrypted, TLS-only dead-letter queue. Children are `<name>-logs`, `-role`,
 * `-policy`, `-dlq` and the function; the function is created after its policy.
 */
export function encryptedFunction<A extends EncryptedFunctionArgs>(name: string, args: A, opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource }): EncryptedFunctionOf<A> {
  const ctx = awsContext(opts.parent);
  const logGroup = encryptedLogGroup(`${name}-logs`, { keyArn: args.keyArn, retentionDays: args.logRetentionDays, tags: args.tags }, opts);
  const role = new aws.iam.Role(`${name}-role`, { description: args.roleDescription, assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com"), tags: args.tags }, opts);
  const dlq = args.deadLetterQueue;
  const deadLetter = dlq
    ? deadLetterQueue(
        `${name}-dlq`,
        { keyArn: args.keyArn, retentionSeconds: dlq.retentionSeconds, ...(dlq.senderRoleArns && { senderRoleArns: [...dlq.senderRoleArns, role.arn] }) },
        opts,
      )
    : undefined;
  const policy = new aws.iam.RolePolicy(
    `${name}-policy`,
    {
      role: role.id,
      policy: policyJson(
        pulumi
          .all([ctx.partition, ctx.region, ctx.accountId, args.keyArn, logGroup.arn, deadLetter?.arn, args.statements])
          .apply(([partition, region, accountId, keyArn, logGroupArn, dlqArn, own]) => ({
            Version: POLICY_VERSION,
            Statement: [...(own as Record<string, unknown>[]), ...functionBaseStatements({ partition, region, accountId, keyArn, logGroupArn, dlqArn })],
          })),
      ),
    },
    opts,
  );
  const fn = new aws.lambda.Function(
    args.functionResourceName ?? `${name}-function`,
    {
      description: args.description,
      runtime: args.runtime,
      architectures: ["arm64"],
      handler: "index.handler",
      code: args.code,
      role: role.arn,
      timeout: args.timeoutSeconds,
      memorySize: args.memoryMiB,
      kmsKeyArn: args.keyArn,
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      environment: { variables: { ...args.environment, POWERTOOLS_SERVICE_NAME: args.serviceName, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE } },
      tags: args.tags,
    },
    { ...opts, dependsOn: [policy] },
  );
  return { function: fn, role, policy, logGroup, ...(deadLetter && { deadLetterQueue: deadLetter }) } as EncryptedFunctionOf<A>;
}
