/**
 * The prod stack rendered under mocks (once): what must differ from dev does, and the security policy holds
 * with prod's stricter rules (COMPLIANCE Object Lock).
 */
import { renderStack, type RenderedStack } from "./stack";
import { checkPlan, policyContextFor } from "../../plan/render";
import { shardsFor } from "../../components/telemetry-streams";
import { LAKE_TABLES } from "../../lake/tables";

let stack: RenderedStack;
// Rendering the whole program under mocks takes over a minute when the test files share a loaded machine.
beforeAll(async () => {
  stack = await renderStack("prod");
}, 180_000);

const DATA_TYPES = ["aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:kinesis/stream:Stream", "aws:glue/catalogDatabase:CatalogDatabase"];

it("has zero security policy violations under prod rules", () => {
  expect(checkPlan(stack.plan, policyContextFor("prod"))).toEqual([]);
});

it("renders in the prod region", () => {
  expect(stack.region).toBe("eu-central-1");
  expect(stack.plan.outputs.operatorTopicArn).toMatch(/^arn:aws:sns:eu-central-1:/);
});

it("protects exactly the resources that hold data, and never force-destroys a bucket", () => {
  const protectedTypes = new Set(stack.resources.filter((r) => r.protect).map((r) => r.type));
  expect([...protectedTypes].sort()).toEqual([...DATA_TYPES].sort());
  for (const type of DATA_TYPES) expect(stack.ofType(type).every((r) => r.protect)).toBe(true);
  expect(stack.ofType("aws:s3/bucket:Bucket").every((b) => b.inputs.forceDestroy === false)).toBe(true);
});

it("sizes provisioned streams for the configured load and keeps a week of records", () => {
  const streams = stack.ofType("aws:kinesis/stream:Stream");
  expect(streams).toHaveLength(1 + LAKE_TABLES.length);
  for (const s of streams) {
    expect(s.inputs.streamModeDetails).toEqual({ streamMode: "PROVISIONED" });
    expect(s.inputs.shardCount).toBe(shardsFor(5000, 800));
    expect(s.inputs.retentionPeriod).toBe(168);
  }
});

it("locks compliance reports for seven years in COMPLIANCE mode", () => {
  const bucket = stack.one("aws:s3/bucket:Bucket", "reports-archive-bucket");
  expect(bucket.inputs.objectLockEnabled).toBe(true);
  const lock = stack.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration");
  expect(lock.inputs.bucket).toBe(bucket.name);
  expect(lock.inputs.rule.defaultRetention).toEqual({ mode: "COMPLIANCE", days: 2557 });
});

it("keeps lake data forever in cheaper tiers", () => {
  const lifecycle = stack.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lake-store-lifecycle");
  const readings = lifecycle.inputs.rules.find((r: any) => r.filter?.prefix === "readings/");
  expect(readings.transitions).toEqual([{ days: 90, storageClass: "STANDARD_IA" }, { days: 365, storageClass: "GLACIER" }]);
  expect(readings.expiration).toBeUndefined();
});

it("runs Flink with prod parallelism, autoscaling and tighter checkpoints", () => {
  const flink = stack.one("aws:kinesisanalyticsv2/application:Application").inputs.applicationConfiguration.flinkApplicationConfiguration;
  expect(flink.parallelismConfiguration).toMatchObject({ parallelism: 4, parallelismPerKpu: 1, autoScalingEnabled: true });
  expect(flink.checkpointConfiguration.checkpointInterval).toBe(30000);
});

it("applies prod's tighter alarm thresholds and subscribes the operators", () => {
  const alarms = stack.ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
  const iteratorAge = alarms.filter((a) => a.inputs.metricName === "GetRecords.IteratorAgeMilliseconds");
  expect(iteratorAge.length).toBeGreaterThan(0);
  expect(iteratorAge.every((a) => a.inputs.threshold === 30000)).toBe(true);
  const freshness = alarms.filter((a) => a.inputs.metricName === "DeliveryToS3.DataFreshness");
  expect(freshness).toHaveLength(LAKE_TABLES.length + 1); // + the raw-stream archive
  expect(freshness.every((a) => a.inputs.threshold === 600)).toBe(true);
  const subscriptions = stack.ofType("aws:sns/topicSubscription:TopicSubscription");
  expect(subscriptions.map((s) => [s.inputs.protocol, s.inputs.endpoint])).toEqual([["email", "iot-operations@example.com"]]);
});

it("keeps a year of logs everywhere and caps Athena scans at 100 GB", () => {
  const groups = stack.ofType("aws:cloudwatch/logGroup:LogGroup");
  expect(groups.length).toBeGreaterThan(0);
  expect(groups.map((g) => [g.name, g.inputs.retentionInDays]).filter(([, days]) => days !== 365)).toEqual([]);
  expect(stack.one("aws:athena/workgroup:Workgroup").inputs.configuration.bytesScannedCutoffPerQuery).toBe(102400 * 1024 * 1024);
});

it("schedules the report in the plant's time zone", () => {
  const schedule = stack.one("aws:scheduler/schedule:Schedule");
  expect(schedule.inputs.scheduleExpression).toBe("cron(30 3 * * ? *)"); // 02:30 does not exist in Berlin one day a year
  expect(schedule.inputs.scheduleExpressionTimezone).toBe("Europe/Berlin");
});
