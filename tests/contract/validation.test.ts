/** The reference validator on hand-picked records: one outcome and one reason each, in the documented order. */
import { classify, parseCsvTimestamp, repeatedKey } from "../../contract/validation";
import { DEFAULT_INGEST_POLICY } from "../../contract/ingest-policy";
import { MIN_EVENT_TS } from "../../contract/replay-line";
import { CLOCK } from "./arbitraries";

const topic = "telemetry/plant-a/line-1/press-01";
const payload = (ts: number, extra = "") => `{"msg_id":"m-1","ts":${ts},"readings":[{"metric":"temperature","value":71.5,"unit":"degC"}${extra}]}`;
const live = { mode: "live" as const, ingestTs: CLOCK };
const replayMode = { mode: "replay" as const, ingestTs: CLOCK };

describe("classify (live MQTT messages)", () => {
  it("accepts a valid message and addresses it from the topic, never the payload", () => {
    expect(classify({ format: "mqtt", topic: `$aws/rules/ingest/${topic}`, payload: payload(CLOCK - 1000) }, live)).toEqual({
      outcome: "accepted",
      message: { device_id: "press-01", site: "plant-a", line: "line-1", ingest_ts: CLOCK, msg_id: "m-1", ts: CLOCK - 1000, readings: [{ metric: "temperature", value: 71.5, unit: "degC" }] },
    });
  });

  it.each([
    ["future beyond skew", CLOCK + DEFAULT_INGEST_POLICY.maxFutureSkewMs + 1],
    ["past beyond skew", CLOCK - DEFAULT_INGEST_POLICY.maxPastSkewMs - 1],
    ["clock reset to 1970", 5_000],
  ])("quarantines event time %s as timestamp_out_of_range", (_name, ts) => {
    expect(classify({ format: "mqtt", topic, payload: payload(ts) }, live)).toMatchObject({ outcome: "quarantined", reason: "timestamp_out_of_range", address: { device_id: "press-01" } });
  });

  it("accepts event times exactly at the skew limits", () => {
    for (const ts of [CLOCK + DEFAULT_INGEST_POLICY.maxFutureSkewMs, CLOCK - DEFAULT_INGEST_POLICY.maxPastSkewMs]) {
      expect(classify({ format: "mqtt", topic, payload: payload(ts) }, live).outcome).toBe("accepted");
    }
  });

  it.each([
    ["unparseable", Buffer.from([0x7b, 0xff, 0x7d])],
    ["unparseable", '{"ts":1,'],
    ["too_large", payload(CLOCK, `,{"metric":"current","value":1,"unit":"${"x".repeat(140_000)}"}`)],
    ["non_finite", payload(CLOCK, ',{"metric":"current","value":1e999}')],
    ["schema", payload(CLOCK, ',{"metric":"Current","value":1}')],
    ["schema", `{"ts":${CLOCK},"readings":[{"metric":"current","value":"12"}]}`],
    ["schema", `{"ts":${CLOCK},"ts":${CLOCK},"readings":[{"metric":"current","value":1}]}`],
    ["schema", "[1,2]"],
  ] as const)("quarantines as %s: %#", (reason, body) => {
    const verdict = classify({ format: "mqtt", topic, payload: body }, live);
    expect(verdict).toMatchObject({ outcome: "quarantined", reason, received_ts: CLOCK });
  });

  it("quarantines a topic outside telemetry/<site>/<line>/<device> or with a SQL-looking id as bad_topic", () => {
    for (const t of ["telemetry/a/b", "other/a/b/c", "telemetry/a/b/x'; DROP TABLE readings;--", "telemetry/a//c"]) {
      expect(classify({ format: "mqtt", topic: t, payload: payload(CLOCK) }, live)).toMatchObject({ outcome: "quarantined", reason: "bad_topic", address: null });
    }
  });

  it("keeps non-UTF-8 payloads as base64", () => {
    const verdict = classify({ format: "mqtt", topic, payload: Buffer.from([0xc3, 0x28]) }, live);
    expect(verdict).toMatchObject({ reason: "unparseable", raw_payload: "wyg=" });
  });
});

describe("classify (replay lines)", () => {
  it("never rejects history for being old, only for a reset clock or a future beyond its own ingest time", () => {
    const line = (ts: number, ingest?: number) => JSON.stringify({ topic, ...(ingest === undefined ? {} : { ingest_ts: ingest }), ts, readings: [{ metric: "pressure", value: 6 }] });
    expect(classify({ format: "jsonl", line: line(Date.UTC(2012, 0, 1)) }, replayMode).outcome).toBe("accepted");
    expect(classify({ format: "jsonl", line: line(MIN_EVENT_TS - 1) }, replayMode)).toMatchObject({ reason: "timestamp_out_of_range" });
    expect(classify({ format: "jsonl", line: line(Date.UTC(2015, 0, 1) + 3_600_000, Date.UTC(2015, 0, 1)) }, replayMode)).toMatchObject({ reason: "timestamp_out_of_range", received_ts: Date.UTC(2015, 0, 1) });
    expect(classify({ format: "jsonl", line: line(Date.UTC(2012, 0, 1)) }, live)).toMatchObject({ reason: "timestamp_out_of_range" });
  });

  it("reads envelopes written by the spool and judges their payload", () => {
    const line = JSON.stringify({ topic, ingest_ts: CLOCK - 5, payload: payload(CLOCK - 10) });
    expect(classify({ format: "jsonl", line }, replayMode)).toMatchObject({ outcome: "accepted", message: { ingest_ts: CLOCK - 5, device_id: "press-01" } });
    const broken = JSON.stringify({ topic, payload: "{oops" });
    expect(classify({ format: "jsonl", line: broken }, replayMode)).toMatchObject({ reason: "unparseable", raw_payload: "{oops", address: { device_id: "press-01" } });
  });

  it("requires device_id/site/line beside a topic to agree with it", () => {
    const line = JSON.stringify({ topic, device_id: "other", ts: CLOCK, readings: [{ metric: "pressure", value: 6 }] });
    expect(classify({ format: "jsonl", line }, replayMode)).toMatchObject({ reason: "bad_topic" });
  });

  it("treats a __proto__ key as an extra key, not a prototype", () => {
    const line = `{"topic":"${topic}","ts":${CLOCK},"readings":[{"metric":"pressure","value":6}],"__proto__":{"x":1}}`;
    expect(classify({ format: "jsonl", line }, replayMode)).toMatchObject({ reason: "schema" });
  });
});

describe("CSV timestamps and repeated keys", () => {
  it.each([
    ["1763856000000", 1763856000000],
    ["2026-11-22T10:00:00Z", Date.UTC(2026, 10, 22, 10)],
    ["2026-11-22 10:00", Date.UTC(2026, 10, 22, 10)],
    ["2026-11-22T10:00:00.123456+02:00", Date.UTC(2026, 10, 22, 8, 0, 0, 123)],
    ["2024-02-29T00:00:00Z", Date.UTC(2024, 1, 29)],
    ["0099-01-01T00:00:00Z", -59042995200000],
    ["2026-02-29T00:00:00Z", null],
    ["2026-11-22T24:00:00Z", null],
    ["22/11/2026", null],
  ])("%s → %s", (text, expected) => {
    expect(parseCsvTimestamp(text)).toBe(expected);
  });

  it("finds keys repeated at the top level or inside readings, not elsewhere", () => {
    expect(repeatedKey('{"a":1,"b":{"c":1,"c":2}}')).toBeNull();
    expect(repeatedKey('{"a":1,"\\u0061":2}')).toBe("a");
    expect(repeatedKey('{"readings":[{"metric":"x","value":1,"value":2}]}')).toBe("value");
    expect(repeatedKey('{"other":[{"v":1,"v":2}]}')).toBeNull();
  });
});
