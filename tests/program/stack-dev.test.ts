/**
 * The dev stack rendered under mocks (once, shared by every assertion): resource counts, the security policy,
 * the wiring of every role, and the consistency between producers, the lake layout, Glue and Athena.
 */
import * as fs from "fs";
import * as path from "path";
import { renderStack, lines, type RenderedStack } from "./stack";
import { checkPlan, countByType, policyContextFor } from "../../plan/render";
import { DEVICE_REGISTRY, LAKE_TABLES, firehosePrefix, projectionLocationTemplate, lakeTable } from "../../lake/tables";
import type { AcceptedReading } from "../../contract/telemetry";
import { PROJECT_DIR } from "../../config/stack-file";

const T = {
  stream: "aws:kinesis/stream:Stream",
  firehose: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
  glueTable: "aws:glue/catalogTable:CatalogTable",
  glueDb: "aws:glue/catalogDatabase:CatalogDatabase",
  bucket: "aws:s3/bucket:Bucket",
  key: "aws:kms/key:Key",
  role: "aws:iam/role:Role",
  namedQuery: "aws:athena/namedQuery:NamedQuery",
  workgroup: "aws:athena/workgroup:Workgroup",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  topic: "aws:sns/topic:Topic",
  fn: "aws:lambda/function:Function",
  queue: "aws:sqs/queue:Queue",
  app: "aws:kinesisanalyticsv2/application:Application",
  rule: "aws:iot/topicRule:TopicRule",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
};

let stack: RenderedStack;
// Rendering the whole program under mocks takes over a minute when the test files share a loaded machine.
beforeAll(async () => {
  stack = await renderStack("dev");
}, 180_000);

const stream = (name: string) => stack.one(T.stream, `telemetry-${name}`);
const key = (name: string) => stack.one(T.key, `${name}-key-key`);
const bucket = (name: string) => stack.one(T.bucket, `${name}-bucket`);
/** The delivery stream that converts into a lake table (found by its Glue schema, not by its name). */
const firehoseFor = (table: string) => {
  const found = stack.ofType(T.firehose).filter((f) => f.inputs.extendedS3Configuration?.dataFormatConversionConfiguration?.schemaConfiguration?.tableName === table);
  expect(found).toHaveLength(1);
  return found[0];
};

describe("dev stack renders", () => {
  it("with zero security policy violations", () => {
    expect(checkPlan(stack.plan, policyContextFor("dev"))).toEqual([]);
  });

  it("and the policy is not vacuous: it catches a violation injected into this very plan", () => {
    const withoutPab = { ...stack.plan, resources: stack.resources.filter((r) => r.name !== "lake-store-public-access") };
    expect(checkPlan(withoutPab, policyContextFor("dev"))).toEqual([
      expect.objectContaining({ rule: "bucket-public-access-blocked", name: "lake-store-bucket" }),
    ]);
    const plainStream = { ...stack.plan, resources: stack.resources.map((r) => (r.name === "telemetry-raw" ? { ...r, inputs: { ...r.inputs, encryptionType: "NONE" } } : r)) };
    expect(checkPlan(plainStream, policyContextFor("dev")).map((v) => v.rule)).toEqual(["kms-encryption-at-rest"]);
  });

  it("with the expected number of each core resource", () => {
    const counts = Object.fromEntries(countByType(stack.plan));
    expect(counts[T.stream]).toBe(1 + LAKE_TABLES.length);
    expect(counts[T.firehose]).toBe(LAKE_TABLES.length + 1); // + the raw-stream archive
    expect(counts[T.glueDb]).toBe(1);
    // One per lake table, plus the error tables (IoT rule and Firehose failures) that ParquetLake adds.
    expect(counts[T.glueTable]).toBeGreaterThan(LAKE_TABLES.length);
    expect(counts[T.key]).toBe(4);
    expect(counts[T.bucket]).toBe(4);
    expect(counts["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"]).toBe(4);
    expect(counts["aws:s3/bucketPolicy:BucketPolicy"]).toBe(4);
    expect(counts[T.workgroup]).toBe(1);
    expect(counts[T.app]).toBe(1);
    expect(counts[T.rule]).toBe(1);
    expect(counts[T.topic]).toBe(1);
    expect(counts[T.alarm]).toBeGreaterThanOrEqual(20);
    expect(stack.resources.every((r) => r.type.startsWith("aws:") || r.type.startsWith("iotpipe:"))).toBe(true);
  });

  it("exports the outputs operators and devices need", () => {
    const o = stack.plan.outputs as Record<string, any>;
    expect(o.rawStreamName).toBe(stream("raw").inputs.name ?? "telemetry-raw");
    expect(Object.keys(o.outputStreamNames).sort()).toEqual(LAKE_TABLES.map((t) => t.name).sort());
    expect(o.deviceTopicPattern).toMatch(/^\$aws\/rules\/[A-Za-z0-9_]+\/telemetry\/<site>\/<line>\/<device>$/);
    expect(o.deviceTopicPattern).toContain(`$aws/rules/${o.iotRuleName}/`);
    for (const name of ["glueDatabase", "athenaWorkgroup", "lakeBucketName", "athenaResultsBucketName", "flinkCodeBucketName", "reportsBucketName", "dashboardName", "operatorTopicArn", "flinkApplicationName"]) {
      expect(typeof o[name]).toBe("string");
      expect(o[name].length).toBeGreaterThan(0);
    }
    expect(o.operatorTopicArn).toBe(stack.arn(stack.one(T.topic)));
  });

  it("protects nothing in dev (deletionProtection false) and lets buckets be destroyed", () => {
    expect(stack.resources.filter((r) => r.protect)).toEqual([]);
    expect(stack.ofType(T.bucket).filter((b) => b.name !== "reports-archive-bucket").every((b) => b.inputs.forceDestroy === true)).toBe(true);
  });
});

describe("wiring: every role grants what its consumer needs on the right ARNs, and no more", () => {
  it("IoT rule -> raw stream (+ streams key) and failed deliveries -> lake ingest_errors/ (+ lake key)", () => {
    const rule = stack.one(T.rule);
    const roleName = stack.one(T.role, /ingest.*rule.*role/).name;
    expect(rule.inputs.kineses ?? rule.inputs.kinesis).toEqual([
      expect.objectContaining({ streamName: stream("raw").inputs.name ?? "telemetry-raw", roleArn: stack.arn(stack.one(T.role, roleName)) }),
    ]);
    // Failed deliveries land exactly where the Glue ingest_errors table's projection reads: the lake bucket's ingest_errors/dt=<date>/.
    expect(rule.inputs.errorAction).toEqual({
      s3: expect.objectContaining({
        bucketName: stack.arn(bucket("lake-store")).split(":::")[1],
        key: expect.stringMatching(/^ingest_errors\/dt=\$\{parse_time\("yyyy-MM-dd", timestamp\(\), "UTC"\)\}\//),
        roleArn: stack.arn(stack.one(T.role, roleName)),
      }),
    });
    expect(stack.grantLines(roleName)).toEqual(
      [
        `kinesis:PutRecord ${stack.arn(stream("raw"))}`,
        `kms:GenerateDataKey ${stack.arn(key("streams"))}`,
        `s3:PutObject ${stack.arn(bucket("lake-store"))}/ingest_errors/*`,
        `kms:GenerateDataKey ${stack.arn(key("lake"))}`,
      ].sort(),
    );
  });

  it.each(LAKE_TABLES.map((t) => t.name))("Firehose %s -> its source stream, its Glue table versions, its lake prefixes, both keys", (table) => {
    const firehose = firehoseFor(table);
    const roleArn: string = firehose.inputs.kinesisSourceConfiguration.roleArn;
    const role = stack.ofType(T.role).find((r) => stack.arn(r) === roleArn)!;
    expect(firehose.inputs.kinesisSourceConfiguration.kinesisStreamArn).toBe(stack.arn(stream(table)));
    expect(firehose.inputs.extendedS3Configuration.kmsKeyArn).toBe(stack.arn(key("lake")));
    const lake = stack.arn(bucket("lake-store"));
    const glueDb = stack.one(T.glueDb).inputs.name;
    const glue = `arn:aws:glue:${stack.region}:123456789012`;
    const logGroup = stack.one(T.logGroup, /firehose/);
    const errorsPrefix = String(firehose.inputs.extendedS3Configuration.errorOutputPrefix).split("!{")[0];
    expect(stack.grantLines(role.name)).toEqual(
      [
        ...lines(["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"], [`${glue}:catalog`, `${glue}:database/${glueDb}`, `${glue}:table/${glueDb}/${table}`]),
        ...lines(["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], [lake]),
        ...lines(["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"], [`${lake}/${table}/*`, `${lake}/${errorsPrefix}*`]),
        ...lines(["kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:ListShards"], [stack.arn(stream(table))]),
        `kms:Decrypt ${stack.arn(key("streams"))}`,
        ...lines(["kms:GenerateDataKey", "kms:Decrypt"], [stack.arn(key("lake"))]),
        `logs:PutLogEvents ${stack.arn(logGroup)}:log-stream:${firehose.inputs.extendedS3Configuration.cloudwatchLoggingOptions.logStreamName}`,
      ].sort(),
    );
  });

  it("Flink -> reads raw, writes every output stream, reads only its code object, writes its own logs", () => {
    const app = stack.one(T.app);
    const role = stack.ofType(T.role).find((r) => stack.arn(r) === app.inputs.serviceExecutionRole)!;
    const grants = stack.grantsOf(role.name);
    const on = (resource: string) => grants.filter((g) => g.resource === resource).map((g) => g.action).sort();
    expect(app.inputs.runtimeEnvironment).toBe("FLINK-1_20");
    // Enhanced fan-out by default: the job registers its own consumer (named after the application) and reads it.
    expect(on(stack.arn(stream("raw")))).toEqual(["kinesis:DeregisterStreamConsumer", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:ListStreamConsumers", "kinesis:RegisterStreamConsumer"]);
    expect(on(`${stack.arn(stream("raw"))}/consumer/${app.inputs.name}`)).toEqual(["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"]);
    for (const t of LAKE_TABLES) {
      expect(on(stack.arn(stream(t.name)))).toEqual(expect.arrayContaining(["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary"]));
      expect(on(stack.arn(stream(t.name)))).not.toContain("kinesis:GetRecords");
    }
    const code = app.inputs.applicationConfiguration.applicationCodeConfiguration.codeContent.s3ContentLocation;
    expect(code.bucketArn).toBe(stack.arn(bucket("flink-code")));
    expect(on(`${code.bucketArn}/${code.fileKey}`)).toEqual(["s3:GetObject", "s3:GetObjectVersion"]);
    expect(grants.filter((g) => g.action.startsWith("s3:")).every((g) => g.resource === `${code.bucketArn}/${code.fileKey}`)).toBe(true);
    expect(on(stack.arn(key("streams")))).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
    expect(on(stack.arn(key("lake")))).toEqual(["kms:Decrypt"]);
    const logGroup = stack.one(T.logGroup, /analytics/);
    expect(grants.filter((g) => g.action === "logs:PutLogEvents").map((g) => g.resource)).toEqual([expect.stringMatching(new RegExp(`^${stack.arn(logGroup).replace(/[/.*]/g, "\\$&")}:log-stream:`))]);
    const consumer = `${stack.arn(stream("raw"))}/consumer/${app.inputs.name}`;
    const allowed = new Set([stack.arn(stream("raw")), consumer, `${consumer}:*`, ...LAKE_TABLES.map((t) => stack.arn(stream(t.name))), `${code.bucketArn}/${code.fileKey}`, stack.arn(key("streams")), stack.arn(key("lake"))]);
    expect(grants.filter((g) => !g.action.startsWith("logs:") && !allowed.has(g.resource))).toEqual([]);
    expect(logGroup.inputs.kmsKeyId).toBe(stack.arn(key("streams")));
  });

  it("Flink carries the stack's settings: parallelism, checkpoints, and SQL generated for its static limits", () => {
    const app = stack.one(T.app);
    const flink = app.inputs.applicationConfiguration.flinkApplicationConfiguration;
    expect(flink.parallelismConfiguration).toMatchObject({ configurationType: "CUSTOM", parallelism: 1, autoScalingEnabled: false });
    expect(flink.checkpointConfiguration).toMatchObject({ configurationType: "CUSTOM", checkpointingEnabled: true, checkpointInterval: 60000 });
    // Pulumi.dev.yaml overrides static limits, so the stack runs its own generated SQL, committed as sql/flink/dev/
    // for review (the zip's key follows its hash).
    const props = Object.assign({}, ...app.inputs.applicationConfiguration.environmentProperties.propertyGroups.map((g: any) => g.propertyMap));
    const sqlDir = path.join(PROJECT_DIR, "sql", "flink", "dev");
    expect(props["sql.files"].split(",")).toEqual(fs.readdirSync(sqlDir).filter((f) => f.endsWith(".sql")).sort());
    const anomalies = fs.readFileSync(path.join(sqlDir, "06-anomalies.sql"), "utf8");
    // temperature@plant-a/line-2=..95: high 95 on that line, the low kept from the stack's default (−20), not dropped.
    expect(anomalies).toContain("WHEN site = 'plant-a' AND line = 'line-2' AND metric = 'temperature' THEN 9.5E1");
    expect(anomalies).toContain("WHEN site = 'plant-a' AND line = 'line-2' AND metric = 'temperature' THEN -2E1");
  });

  it("alert notifier -> reads the alerts stream, publishes to the operators' topic, its DLQ, its logs, the keys via their services", () => {
    const fn = stack.one(T.fn, /alert-notifier/);
    const role = stack.ofType(T.role).find((r) => stack.arn(r) === fn.inputs.role)!;
    const mapping = stack.one("aws:lambda/eventSourceMapping:EventSourceMapping", /alert-notifier/);
    expect(mapping.inputs.eventSourceArn).toBe(stack.arn(stream("alerts")));
    const topic = stack.arn(stack.one(T.topic));
    const dlq = stack.one(T.queue, /alert-notifier/);
    const logGroup = stack.one(T.logGroup, /alert-notifier/);
    expect(stack.grantLines(role.name)).toEqual(
      [
        ...lines(["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"], [stack.arn(stream("alerts"))]),
        `sns:Publish ${topic}`,
        `sqs:SendMessage ${stack.arn(dlq)}`,
        ...lines(["logs:CreateLogStream", "logs:PutLogEvents"], [`${stack.arn(logGroup)}:*`]),
        `kms:Decrypt ${stack.arn(key("streams"))}`,
        ...lines(["kms:GenerateDataKey", "kms:Decrypt"], [stack.arn(key("ops"))]),
      ].sort(),
    );
    expect(stack.grantsOf(role.name).filter((g) => g.action.startsWith("kms:")).every((g) => (g.condition?.StringEquals as Record<string, unknown> | undefined)?.["kms:ViaService"])).toBe(true);
  });

  it("report job -> runs queries in its workgroup, reads only lake tables, writes only reports/ and results, alarms to the topic", () => {
    const fn = stack.one(T.fn, /compliance-reports/);
    const role = stack.ofType(T.role).find((r) => stack.arn(r) === fn.inputs.role)!;
    const grants = stack.grantsOf(role.name);
    const lake = stack.arn(bucket("lake-store"));
    const reportsArn = stack.arn(bucket("reports-archive"));
    const results = stack.arn(bucket("athena-results"));
    const workgroup = stack.arn(stack.one(T.workgroup));
    expect(grants.filter((g) => g.action.startsWith("athena:")).map((g) => g.resource)).toEqual(expect.arrayContaining([workgroup]));
    expect(grants.filter((g) => g.action.startsWith("athena:")).every((g) => g.resource === workgroup)).toBe(true);
    expect(grants.filter((g) => g.action.startsWith("athena:")).map((g) => g.action)).toEqual(expect.arrayContaining(["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"]));
    // The lake is read only under lake table prefixes; the one write is the day's device registry snapshot.
    const lakeObjects = grants.filter((g) => g.resource.startsWith(`${lake}/`));
    expect(lakeObjects.length).toBeGreaterThan(0);
    const readable = [...LAKE_TABLES, DEVICE_REGISTRY].map((t) => `${lake}/${t.name}/*`);
    expect(lakeObjects.filter((g) => g.action !== "s3:PutObject").every((g) => g.action === "s3:GetObject" && readable.includes(g.resource))).toBe(true);
    expect(lakeObjects.filter((g) => g.action === "s3:PutObject").map((g) => g.resource)).toEqual([`${lake}/${DEVICE_REGISTRY.name}/*`]);
    // Listing the fleet's things (the registry export) is the one IoT action, read-only.
    expect(grants.filter((g) => g.action.startsWith("iot:")).map((g) => `${g.action} ${g.resource}`)).toEqual(["iot:ListThings *"]);
    // Writes: the reports prefix of the reports bucket and the Athena results bucket; nothing may delete or unlock.
    const writes = grants.filter((g) => g.action === "s3:PutObject" && !g.resource.startsWith(`${lake}/`)).map((g) => g.resource).sort();
    // Athena writes results with the caller's permissions: exactly where the workgroup puts them.
    const outputLocation: string = stack.one(T.workgroup).inputs.configuration.resultConfiguration.outputLocation;
    expect(outputLocation.startsWith(`s3://${bucket("athena-results").name}/`)).toBe(true);
    const resultsObjects = `${results}/${outputLocation.slice(`s3://${bucket("athena-results").name}/`.length)}*`;
    expect(writes).toEqual([resultsObjects, `${reportsArn}/reports/*`].sort());
    expect(grants.filter((g) => /^s3:(Delete|PutObjectRetention|PutObjectLegalHold|BypassGovernanceRetention|PutBucket)/.test(g.action))).toEqual([]);
    expect(grants.filter((g) => g.action === "sns:Publish").map((g) => g.resource)).toEqual([stack.arn(stack.one(T.topic))]);
    expect(grants.filter((g) => g.action === "sqs:SendMessage").map((g) => g.resource)).toEqual([stack.arn(stack.one(T.queue, /compliance-reports/))]);
    const keys = new Set(grants.filter((g) => g.action.startsWith("kms:")).map((g) => g.resource));
    expect([...keys].sort()).toEqual([stack.arn(key("lake")), stack.arn(key("reports")), stack.arn(key("ops"))].sort());

    const schedule = stack.one("aws:scheduler/schedule:Schedule");
    expect(schedule.inputs.scheduleExpression).toBe("cron(30 1 * * ? *)");
    expect(schedule.inputs.scheduleExpressionTimezone).toBe("UTC");
    expect(schedule.inputs.target.arn).toBe(stack.arn(fn));
    expect(schedule.inputs.target.deadLetterConfig.arn).toBe(stack.arn(stack.one(T.queue, /compliance-reports/)));
    const schedulerRole = stack.ofType(T.role).find((r) => stack.arn(r) === schedule.inputs.target.roleArn)!;
    expect(stack.grantsOf(schedulerRole.name).filter((g) => g.action === "lambda:InvokeFunction").map((g) => g.resource)).toEqual([stack.arn(fn)]);
    expect(stack.grantsOf(schedulerRole.name).every((g) => g.action === "lambda:InvokeFunction" || g.action.startsWith("sqs:") || g.action.startsWith("kms:"))).toBe(true);
  });

  it("device fleet -> provisions into DeviceIngest's policy, thing type and group; hook reads only the allow-list; exported for iotpipe fleet", () => {
    const template = stack.one("aws:iot/provisioningTemplate:ProvisioningTemplate");
    const thing = JSON.parse(template.inputs.templateBody).Resources;
    const devicePolicy = stack.one("aws:iot/policy:Policy", /ingest-device-policy/);
    expect(thing.policy.Properties.PolicyName).toBe(devicePolicy.inputs.name ?? devicePolicy.name);
    expect(thing.thing.Properties.ThingTypeName).toBe(stack.one("aws:iot/thingType:ThingType").name);
    expect(thing.thing.Properties.ThingGroups[0]).toBe(stack.one("aws:iot/thingGroup:ThingGroup", "ingest-devices").name);
    const iot = `arn:aws:iot:${stack.region}:123456789012:`;
    const provisioningRole = stack.ofType(T.role).find((r) => stack.arn(r) === template.inputs.provisioningRoleArn)!;
    expect(stack.grantsOf(provisioningRole.name).filter((g) => !g.resource.startsWith(iot))).toEqual([]);
    const hook = stack.ofType(T.fn).find((f) => stack.arn(f) === template.inputs.preProvisioningHook.targetArn)!;
    const table = stack.one("aws:dynamodb/table:Table");
    const hookRole = stack.ofType(T.role).find((r) => stack.arn(r) === hook.inputs.role)!;
    expect(stack.grantLines(hookRole.name)).toEqual(
      [`dynamodb:GetItem ${stack.arn(table)}`, `kms:Decrypt ${stack.arn(key("ops"))}`, ...lines(["logs:CreateLogStream", "logs:PutLogEvents"], [`${stack.arn(stack.one(T.logGroup, /fleet-hook/))}:*`])].sort(),
    );
    expect(table.inputs.serverSideEncryption).toEqual({ enabled: true, kmsKeyArn: stack.arn(key("ops")) });
    expect(stack.one("aws:lambda/permission:Permission").inputs.sourceArn).toBe(`${iot}provisioningtemplate/${template.inputs.name}`);
    const o = stack.plan.outputs as Record<string, any>;
    expect(o.provisioningTemplateName).toBe(template.inputs.name);
    expect(o.deviceAllowListTable).toBe(table.inputs.name ?? table.name);
    expect(o.claimPolicyName).toBe(stack.one("aws:iot/policy:Policy", /claim/).name);
    expect(Object.keys(o.lineThingGroups).sort()).toEqual(["plant-a/line-1", "plant-a/line-2", "plant-b/line-1", "plant-b/line-2"]);
    expect(o.lineThingGroups["plant-a/line-2"]).toBe("iotpipe-dev-line-plant-a:line-2");
    expect(stack.ofType("aws:iot/thingGroup:ThingGroup").map((g) => g.inputs.name ?? g.name).sort()).toEqual(
      ["ingest-devices", ...Object.values(o.siteThingGroups as Record<string, string>), ...Object.values(o.lineThingGroups as Record<string, string>)].sort(),
    );
  });

  it("Athena workgroup -> results in the results bucket, encrypted with the lake key, enforced, capped by config", () => {
    const wg = stack.one(T.workgroup).inputs.configuration;
    expect(wg.enforceWorkgroupConfiguration).toBe(true);
    expect(wg.bytesScannedCutoffPerQuery).toBe(1024 * 1024 * 1024);
    expect(wg.resultConfiguration.outputLocation).toMatch(new RegExp(`^s3://${bucket("athena-results").name}/`));
    expect(wg.resultConfiguration.encryptionConfiguration).toEqual({ encryptionOption: "SSE_KMS", kmsKeyArn: stack.arn(key("lake")) });
  });
});

describe("monitoring watches everything that can fail", () => {
  /** Every dimension value any alarm uses (plain metrics and metric-math queries). */
  function watched(): Set<string> {
    const values = new Set<string>();
    for (const alarm of stack.ofType(T.alarm)) {
      for (const v of Object.values(alarm.inputs.dimensions ?? {})) values.add(String(v));
      for (const q of alarm.inputs.metricQueries ?? []) for (const v of Object.values(q.metric?.dimensions ?? {})) values.add(String(v));
    }
    return values;
  }

  it("every stream, the Flink app, every Firehose, the IoT rule, every function and every DLQ has an alarm", () => {
    const dims = watched();
    const names = [
      ...stack.ofType(T.stream).map((s) => s.inputs.name ?? s.name),
      ...stack.ofType(T.app).map((a) => a.inputs.name),
      ...stack.ofType(T.firehose).map((f) => f.inputs.name ?? f.name),
      ...stack.ofType(T.rule).map((r) => r.inputs.name),
      ...stack.ofType(T.fn).map((f) => f.inputs.name ?? f.name),
      ...stack.ofType(T.queue).map((q) => q.inputs.name ?? q.name),
    ];
    expect(names.filter((n) => !dims.has(n))).toEqual([]);
  });

  it("the Flink job's fan-out consumer on the raw stream has its own lag alarm", () => {
    const app = stack.one(T.app);
    const lag = stack.ofType(T.alarm).filter((a) => a.inputs.metricName === "SubscribeToShardEvent.MillisBehindLatest");
    expect(lag.map((a) => a.inputs.dimensions)).toEqual([{ StreamName: stack.one(T.stream, /raw/).inputs.name ?? stack.one(T.stream, /raw/).name, ConsumerName: app.inputs.name }]);
  });

  it("every alarm notifies the operators' topic, which is encrypted with the ops key", () => {
    const topic = stack.one(T.topic);
    expect(topic.inputs.kmsMasterKeyId).toBe(stack.arn(key("ops")));
    for (const alarm of stack.ofType(T.alarm)) expect(alarm.inputs.alarmActions).toContain(stack.arn(topic));
  });
});

describe("consistency between producers, the lake layout, Glue and Athena", () => {
  const glueTable = (name: string) => stack.ofType(T.glueTable).find((t) => t.inputs.name === name)!;

  it("every lake table's Glue columns are exactly lake/tables.ts's, and readings carry every AcceptedReading field", () => {
    for (const table of LAKE_TABLES) {
      const columns = glueTable(table.name).inputs.storageDescriptor.columns.map((c: any) => [c.name, c.type]);
      expect(columns).toEqual(table.columns.map((c) => [c.name, c.type]));
      expect(glueTable(table.name).inputs.partitionKeys.map((k: any) => k.name)).toEqual([table.partitionKey]);
    }
    // Exhaustive by type: adding a field to AcceptedReading without a readings column fails `npm run typecheck` here.
    const produced: Record<keyof AcceptedReading, true> = {
      device_id: true, site: true, line: true, metric: true, value: true, unit: true, event_ts: true, ingest_ts: true, msg_id: true, late: true,
    };
    expect(lakeTable("readings").columns.map((c) => c.name).sort()).toEqual(Object.keys(produced).sort());
  });

  it("every Firehose writes exactly where its Glue table's partition projection reads", () => {
    const lakeName = bucket("lake-store").name;
    for (const table of LAKE_TABLES) {
      const firehose = firehoseFor(table.name);
      const prefix: string = firehose.inputs.extendedS3Configuration.prefix;
      const template: string = glueTable(table.name).inputs.parameters["storage.location.template"];
      expect(prefix).toBe(firehosePrefix(table));
      expect(template).toBe(projectionLocationTemplate(lakeName, table));
      expect(`s3://${lakeName}/${prefix.replace("!{partitionKeyFromQuery:dt}", "${dt}")}`).toBe(template);
      expect(firehose.inputs.extendedS3Configuration.bufferingSize).toBeGreaterThanOrEqual(64);
      expect(firehose.inputs.extendedS3Configuration.compressionFormat).toBe("UNCOMPRESSED");
    }
  });

  it("partition projection starts at the configured lakeStartDate", () => {
    for (const table of LAKE_TABLES) expect(glueTable(table.name).inputs.parameters["projection.dt.range"]).toBe("2026-01-01,NOW");
  });

  it("every sql/athena file became a named query in the workgroup, on the lake database, with the file's SQL", () => {
    const dir = path.join(PROJECT_DIR, "sql", "athena");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
    expect(files.length).toBeGreaterThan(0);
    const queries = stack.ofType(T.namedQuery);
    expect(queries.map((q) => `${q.inputs.name}.sql`).sort()).toEqual(files);
    for (const q of queries) {
      expect(q.inputs.query).toBe(fs.readFileSync(path.join(dir, `${q.inputs.name}.sql`), "utf8"));
      expect(q.inputs.workgroup).toBe(stack.one(T.workgroup).inputs.name);
      expect(q.inputs.database).toBe(stack.one(T.glueDb).inputs.name);
    }
  });

  it("the lake bucket ages every table's prefix through the configured tiers", () => {
    const lifecycle = stack.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lake-store-lifecycle");
    for (const table of LAKE_TABLES) {
      const rule = lifecycle.inputs.rules.find((r: any) => r.filter?.prefix === `${table.name}/`);
      expect(rule.transitions).toEqual([{ days: 30, storageClass: "STANDARD_IA" }, { days: 60, storageClass: "GLACIER" }]);
      expect(rule.expiration).toEqual({ days: 180 });
    }
  });
});

describe("AWS API input constraints the mocks do not check", () => {
  // IAM's roleDescriptionType: `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`, at most 1000 characters (IAM API
  // reference, CreateRole). An arrow or an em dash in a description fails CreateRole with a ValidationError.
  const IAM_ROLE_DESCRIPTION = /^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]{0,1000}$/;

  it("every IAM role description uses only the characters CreateRole accepts", () => {
    const roles = stack.ofType(T.role);
    expect(roles.length).toBeGreaterThan(0);
    const bad = roles.filter((r) => r.inputs.description !== undefined && !IAM_ROLE_DESCRIPTION.test(r.inputs.description));
    expect(bad.map((r) => `${r.name}: ${r.inputs.description}`)).toEqual([]);
  });
});
