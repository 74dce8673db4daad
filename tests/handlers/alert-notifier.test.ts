/**
 * The alert notifier's logic and failure paths, with SNS on the loopback stand-in (loopback-aws.ts): the handler's
 * signed Publish requests go over real HTTP and every signature is checked with the SDK's signer.
 * Powertools reads its settings when the module loads, so the environment is set before `require`; the handler's
 * publisher reads credentials, region and endpoint from process.env on each request, set once the stand-in runs.
 */
import { LoopbackAws, startLoopbackAws } from "./loopback-aws";

process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
const notifier = require("../../handlers/alert-notifier") as typeof import("../../handlers/alert-notifier");

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:ops";
let aws: LoopbackAws;

beforeAll(async () => {
  aws = await startLoopbackAws();
  Object.assign(process.env, aws.env);
});
afterAll(() => aws.close());

const open = {
  device_id: "press-07",
  site: "plant-a",
  line: "line-2",
  metric: "temperature",
  rule: "static_limit",
  state: "open",
  event_ts: Date.UTC(2026, 10, 23, 10, 15),
  episode_start: Date.UTC(2026, 10, 23, 10, 15),
  episode_end: null,
  peak_value: 412.34,
  limit_value: 400,
  anomaly_count: 3,
  severity: "critical",
};
const cleared = { ...open, state: "cleared", event_ts: Date.UTC(2026, 10, 23, 10, 40), episode_end: Date.UTC(2026, 10, 23, 10, 40), anomaly_count: 9 };

function record(seq: string, payload: unknown) {
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  return { eventID: `shardId-000:${seq}`, kinesis: { data: Buffer.from(text).toString("base64"), sequenceNumber: seq, partitionKey: "press-07" } };
}

beforeEach(() => {
  aws.reset();
  process.env.ALERTS_TOPIC_ARN = TOPIC;
});
afterEach(() => {
  jest.restoreAllMocks();
  // Every request the handler sent must be one SNS would accept for its signature.
  expect(aws.requests.filter((r) => r.signatureProblem).map((r) => r.signatureProblem)).toEqual([]);
});

/** The form fields SNS receives for a Publish of `subject`/`message` with the notifier's five attributes. */
function publishForm(subject: string, message: string, a: { device: string; metric: string; severity: string; site: string; state: string }) {
  return {
    Action: "Publish",
    Version: "2010-03-31",
    TopicArn: TOPIC,
    Subject: subject,
    Message: message,
    "MessageAttributes.entry.1.Name": "device",
    "MessageAttributes.entry.1.Value.DataType": "String",
    "MessageAttributes.entry.1.Value.StringValue": a.device,
    "MessageAttributes.entry.2.Name": "metric",
    "MessageAttributes.entry.2.Value.DataType": "String",
    "MessageAttributes.entry.2.Value.StringValue": a.metric,
    "MessageAttributes.entry.3.Name": "severity",
    "MessageAttributes.entry.3.Value.DataType": "String",
    "MessageAttributes.entry.3.Value.StringValue": a.severity,
    "MessageAttributes.entry.4.Name": "site",
    "MessageAttributes.entry.4.Value.DataType": "String",
    "MessageAttributes.entry.4.Value.StringValue": a.site,
    "MessageAttributes.entry.5.Name": "state",
    "MessageAttributes.entry.5.Value.DataType": "String",
    "MessageAttributes.entry.5.Value.StringValue": a.state,
  };
}

describe("formatAlert", () => {
  it("writes a short operator message with filterable attributes", () => {
    const f = notifier.formatAlert(notifier.alertTransitionSchema.parse(open));
    expect(f.subject).toBe("[CRITICAL] Alert: temperature on plant-a/line-2/press-07");
    expect(f.message).toBe(
      "OPEN critical alert on plant-a/line-2/press-07: temperature (rule static_limit)\n" +
        "Peak 412.34 against limit 400; 3 anomalous reading(s)\n" +
        "Episode started 2026-11-23T10:15:00Z",
    );
    // String message attributes (SnsPublisher sends each with DataType String; the handler tests check the wire).
    expect(f.attributes).toEqual({ severity: "critical", site: "plant-a", device: "press-07", state: "open", metric: "temperature" });
  });

  it("says when a cleared episode ran, and keeps the subject within SNS limits", () => {
    const f = notifier.formatAlert(notifier.alertTransitionSchema.parse({ ...cleared, site: "werk-müller-" + "x".repeat(120), limit_value: null }));
    expect(f.message).toContain("CLEARED critical alert");
    expect(f.message).toContain("limit n/a; 9 anomalous reading(s)");
    expect(f.message).toContain("Episode 2026-11-23T10:15:00Z to 2026-11-23T10:40:00Z");
    expect(f.subject.length).toBeLessThanOrEqual(100);
    expect(f.subject).toMatch(/^[\x20-\x7E]+$/);
    expect(f.subject.startsWith("[CRITICAL] Cleared: temperature on werk-m?ller-")).toBe(true);
  });

  it("words a silence in seconds: how long, how long it may last, and that it lasts still", () => {
    const silence = { ...open, rule: "data_gap", severity: "warning", peak_value: 60, limit_value: 60, anomaly_count: 0 };
    expect(notifier.formatAlert(notifier.alertTransitionSchema.parse(silence)).message).toContain("Silent for 60 s (allowed 60 s), and still silent");
    const back = { ...cleared, rule: "data_gap", severity: "warning", peak_value: 1500, limit_value: 60, anomaly_count: 1 };
    expect(notifier.formatAlert(notifier.alertTransitionSchema.parse(back)).message).toContain("Silent for 1500 s (allowed 60 s)\n");
  });
});

describe("handler", () => {
  it("publishes every transition in order, with its subject, message and attributes, and reports no failures", async () => {
    const result = await notifier.handler({ Records: [record("1", open), record("2", cleared)] });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.published().map((form) => Object.fromEntries(form))).toEqual([
      publishForm(
        "[CRITICAL] Alert: temperature on plant-a/line-2/press-07",
        "OPEN critical alert on plant-a/line-2/press-07: temperature (rule static_limit)\n" +
          "Peak 412.34 against limit 400; 3 anomalous reading(s)\n" +
          "Episode started 2026-11-23T10:15:00Z",
        { device: "press-07", metric: "temperature", severity: "critical", site: "plant-a", state: "open" },
      ),
      publishForm(
        "[CRITICAL] Cleared: temperature on plant-a/line-2/press-07",
        "CLEARED critical alert on plant-a/line-2/press-07: temperature (rule static_limit)\n" +
          "Peak 412.34 against limit 400; 9 anomalous reading(s)\n" +
          "Episode 2026-11-23T10:15:00Z to 2026-11-23T10:40:00Z",
        { device: "press-07", metric: "temperature", severity: "critical", site: "plant-a", state: "cleared" },
      ),
    ]);
  });

  it("reports the record whose publish failed and stops there, so the retry neither skips nor repeats", async () => {
    // KMS throttling on the topic key reaches the caller as SNS's 400 KMSThrottling: not retried in the invocation.
    aws.snsErrorsByArrival.set(2, { status: 400, code: "KMSThrottling", message: "The request was denied due to request throttling." });
    const warned = jest.spyOn(notifier.logger, "warn");
    const counted = jest.spyOn(notifier.metrics, "addMetric");
    const result = await notifier.handler({ Records: [record("1", open), record("2", cleared), record("3", open)] });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "2" }] });
    expect(aws.published().map((form) => form.get("Subject"))).toEqual([
      "[CRITICAL] Alert: temperature on plant-a/line-2/press-07",
      "[CRITICAL] Cleared: temperature on plant-a/line-2/press-07",
    ]);
    expect(warned).toHaveBeenCalledTimes(1);
    expect(warned.mock.calls[0][1]).toMatchObject({ sequenceNumber: "2", device: "press-07", error: expect.stringContaining("HTTP 400 KMSThrottling") });
    expect(counted.mock.calls.map((c) => c[0])).toEqual(["AlertsPublished", "PublishFailures", "AlertRecords"]);
  });

  it("retries a throttled publish within the invocation, so a brief throttle fails nothing", async () => {
    aws.snsErrorsByArrival.set(2, { status: 429, code: "Throttling", message: "Rate exceeded" });
    const result = await notifier.handler({ Records: [record("1", open), record("2", cleared), record("3", open)] });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.published().map((form) => form.get("MessageAttributes.entry.5.Value.StringValue"))).toEqual(["open", "cleared", "cleared", "open"]);
  });

  it("skips malformed records with a log line and a count instead of blocking the shard", async () => {
    const logged = jest.spyOn(notifier.logger, "error");
    const counted = jest.spyOn(notifier.metrics, "addMetric");
    const result = await notifier.handler({
      Records: [
        record("1", "{not json"),
        record("2", { ...open, state: "escalated" }),
        record("3", { ...open, anomaly_count: -1 }),
        record("4", { ...open, episode_start: 1e20 }),
        record("5", open),
      ],
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.published()).toHaveLength(1);
    expect(aws.published()[0].get("Subject")).toBe("[CRITICAL] Alert: temperature on plant-a/line-2/press-07");
    expect(logged).toHaveBeenCalledTimes(4);
    const details = logged.mock.calls.map((c) => c[1] as unknown as { sequenceNumber: string; reason: string; raw: string });
    expect(details.map((d) => d.sequenceNumber)).toEqual(["1", "2", "3", "4"]);
    expect(details[0]).toMatchObject({ reason: expect.stringMatching(/^not JSON/), raw: "{not json" });
    expect(details[1].reason).toMatch(/^state: /);
    expect(details[2].reason).toMatch(/^anomaly_count: /);
    expect(details[3].reason).toMatch(/^episode_start: /);
    // The reasons say what is wrong, not just "Invalid input" (zod/mini's default without a locale).
    expect(details[1]).toMatchObject({ reason: 'state: Invalid option: expected one of "open"|"cleared"', raw: JSON.stringify({ ...open, state: "escalated" }) });
    expect(details[2].reason).toBe("anomaly_count: Too small: expected number to be >=0");
    expect(counted.mock.calls.filter((c) => c[0] === "MalformedAlerts")).toHaveLength(4);
    expect(counted.mock.calls.filter((c) => c[0] === "AlertsPublished")).toHaveLength(1);
  });

  it("fails the whole invocation loudly when it has no topic to publish to", async () => {
    delete process.env.ALERTS_TOPIC_ARN;
    await expect(notifier.handler({ Records: [record("1", open)] })).rejects.toThrow("ALERTS_TOPIC_ARN is not set");
    expect(aws.requests).toHaveLength(0);
  });
});

describe("the bundle Lambda runs", () => {
  it("loads as CommonJS, exports handler, and handles a batch without the repository's node_modules", async () => {
    const { bundleHandler } = require("../../handlers/bundle") as typeof import("../../handlers/bundle");
    // Evaluated with only Node built-ins to require: everything else must be inside the bundle.
    const bundle = { exports: {} as { handler: (e: unknown) => Promise<unknown> } };
    const builtinOnly = (id: string) => {
      if (!require("module").isBuiltin(id)) throw new Error(`bundle requires '${id}' at run time`);
      return require(id);
    };
    new Function("module", "exports", "require", "process", bundleHandler("alert-notifier").code)(bundle, bundle.exports, builtinOnly, process);
    expect(typeof bundle.exports.handler).toBe("function");
    // A malformed record is skipped; a transition is published through the bundled publisher to the stand-in.
    await expect(bundle.exports.handler({ Records: [record("9", "{oops"), record("10", open)] })).resolves.toEqual({ batchItemFailures: [] });
    expect(aws.published().map((form) => form.get("Subject"))).toEqual(["[CRITICAL] Alert: temperature on plant-a/line-2/press-07"]);
  });
});
