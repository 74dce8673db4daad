/**
 * How each entry of the price table (sizing/prices.ts) looks itself up in the AWS Price List Query API
 * (`pricing:GetProducts`): the service code, the product family sent as a TERM_MATCH filter beside `regionCode`,
 * the product attributes a product must carry (compared here, case-insensitively, because usage types carry a
 * per-Region prefix), the tier to take and the factor from the API's unit to the table's.
 *
 * Every service code, usage type and attribute below was read in public code that queries the same API, cited
 * per service: mostly infracost's resource files, whose ProductFilter is Price List attributes
 * (https://github.com/infracost/infracost/tree/master/internal/resources/aws). Entries with no verified usage type
 * say so (`unverified`) and are reported by `iotpipe prices refresh` instead of queried with guessed filters.
 */
import type { PricedRegion, PriceKey } from "./prices";

/** A lookup: one product in the Region, one OnDemand price dimension of it. */
export interface PriceLookup {
  /** Price List service code (GetProducts ServiceCode). */
  serviceCode: string;
  /** Sent as a TERM_MATCH filter when given; narrows the pages fetched. */
  productFamily?: string;
  /**
   * Attributes a matching product carries. `usagetype` is the value without its Region prefix: it matches
   * `X`, `<billing prefix>-X` (EUC1-X) or `<region>-X` (eu-central-1-KMS-Keys); others must be equal.
   */
  attributes: Record<string, string>;
  /** The dimension's beginRange (in the API's unit) when the price is tiered; the entry's unit names the tier. */
  tierBeginRange?: string;
  /** Ignore $0 dimensions (free tiers the Price List encodes as a priced dimension). */
  skipFreeTier?: boolean;
  /** Table price = API price × perApiUnit (e.g. 1e6 for a per-million entry priced per request). */
  perApiUnit: number;
  /** Where the filters were read. */
  verifiedIn: string;
}

/** An entry not looked up, and why. */
export interface NoLookup {
  unverified: string;
}

const INFRACOST = (file: string) => `https://github.com/infracost/infracost/blob/master/internal/resources/aws/${file}`;

/**
 * Billing prefixes of usage types per Region (Price List `usagetype`): EUC1 as read from the Price List by
 * rumblefishdev/stellar-prices-api ("EUC1-Request", "EUC1-Lambda-GB-Second"), EU for Ireland and USE1 for
 * N. Virginia (where most usage types carry no prefix, Athena's `USE1-DataScannedInTB` does) as in the billing
 * prefix tables of public Cost-and-Usage tooling.
 */
export const BILLING_PREFIX: Record<PricedRegion, string> = { "us-east-1": "USE1", "eu-central-1": "EUC1", "eu-west-1": "EU" };

/**
 * The Price List's `location` of each Region, for offers whose products carry no `regionCode` attribute (the
 * names as in public Region-to-location tables of Price List tooling, e.g. "EU (Frankfurt)": "eu-central-1").
 */
export const PRICE_LIST_LOCATION: Record<PricedRegion, string> = {
  "us-east-1": "US East (N. Virginia)", "eu-central-1": "EU (Frankfurt)", "eu-west-1": "EU (Ireland)",
};

/** True when `usagetype` is `suffix` in `region`, with or without the Region's prefix. */
export function usagetypeMatches(usagetype: string, suffix: string, region: PricedRegion): boolean {
  const u = usagetype.toLowerCase();
  const s = suffix.toLowerCase();
  return u === s || u === `${BILLING_PREFIX[region].toLowerCase()}-${s}` || u === `${region}-${s}`;
}

const kinesis = (usagetype: string, operation: string, perApiUnit = 1): PriceLookup => ({
  serviceCode: "AmazonKinesis", productFamily: "Kinesis Streams", attributes: { usagetype, operation }, perApiUnit,
  verifiedIn: INFRACOST("kinesis_stream.go"),
});
const flink = (usagetype: string): PriceLookup => ({
  serviceCode: "AmazonKinesisAnalytics", productFamily: "Kinesis Analytics", attributes: { usagetype }, perApiUnit: 1,
  verifiedIn: INFRACOST("kinesisanalyticsv2_application.go"),
});
const FIREHOSE_CALCULATOR = "https://github.com/FahadMustafa/aws-calc/blob/main/references/service-modules/kinesis-firehose.md (Price List usage types DPBytesDelivered, S3DeliveryObjectCount, MetadataProcessingDuration)";
const firehoseIngest = (tierBeginRange: string): PriceLookup => ({
  serviceCode: "AmazonKinesisFirehose", productFamily: "Kinesis Firehose", attributes: { group: "Event-by-Event Processing" },
  tierBeginRange, perApiUnit: 1, verifiedIn: `${INFRACOST("kinesis_firehose_delivery_stream.go")} (tiers at 512,000 and 2,048,000 GB)`,
});
const firehoseUsage = (usagetype: string, perApiUnit = 1): PriceLookup => ({
  serviceCode: "AmazonKinesisFirehose", attributes: { usagetype }, perApiUnit, verifiedIn: FIREHOSE_CALCULATOR,
});
/** S3 usage types: infracost's s3_bucket.go (storage classes, request tiers, lifecycle transitions). */
const s3 = (usagetype: string, perApiUnit: number, extra: Record<string, string> = {}): PriceLookup => ({
  serviceCode: "AmazonS3", attributes: { usagetype, ...extra }, tierBeginRange: usagetype.startsWith("TimedStorage") ? "0" : undefined,
  perApiUnit, verifiedIn: INFRACOST("s3_bucket.go"),
});
const lambda = (group: string, usagetype: string, perApiUnit: number): PriceLookup => ({
  serviceCode: "AWSLambda", productFamily: "Serverless", attributes: { group, usagetype }, tierBeginRange: "0", perApiUnit,
  verifiedIn: INFRACOST("lambda_function.go"),
});
const cloudwatch = (usagetype: string, extra: Record<string, string>, file: string, tierBeginRange?: string): PriceLookup => ({
  serviceCode: "AmazonCloudWatch", attributes: { usagetype, ...extra }, tierBeginRange, skipFreeTier: true, perApiUnit: 1, verifiedIn: INFRACOST(file),
});
const glue = (group: string, perApiUnit: number): PriceLookup => ({
  serviceCode: "AWSGlue", productFamily: "AWS Glue", attributes: { group }, skipFreeTier: true, perApiUnit, verifiedIn: INFRACOST("glue_catalog_database.go"),
});
const apiGateway = (tierBeginRange: string): PriceLookup => ({
  serviceCode: "AmazonApiGateway", productFamily: "API Calls", attributes: { usagetype: "ApiGatewayHttpRequest" }, tierBeginRange, perApiUnit: 1e6,
  verifiedIn: INFRACOST("apigatewayv2_api.go"),
});
const NOT_IN_PRICE_LIST_CODE = (what: string): NoLookup => ({
  unverified: `${what}: no public code or document searched (2026-12-03) names its Price List usage type, so it is not queried with a guessed filter; read it at https://calculator.aws/`,
});
const NO_CHARGE = (why: string): NoLookup => ({ unverified: `no charge (${why}); nothing to look up` });

/** The lookup of every price table entry. */
export const PRICE_LOOKUPS: Record<PriceKey, PriceLookup | NoLookup> = {
  iotConnectionMinutesPerMillion: NOT_IN_PRICE_LIST_CODE("AWS IoT Core connectivity (service code AWSIoT)"),
  iotBasicIngestMessagesPerMillion: NO_CHARGE("Basic Ingest has no messaging charge, by its developer guide"),
  iotRulesTriggeredPerMillion: NOT_IN_PRICE_LIST_CODE("AWS IoT Core rules triggered (service code AWSIoT)"),
  iotActionsExecutedPerMillion: NOT_IN_PRICE_LIST_CODE("AWS IoT Core actions executed (service code AWSIoT)"),
  kinesisShardHour: kinesis("Storage-ShardHour", "shardHourStorage"),
  kinesisPutPayloadUnitsPerMillion: kinesis("PutRequestPayloadUnits", "PutRequest", 1e6),
  kinesisExtendedRetentionShardHour: kinesis("Extended-ShardHour", "shardHourStorage"),
  kinesisLongTermRetentionGbMonth: kinesis("LongTermRetention-ByteHrs", "LongTermRetentionByteHrs"),
  kinesisOnDemandStreamHour: kinesis("OnDemand-StreamHour", "OnDemandStreamHr"),
  kinesisOnDemandGbWritten: kinesis("OnDemand-BilledIncomingBytes", "OnDemandDataIngested"),
  kinesisOnDemandGbRead: kinesis("OnDemand-BilledOutgoingBytes", "OnDemandDataRetrieval"),
  kinesisEfoConsumerShardHour: kinesis("EnhancedFanoutHour", "ConsumerHour"),
  kinesisEfoGbRetrieved: kinesis("ReadBytes", "EnhancedFanoutDataRetrieval"),
  kinesisOnDemandEfoGbRead: kinesis("OnDemand-BilledOutgoingEFOBytes", "OnDemandEFODataRetrieval"),
  kinesisOnDemandExtendedRetentionGbMonth: kinesis("OnDemand-ExtendedRetention-ByteHrs", "OnDemandExtendedRetentionByteHrs"),
  flinkKpuHour: flink("KPU-Hour-Java"),
  flinkRunningStorageGbMonth: flink("RunningApplicationStorage"),
  firehoseIngestGbFirst500Tb: firehoseIngest("0"),
  firehoseIngestGbNext1500Tb: firehoseIngest("512000"),
  firehoseIngestGbAbove2Pb: firehoseIngest("2048000"),
  firehoseFormatConversionGb: {
    serviceCode: "AmazonKinesisFirehose", productFamily: "Kinesis Firehose", attributes: { operation: "DataFormatConversion" }, perApiUnit: 1,
    verifiedIn: INFRACOST("kinesis_firehose_delivery_stream.go"),
  },
  firehoseDynamicPartitioningGb: firehoseUsage("DPBytesDelivered"),
  firehoseDynamicPartitioningPer1000Objects: firehoseUsage("S3DeliveryObjectCount", 1000),
  firehoseJqProcessingHour: firehoseUsage("MetadataProcessingDuration"),
  s3StandardGbMonth: s3("TimedStorage-ByteHrs", 1),
  s3StandardIaGbMonth: s3("TimedStorage-SIA-ByteHrs", 1),
  s3GlacierFlexibleGbMonth: s3("TimedStorage-GlacierByteHrs", 1),
  s3PutPer1000: s3("Requests-Tier1", 1000),
  s3GetPer1000: s3("Requests-Tier2", 1000),
  s3TransitionToIaPer1000: s3("Requests-Tier4", 1000),
  s3TransitionToGlacierPer1000: s3("Requests-Tier3", 1000, { operation: "S3-GlacierTransition" }),
  glueCatalogObjectsPer100kMonth: glue("Data Catalog Storage", 100_000),
  glueCatalogRequestsPerMillion: glue("Data Catalog Requests", 1e6),
  athenaTbScanned: {
    serviceCode: "AmazonAthena", productFamily: "Athena Queries", attributes: { usagetype: "DataScannedInTB" }, perApiUnit: 1,
    verifiedIn: "public GetProducts and Billing-and-Cost-Management code naming AmazonAthena <prefix>-DataScannedInTB (product family \"Athena Queries\"), e.g. USE1-DataScannedInTB at $5 per TB",
  },
  lambdaRequestsPerMillion: lambda("AWS-Lambda-Requests", "Request", 1e6),
  lambdaGbSecond: lambda("AWS-Lambda-Duration", "Lambda-GB-Second", 1),
  cloudwatchAlarmMonth: cloudwatch("CW:AlarmMonitorUsage", {}, "cloudwatch_metric_alarm.go"),
  cloudwatchDashboardMonth: { ...cloudwatch("DashboardsUsageHour", {}, "cloudwatch_dashboard.go"), productFamily: "Dashboard" },
  cloudwatchLogsIngestGb: { ...cloudwatch("DataProcessing-Bytes", { operation: "PutLogEvents" }, "cloudwatch_log_group.go"), productFamily: "Data Payload" },
  cloudwatchMetricMonth: cloudwatch("CW:MetricMonitorUsage", {}, "cloudwatch_metric_alarm.go", "0"),
  kmsKeyMonth: { serviceCode: "awskms", productFamily: "Encryption Key", attributes: { usagetype: "KMS-Keys" }, perApiUnit: 1, verifiedIn: INFRACOST("kms_key.go") },
  kmsRequestsPer10k: { serviceCode: "awskms", attributes: { usagetype: "KMS-Requests" }, skipFreeTier: true, perApiUnit: 10_000, verifiedIn: INFRACOST("kms_key.go") },
  snsPublishesPerMillion: {
    serviceCode: "AmazonSNS", productFamily: "API Request", attributes: { usagetype: "Requests-Tier1" }, skipFreeTier: true, perApiUnit: 1e6,
    verifiedIn: "public GetProducts code for AmazonSNS (product family \"API Request\", usage type Requests-Tier1 for standard topics)",
  },
  sqsRequestsPerMillion: {
    serviceCode: "AWSQueueService", productFamily: "API Request", attributes: { queueType: "Standard" }, skipFreeTier: true, tierBeginRange: "0",
    perApiUnit: 1e6, verifiedIn: INFRACOST("sqs_queue.go"),
  },
  schedulerInvocationsPerMillion: NOT_IN_PRICE_LIST_CODE("EventBridge Scheduler invocations"),
  iamNoCharge: NO_CHARGE("IAM roles and policies are free"),
  apiGatewayHttpPerMillionFirst300M: apiGateway("0"),
  apiGatewayHttpPerMillionAbove300M: apiGateway("300000000"),
  dynamodbWriteRequestsPerMillion: {
    serviceCode: "AmazonDynamoDB", productFamily: "Amazon DynamoDB PayPerRequest Throughput", attributes: { group: "DDB-WriteUnits", usagetype: "WriteRequestUnits" },
    perApiUnit: 1e6, verifiedIn: INFRACOST("dynamodb_table.go"),
  },
  dynamodbStorageGbMonth: {
    serviceCode: "AmazonDynamoDB", productFamily: "Database Storage", attributes: { usagetype: "TimedStorage-ByteHrs" }, skipFreeTier: true, perApiUnit: 1,
    verifiedIn: INFRACOST("dynamodb_table.go"),
  },
};

export function isLookup(l: PriceLookup | NoLookup): l is PriceLookup {
  return "serviceCode" in l;
}
