/**
 * Building blocks every component uses the same way, in the spirit of AWS Solutions Constructs' `core`: the
 * TLS-only statement of a resource policy, and an encrypted dead-letter queue with its policy. One definition,
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
