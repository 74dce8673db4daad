/**
 * AlertNotifier: the Lambda that turns alert transitions on the alerts stream into operator notifications on the
 * SNS topic. The handler (`handlers/alert-notifier`) is bundled at program time, so the deployed code is the code
 * in the repository. The stream is read through an event source mapping that reports batch item failures,
 * bisects failing batches, gives up after a bounded number of retries and records what it gave up on in a
 * KMS-encrypted dead-letter queue; the function logs to its own encrypted log group.
 *
 * Wire its `functionName` and `deadLetterQueueName` into Monitoring for the Errors/Throttles/DLQ alarms.
 *
 * Minimal use:
 *   new AlertNotifier("alerts", { alertsStreamArn, topicArn: ops.topicArn, keyArn: key.arn })
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { bundleHandler } from "../handlers/bundle";
import { ArgsCheck, awsContext, type LambdaNodeRuntime } from "./naming";
import { encryptedFunction, kmsVia } from "./core";

export interface AlertNotifierArgs {
  /** ARN of the alerts Kinesis stream (Flink's alert transitions). */
  alertsStreamArn: pulumi.Input<string>;
  /** The operators' SNS topic (Monitoring's `topicArn`). */
  topicArn: pulumi.Input<string>;
  /** CMK for the dead-letter queue, the log group and the function's environment variables (its policy must allow CloudWatch Logs for this group). */
  keyArn: pulumi.Input<string>;
  /** CMK of the alerts stream. Default: `keyArn`. */
  streamKeyArn?: pulumi.Input<string>;
  /** CMK of the topic. Default: `keyArn`. */
  topicKeyArn?: pulumi.Input<string>;
  /** Records per invocation (1-10000). */
  batchSize?: number;
  /** Retries of a failing batch before its range is recorded in the DLQ (0-10000). */
  maximumRetryAttempts?: number;
  /** Alerts older than this (seconds, 60-604800) are recorded in the DLQ instead of notified: they are history. */
  maximumRecordAgeSeconds?: number;
  /** Where a new mapping starts reading. */
  startingPosition?: "TRIM_HORIZON" | "LATEST";
  /** Log retention, days. */
  logRetentionDays?: number;
  /** Lambda runtime. */
  runtime?: LambdaNodeRuntime;
  /** Handler code; default: `handlers/alert-notifier` bundled now. */
  code?: pulumi.asset.Archive;
}

/** Defaults, in one place. */
export const ALERT_NOTIFIER_DEFAULTS = {
  /** A burst of transitions (a line tripping) goes out in a few invocations. */
  batchSize: 100,
  /** With bisection, 5 retries isolate one bad record in a 100-record batch and still give up within minutes. */
  maximumRetryAttempts: 5,
  /** Six hours: an older alert is history, not news (it is in the alerts table); the DLQ says what was skipped. */
  maximumRecordAgeSeconds: 6 * 3600,
  /** Nothing on the stream is skipped when the mapping is (re)created; stale records are bounded by the age limit. */
  startingPosition: "TRIM_HORIZON" as const,
  logRetentionDays: 90,
  /**
   * nodejs20.x is deprecated (2026-04-30) and Lambda blocks creating functions on it from 2026-08-31;
   * nodejs24.x is supported until 2028.
   */
  runtime: "nodejs24.x" as const,
  /** SQS maximum: two weeks to inspect and redrive. */
  dlqRetentionSeconds: 14 * 24 * 3600,
  timeoutSeconds: 30,
  memoryMiB: 256,
};

export interface NotifierPolicyInputs {
  region: string;
  streamArn: string;
  streamKeyArn: string;
  topicArn: string;
  topicKeyArn: string;
}

/** What the function itself does: read its stream, publish to its topic (core adds its logs, DLQ and key). */
export function notifierStatements(p: NotifierPolicyInputs): Record<string, unknown>[] {
  const via = (service: string) => kmsVia(service, p.region);
  return [
    {
      Sid: "ReadAlertsStream",
      Effect: "Allow",
      Action: ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"],
      Resource: [p.streamArn],
    },
    { Sid: "PublishAlerts", Effect: "Allow", Action: ["sns:Publish"], Resource: [p.topicArn] },
    {
      Sid: "StreamKeyViaKinesis",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: [p.streamKeyArn],
      Condition: { StringEquals: via("kinesis"), StringLike: { "kms:EncryptionContext:aws:kinesis:arn": p.streamArn } },
    },
    // Publishing to an encrypted topic needs a data key from its CMK.
    { Sid: "TopicKeyViaSns", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [p.topicKeyArn], Condition: { StringEquals: via("sns") } },
  ];
}

/** The notifier's settings: `args` over ALERT_NOTIFIER_DEFAULTS, every problem reported in one error. */
export function resolveAlertNotifierArgs(name: string, args: AlertNotifierArgs) {
  const d = ALERT_NOTIFIER_DEFAULTS;
  const check = new ArgsCheck(`AlertNotifier '${name}'`);
  const cfg = {
    batchSize: check.intRange("batchSize", args.batchSize ?? d.batchSize, 1, 10000),
    maximumRetryAttempts: check.intRange("maximumRetryAttempts", args.maximumRetryAttempts ?? d.maximumRetryAttempts, 0, 10000),
    maximumRecordAgeSeconds: check.intRange("maximumRecordAgeSeconds", args.maximumRecordAgeSeconds ?? d.maximumRecordAgeSeconds, 60, 604800),
    startingPosition: args.startingPosition ?? d.startingPosition,
    logRetentionDays: args.logRetentionDays ?? d.logRetentionDays,
    runtime: check.lambdaRuntime(args.runtime ?? d.runtime),
    timeoutSeconds: d.timeoutSeconds,
    memoryMiB: d.memoryMiB,
    dlqRetentionSeconds: d.dlqRetentionSeconds,
  };
  check.expect(["TRIM_HORIZON", "LATEST"].includes(cfg.startingPosition), `startingPosition '${cfg.startingPosition}' must be TRIM_HORIZON or LATEST`);
  check.done();
  return cfg;
}

export class AlertNotifier extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly functionName: pulumi.Output<string>;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** Records of batches the mapping gave up on (shard and sequence range, not the records). */
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly deadLetterQueueName: pulumi.Output<string>;
  readonly eventSourceMapping: aws.lambda.EventSourceMapping;

  constructor(name: string, args: AlertNotifierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iotpipe:alerts:AlertNotifier", name, {}, opts);
    const cfg = resolveAlertNotifierArgs(name, args);
    const parent = { parent: this };

    const built = encryptedFunction(
      name,
      {
        description: "Publishes alert transitions (open/cleared) from the alerts stream to the operators' topic",
        roleDescription: "Alert notifier: alerts stream to operators' topic",
        keyArn: args.keyArn,
        code: args.code ?? bundled(),
        runtime: cfg.runtime,
        timeoutSeconds: cfg.timeoutSeconds,
        memoryMiB: cfg.memoryMiB,
        logRetentionDays: cfg.logRetentionDays,
        serviceName: "alert-notifier",
        environment: { ALERTS_TOPIC_ARN: args.topicArn },
        statements: pulumi
          .all([awsContext(this).region, args.alertsStreamArn, args.streamKeyArn ?? args.keyArn, args.topicArn, args.topicKeyArn ?? args.keyArn])
          .apply(([region, streamArn, streamKeyArn, topicArn, topicKeyArn]) => notifierStatements({ region, streamArn, streamKeyArn, topicArn, topicKeyArn })),
        // Batches the function failed on land here, through the event source mapping's on-failure destination.
        deadLetterQueue: { retentionSeconds: cfg.dlqRetentionSeconds },
      },
      parent,
    );
    this.function = built.function;
    this.role = built.role;
    this.logGroup = built.logGroup;
    this.deadLetterQueue = built.deadLetterQueue;
    const policy = built.policy;
    this.functionName = this.function.name;
    this.deadLetterQueueName = this.deadLetterQueue.name;

    // Lambda checks the role can read the stream when the mapping is created: the policy must exist first.
    this.eventSourceMapping = new aws.lambda.EventSourceMapping(
      `${name}-mapping`,
      {
        eventSourceArn: args.alertsStreamArn,
        functionName: this.function.arn,
        startingPosition: cfg.startingPosition,
        batchSize: cfg.batchSize,
        // One batch per shard at a time keeps each device's open/cleared notifications in order.
        parallelizationFactor: 1,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: cfg.maximumRetryAttempts,
        maximumRecordAgeInSeconds: cfg.maximumRecordAgeSeconds,
        functionResponseTypes: ["ReportBatchItemFailures"],
        destinationConfig: { onFailure: { destinationArn: this.deadLetterQueue.arn } },
      },
      { parent: this, dependsOn: [policy] },
    );

    this.registerOutputs({
      functionName: this.functionName,
      deadLetterQueueName: this.deadLetterQueueName,
      logGroupName: this.logGroup.name,
    });
  }
}

/** The handler bundled from the repository (esbuild, at program time). */
function bundled(): pulumi.asset.Archive {
  const bundle = bundleHandler("alert-notifier");
  return new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundle.code) });
}
