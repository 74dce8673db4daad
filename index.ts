/**
 * The iotpipe Pulumi program: composes the components from the stack configuration.
 *
 *   DeviceFleet (provisioning by claim: allow-listed serials become things in their site and line groups)
 *   devices --MQTT--> DeviceIngest (IoT rule) --> TelemetryStreams.raw --> StreamAnalytics (Managed Flink)
 *     --> TelemetryStreams outputs --> ParquetLake (Firehose -> Parquet in the lake bucket, Glue tables)
 *     --> AthenaAnalytics (workgroup + named compliance queries)
 *   alerts stream --> AlertNotifier (Lambda -> SNS); ComplianceReports (scheduled Lambda: Athena -> reports bucket)
 *   Monitoring watches every stream, the application, every delivery stream, the rule and the notifier; the
 *   report job alarms on its own failures. Every alarm goes to the operators' topic.
 *
 * One customer managed key per data domain, so a key policy or a key compromise stays within its domain:
 * streams (Kinesis, Flink logs), lake (lake, Athena results, Flink code, Firehose logs), reports (the
 * immutable compliance archive) and ops (operator topic, dead-letter queues, function logs).
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config/load";
import { stackAnalytics } from "./config/analytics";
import { stackSqlDrift } from "./config/flink-sql-files";
import { stackCapacities } from "./config/fleet";
import { DELIVERY_ERRORS, INGEST_ERRORS, LAKE_TABLES, RAW_MESSAGES } from "./lake/tables";
import { EncryptionKey } from "./components/encryption-key";
import { HardenedBucket, type PrefixTiering } from "./components/hardened-bucket";
import { TelemetryStreams } from "./components/telemetry-streams";
import { DeviceIngest } from "./components/device-ingest";
import { DeviceFleet } from "./components/device-fleet";
import { StreamAnalytics } from "./components/stream-analytics";
import { ParquetLake } from "./components/parquet-lake";
import { AthenaAnalytics } from "./components/athena-analytics";
import { Monitoring } from "./components/monitoring";
import { AlertNotifier } from "./components/alert-notifier";
import { ComplianceReports } from "./components/compliance-reports";

const config = loadStackConfig();
/** Shards, Flink parallelism and Firehose buffering: the sizing model's for a stated fleet, else the raw keys'. */
const capacities = stackCapacities(config);
// The stack's analytics, derived once: the SQL its Flink job runs and the static limits its reports fill in.
const analyticsOfStack = stackAnalytics(config);
const committedSqlDrift = stackSqlDrift(__dirname, pulumi.getStack(), analyticsOfStack.flinkSql);
if (committedSqlDrift.length > 0) {
  pulumi.log.warn(
    `sql/flink/${pulumi.getStack()}/ is not the SQL this stack deploys (${committedSqlDrift.join(", ")}): run \`npm run gen:flink-sql\` and commit it, so the job's SQL is reviewed with the change`,
  );
}

/**
 * Resources that hold data or make it readable: with deletion protection they refuse `pulumi destroy` (and
 * replacement). Only these, not whole components: a protected IAM policy or Firehose could not be replaced by
 * an ordinary update.
 */
const DATA_RESOURCE_TYPES = new Set([
  "aws:kms/key:Key",
  "aws:s3/bucket:Bucket",
  "aws:kinesis/stream:Stream",
  "aws:glue/catalogDatabase:CatalogDatabase",
  "aws:dynamodb/table:Table",
]);
const protectData: pulumi.ResourceTransformation = (args) =>
  DATA_RESOURCE_TYPES.has(args.type) ? { props: args.props, opts: pulumi.mergeOptions(args.opts, { protect: true }) } : undefined;
const stateful: pulumi.ComponentResourceOptions = config.deletionProtection ? { transformations: [protectData] } : {};

// Keys ------------------------------------------------------------------------------------------------------
const streamsKey = new EncryptionKey("streams-key", {
  description: "iotpipe telemetry streams and the Flink application's logs",
  serviceUses: [{ service: "logs" }],
}, stateful);
const lakeKey = new EncryptionKey("lake-key", {
  description: "iotpipe Parquet lake, Athena query results, Flink code and Firehose logs",
  serviceUses: [{ service: "logs" }],
}, stateful);
const reportsKey = new EncryptionKey("reports-key", { description: "iotpipe compliance report archive" }, stateful);
const opsKey = new EncryptionKey("ops-key", {
  description: "iotpipe operator notifications, dead-letter queues, function logs and the device allow-list",
  serviceUses: [{ service: "logs" }, { service: "cloudwatch-alarms" }],
}, stateful);

// Buckets ---------------------------------------------------------------------------------------------------
/** Every lake prefix ages through the same tiers (Athena skips objects once they reach Glacier). */
const lakeTiering: PrefixTiering[] = [...[...LAKE_TABLES, RAW_MESSAGES, INGEST_ERRORS].map((t) => t.name), DELIVERY_ERRORS.prefix].map((table) => ({
  prefix: `${table}/`,
  infrequentAccessAfterDays: config.rawDataIaDays,
  glacierAfterDays: config.rawDataGlacierDays,
  ...(config.rawDataExpireDays > 0 && { expireAfterDays: config.rawDataExpireDays }),
}));
const lakeBucket = new HardenedBucket("lake-store", {
  kmsKeyArn: lakeKey.arn,
  forceDestroy: config.forceDestroy,
  tiering: lakeTiering,
}, stateful);
const resultsBucket = new HardenedBucket("athena-results", {
  kmsKeyArn: lakeKey.arn,
  forceDestroy: config.forceDestroy,
  tiering: [{ prefix: "results/", expireAfterDays: config.athenaResultsExpireDays }],
}, stateful);
const codeBucket = new HardenedBucket("flink-code", { kmsKeyArn: lakeKey.arn, forceDestroy: config.forceDestroy }, stateful);
const reportsBucket = new HardenedBucket("reports-archive", {
  kmsKeyArn: reportsKey.arn,
  // A COMPLIANCE lock cannot be lifted, so emptying the bucket on destroy can only fail: never ask for it.
  forceDestroy: config.forceDestroy && config.reportsObjectLockMode !== "COMPLIANCE",
  objectLock: { mode: config.reportsObjectLockMode, days: config.reportsObjectLockDays },
  tags: { purpose: "compliance-reports" },
}, stateful);

// Streams, ingest, analytics, lake, Athena ----------------------------------------------------------------
const streams = new TelemetryStreams("telemetry", {
  kmsKeyArn: streamsKey.arn,
  retentionHours: config.streamRetentionHours,
  capacity: capacities.streams,
}, stateful);

const ingest = new DeviceIngest("ingest", {
  rawStream: { name: streams.raw.name, arn: streams.raw.arn },
  rawStreamKeyArn: streamsKey.arn,
  errorBucket: { name: lakeBucket.name, arn: lakeBucket.arn },
  errorBucketKeyArn: lakeKey.arn,
});

// Devices join by fleet provisioning: the plant's allow-listed serials become things on their configured line,
// with the device policy DeviceIngest confines them by.
const fleet = new DeviceFleet("fleet", {
  lines: config.deviceLines,
  devicePolicyName: ingest.policyName,
  thingTypeName: ingest.thingTypeName,
  fleetThingGroupName: ingest.thingGroupName,
  keyArn: opsKey.arn,
  deletionProtection: config.deletionProtection,
  logRetentionDays: config.logRetentionDays,
});

const streamRef = (name: string) => ({ name: streams.outputs[name].name, arn: streams.outputs[name].arn });

// This stack's own last deployment: the SQL hash its Flink job runs, so a SQL change starts the job without
// restoring a snapshot the new statements cannot read (StreamAnalytics restorePlan; nothing on a first deployment).
const deployed = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);

const analytics = new StreamAnalytics("analytics", {
  sourceStream: { name: streams.raw.name, arn: streams.raw.arn },
  sinkStreams: Object.fromEntries(Object.keys(streams.outputs).map((name) => [name, streamRef(name)])),
  streamKeyArn: streamsKey.arn,
  codeBucket: { name: codeBucket.name, arn: codeBucket.arn },
  codeBucketKeyArn: lakeKey.arn,
  // Generated for this stack's static limits, windows, hold and ingest tolerances (reviewed as sql/flink/<stack>/).
  sqlFiles: analyticsOfStack.flinkSql,
  checkpointIntervalMs: config.checkpointIntervalMs,
  parallelism: capacities.flink.parallelism,
  parallelismPerKpu: capacities.flink.parallelismPerKpu,
  autoScalingEnabled: config.flinkAutoScaling,
  logRetentionDays: config.logRetentionDays,
  deployedSqlSha256: deployed.getOutput("flinkSqlSha256") as pulumi.Output<string | undefined>,
});

const lake = new ParquetLake("lake", {
  bucketName: lakeBucket.name,
  bucketArn: lakeBucket.arn,
  lakeKeyArn: lakeKey.arn,
  streamKeyArn: streamsKey.arn,
  sources: Object.fromEntries(Object.keys(streams.outputs).map((name) => [name, { streamArn: streams.outputs[name].arn }])),
  // The raw stream archived exactly as the IoT rule wrote it: the source for a re-run of the analytics and the
  // evidence for any record the validation rejected.
  rawSource: { streamArn: streams.raw.arn },
  lakeStartDate: config.lakeStartDate,
  ...(capacities.firehoseBufferingIntervalSeconds !== undefined && { bufferingIntervalSeconds: capacities.firehoseBufferingIntervalSeconds }),
  logRetentionDays: config.logRetentionDays,
  logKmsKeyArn: lakeKey.arn,
  errorTables: true,
}, stateful);

const athena = new AthenaAnalytics("analysts", {
  resultsBucketName: resultsBucket.name,
  resultsKeyArn: lakeKey.arn,
  databaseName: lake.databaseName,
  bytesScannedCutoffPerQuery: config.athenaBytesScannedCutoffMb * 1024 * 1024,
  forceDestroy: config.forceDestroy,
});

// Monitoring and alerts -------------------------------------------------------------------------------------
// Monitoring owns the operators' topic that the functions publish to, and watches those functions: their
// names are deferred outputs, filled in once the functions exist.
const [notifierFunctionName, setNotifierFunctionName] = pulumi.deferredOutput<string>();
const [notifierQueueName, setNotifierQueueName] = pulumi.deferredOutput<string>();

const monitoring = new Monitoring("operations", {
  keyArn: opsKey.arn,
  emails: config.alarmEmails,
  streams: { raw: streams.raw.name, ...Object.fromEntries(Object.entries(streams.outputs).map(([name, s]) => [name, s.name])) },
  applicationName: analytics.applicationName,
  ...(analytics.efoConsumerName ? { efoConsumers: { raw: { streamName: streams.raw.name, consumerName: analytics.efoConsumerName } } } : {}),
  firehoseNames: lake.firehoseNames,
  ruleNames: { ingest: ingest.ruleName },
  functionNames: { alertNotifier: notifierFunctionName, provisioningHook: fleet.hookFunctionName },
  queueNames: { alertNotifierDlq: notifierQueueName },
  quarantine: { rawStreamName: streams.raw.name, quarantineStreamName: streams.outputs.quarantine.name },
  thresholds: {
    iteratorAgeMs: config.alarmIteratorAgeMs,
    firehoseFreshnessSeconds: config.alarmFirehoseFreshnessSeconds,
    quarantinePercent: config.alarmQuarantineRatePercent,
  },
});

const notifier = new AlertNotifier("alert-notifier", {
  alertsStreamArn: streams.outputs.alerts.arn,
  streamKeyArn: streamsKey.arn,
  topicArn: monitoring.topicArn,
  topicKeyArn: opsKey.arn,
  keyArn: opsKey.arn,
  logRetentionDays: config.logRetentionDays,
});
setNotifierFunctionName(notifier.functionName);
setNotifierQueueName(notifier.deadLetterQueueName);

// The report job raises its own alarms (errors, dead-letter queue) on the operators' topic; feeding it to
// Monitoring as well would page twice for one failure.
const reports = new ComplianceReports("compliance-reports", {
  athenaWorkgroupName: athena.workgroupName,
  athenaWorkgroupArn: athena.workgroup!.arn,
  glueDatabaseName: lake.databaseName,
  lakeBucketName: lakeBucket.name,
  lakeBucketArn: lakeBucket.arn,
  lakeKeyArn: lakeKey.arn,
  athenaResultsBucketArn: resultsBucket.arn,
  athenaResultsKeyArn: lakeKey.arn,
  reportsBucketName: reportsBucket.name,
  reportsBucketArn: reportsBucket.arn,
  reportsKeyArn: reportsKey.arn,
  topicArn: monitoring.topicArn,
  topicKeyArn: opsKey.arn,
  keyArn: opsKey.arn,
  scheduleExpression: config.reportSchedule,
  scheduleTimezone: config.reportTimezone,
  logRetentionDays: config.logRetentionDays,
  staticLimits: analyticsOfStack.staticLimits,
  fleetThingTypeName: ingest.thingTypeName,
});

// Outputs ---------------------------------------------------------------------------------------------------
export const environment = config.environment;
export const rawStreamName = streams.raw.name;
export const outputStreamNames = Object.fromEntries(Object.entries(streams.outputs).map(([name, s]) => [name, s.name]));
export const deviceTopicPattern = ingest.basicIngestTopicPattern;
export const iotRuleName = ingest.ruleName;
export const devicePolicyName = ingest.policyName;
export const thingGroupName = ingest.thingGroupName;
/** What `iotpipe fleet` and device onboarding read (README, "Device fleet"); no certificate material. */
export const provisioningTemplateName = fleet.templateName;
export const claimPolicyName = fleet.claimPolicyName;
export const deviceAllowListTable = fleet.allowListTableName;
export const thingGroupPrefix = fleet.prefix;
export const siteThingGroups = fleet.siteGroupNames;
export const lineThingGroups = fleet.lineGroupNames;
export const flinkApplicationName = analytics.applicationName;
/** The SQL graph the Flink job runs; the next deployment compares against it (see `deployed` above). */
export const flinkSqlSha256 = analytics.sqlSha256;
export const glueDatabase = lake.databaseName;
export const athenaWorkgroup = athena.workgroupName;
export const lakeBucketName = lakeBucket.name;
export const athenaResultsBucketName = resultsBucket.name;
export const flinkCodeBucketName = codeBucket.name;
export const reportsBucketName = reportsBucket.name;
export const dashboardName = monitoring.dashboardName;
export const operatorTopicArn = monitoring.topicArn;
export const alertNotifierFunctionName = notifier.functionName;
export const reportFunctionName = reports.functionName;
export const reportScheduleName = reports.scheduleName;
