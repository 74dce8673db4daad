/**
 * AlertNotifier under Pulumi mocks (mocks first, then `require` the component: see parquet-lake.test.ts).
 */
import { installMocks, settle, oneOf, statementsOf, resolve, MOCK_ACCOUNT, MOCK_REGION, PolicyStatement } from "../pulumi/harness";
const recorded = installMocks();
const { AlertNotifier } = require("../../components/alert-notifier") as typeof import("../../components/alert-notifier");
const { Monitoring } = require("../../components/monitoring") as typeof import("../../components/monitoring");

const STREAM = `arn:aws:kinesis:${MOCK_REGION}:${MOCK_ACCOUNT}:stream/iotpipe-alerts`;
const TOPIC = `arn:aws:sns:${MOCK_REGION}:${MOCK_ACCOUNT}:ops`;
const KEY = `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/stack-key`;
const TOPIC_KEY = `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/topic-key`;

describe("AlertNotifier", () => {
  let notifier: InstanceType<typeof AlertNotifier>;
  beforeAll(async () => {
    notifier = new AlertNotifier("alerts", { alertsStreamArn: STREAM, topicArn: TOPIC, keyArn: KEY, topicKeyArn: TOPIC_KEY });
    await settle(recorded);
  });

  it("runs the bundled handler on a supported arm64 Node runtime, logging to its own encrypted group", async () => {
    const fn = oneOf(recorded, "aws:lambda/function:Function", "alerts-function");
    const logGroup = oneOf(recorded, "aws:cloudwatch/logGroup:LogGroup", "alerts-logs");
    expect(fn.parent).toBe("alerts");
    expect(fn.inputs).toMatchObject({ runtime: "nodejs24.x", architectures: ["arm64"], handler: "index.handler", kmsKeyArn: KEY });
    expect(fn.inputs.role).toBe(oneOf(recorded, "aws:iam/role:Role", "alerts-role").state.arn);
    expect(fn.inputs.environment.variables.ALERTS_TOPIC_ARN).toBe(TOPIC);
    expect(fn.inputs.loggingConfig).toEqual({ logFormat: "JSON", logGroup: logGroup.state.name });
    expect(logGroup.inputs).toMatchObject({ kmsKeyId: KEY, retentionInDays: 90 });
    const code = await resolve(notifier.function.code);
    const index = await (code as any).assets["index.js"].text;
    expect(index).toContain("ALERTS_TOPIC_ARN");
    expect(index).toContain("batchItemFailures");
  });

  it("consumes the alerts stream with item-failure reporting, bisection, bounded retries and a KMS-encrypted DLQ", () => {
    const mapping = oneOf(recorded, "aws:lambda/eventSourceMapping:EventSourceMapping", "alerts-mapping").inputs;
    const dlq = oneOf(recorded, "aws:sqs/queue:Queue", "alerts-dlq");
    const fn = oneOf(recorded, "aws:lambda/function:Function", "alerts-function");
    expect(mapping).toMatchObject({
      eventSourceArn: STREAM,
      functionName: fn.state.arn,
      startingPosition: "TRIM_HORIZON",
      batchSize: 100,
      parallelizationFactor: 1,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 5,
      maximumRecordAgeInSeconds: 21600,
      functionResponseTypes: ["ReportBatchItemFailures"],
      destinationConfig: { onFailure: { destinationArn: dlq.state.arn } },
    });
    expect(dlq.inputs.kmsMasterKeyId).toBe(KEY);
    expect(dlq.inputs.messageRetentionSeconds).toBe(1209600);
  });

  it("its DLQ is built as every DLQ (components/core.ts): data keys reused, TLS-only queue policy", () => {
    const dlq = oneOf(recorded, "aws:sqs/queue:Queue", "alerts-dlq");
    expect(dlq.inputs.kmsDataKeyReusePeriodSeconds).toBe(300);
    const queuePolicy = oneOf(recorded, "aws:sqs/queuePolicy:QueuePolicy", "alerts-dlq-policy");
    expect(queuePolicy.inputs.queueUrl).toBe(dlq.state.url);
    expect(statementsOf(queuePolicy.inputs.policy)).toEqual([
      expect.objectContaining({ Effect: "Deny", Principal: "*", Action: ["sqs:*"], Resource: [dlq.state.arn], Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    ]);
  });

  it("grants exactly: read its stream, publish its topic, send to its DLQ, log to its group, keys only via those services", () => {
    const policy = oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "alerts-policy");
    expect(policy.inputs.role).toBe("alerts-role-id");
    const dlqArn = oneOf(recorded, "aws:sqs/queue:Queue", "alerts-dlq").state.arn;
    const logGroupArn = oneOf(recorded, "aws:cloudwatch/logGroup:LogGroup", "alerts-logs").state.arn;
    const bySid: Record<string, PolicyStatement> = Object.fromEntries(statementsOf(policy.inputs.policy).map((s) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual(["DlqKeyViaSqs", "EnvironmentKeyViaLambda", "OwnLogs", "PublishAlerts", "ReadAlertsStream", "RecordFailures", "StreamKeyViaKinesis", "TopicKeyViaSns"]);
    expect(bySid.ReadAlertsStream).toMatchObject({
      Action: ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"],
      Resource: [STREAM],
    });
    expect(bySid.PublishAlerts).toMatchObject({ Action: ["sns:Publish"], Resource: [TOPIC] });
    expect(bySid.RecordFailures).toMatchObject({ Action: ["sqs:SendMessage"], Resource: [dlqArn] });
    expect(bySid.OwnLogs).toMatchObject({ Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [`${logGroupArn}:*`] });
    expect(bySid.StreamKeyViaKinesis).toMatchObject({
      Action: ["kms:Decrypt"],
      Resource: [KEY],
      Condition: { StringEquals: { "kms:ViaService": `kinesis.${MOCK_REGION}.amazonaws.com` }, StringLike: { "kms:EncryptionContext:aws:kinesis:arn": STREAM } },
    });
    expect(bySid.TopicKeyViaSns).toMatchObject({ Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [TOPIC_KEY], Condition: { StringEquals: { "kms:ViaService": `sns.${MOCK_REGION}.amazonaws.com` } } });
    expect(bySid.DlqKeyViaSqs).toMatchObject({ Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [KEY], Condition: { StringEquals: { "kms:ViaService": `sqs.${MOCK_REGION}.amazonaws.com` } } });
    // Its environment is encrypted with the stack key (components/core.ts): Lambda decrypts it as this role.
    expect(bySid.EnvironmentKeyViaLambda).toMatchObject({
      Action: ["kms:Decrypt"],
      Resource: [KEY],
      Condition: {
        StringEquals: { "kms:ViaService": `lambda.${MOCK_REGION}.amazonaws.com` },
        ArnLike: { "kms:EncryptionContext:aws:lambda:FunctionArn": `arn:aws:lambda:${MOCK_REGION}:${MOCK_ACCOUNT}:function:*` },
      },
    });
    for (const s of Object.values(bySid)) {
      expect(s.Effect).toBe("Allow");
      for (const a of s.Action) expect(a).not.toContain("*");
      for (const r of s.Resource) expect(r).not.toBe("*");
    }
    const trust = JSON.parse(oneOf(recorded, "aws:iam/role:Role", "alerts-role").inputs.assumeRolePolicy);
    expect(trust.Statement).toEqual([{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }]);
  });

  it("wired into Monitoring, its Errors/Throttles/DLQ alarms name this function and this queue", async () => {
    new Monitoring("ops", { keyArn: KEY, functionNames: { notifier: notifier.functionName }, queueNames: { notifier: notifier.deadLetterQueueName } });
    await settle(recorded);
    const fnName = oneOf(recorded, "aws:lambda/function:Function", "alerts-function").state.name;
    const queueName = oneOf(recorded, "aws:sqs/queue:Queue", "alerts-dlq").state.name;
    expect(oneOf(recorded, "aws:cloudwatch/metricAlarm:MetricAlarm", "ops-lambda-errors-notifier").inputs.dimensions).toEqual({ FunctionName: fnName });
    expect(oneOf(recorded, "aws:cloudwatch/metricAlarm:MetricAlarm", "ops-lambda-throttles-notifier").inputs.dimensions).toEqual({ FunctionName: fnName });
    expect(oneOf(recorded, "aws:cloudwatch/metricAlarm:MetricAlarm", "ops-dlq-notifier").inputs.dimensions).toEqual({ QueueName: queueName });
  });

  it("uses the stack key for stream and topic when no separate keys are given, and honours overrides", async () => {
    new AlertNotifier("tuned", {
      alertsStreamArn: STREAM,
      topicArn: TOPIC,
      keyArn: KEY,
      batchSize: 10,
      maximumRetryAttempts: 2,
      startingPosition: "LATEST",
      runtime: "nodejs22.x",
      code: new (require("@pulumi/pulumi").asset.AssetArchive)({}),
    });
    await settle(recorded);
    const sids = statementsOf(oneOf(recorded, "aws:iam/rolePolicy:RolePolicy", "tuned-policy").inputs.policy);
    expect(sids.find((s) => s.Sid === "TopicKeyViaSns")!.Resource).toEqual([KEY]);
    expect(oneOf(recorded, "aws:lambda/eventSourceMapping:EventSourceMapping", "tuned-mapping").inputs).toMatchObject({ batchSize: 10, maximumRetryAttempts: 2, startingPosition: "LATEST" });
    expect(oneOf(recorded, "aws:lambda/function:Function", "tuned-function").inputs.runtime).toBe("nodejs22.x");
  });

  it.each([
    [{ batchSize: 0 }, /batchSize must be an integer from 1 to 10000 \(got 0\)/],
    [{ maximumRetryAttempts: -2 }, /maximumRetryAttempts must be an integer from 0 to 10000 \(got -2\)/],
    [{ maximumRecordAgeSeconds: 30 }, /maximumRecordAgeSeconds must be an integer from 60 to 604800 \(got 30\)/],
    [{ runtime: "nodejs20.x" }, /runtime 'nodejs20.x' must be nodejs22.x or nodejs24.x/],
    [{ startingPosition: "AT_TIMESTAMP" }, /startingPosition 'AT_TIMESTAMP'/],
  ])("rejects bad args %#", (bad, message) => {
    expect(() => new AlertNotifier("bad", { alertsStreamArn: STREAM, topicArn: TOPIC, keyArn: KEY, ...(bad as object) })).toThrow(message);
  });
});
