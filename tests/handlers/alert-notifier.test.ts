/**
 * The alert notifier's logic and failure paths, with the SNS client mocked (aws-sdk-client-mock).
 * Powertools reads its settings when the module loads, so the environment is set before `require`.
 */
import { mockClient } from "aws-sdk-client-mock";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";

process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
const notifier = require("../../handlers/alert-notifier") as typeof import("../../handlers/alert-notifier");

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:ops";
const snsMock = mockClient(SNSClient);

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
  snsMock.reset();
  process.env.ALERTS_TOPIC_ARN = TOPIC;
});

describe("formatAlert", () => {
  it("writes a short operator message with filterable attributes", () => {
    const f = notifier.formatAlert(notifier.alertTransitionSchema.parse(open));
    expect(f.subject).toBe("[CRITICAL] Alert: temperature on plant-a/line-2/press-07");
    expect(f.message).toBe(
      "OPEN critical alert on plant-a/line-2/press-07: temperature (rule static_limit)\n" +
        "Peak 412.34 against limit 400; 3 anomalous reading(s)\n" +
        "Episode started 2026-11-23T10:15:00Z",
    );
    expect(f.attributes).toEqual({
      severity: { DataType: "String", StringValue: "critical" },
      site: { DataType: "String", StringValue: "plant-a" },
      device: { DataType: "String", StringValue: "press-07" },
      state: { DataType: "String", StringValue: "open" },
      metric: { DataType: "String", StringValue: "temperature" },
    });
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
});

describe("handler", () => {
  it("publishes every transition in order and reports no failures", async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: "m" });
    const result = await notifier.handler({ Records: [record("1", open), record("2", cleared)] });
    expect(result).toEqual({ batchItemFailures: [] });
    const calls = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => [c.TopicArn, c.Subject])).toEqual([
      [TOPIC, "[CRITICAL] Alert: temperature on plant-a/line-2/press-07"],
      [TOPIC, "[CRITICAL] Cleared: temperature on plant-a/line-2/press-07"],
    ]);
    expect(calls[1].MessageAttributes?.state).toEqual({ DataType: "String", StringValue: "cleared" });
  });

  it("reports the record whose publish failed and stops there, so the retry neither skips nor repeats", async () => {
    snsMock.on(PublishCommand).resolvesOnce({ MessageId: "m1" }).rejectsOnce(new Error("KMS.ThrottlingException")).resolves({ MessageId: "m3" });
    const result = await notifier.handler({ Records: [record("1", open), record("2", cleared), record("3", open)] });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "2" }] });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(2);
  });

  it("skips malformed records with a log line instead of blocking the shard", async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: "m" });
    const logged = jest.spyOn(notifier.logger, "error");
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
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    expect(logged).toHaveBeenCalledTimes(4);
    const details = logged.mock.calls.map((c) => c[1] as unknown as { sequenceNumber: string; reason: string; raw: string });
    expect(details.map((d) => d.sequenceNumber)).toEqual(["1", "2", "3", "4"]);
    expect(details[0]).toMatchObject({ reason: expect.stringMatching(/^not JSON/), raw: "{not json" });
    expect(details[1].reason).toMatch(/^state: /);
    expect(details[2].reason).toMatch(/^anomaly_count: /);
    expect(details[3].reason).toMatch(/^episode_start: /);
    logged.mockRestore();
  });

  it("fails the whole invocation loudly when it has no topic to publish to", async () => {
    delete process.env.ALERTS_TOPIC_ARN;
    await expect(notifier.handler({ Records: [record("1", open)] })).rejects.toThrow("ALERTS_TOPIC_ARN is not set");
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
    // A malformed record needs no SNS call, so this runs offline against the bundled SDK.
    await expect(bundle.exports.handler({ Records: [record("9", "{oops")] })).resolves.toEqual({ batchItemFailures: [] });
  });
});
