/**
 * ComplianceReports under Pulumi mocks: the schedule, the function, its least-privilege role, the DLQ and the
 * alarms exist and are wired to each other and to the resources passed in.
 */
import { DEFAULT_ANALYTICS } from "../../analytics/definition";
import { installMocks, oneOf, ofType, settle, statementsOf, resolve, MOCK_ACCOUNT, MOCK_REGION, RecordedResource } from "../pulumi/harness";

const recorded: RecordedResource[] = installMocks();
// Required after installMocks: TypeScript hoists imports above it.
const { ComplianceReports } = require("../../components/compliance-reports") as typeof import("../../components/compliance-reports");

const R = MOCK_REGION;
const A = MOCK_ACCOUNT;
const ARGS = {
  athenaWorkgroupName: "iotpipe-reports",
  athenaWorkgroupArn: `arn:aws:athena:${R}:${A}:workgroup/iotpipe-reports`,
  glueDatabaseName: "iotpipe_lake",
  lakeBucketName: "lake-bucket",
  lakeBucketArn: "arn:aws:s3:::lake-bucket",
  lakeKeyArn: `arn:aws:kms:${R}:${A}:key/lake`,
  athenaResultsBucketArn: "arn:aws:s3:::results-bucket",
  athenaResultsKeyArn: `arn:aws:kms:${R}:${A}:key/results`,
  reportsBucketName: "reports-bucket",
  reportsBucketArn: "arn:aws:s3:::reports-bucket",
  reportsKeyArn: `arn:aws:kms:${R}:${A}:key/reports`,
  topicArn: `arn:aws:sns:${R}:${A}:operators`,
  topicKeyArn: `arn:aws:kms:${R}:${A}:key/topic`,
  keyArn: `arn:aws:kms:${R}:${A}:key/ops`,
  scheduleExpression: "cron(15 1 * * ? *)",
  scheduleTimezone: "Europe/Berlin",
  retryPolicy: { maximumRetryAttempts: 4, maximumEventAgeInSeconds: 7200 },
  logRetentionDays: 365,
  fleetThingTypeName: "iotpipe-sensor",
};

const FUNCTION_ARN = `arn:aws:lambda:${R}:${A}:function:compliance-function`;
const DLQ_ARN = `arn:aws:sqs:${R}:${A}:compliance-dlq`;
const LOG_GROUP_ARN = `arn:aws:logs:${R}:${A}:log-group:compliance-logs`;

describe("ComplianceReports", () => {
  let component: InstanceType<typeof ComplianceReports>;
  beforeAll(async () => {
    component = new ComplianceReports("compliance", ARGS);
    await settle(recorded);
  });

  it("registers under its type token with every child parented to it", () => {
    const self = oneOf(recorded, "iotpipe:reports:ComplianceReports", "compliance");
    expect(self.custom).toBe(false);
    const children = recorded.filter((r) => r.name.startsWith("compliance-"));
    expect(children.length).toBeGreaterThanOrEqual(11);
    for (const child of children) expect(child.parent).toBe("compliance");
  });

  it("deploys the bundled handler with the SQL files, arm64, env config and an encrypted log group", async () => {
    const fn = oneOf(recorded, "aws:lambda/function:Function");
    expect(fn.inputs).toMatchObject({
      runtime: "nodejs24.x",
      architectures: ["arm64"],
      handler: "index.handler",
      memorySize: 512,
      timeout: 900,
      role: `arn:aws:iam::${A}:role/compliance-role`,
      kmsKeyArn: ARGS.keyArn,
      loggingConfig: { logFormat: "JSON", logGroup: "compliance-logs" },
    });
    expect(fn.inputs.environment.variables).toEqual({
      ATHENA_WORKGROUP: "iotpipe-reports",
      GLUE_DATABASE: "iotpipe_lake",
      REPORTS_BUCKET: "reports-bucket",
      SNS_TOPIC_ARN: ARGS.topicArn,
      REPORT_TIMEZONE: "Europe/Berlin",
      REPORT_SITE: "*",
      LOOKBACK_DAYS: "7",
      MIN_GAP_SECONDS: "900",
      QUERY_TIMEOUT_SECONDS: "300",
      QUERY_CONCURRENCY: "3",
      FRESHNESS_WAIT_SECONDS: "180",
      FRESHNESS_POLL_SECONDS: "60",
      LAKE_BUCKET: "lake-bucket",
      FLEET_THING_TYPE: "iotpipe-sensor",
      POWERTOOLS_SERVICE_NAME: "compliance-report",
      POWERTOOLS_METRICS_NAMESPACE: "iotpipe",
    });
    const archive = (await resolve(component.function.code)) as any;
    const files = Object.keys(archive.assets).sort();
    expect(files).toEqual([
      "index.js",
      "sql/athena/anomaly-summary.sql",
      "sql/athena/daily-sensor-log.sql",
      "sql/athena/data-completeness.sql",
      "sql/athena/data-gaps.sql",
      "sql/athena/device-inventory.sql",
      "sql/athena/excursions.sql",
      "sql/athena/lake-freshness.sql",
      "sql/athena/report-scope.sql",
    ]);
    expect(await archive.assets["index.js"].text).toMatch(/exports|handler/);
    expect(await archive.assets["sql/athena/data-gaps.sql"].text).toContain("FROM readings");
    expect(oneOf(recorded, "aws:cloudwatch/logGroup:LogGroup").inputs).toMatchObject({ kmsKeyId: ARGS.keyArn, retentionInDays: 365 });
  });

  it("grants the function exactly what a report needs", () => {
    const policy = oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "compliance-policy");
    expect(policy.inputs.role).toBe("compliance-role-id");
    const glue = `arn:aws:glue:${R}:${A}`;
    const via = (s: string) => ({ StringEquals: { "kms:ViaService": `${s}.${R}.amazonaws.com` } });
    expect(statementsOf(policy.inputs.policy).map(({ Sid, Action, Resource, Condition }) => ({ Sid, Action, Resource, Condition }))).toEqual([
      { Sid: "RunReportQueries", Action: ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution"], Resource: [ARGS.athenaWorkgroupArn], Condition: undefined },
      {
        Sid: "ReadLakeCatalog",
        Action: ["glue:GetDatabase", "glue:GetTable"],
        Resource: [`${glue}:catalog`, `${glue}:database/iotpipe_lake`, `${glue}:table/iotpipe_lake/readings`, `${glue}:table/iotpipe_lake/aggregates`, `${glue}:table/iotpipe_lake/anomalies`, `${glue}:table/iotpipe_lake/alerts`, `${glue}:table/iotpipe_lake/device_registry`],
        Condition: undefined,
      },
      { Sid: "ReadLakeObjects", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::lake-bucket/readings/*", "arn:aws:s3:::lake-bucket/aggregates/*", "arn:aws:s3:::lake-bucket/anomalies/*", "arn:aws:s3:::lake-bucket/alerts/*", "arn:aws:s3:::lake-bucket/device_registry/*"], Condition: undefined },
      { Sid: "ListLakePrefixes", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::lake-bucket"], Condition: { StringLike: { "s3:prefix": ["readings/*", "aggregates/*", "anomalies/*", "alerts/*", "device_registry/*"] } } },
      { Sid: "LocateLakeBucket", Action: ["s3:GetBucketLocation"], Resource: ["arn:aws:s3:::lake-bucket"], Condition: undefined },
      { Sid: "WriteQueryResults", Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], Resource: ["arn:aws:s3:::results-bucket/results/*"], Condition: undefined },
      { Sid: "ListQueryResults", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::results-bucket"], Condition: { StringLike: { "s3:prefix": ["results/*"] } } },
      { Sid: "LocateResultsBucket", Action: ["s3:GetBucketLocation"], Resource: ["arn:aws:s3:::results-bucket"], Condition: undefined },
      { Sid: "CreateReports", Action: ["s3:PutObject", "s3:GetObject"], Resource: ["arn:aws:s3:::reports-bucket/reports/*"], Condition: undefined },
      // Unconditioned: S3 checks ListBucket for a GetObject of a missing key (404, not 403), and that request has no s3:prefix.
      { Sid: "ListReports", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::reports-bucket"], Condition: undefined },
      { Sid: "PublishSummary", Action: ["sns:Publish"], Resource: [ARGS.topicArn], Condition: undefined },
      // The IoT registry export: ListThings has no resource-level permission; the snapshot is the one lake write.
      { Sid: "ListFleetThings", Action: ["iot:ListThings"], Resource: ["*"], Condition: undefined },
      { Sid: "WriteRegistrySnapshots", Action: ["s3:PutObject"], Resource: ["arn:aws:s3:::lake-bucket/device_registry/*"], Condition: undefined },
      { Sid: "ListLakeForRegistrySnapshots", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::lake-bucket"], Condition: undefined },
      { Sid: "LakeKeyViaS3", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [ARGS.lakeKeyArn], Condition: via("s3") },
      { Sid: "ResultsAndReportsKeysViaS3", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [ARGS.athenaResultsKeyArn, ARGS.reportsKeyArn], Condition: via("s3") },
      { Sid: "TopicKeyViaSns", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [ARGS.topicKeyArn], Condition: via("sns") },
      // What every function gets (components/core.ts): its logs, its DLQ, its encrypted environment.
      { Sid: "OwnLogs", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${LOG_GROUP_ARN}:*`], Condition: undefined },
      { Sid: "RecordFailures", Action: ["sqs:SendMessage"], Resource: [DLQ_ARN], Condition: undefined },
      { Sid: "DlqKeyViaSqs", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [ARGS.keyArn], Condition: via("sqs") },
      {
        Sid: "EnvironmentKeyViaLambda",
        Action: ["kms:Decrypt"],
        Resource: [ARGS.keyArn],
        Condition: { ...via("lambda"), ArnLike: { "kms:EncryptionContext:aws:lambda:FunctionArn": `arn:aws:lambda:${R}:${A}:function:*` } },
      },
    ]);
    const all = statementsOf(policy.inputs.policy);
    expect(all.every((s) => s.Effect === "Allow" && !s.Action.some((a) => a.endsWith("*")))).toBe(true);
    // The one statement on every resource is the read-only action IAM cannot scope (ListThings has no resource type).
    expect(all.filter((s) => s.Resource.includes("*")).map((s) => s.Action)).toEqual([["iot:ListThings"]]);
    expect(all.flatMap((s) => s.Action)).not.toEqual(expect.arrayContaining(["s3:DeleteObject", "s3:PutObjectRetention", "glue:GetPartitions"]));
    const trust = JSON.parse(oneOf(recorded, "aws:iam/role:Role", "compliance-role").inputs.assumeRolePolicy);
    expect(trust.Statement[0].Principal).toEqual({ Service: "lambda.amazonaws.com" });
  });

  it("schedules the function with cron, time zone, retry policy, DLQ and a role that can only invoke it", () => {
    const schedule = oneOf(recorded, "aws:scheduler/schedule:Schedule");
    expect(schedule.inputs).toMatchObject({
      scheduleExpression: "cron(15 1 * * ? *)",
      scheduleExpressionTimezone: "Europe/Berlin",
      flexibleTimeWindow: { mode: "OFF" },
      state: "ENABLED",
      target: {
        arn: FUNCTION_ARN,
        roleArn: `arn:aws:iam::${A}:role/compliance-scheduler-role`,
        retryPolicy: { maximumRetryAttempts: 4, maximumEventAgeInSeconds: 7200 },
        deadLetterConfig: { arn: DLQ_ARN },
      },
    });
    expect(JSON.parse(schedule.inputs.target.input)).toEqual({ scheduledTime: "<aws.scheduler.scheduled-time>" });

    const trust = JSON.parse(oneOf(recorded, "aws:iam/role:Role", "compliance-scheduler-role").inputs.assumeRolePolicy);
    expect(trust.Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": A } } },
    ]);
    const policy = oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "compliance-scheduler-policy");
    expect(policy.inputs.role).toBe("compliance-scheduler-role-id");
    expect(statementsOf(policy.inputs.policy).map((s) => [s.Action, s.Resource])).toEqual([
      [["lambda:InvokeFunction"], [FUNCTION_ARN]],
      [["sqs:SendMessage"], [DLQ_ARN]],
      [["kms:GenerateDataKey", "kms:Decrypt"], [ARGS.keyArn]],
    ]);
  });

  it("dead-letters failed runs in one encrypted queue, from Scheduler and from Lambda's async retries", () => {
    const dlq = oneOf(recorded, "aws:sqs/queue:Queue");
    expect(dlq.inputs).toMatchObject({ kmsMasterKeyId: ARGS.keyArn, kmsDataKeyReusePeriodSeconds: 300, messageRetentionSeconds: 1209600 });
    const invokeConfig = oneOf(recorded, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig");
    expect(invokeConfig.inputs).toMatchObject({
      functionName: "compliance-function",
      maximumRetryAttempts: 2,
      destinationConfig: { onFailure: { destination: DLQ_ARN } },
    });
    const queuePolicy = oneOf(recorded, "aws:sqs/queuePolicy:QueuePolicy");
    expect(queuePolicy.inputs.queueUrl).toBe(`https://sqs.${R}.amazonaws.com/${A}/compliance-dlq`);
    const [allow, tls] = statementsOf(queuePolicy.inputs.policy);
    expect(allow).toMatchObject({
      Effect: "Allow",
      Principal: { AWS: [`arn:aws:iam::${A}:role/compliance-scheduler-role`, `arn:aws:iam::${A}:role/compliance-role`] },
      Action: ["sqs:SendMessage"],
      Resource: [DLQ_ARN],
    });
    expect(tls).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
  });

  it("alarms on function errors and DLQ depth, each tied to its resource, to the operators' topic", () => {
    const alarms = ofType(recorded, "aws:cloudwatch/metricAlarm:MetricAlarm");
    expect(alarms.map((a) => a.name).sort()).toEqual(["compliance-dlq-depth", "compliance-errors"]);
    expect(oneOf(recorded, "aws:cloudwatch/metricAlarm:MetricAlarm", "compliance-errors").inputs).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: "compliance-function" },
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      alarmActions: [ARGS.topicArn],
    });
    expect(oneOf(recorded, "aws:cloudwatch/metricAlarm:MetricAlarm", "compliance-dlq-depth").inputs).toMatchObject({
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "compliance-dlq" },
      threshold: 0,
      alarmActions: [ARGS.topicArn],
    });
  });

  it("packages the stack's static limits beside the handler, and apart from them the ones its configuration sets", async () => {
    // temperature replaced by the stack; vibration the shipped plausibility range (no specification).
    const vibration = DEFAULT_ANALYTICS.rules.staticLimit.defaults.vibration;
    const override = { site: "plant-a", line: "line-2", metric: "temperature", high: 95, severity: "critical" as const };
    const staticLimits = { enabled: true, defaults: { temperature: { low: -20, high: 120, severity: "critical" as const }, vibration }, overrides: [override] };
    const withLimits = new ComplianceReports("limits", { ...ARGS, staticLimits });
    const archive = (await resolve(withLimits.function.code)) as any;
    expect(JSON.parse(await archive.assets["static-limits.json"].text)).toEqual(staticLimits);
    expect(JSON.parse(await archive.assets["spec-limits.json"].text)).toEqual({
      enabled: true,
      defaults: { temperature: { low: -20, high: 120, severity: "critical" } },
      overrides: [override],
    });
  });

  it("without the registry export: no IoT, no lake write, no unconditioned lake listing, no export variables", async () => {
    new ComplianceReports("noexport", { ...ARGS, exportDeviceRegistry: false });
    await settle(recorded);
    const statements = statementsOf(oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "noexport-policy").inputs.policy);
    expect(statements.map((st) => st.Sid)).not.toEqual(expect.arrayContaining(["ListFleetThings"]));
    expect(statements.flatMap((st) => st.Action)).not.toContain("iot:ListThings");
    expect(statements.find((st) => st.Sid === "LakeKeyViaS3")!.Action).toEqual(["kms:Decrypt"]);
    expect(statements.filter((st) => st.Sid === "ListLakeForRegistrySnapshots")).toEqual([]);
    const env = oneOf(recorded, "aws:lambda/function:Function", "noexport-function").inputs.environment.variables;
    expect(env.LAKE_BUCKET).toBeUndefined();
    expect(env.FLEET_THING_TYPE).toBeUndefined();
  });

  it("exposes functionName, scheduleName and dlqUrl", async () => {
    expect(await resolve(component.functionName)).toBe("compliance-function");
    expect(await resolve(component.scheduleName)).toBe("compliance-schedule");
    expect(await resolve(component.dlqUrl)).toBe(`https://sqs.${R}.amazonaws.com/${A}/compliance-dlq`);
  });

  it("rejects settings that cannot work, naming the component and field", () => {
    const code = new (require("@pulumi/pulumi").asset.AssetArchive)({});
    expect(() => new ComplianceReports("bad1", { ...ARGS, code, scheduleExpression: "0 2 * * *" })).toThrow(/ComplianceReports 'bad1': scheduleExpression/);
    expect(() => new ComplianceReports("bad2", { ...ARGS, code, scheduleTimezone: "Mars/Olympus" })).toThrow(/scheduleTimezone/);
    expect(() => new ComplianceReports("bad7", { ...ARGS, code, scheduleExpression: "cron(30 2 * * ? *)", scheduleTimezone: "Europe/Berlin" })).toThrow(
      /ComplianceReports 'bad7': scheduleExpression cron\(30 2 \* \* \? \*\) names 02:30, a time that does not exist in Europe\/Berlin/,
    );
    expect(() => new ComplianceReports("bad3", { ...ARGS, code, queryTimeoutSeconds: 600, queryConcurrency: 2 })).toThrow(/do not fit in timeoutSeconds 900/);
    // The freshness gate's wait counts too: 2 waves × 300 s + 300 s wait + its last 60 s check + 20 s > 900 s.
    expect(() => new ComplianceReports("bad8", { ...ARGS, code, freshnessWaitSeconds: 300 })).toThrow(/after a freshness wait of 300 s do not fit in timeoutSeconds 900/);
    // Two waves of 320 s after the freshness gate (180 s + 60 s) fit in 900 s for all sites, not with a one-site
    // report's scope check (60 s) before them.
    expect(() => new ComplianceReports("fits", { ...ARGS, code, site: "*", queryTimeoutSeconds: 320 })).not.toThrow();
    expect(() => new ComplianceReports("bad3b", { ...ARGS, code, site: "plant-a", queryTimeoutSeconds: 320 })).toThrow(/do not fit in timeoutSeconds 900/);
    expect(() => new ComplianceReports("bad4", { ...ARGS, code, retryPolicy: { maximumRetryAttempts: 200, maximumEventAgeInSeconds: 60 } })).toThrow(/maximumRetryAttempts/);
    expect(() => new ComplianceReports("bad5", { ...ARGS, code, site: "x' OR 1=1" })).toThrow(/not a valid site id/);
    expect(() => new ComplianceReports("bad6", { ...ARGS, code, athenaResultsPrefix: "results" })).toThrow(/athenaResultsPrefix 'results' must be empty or end with '\/'/);
  });
});
