/**
 * Which priced service bills each resource type the Pulumi program creates. A test renders the stacks and fails
 * on a type missing here, so a new kind of resource cannot reach a stack without a decision on what it costs
 * (and a price-table entry for its service, sizing/prices.ts).
 */
import type { Service } from "./prices";

export const RESOURCE_SERVICES: Record<string, Service> = {
  "aws:athena/namedQuery:NamedQuery": "Amazon Athena",
  "aws:athena/workgroup:Workgroup": "Amazon Athena",
  "aws:cloudwatch/dashboard:Dashboard": "Amazon CloudWatch",
  "aws:cloudwatch/logGroup:LogGroup": "Amazon CloudWatch",
  "aws:cloudwatch/logStream:LogStream": "Amazon CloudWatch",
  "aws:cloudwatch/metricAlarm:MetricAlarm": "Amazon CloudWatch",
  "aws:glue/catalogDatabase:CatalogDatabase": "AWS Glue",
  "aws:glue/catalogTable:CatalogTable": "AWS Glue",
  "aws:iam/role:Role": "AWS IAM",
  "aws:iam/rolePolicy:RolePolicy": "AWS IAM",
  "aws:iot/policy:Policy": "AWS IoT Core",
  "aws:iot/policyAttachment:PolicyAttachment": "AWS IoT Core",
  "aws:iot/thingGroup:ThingGroup": "AWS IoT Core",
  "aws:iot/thingType:ThingType": "AWS IoT Core",
  "aws:iot/topicRule:TopicRule": "AWS IoT Core",
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": "Amazon Data Firehose",
  "aws:kinesis/stream:Stream": "Kinesis Data Streams",
  "aws:kinesisanalyticsv2/application:Application": "Managed Service for Apache Flink",
  "aws:kms/alias:Alias": "AWS KMS",
  "aws:kms/key:Key": "AWS KMS",
  "aws:lambda/eventSourceMapping:EventSourceMapping": "AWS Lambda",
  "aws:lambda/function:Function": "AWS Lambda",
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": "AWS Lambda",
  "aws:s3/bucket:Bucket": "Amazon S3",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "Amazon S3",
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "Amazon S3",
  "aws:s3/bucketObjectv2:BucketObjectv2": "Amazon S3",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "Amazon S3",
  "aws:s3/bucketPolicy:BucketPolicy": "Amazon S3",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "Amazon S3",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "Amazon S3",
  "aws:s3/bucketVersioning:BucketVersioning": "Amazon S3",
  "aws:scheduler/schedule:Schedule": "Amazon EventBridge Scheduler",
  "aws:sns/topic:Topic": "Amazon SNS",
  "aws:sns/topicPolicy:TopicPolicy": "Amazon SNS",
  "aws:sns/topicSubscription:TopicSubscription": "Amazon SNS",
  "aws:sqs/queue:Queue": "Amazon SQS",
  "aws:sqs/queuePolicy:QueuePolicy": "Amazon SQS",
};
