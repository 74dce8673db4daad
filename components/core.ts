/**
 * Building blocks every component uses the same way, in the spirit of AWS Solutions Constructs' `core`: the
 * TLS-only statement of a resource policy, an encrypted dead-letter queue with its policy, and a metric alarm. One definition,
 * so two components cannot drift apart (the alert notifier's DLQ once lacked the data-key reuse and the TLS-only
 * policy the report job's had).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { policyJson, POLICY_VERSION } from "./naming";

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
