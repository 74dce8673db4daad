/**
 * fast-check generators of replay records: well-formed ones near the contract's edges and hostile ones
 * (broken JSON, wrong types, non-finite and huge numbers, oversized payloads, unicode and SQL-looking ids,
 * repeated keys, lenient-JSON tokens). Shared by the validator and replay property tests.
 */
import fc from "fast-check";
import { METRIC_NAMES } from "../../contract/telemetry";

/** A fixed replay clock keeps verdicts reproducible: 2026-11-23T00:00:00Z. */
export const CLOCK = Date.UTC(2026, 10, 23);

const HOSTILE_IDS = ["x'; DROP TABLE readings;--", "dev\"quote", "ünïcødé", "😀", "", " ", "a/b", "+", "#", "dev\nline", "A".repeat(129), "dev\u0000nul", "\ud800"];

export const idArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("press-01", "dev-1", "line.2", "a:b_c", "X9") },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_IDS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
);

const metricArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...METRIC_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom("Temperature", "9lives", "", "a".repeat(65), "vib-ration", "temp_2") },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

/** Numbers as JSON text, including overflow to Infinity, which JSON.stringify cannot write. */
const numberText = fc.oneof(
  { weight: 6, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom("1e999", "-1e999", "1e308", "-0", "1.0", "123456789012345678901234567890", "9007199254740993", "1E2", "5e-324") },
  { weight: 1, arbitrary: fc.constantFrom("NaN", "Infinity", "\"12\"", "null", "true", "[]", "{}") },
);

const tsText = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: CLOCK - 3 * 365 * 86_400_000, max: CLOCK + 3_600_000 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom("0", "-1", "86400000", String(CLOCK + 86_400_000 * 400), "1763856000000.0", "1.5", "9007199254740993", "\"1763856000000\"", "null", "1e999") },
);

// Astral characters around the limit: zod counts a unit's length in code points (16 emoji fit, 17 do not).
const unitArb = fc.option(fc.oneof(fc.constantFrom("degC", "mm/s", "bar", "A", "😀".repeat(8), "😀".repeat(9), "😀".repeat(16), "😀".repeat(17), "e\u0301".repeat(8), "x".repeat(17)), fc.string({ maxLength: 18 }), fc.string({ unit: "grapheme", maxLength: 18 })), { nil: undefined });

/** A reading object's JSON text: usually valid, sometimes with a missing, extra, mistyped or repeated field. */
const readingText = fc
  .record({ metric: metricArb, value: numberText, unit: unitArb, flaw: fc.constantFrom("none", "none", "none", "none", "noValue", "extra", "metricNumber", "repeatValue") })
  .map(({ metric, value, unit, flaw }) => {
    const parts = [`"metric":${flaw === "metricNumber" ? "7" : JSON.stringify(metric)}`];
    if (flaw !== "noValue") parts.push(`"value":${value}`);
    if (unit !== undefined) parts.push(`"unit":${JSON.stringify(unit)}`);
    if (flaw === "extra") parts.push(`"quality":"good"`);
    if (flaw === "repeatValue") parts.push(`"value":1`);
    return `{${parts.join(",")}}`;
  });

const readingsText = fc.oneof(
  { weight: 8, arbitrary: fc.array(readingText, { minLength: 1, maxLength: 5 }).map((r) => `[${r.join(",")}]`) },
  { weight: 1, arbitrary: fc.constantFrom("[]", "{}", "null", "\"x\"", `[${'{"metric":"current","value":1},'.repeat(500)}{"metric":"current","value":1}]`) },
);

/** Address fields of a flat line or envelope. */
const addressParts = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(idArb, idArb, idArb).map(([s, l, d]) => [`"topic":${JSON.stringify(`telemetry/${s}/${l}/${d}`)}`]) },
  { weight: 2, arbitrary: fc.tuple(idArb, fc.option(idArb, { nil: undefined })).map(([d, s]) => [`"device_id":${JSON.stringify(d)}`, ...(s === undefined ? [] : [`"site":${JSON.stringify(s)}`])]) },
  { weight: 1, arbitrary: fc.constantFrom(['"topic":"$aws/rules/ingest/telemetry/s/l/d"'], ['"topic":"telemetry/s/l"'], ['"topic":7'], [], ['"topic":"telemetry/s/l/d"', '"device_id":"other"'], ['"device_id":null']) },
);

const ingestParts = fc.oneof(
  { weight: 4, arbitrary: fc.constant([] as string[]) },
  { weight: 2, arbitrary: fc.integer({ min: CLOCK - 86_400_000, max: CLOCK }).map((t) => [`"ingest_ts":${t}`]) },
  { weight: 1, arbitrary: fc.constantFrom(['"ingest_ts":"soon"'], ['"ingest_ts":1.5'], ['"ingest_ts":null']) },
);

const messagePartsWith = (ts: fc.Arbitrary<string>) =>
  fc.record({
    msgId: fc.option(idArb, { nil: undefined }),
    seq: fc.option(fc.oneof(fc.nat({ max: 1000 }).map(String), fc.constantFrom("-1", "2.5", "\"3\"")), { nil: undefined }),
    ts: fc.option(ts, { nil: undefined, freq: 12 }),
    readings: fc.option(readingsText, { nil: undefined, freq: 12 }),
    extra: fc.constantFrom([] as string[], [], [], [], ['"firmware":"1.2"'], ['"__proto__":{"x":1}']),
  });

const messageParts = messagePartsWith(tsText);

/** Live event times: mostly within the ingest skew policy of CLOCK (7 days behind, 5 minutes ahead), some just outside. */
const liveTsText = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: CLOCK - 7 * 86_400_000 - 60_000, max: CLOCK + 6 * 60_000 }).map(String) },
  { weight: 1, arbitrary: tsText },
);

function messageFields(m: { msgId?: string; seq?: string; ts?: string; readings?: string; extra: string[] }): string[] {
  return [
    ...(m.msgId === undefined ? [] : [`"msg_id":${JSON.stringify(m.msgId)}`]),
    ...(m.seq === undefined ? [] : [`"seq":${m.seq}`]),
    ...(m.ts === undefined ? [] : [`"ts":${m.ts}`]),
    ...(m.readings === undefined ? [] : [`"readings":${m.readings}`]),
    ...m.extra,
  ];
}

/** Damage applied to a line's text. */
const damage = fc.oneof(
  { weight: 10, arbitrary: fc.constant((t: string) => t) },
  { weight: 1, arbitrary: fc.nat().map((n) => (t: string) => t.slice(0, n % Math.max(1, t.length))) },
  { weight: 1, arbitrary: fc.constant((t: string) => t.replace(/}$/, ",}")) },
  { weight: 1, arbitrary: fc.constant((t: string) => t.replace(/"value":[^,}]+/, '"value":NaN')) },
  { weight: 1, arbitrary: fc.constant((t: string) => t.replace(/^\{/, '{"ts":1,')) },
  { weight: 1, arbitrary: fc.constant((t: string) => `[${t}]`) },
  { weight: 1, arbitrary: fc.constant((t: string) => t.replace(/"(msg_id|unit)":"/, '"$1":"\\ud800')) },
  { weight: 1, arbitrary: fc.constant((t: string) => `${t.slice(0, -1)},"pad":"${"x".repeat(140_000)}"}`) },
  // 1 MiB and more: over the replay line limit as well as the payload limit.
  { weight: 1, arbitrary: fc.constant((t: string) => `${t.slice(0, -1)},"pad":"${"ü".repeat(530_000)}"}`) },
  { weight: 1, arbitrary: fc.constant((t: string) => t.replace(/"(msg_id|unit)":"/, '"$1":"\\u0000')) },
  { weight: 1, arbitrary: fc.constant((t: string) => `${t}\u0000`) },
);

/** The payload member of an envelope line: text, base64 (as the raw-stream archive holds it), or a hostile variant. */
const envelopePayload = fc.oneof(
  { weight: 4, arbitrary: fc.constant((body: string) => [`"payload":${JSON.stringify(body)}`]) },
  { weight: 4, arbitrary: fc.constant((body: string) => [`"payload_base64":"${Buffer.from(body, "utf8").toString("base64")}"`]) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 24 }).map((bytes) => () => [`"payload_base64":"${Buffer.from(bytes).toString("base64")}"`]) },
  { weight: 1, arbitrary: fc.constantFrom("not base64!", "QQ", "QQ=", "Q===", "", "QUJD\nRA==", "ABC=").map((text) => () => [`"payload_base64":${JSON.stringify(text)}`]) },
  { weight: 1, arbitrary: fc.constant((body: string) => [`"payload":${JSON.stringify(body)}`, `"payload_base64":"${Buffer.from(body, "utf8").toString("base64")}"`]) },
  { weight: 1, arbitrary: fc.constant(() => ['"payload_base64":42']) },
);

/** One JSON Lines record (flat or envelope), possibly hostile. Never contains a newline. */
export const jsonLineArb: fc.Arbitrary<string> = fc
  .record({ address: addressParts, ingest: ingestParts, message: messageParts, envelope: fc.constantFrom(false, false, true), payload: envelopePayload, damage, payloadDamage: damage })
  .map(({ address, ingest, message, envelope, payload, damage: hurt, payloadDamage }) => {
    const body = `{${messageFields(message).join(",")}}`;
    const fields = envelope ? [...address, ...ingest, ...payload(payloadDamage(body))] : [...address, ...ingest, ...messageFields(message)];
    return hurt(`{${fields.join(",")}}`);
  })
  .chain((line) => fc.oneof({ weight: 12, arbitrary: fc.constant(line) }, { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) }))
  .map((line) => line.replace(/[\r\n]/g, " "));

/** CSV header used by the CSV property tests (optional columns included so they are exercised). */
export const CSV_HEADER = ["ts", "device_id", "metric", "value", "unit", "site", "msg_id", "seq", "ingest_ts"] as const;

const csvTs = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: CLOCK - 365 * 86_400_000, max: CLOCK }).map(String) },
  { weight: 3, arbitrary: fc.integer({ min: CLOCK - 365 * 86_400_000, max: CLOCK }).map((t) => new Date(t).toISOString()) },
  { weight: 1, arbitrary: fc.constantFrom("2026-02-29T00:00:00Z", "2024-02-29 12:00", "2026-11-22T10:00:00.123456+02:00", "2026-11-22T10:00:00-0530", "2026-13-01T00:00:00Z", "2026-11-22T24:00:00Z", "0000-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "yesterday", "", "1.5", "12345678901234567") },
);

const csvValue = fc.oneof(
  { weight: 5, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e5, max: 1e5 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom("NaN", "nan", "inf", "-Infinity", "+INF", "1e999", "-1e400", "0x10", " 1", "1.", ".5", "+5", "", "abc", "1e5", "\"2.5\"") },
);

/** One CSV row for CSV_HEADER, possibly hostile. Never contains a newline. */
export const csvRowArb: fc.Arbitrary<string> = fc
  .record({
    ts: csvTs,
    device: idArb,
    metric: metricArb,
    value: csvValue,
    unit: fc.oneof(fc.constant(""), fc.constantFrom("degC", "\"bar\"", "x".repeat(17))),
    site: fc.oneof(fc.constant(""), idArb),
    msgId: fc.oneof(fc.constant(""), idArb),
    seq: fc.constantFrom("", "", "3", "-1", "2.5"),
    ingest: fc.oneof(fc.constant(""), fc.constant(String(CLOCK)), fc.constant("later")),
    fieldDamage: fc.constantFrom(0, 0, 0, 0, 0, 1, -1),
  })
  .map((r) => {
    const fields = [r.ts, r.device, r.metric, r.value, r.unit, r.site, r.msgId, r.seq, r.ingest];
    if (r.fieldDamage === 1) fields.push("extra");
    if (r.fieldDamage === -1) fields.pop();
    return fields.join(",").replace(/[\r\n]/g, " ");
  });

/** Flat lines that satisfy the contract (the bulk of real input, and the SQL validator's fast path). */
export const validFlatLineArb: fc.Arbitrary<string> = flatLines(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()));

/** Valid flat lines with sensor-sized values. */
export const sensorFlatLineArb: fc.Arbitrary<string> = flatLines(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }));

function flatLines(valueArb: fc.Arbitrary<number>): fc.Arbitrary<string> {
  return fc
  .record({
    site: fc.constantFrom("plant-a", "s1"),
    device: fc.constantFrom("press-01", "dev.2", "a:b"),
    ingest: fc.option(fc.integer({ min: CLOCK - 86_400_000, max: CLOCK }), { nil: undefined }),
    msgId: fc.option(fc.constantFrom("m-1", "42", "x.y"), { nil: undefined }),
    seq: fc.option(fc.nat({ max: 1e9 }), { nil: undefined }),
    ts: fc.integer({ min: CLOCK - 400 * 86_400_000, max: CLOCK + 600_000 }),
    readings: fc.array(
      fc.record({
        metric: fc.constantFrom(...METRIC_NAMES, "oil_temp_2"),
        value: valueArb,
        unit: fc.option(fc.constantFrom("degC", "bar", "°C", "mm/s", ""), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .map((m) =>
    JSON.stringify({
      topic: `telemetry/${m.site}/line-1/${m.device}`,
      ...(m.ingest === undefined ? {} : { ingest_ts: m.ingest }),
      ...(m.msgId === undefined ? {} : { msg_id: m.msgId }),
      ...(m.seq === undefined ? {} : { seq: m.seq }),
      ts: m.ts,
      readings: m.readings.map((r) => (r.unit === undefined ? { metric: r.metric, value: r.value } : r)),
    }),
  );
}

/** A message as IoT Core hands it to the rule: the topic's ids and the published bytes (possibly hostile). */
export interface MqttMessage {
  site: string;
  line: string;
  device: string;
  payload: Uint8Array;
}

/** Payloads that satisfy the message schema, with event times around the live skew limits of CLOCK (mostly within). */
const validLivePayload = fc
  .record({
    msgId: fc.option(fc.constantFrom("m-1", "42", "x.y", "A".repeat(128)), { nil: undefined }),
    seq: fc.option(fc.oneof(fc.nat({ max: 1e9 }).map(String), fc.constantFrom("0", "3.0", "1E2", "9007199254740991")), { nil: undefined }),
    ts: fc.oneof(fc.integer({ min: CLOCK - 8 * 86_400_000, max: CLOCK + 10 * 60_000 }).map(String), fc.constantFrom(`${CLOCK}.0`, ...[5 * 60_000, 5 * 60_000 + 1, -7 * 86_400_000, -7 * 86_400_000 - 1].map((skew) => String(CLOCK + skew)))),
    readings: fc.array(
      fc.record({
        metric: fc.constantFrom(...METRIC_NAMES, "oil_temp_2", "a".repeat(64)),
        value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }).map((v) => JSON.stringify(v)), fc.constantFrom("-0", "1e12", "5e-324", "1.0")),
        unit: fc.option(fc.constantFrom("degC", "bar", "°C", "mm/s", "", "😀".repeat(8), "😀".repeat(16), "😀".repeat(17)), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .map((m) => {
    const fields = [
      ...(m.msgId === undefined ? [] : [`"msg_id":${JSON.stringify(m.msgId)}`]),
      ...(m.seq === undefined ? [] : [`"seq":${m.seq}`]),
      `"ts":${m.ts}`,
      `"readings":[${m.readings.map((r) => `{"metric":"${r.metric}","value":${r.value}${r.unit === undefined ? "" : `,"unit":${JSON.stringify(r.unit)}`}}`).join(",")}]`,
    ];
    return `{${fields.join(",")}}`;
  });

/** Nesting thousands of levels deep (Python's json gives up near 1000; JSON.parse does not), valid or not. */
const deepNesting = fc.constantFrom(
  (t: string) => t.replace(/^\{/, `{"x":${"[".repeat(3000)}${"]".repeat(3000)},`),
  (t: string) => t.replace(/^\{/, `{"x":${"[".repeat(3000)}"\\ud800"${"]".repeat(3000)},`),
  (t: string) => t.replace(/"value":[^,}]+/, `"value":${"[".repeat(3000)}${"]".repeat(3000)}`),
  (t: string) => t.replace(/^\{/, `{"x":${"[".repeat(3000)},`),
  () => "[".repeat(5000),
);

/** MQTT messages: valid ones, the message shapes above damaged or not, raw binary payloads; ids usual or hostile. */
export const mqttMessageArb: fc.Arbitrary<MqttMessage> = fc
  .record({
    ids: fc.oneof({ weight: 6, arbitrary: fc.constant(["plant-a", "line-1", "press-01"]) }, { weight: 1, arbitrary: fc.tuple(idArb, idArb, idArb) }),
    message: messagePartsWith(liveTsText),
    damage,
    valid: fc.option(validLivePayload, { nil: null, freq: 2 }),
    deep: fc.option(deepNesting, { nil: null, freq: 12 }),
    binary: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) }),
  })
  .map(({ ids: [site, line, device], message, damage: hurt, valid, deep, binary }) => {
    const text = valid ?? hurt(`{${messageFields(message).join(",")}}`);
    return { site, line, device, payload: binary ?? Buffer.from(deep ? deep(text) : text, "utf8") };
  });
