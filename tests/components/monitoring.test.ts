/**
 * Monitoring under Pulumi mocks (mocks first, then `require` the component: see parquet-lake.test.ts).
 */
import { installMocks, settle, ofType, oneOf, statementsOf, MOCK_ACCOUNT, MOCK_REGION, RecordedResource } from "../pulumi/harness";
const recorded = installMocks();
const mon = require("../../components/monitoring") as typeof import("../../components/monitoring");
const { ParquetLake } = require("../../components/parquet-lake") as typeof import("../../components/parquet-lake");

const KEY = `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/ops-key`;

const alarm = (name: string): RecordedResource => oneOf(recorded, "aws:cloudwatch/metricAlarm:MetricAlarm", name);

describe("Monitoring with every kind of resource", () => {
  let c: InstanceType<typeof mon.Monitoring>;
  beforeAll(async () => {
    c = new mon.Monitoring("ops", {
      keyArn: KEY,
      emails: ["oncall@example.com", "plant-lead@example.com"],
      streams: { raw: "iotpipe-raw", quarantine: "iotpipe-quarantine" },
      applicationName: "iotpipe-flink",
      efoConsumers: { raw: { streamName: "iotpipe-raw", consumerName: "iotpipe-flink" } },
      firehoseNames: { readings: "iotpipe-readings-fh" },
      ruleNames: { telemetry: "iotpipe_telemetry" },
      functionNames: { notifier: "iotpipe-alert-notifier" },
      queueNames: { notifier: "iotpipe-alert-dlq" },
      quarantine: { rawStreamName: "iotpipe-raw", quarantineStreamName: "iotpipe-quarantine" },
    });
    await settle(recorded);
  });

  it("creates a CMK-encrypted topic that only this account's alarms may publish to, over TLS, with e-mail subscriptions", () => {
    const topic = oneOf(recorded, "aws:sns/topic:Topic", "ops-topic");
    expect(topic.parent).toBe("ops");
    expect(topic.inputs.kmsMasterKeyId).toBe(KEY);
    const policy = oneOf(recorded, "aws:sns/topicPolicy:TopicPolicy", "ops-topic-policy");
    expect(policy.inputs.arn).toBe(topic.state.arn);
    const [allow, deny] = statementsOf(policy.inputs.policy);
    expect(allow).toEqual({
      Sid: "CloudWatchAlarmsOfThisAccount",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["sns:Publish"],
      Resource: [topic.state.arn],
      Condition: {
        StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT },
        ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:${MOCK_REGION}:${MOCK_ACCOUNT}:alarm:*` },
      },
    });
    expect(deny).toMatchObject({ Effect: "Deny", Action: ["sns:Publish"], Condition: { Bool: { "aws:SecureTransport": "false" } } });
    const subs = ofType(recorded, "aws:sns/topicSubscription:TopicSubscription", /^ops-email-/);
    expect(subs.map((s) => [s.inputs.protocol, s.inputs.endpoint, s.inputs.topic])).toEqual([
      ["email", "oncall@example.com", topic.state.arn],
      ["email", "plant-lead@example.com", topic.state.arn],
    ]);
  });

  it("ties every alarm to its resource by dimension, and to the topic for ALARM and OK", () => {
    const expected: [string, string, string, Record<string, string>][] = [
      ["iterator-age-raw", "AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", { StreamName: "iotpipe-raw" }],
      ["write-throttled-raw", "AWS/Kinesis", "WriteProvisionedThroughputExceeded", { StreamName: "iotpipe-raw" }],
      ["read-throttled-quarantine", "AWS/Kinesis", "ReadProvisionedThroughputExceeded", { StreamName: "iotpipe-quarantine" }],
      ["efo-lag-raw", "AWS/Kinesis", "SubscribeToShardEvent.MillisBehindLatest", { StreamName: "iotpipe-raw", ConsumerName: "iotpipe-flink" }],
      ["flink-downtime", "AWS/KinesisAnalytics", "downtime", { Application: "iotpipe-flink" }],
      ["firehose-freshness-readings", "AWS/Firehose", "DeliveryToS3.DataFreshness", { DeliveryStreamName: "iotpipe-readings-fh" }],
      ["firehose-conversion-readings", "AWS/Firehose", "FailedConversion.Records", { DeliveryStreamName: "iotpipe-readings-fh" }],
      ["rule-parse-errors-telemetry", "AWS/IoT", "ParseError", { RuleName: "iotpipe_telemetry" }],
      ["lambda-errors-notifier", "AWS/Lambda", "Errors", { FunctionName: "iotpipe-alert-notifier" }],
      ["lambda-throttles-notifier", "AWS/Lambda", "Throttles", { FunctionName: "iotpipe-alert-notifier" }],
      ["dlq-notifier", "AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: "iotpipe-alert-dlq" }],
    ];
    const topicArn = oneOf(recorded, "aws:sns/topic:Topic", "ops-topic").state.arn;
    for (const [key, namespace, metricName, dimensions] of expected) {
      const a = alarm(`ops-${key}`).inputs;
      expect({ key, namespace: a.namespace, metricName: a.metricName, dimensions: a.dimensions }).toEqual({ key, namespace, metricName, dimensions });
      expect(a.alarmActions).toEqual([topicArn]);
      expect(a.okActions).toEqual([topicArn]);
      expect(a.comparisonOperator).toBe("GreaterThanThreshold");
      expect(["breaching", "notBreaching"]).toContain(a.treatMissingData);
    }
    const all = ofType(recorded, "aws:cloudwatch/metricAlarm:MetricAlarm", /^ops-/);
    expect(all).toHaveLength(Object.keys(c.alarms).length);
    // 3 per stream × 2, 1 fan-out consumer, 3 Flink, 2 Firehose, 2 rule, 2 Lambda, 1 DLQ, 1 quarantine rate
    expect(all).toHaveLength(6 + 1 + 3 + 2 + 2 + 2 + 1 + 1);
    for (const a of all) {
      expect(a.parent).toBe("ops");
      expect(a.inputs.alarmActions).toEqual([topicArn]);
    }
  });

  it("uses the named thresholds and the missing-data choice each reason implies", () => {
    const t = mon.DEFAULT_THRESHOLDS;
    expect(alarm("ops-iterator-age-raw").inputs).toMatchObject({ threshold: t.iteratorAgeMs, statistic: "Maximum", treatMissingData: "breaching" });
    expect(alarm("ops-write-throttled-raw").inputs).toMatchObject({ threshold: 0, evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: "notBreaching" });
    expect(alarm("ops-flink-downtime").inputs).toMatchObject({ threshold: 0, evaluationPeriods: 10, datapointsToAlarm: 10, treatMissingData: "breaching" });
    // The job's own lag on the raw stream: GetRecords' iterator age never sees a fan-out consumer.
    expect(alarm("ops-efo-lag-raw").inputs).toMatchObject({ threshold: t.iteratorAgeMs, statistic: "Maximum", evaluationPeriods: 3, treatMissingData: "breaching" });
    expect(alarm("ops-firehose-freshness-readings").inputs).toMatchObject({ threshold: 900, statistic: "Maximum" });
    expect(alarm("ops-dlq-notifier").inputs).toMatchObject({ threshold: 0, statistic: "Maximum", treatMissingData: "notBreaching" });
  });

  it("alarms on increases of Flink's cumulative counters (restarts, failed checkpoints) with metric math on the application", () => {
    for (const [key, id, metricName, label] of [
      ["ops-flink-restarts", "restarts", "fullRestarts", "fullRestarts increase"],
      ["ops-flink-failed-checkpoints", "failed", "numberOfFailedCheckpoints", "new failed checkpoints"],
    ]) {
      const a = alarm(key).inputs;
      expect(a.metricName).toBeUndefined();
      expect(a).toMatchObject({ threshold: 0, evaluationPeriods: 5, datapointsToAlarm: 1, treatMissingData: "notBreaching" });
      expect(a.metricQueries).toEqual([
        { id, metric: { namespace: "AWS/KinesisAnalytics", metricName, dimensions: { Application: "iotpipe-flink" }, stat: "Maximum", period: 60 }, returnData: false },
        { id: "increase", expression: `DIFF(${id})`, label, returnData: true },
      ]);
    }
  });

  it("alarms on the rule's action failures of any action type with a Metrics Insights query on the rule name", () => {
    const a = alarm("ops-rule-failures-telemetry").inputs;
    expect(a.metricName).toBeUndefined();
    expect(a.metricQueries).toEqual([
      { id: "failures", expression: `SELECT SUM(Failure) FROM "AWS/IoT" WHERE RuleName = 'iotpipe_telemetry'`, period: 300, label: "Rule action failures", returnData: true },
    ]);
    expect(a).toMatchObject({ threshold: 0, treatMissingData: "notBreaching" });
  });

  it("issue 5: alarms on the quarantine rate, quarantine-stream records per raw-stream record", () => {
    const a = alarm("ops-quarantine-rate").inputs;
    expect(a.threshold).toBe(mon.DEFAULT_THRESHOLDS.quarantinePercent);
    expect(a.evaluationPeriods).toBe(3);
    const byId = Object.fromEntries(a.metricQueries.map((q: { id: string }) => [q.id, q]));
    expect(byId.raw.metric).toMatchObject({ namespace: "AWS/Kinesis", metricName: "IncomingRecords", dimensions: { StreamName: "iotpipe-raw" }, stat: "Sum" });
    expect(byId.quarantined.metric).toMatchObject({ namespace: "AWS/Kinesis", metricName: "IncomingRecords", dimensions: { StreamName: "iotpipe-quarantine" }, stat: "Sum" });
    expect(byId.rate).toMatchObject({ expression: mon.QUARANTINE_RATE_EXPRESSION, returnData: true });
    expect(a.metricQueries.filter((q: { returnData: boolean }) => q.returnData)).toHaveLength(1);
  });

  it("builds a dashboard with ingest, iterator age, Flink, Firehose, quarantine, alert delivery and alarm widgets", async () => {
    const d = oneOf(recorded, "aws:cloudwatch/dashboard:Dashboard", "ops-dashboard").inputs;
    expect(d.dashboardName).toBe("iotpipe-test-ops"); // project-stack-scoped: two stacks never collide
    const body = JSON.parse(d.dashboardBody);
    expect(body.widgets[0].type).toBe("text");
    expect(body.widgets.slice(1).map((w: { properties: { title: string } }) => w.properties.title)).toEqual([
      "Ingest rate (records/min)",
      "Iterator age (ms)",
      "Flink health",
      "Firehose freshness (s) and failed conversions",
      "Quarantine rate (% of raw records)",
      "Alert delivery (Lambda errors, throttles)",
      "Alarms",
    ]);
    for (const w of body.widgets.filter((w: { type: string }) => w.type === "metric")) expect(w.properties.region).toBe(MOCK_REGION);
    const alarmsWidget = body.widgets.find((w: { type: string }) => w.type === "alarm");
    expect(alarmsWidget.properties.alarms).toHaveLength(Object.keys(c.alarms).length);
    const quarantine = body.widgets.find((w: { properties: { title?: string } }) => w.properties.title?.startsWith("Quarantine"));
    expect(quarantine.properties.metrics[0][0].expression).toBe(mon.QUARANTINE_RATE_EXPRESSION);
  });
});

describe("issue 5 wiring: quarantine destination, its table and its alarms", () => {
  it("the lake's quarantine Firehose, its Glue table and the quarantine alarms all point at the same stream and delivery stream", async () => {
    const quarantineStream = `arn:aws:kinesis:${MOCK_REGION}:${MOCK_ACCOUNT}:stream/q5-quarantine`;
    const lake = new ParquetLake("q5lake", {
      bucketName: "lake",
      bucketArn: "arn:aws:s3:::lake",
      lakeKeyArn: KEY,
      streamKeyArn: KEY,
      sources: { quarantine: { streamArn: quarantineStream } },
    });
    new mon.Monitoring("q5ops", {
      keyArn: KEY,
      firehoseNames: lake.firehoseNames,
      quarantine: { rawStreamName: "q5-raw", quarantineStreamName: "q5-quarantine" },
    });
    await settle(recorded);
    const firehose = oneOf(recorded, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "q5lake-quarantine");
    expect(firehose.inputs.kinesisSourceConfiguration.kinesisStreamArn).toBe(quarantineStream);
    expect(firehose.inputs.extendedS3Configuration.dataFormatConversionConfiguration.schemaConfiguration.tableName).toBe("quarantine");
    expect(oneOf(recorded, "aws:glue/catalogTable:CatalogTable", "q5lake-quarantine").inputs.name).toBe("quarantine");
    for (const kind of ["freshness", "conversion"]) {
      expect(alarm(`q5ops-firehose-${kind}-quarantine`).inputs.dimensions).toEqual({ DeliveryStreamName: firehose.state.name });
    }
    const rate = alarm("q5ops-quarantine-rate").inputs.metricQueries.find((q: { id: string }) => q.id === "quarantined");
    expect(rate.metric.dimensions).toEqual({ StreamName: "q5-quarantine" });
  });
});

describe("Monitoring options", () => {
  it("minimal use: an encrypted topic and a dashboard with only its header, no alarms", async () => {
    const c = new mon.Monitoring("solo", { keyArn: KEY });
    await settle(recorded);
    expect(oneOf(recorded, "aws:sns/topic:Topic", "solo-topic").inputs.kmsMasterKeyId).toBe(KEY);
    expect(Object.keys(c.alarms)).toHaveLength(0);
    expect(JSON.parse(oneOf(recorded, "aws:cloudwatch/dashboard:Dashboard", "solo-dashboard").inputs.dashboardBody).widgets.map((w: { type: string }) => w.type)).toEqual(["text"]);
  });

  it("sends to an existing topic without creating one", async () => {
    const existing = `arn:aws:sns:${MOCK_REGION}:${MOCK_ACCOUNT}:shared-ops`;
    new mon.Monitoring("reuse", { existingTopicArn: existing, functionNames: { f: "fn" } });
    await settle(recorded);
    expect(ofType(recorded, "aws:sns/topic:Topic", "reuse-topic")).toHaveLength(0);
    expect(alarm("reuse-lambda-errors-f").inputs.alarmActions).toEqual([existing]);
  });

  it("applies stack threshold overrides (production is stricter)", async () => {
    new mon.Monitoring("prod", { keyArn: KEY, streams: { raw: "r" }, thresholds: { iteratorAgeMs: 60_000, throttledMinutesOf5: 1 } });
    await settle(recorded);
    expect(alarm("prod-iterator-age-raw").inputs.threshold).toBe(60_000);
    expect(alarm("prod-write-throttled-raw").inputs.datapointsToAlarm).toBe(1);
  });

  it.each([
    [{}, /keyArn is required/],
    [{ keyArn: KEY, existingTopicArn: "arn:aws:sns:r:1:t" }, /pass one or the other/],
    [{ existingTopicArn: "arn:aws:sns:r:1:t", emails: ["a@b.co"] }, /pass one or the other/],
    [{ keyArn: KEY, emails: ["not-an-address"] }, /'not-an-address' is not an e-mail address/],
    [{ keyArn: KEY, dashboardName: "ops dashboard" }, /dashboard name 'ops dashboard'/],
    [{ keyArn: KEY, thresholds: { quarantinePercent: -1 } }, /threshold quarantinePercent must be a finite number >= 0, got -1/],
    [{ keyArn: KEY, thresholds: { throttledMinutesOf5: 6 } }, /throttledMinutesOf5 must be 1-5/],
  ])("rejects bad args %#", (bad, message) => {
    expect(() => new mon.Monitoring("bad", bad)).toThrow(message);
  });
});
