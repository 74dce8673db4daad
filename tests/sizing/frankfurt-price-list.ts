/**
 * A Frankfurt (eu-central-1) Price List for the services the price table covers, as GetProducts would return
 * it: usage types with the EUC1- prefix (KMS keys with the Region name, as the API names them), tiers as
 * several dimensions of one product, free tiers as $0 dimensions, and neighbours that must not be taken (ARM
 * Lambda, DynamoDB Standard-IA, FIFO queues, SQL-runtime KPUs). The prices are test values in the range of
 * AWS's, not AWS's: the tests check the reading and the arithmetic, not the numbers.
 */
import type { Dimension, Product } from "./price-list-fixtures";

const d = (usd: string, unit: string, description: string, beginRange = "0", endRange = "Inf"): Dimension => ({ usd, unit, description, beginRange, endRange });
const product = (sku: string, serviceCode: string, productFamily: string, attributes: Record<string, string>, ...dimensions: Dimension[]): Product =>
  ({ sku, serviceCode, productFamily, attributes, dimensions });

const kinesis = (sku: string, usagetype: string, operation: string, usd: string, unit: string) =>
  product(sku, "AmazonKinesis", "Kinesis Streams", { usagetype: `EUC1-${usagetype}`, operation, group: "Kinesis Streams" }, d(usd, unit, `$${usd} per ${unit} for ${usagetype} in EU (Frankfurt)`));

export const FRANKFURT: Product[] = [
  kinesis("K7HQWTYQ4DHCUJ5M", "Storage-ShardHour", "shardHourStorage", "0.0179000000", "ShardHour"),
  kinesis("3JAH2ZS5GBZTNQVM", "PutRequestPayloadUnits", "PutRequest", "0.0000000175", "PutRequestPayloadUnits"),
  kinesis("Y6DJ4PDX8PXWHB4U", "Extended-ShardHour", "shardHourStorage", "0.0260000000", "ShardHour"),
  kinesis("UXV7PP3QJ44DMV3V", "LongTermRetention-ByteHrs", "LongTermRetentionByteHrs", "0.0275000000", "GB-Mo"),
  kinesis("HD4CCRU2F2R3XN3T", "OnDemand-StreamHour", "OnDemandStreamHr", "0.0480000000", "Hrs"),
  kinesis("6KSGW2WW7SD5K2ET", "OnDemand-BilledIncomingBytes", "OnDemandDataIngested", "0.0960000000", "GB"),
  kinesis("Q2ZP9YE9C77C8JZ6", "OnDemand-BilledOutgoingBytes", "OnDemandDataRetrieval", "0.0480000000", "GB"),
  kinesis("8VDNB7R2W8WYTM7T", "EnhancedFanoutHour", "ConsumerHour", "0.0179000000", "ConsumerShardHour"),
  kinesis("F6XKBGDC5WTMYBX8", "ReadBytes", "EnhancedFanoutDataRetrieval", "0.0155000000", "GB"),
  kinesis("9RFZ7FT6CKEVCQ3D", "OnDemand-BilledOutgoingEFOBytes", "OnDemandEFODataRetrieval", "0.0600000000", "GB"),
  kinesis("ZEZG5QUGU8YSUPM7", "OnDemand-ExtendedRetention-ByteHrs", "OnDemandExtendedRetentionByteHrs", "0.1200000000", "GB-Mo"),

  product("2T8N8JPX3XNJHQQW", "AmazonKinesisAnalytics", "Kinesis Analytics", { usagetype: "EUC1-KPU-Hour-Java", operation: "" }, d("0.1330000000", "Hrs", "$0.133 per Kinesis Processing Unit-Hour for Java applications")),
  product("VD3H4F3BFWSXW4BQ", "AmazonKinesisAnalytics", "Kinesis Analytics", { usagetype: "EUC1-KPU-Hour", operation: "" }, d("0.1330000000", "Hrs", "SQL applications: not the Flink KPU")),
  product("8CS5ZB6AEF3K46QX", "AmazonKinesisAnalytics", "Kinesis Analytics", { usagetype: "EUC1-RunningApplicationStorage", operation: "" }, d("0.1190000000", "GB-Mo", "$0.119 per GB-month of running application storage")),

  product("MZ9ZBRNT29Q6CDUS", "AmazonKinesisFirehose", "Kinesis Firehose", { usagetype: "EUC1-BilledBytes", group: "Event-by-Event Processing", operation: "PutRecord" },
    d("0.0350000000", "GB", "first 500 TB", "0", "512000"), d("0.0300000000", "GB", "next 1.5 PB", "512000", "2048000"), d("0.0250000000", "GB", "next 3 PB", "2048000", "Inf")),
  product("7JBPXY3ZN6TUTJ4P", "AmazonKinesisFirehose", "Kinesis Firehose", { usagetype: "EUC1-DataFormatConversion-Bytes", operation: "DataFormatConversion" }, d("0.0220000000", "GB", "format conversion")),
  product("CJ2G5FZQ7PD4AW7E", "AmazonKinesisFirehose", "Kinesis Firehose", { usagetype: "EUC1-DPBytesDelivered", operation: "DynamicPartitioning" }, d("0.0240000000", "GB", "dynamic partitioning")),
  product("N8P3W2DJ7JZUQ5CX", "AmazonKinesisFirehose", "Kinesis Firehose", { usagetype: "EUC1-S3DeliveryObjectCount", operation: "DynamicPartitioning" }, d("0.0000060000", "Objects", "objects delivered")),
  product("SE5BVKZ6FPE2UQAX", "AmazonKinesisFirehose", "Kinesis Firehose", { usagetype: "EUC1-MetadataProcessingDuration", operation: "DynamicPartitioning" }, d("0.0840000000", "Hours", "JQ processing")),

  product("QDQDX8WBW5C3XH3K", "AmazonS3", "Storage", { usagetype: "EUC1-TimedStorage-ByteHrs", volumeType: "Standard", storageClass: "General Purpose" },
    d("0.0245000000", "GB-Mo", "$0.0245 per GB - first 50 TB / month of storage used", "0", "51200"),
    d("0.0235000000", "GB-Mo", "$0.0235 per GB - next 450 TB / month of storage used", "51200", "512000"),
    d("0.0225000000", "GB-Mo", "$0.0225 per GB - storage used / month over 500 TB", "512000", "Inf")),
  product("8ZV7PR4MHXB29MQA", "AmazonS3", "Storage", { usagetype: "EUC1-TimedStorage-SIA-ByteHrs", volumeType: "Standard - Infrequent Access" }, d("0.0135000000", "GB-Mo", "Standard-IA")),
  product("R2E2X7ZA5K2VQN7M", "AmazonS3", "Storage", { usagetype: "EUC1-TimedStorage-GlacierByteHrs", volumeType: "Amazon Glacier" }, d("0.0040000000", "GB-Mo", "Glacier Flexible Retrieval")),
  product("HDQFWBDZ4PU5XA3K", "AmazonS3", "API Request", { usagetype: "EUC1-Requests-Tier1", operation: "PutObject" }, d("0.0000054000", "Requests", "$0.0054 per 1,000 PUT, COPY, POST, or LIST requests")),
  product("45TM9GZ6FMF4T6Q9", "AmazonS3", "API Request", { usagetype: "EUC1-Requests-Tier2", operation: "GetObject" }, d("0.0000004300", "Requests", "$0.0043 per 10,000 GET and all other requests")),
  product("8X7SHT7N3UMX8U5Y", "AmazonS3", "API Request", { usagetype: "EUC1-Requests-Tier4", operation: "S3-SIATransition" }, d("0.0000100000", "Requests", "transitions to Standard-IA")),
  product("2GW5DJAEJQ2S6T4W", "AmazonS3", "API Request", { usagetype: "EUC1-Requests-Tier3", operation: "S3-GlacierTransition" }, d("0.0000360000", "Requests", "transitions to Glacier")),
  product("9TS62X2D27RSBGCQ", "AmazonS3", "API Request", { usagetype: "EUC1-Requests-Tier3", operation: "RestoreObject" }, d("0.0000360000", "Requests", "restore requests: not a transition")),

  product("3RTM5NNTTQ2QWFCS", "AWSGlue", "AWS Glue", { usagetype: "EUC1-Catalog-Storage", group: "Data Catalog Storage" },
    d("0.0000000000", "Obj-Month", "first million objects free", "0", "1000000"), d("0.0000100000", "Obj-Month", "$1 per 100,000 objects", "1000000", "Inf")),
  product("6NQZ6W4M7C3KS2XE", "AWSGlue", "AWS Glue", { usagetype: "EUC1-Catalog-Request", group: "Data Catalog Requests" },
    d("0.0000000000", "Requests", "first million requests free", "0", "1000000"), d("0.0000010000", "Requests", "$1 per million requests", "1000000", "Inf")),

  product("ZQ5VSGJ7QK4C9XJQ", "AmazonAthena", "Athena Queries", { usagetype: "EUC1-DataScannedInTB", operation: "RunQuery" }, d("5.0000000000", "Terabytes", "$5 per TB scanned")),

  product("F2Z3ZJ5Q2V7E6N8S", "AWSLambda", "Serverless", { usagetype: "EUC1-Request", group: "AWS-Lambda-Requests" }, d("0.0000002000", "Requests", "AWS Lambda - Total Requests - EU (Frankfurt)")),
  product("K5QN4T3T3S7DDB8E", "AWSLambda", "Serverless", { usagetype: "EUC1-Lambda-GB-Second", group: "AWS-Lambda-Duration" },
    d("0.0000166667", "Lambda-GB-Second", "first 6 billion GB-s", "0", "6000000000"), d("0.0000150000", "Lambda-GB-Second", "next 9 billion GB-s", "6000000000", "15000000000"),
    d("0.0000133334", "Lambda-GB-Second", "over 15 billion GB-s", "15000000000", "Inf")),
  product("W4E6R7QGK8D9YJ2B", "AWSLambda", "Serverless", { usagetype: "EUC1-Lambda-GB-Second-ARM", group: "AWS-Lambda-Duration" }, d("0.0000133334", "Lambda-GB-Second", "Arm: not the x86 price")),

  product("ZWZ5T8F5H4XJZ3ZB", "AmazonCloudWatch", "Alarm", { usagetype: "EUC1-CW:AlarmMonitorUsage", alarmType: "Standard" }, d("0.1000000000", "Alarms", "$0.10 per alarm metric month")),
  product("P4BY5DFPMK5J4K3W", "AmazonCloudWatch", "Dashboard", { usagetype: "EUC1-DashboardsUsageHour" },
    d("0.0000000000", "Dashboards", "first 3 dashboards free", "0", "3"), d("3.0000000000", "Dashboards", "$3 per dashboard per month", "3", "Inf")),
  product("E8VQ2SM6YTM9CYMN", "AmazonCloudWatch", "Data Payload", { usagetype: "EUC1-DataProcessing-Bytes", operation: "PutLogEvents" },
    d("0.0000000000", "GB", "first 5 GB free", "0", "5"), d("0.6300000000", "GB", "$0.63 per GB ingested", "5", "Inf")),
  product("DUPQBCF4ZH3CTQTU", "AmazonCloudWatch", "Metric", { usagetype: "EUC1-CW:MetricMonitorUsage" },
    d("0.3000000000", "Metrics", "first 10,000 metrics", "0", "10000"), d("0.1000000000", "Metrics", "next 240,000", "10000", "250000"), d("0.0500000000", "Metrics", "next 750,000", "250000", "Inf")),

  product("XKZ9RDGRB7QMHQ6J", "awskms", "Encryption Key", { usagetype: "eu-central-1-KMS-Keys" }, d("1.0000000000", "Keys", "$1 per customer managed key per month")),
  product("GGM3TGFXE5DQ4WQB", "awskms", "KMS Requests", { usagetype: "EUC1-KMS-Requests" },
    d("0.0000000000", "Requests", "20,000 free requests", "0", "20000"), d("0.0000030000", "Requests", "$0.03 per 10,000 requests", "20000", "Inf")),

  product("TQK4EDKZSXBT9YA5", "AmazonSNS", "API Request", { usagetype: "EUC1-Requests-Tier1" },
    d("0.0000000000", "Requests", "first 1 million free", "0", "1000000"), d("0.0000005000", "Requests", "$0.50 per million requests", "1000000", "Inf")),
  product("NK8BFH3NJ3YE6DZG", "AWSQueueService", "API Request", { usagetype: "EUC1-Requests-RBP", queueType: "Standard" },
    d("0.0000004000", "Requests", "first 100 billion", "0", "100000000000"), d("0.0000003000", "Requests", "next 100 billion", "100000000000", "200000000000"),
    d("0.0000002400", "Requests", "over 200 billion", "200000000000", "Inf")),
  product("Q9H5K4ZK7UXD8B2C", "AWSQueueService", "API Request", { usagetype: "EUC1-Requests-FIFO-RBP", queueType: "FIFO (first-in, first-out)" }, d("0.0000005000", "Requests", "FIFO")),

  product("U8Y6N4VZR9W3QY2F", "AmazonApiGateway", "API Calls", { usagetype: "EUC1-ApiGatewayHttpRequest", operation: "ApiGatewayHttpApi" },
    d("0.0000011100", "Requests", "first 300 million", "0", "300000000"), d("0.0000010000", "Requests", "over 300 million", "300000000", "Inf")),

  product("5NA4V8QX6PXHE6U9", "AmazonDynamoDB", "Amazon DynamoDB PayPerRequest Throughput", { usagetype: "EUC1-WriteRequestUnits", group: "DDB-WriteUnits" }, d("0.0000007625", "WriteRequestUnits", "$0.7625 per million write request units")),
  product("A3DXW7CV3GMV6J9H", "AmazonDynamoDB", "Amazon DynamoDB PayPerRequest Throughput", { usagetype: "EUC1-IA-WriteRequestUnits", group: "DDB-WriteUnits" }, d("0.0000009530", "WriteRequestUnits", "Standard-IA tables")),
  product("HFXVTM8PQ3QCYQQ6", "AmazonDynamoDB", "Database Storage", { usagetype: "EUC1-TimedStorage-ByteHrs" },
    d("0.0000000000", "GB-Mo", "$0.00 per GB-Month of storage used for the first 25 free GB-Month", "0", "25"), d("0.3060000000", "GB-Mo", "$0.306 per GB-Month of storage used beyond first 25 free GB-Months", "25", "Inf")),
  product("4Q9QF2X2QBUS9R4E", "AmazonDynamoDB", "Database Storage", { usagetype: "EUC1-IA-TimedStorage-ByteHrs" }, d("0.1224000000", "GB-Mo", "Standard-IA storage")),
];
