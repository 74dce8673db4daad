/**
 * The reference validator: classifies one record (a replay line, a CSV row or a message received over MQTT)
 * as accepted (with its normalized message) or quarantined (with a reason from QUARANTINE_REASONS).
 *
 * The local engine runs the same rules in SQL (local/validation-sql.ts) for speed; a property-based test holds
 * the two to the same verdict on random and hostile input. The checks run in a fixed order and the first that
 * fails names the reason, so a record has exactly one reason everywhere:
 *
 *  1. too_large      line over MAX_LINE_BYTES (before parsing); CSV row or MQTT payload over maxPayloadBytes
 *  2. unparseable    not UTF-8, a NUL character, not strict JSON (RFC 8259: no NaN literals, no trailing commas)
 *  3. schema         not a JSON object, or a key repeated in the message or a reading (parsers disagree on which wins)
 *  4. line shape     flat line over maxPayloadBytes → too_large; envelope with unknown keys, both payload keys,
 *                    a non-string payload or a payload_base64 that is not base64 → schema; ingest_ts present but
 *                    not an integer → schema
 *  5. bad_topic      no usable address: topic not telemetry/<site>/<line>/<device>, an id not allowed, or a
 *                    device_id/site/line that disagrees with the topic
 *     payload        (envelope and MQTT only) the payload goes through 1–3 against maxPayloadBytes
 *  CSV rows: 1 (maxPayloadBytes), 2, wrong field count → unparseable, bad ingest_ts → schema, then 5–8.
 *  6. non_finite     a reading's value is ±Infinity (JSON 1e999), beyond ±LIMITS.maxAbsValue or, in CSV, NaN/inf
 *  7. schema         the message does not match deviceMessageSchema (flat lines: after removing address keys)
 *  8. timestamp_out_of_range
 *       live:   ts more than maxFutureSkewMs ahead of, or maxPastSkewMs behind, the ingest clock
 *       replay: ts before MIN_EVENT_TS (a clock reset to 1970) or more than maxFutureSkewMs ahead of the record's
 *               own ingest_ts (or the replay clock when it has none). Old data is never rejected for being old.
 *
 * Duplicates and lateness depend on what came before, so they are decided by the engine, not here.
 */
import { isUtf8 } from "node:buffer";
import { DEFAULT_INGEST_POLICY, type IngestPolicy, type QuarantineReason } from "./ingest-policy";
import { ADDRESS_KEYS, DEFAULT_LINE, DEFAULT_SITE, MAX_LINE_BYTES, MIN_EVENT_TS, splitCsvFields, type CsvColumn } from "./replay-line";
import { deviceMessageSchema, identifier, LIMITS, parseDeviceTopic, type IngestedMessage } from "./telemetry";

/** Live: judged against the receive clock. Replay: judged against the data's own clock (backfill is normal). */
export type ValidationMode = "live" | "replay";

/** One record as it arrives. */
export type RawRecord =
  /** A line of a replay JSON Lines file (flat or envelope form, see contract/replay-line.ts). */
  | { format: "jsonl"; line: string | Uint8Array }
  /** A data row of a CSV long-form file, with the file's parsed header. */
  | { format: "csv"; line: string | Uint8Array; header: readonly CsvColumn[] }
  /** A message received over MQTT: the payload bytes as published and the topic they came on. */
  | { format: "mqtt"; payload: string | Uint8Array; topic: string };

export interface ValidationContext {
  mode: ValidationMode;
  /** Epoch ms: the receive time (live), or the replay clock used for records that carry no ingest_ts. */
  ingestTs: number;
  policy?: IngestPolicy;
}

export interface RecordAddress {
  device_id: string;
  site: string;
  line: string;
}

export type Verdict =
  | { outcome: "accepted"; message: IngestedMessage }
  | {
      outcome: "quarantined";
      reason: QuarantineReason;
      /** Human-readable: which field or limit. */
      detail: string;
      /** When the record was received (its ingest_ts if it carried a valid one, else the context clock). */
      received_ts: number;
      /** Known only when the address was read successfully before the failing check. */
      address: RecordAddress | null;
      /** The payload as received: UTF-8 text, or base64 when it is not valid UTF-8. */
      raw_payload: string;
    };

/**
 * Envelope keys holding the published bytes: `payload` as text (the MQTT spool), `payload_base64` as base64 (the
 * IoT rule's raw stream, archived in raw_messages), so an export of the cloud archive replays as is.
 */
export const PAYLOAD_KEYS = ["payload", "payload_base64"] as const;

/** Canonical padded base64 (what the IoT rule's encode(*, 'base64') writes); Buffer.from alone accepts anything. */
export const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Thrown internally to stop at the first failing check; never escapes classify. */
class Rejection {
  constructor(readonly reason: QuarantineReason, readonly detail: string) {}
}

/** Classifies one record. Never throws on bad input: every input gets a verdict. */
export function classify(record: RawRecord, context: ValidationContext): Verdict {
  const policy = context.policy ?? DEFAULT_INGEST_POLICY;
  const state: { address: RecordAddress | null; ingestTs: number | null; raw: string } = { address: null, ingestTs: null, raw: "" };
  try {
    const message = record.format === "csv" ? classifyCsv(record.line, record.header, state) : classifyJson(record, policy, state);
    const ingestTs = state.ingestTs ?? context.ingestTs;
    checkEventTime(message.ts, ingestTs, context.mode, policy);
    return { outcome: "accepted", message: { ...state.address!, ingest_ts: ingestTs, ...message } };
  } catch (error) {
    if (!(error instanceof Rejection)) throw error;
    return {
      outcome: "quarantined",
      reason: error.reason,
      detail: error.detail,
      received_ts: state.ingestTs ?? context.ingestTs,
      address: state.address,
      raw_payload: state.raw,
    };
  }
}

type MessageFields = Omit<IngestedMessage, "device_id" | "site" | "line" | "ingest_ts">;

function classifyJson(record: Extract<RawRecord, { format: "jsonl" | "mqtt" }>, policy: IngestPolicy, state: { address: RecordAddress | null; ingestTs: number | null; raw: string }): MessageFields {
  if (record.format === "mqtt") {
    state.address = addressOf({ topic: record.topic });
    const payload = decodeText(record.payload, LIMITS.maxPayloadBytes, "payload", state);
    return validateMessage(parseStrictObject(payload, "payload"));
  }
  const text = decodeText(record.line, MAX_LINE_BYTES, "line", state);
  const line = parseStrictObject(text, "line");
  const payloadKeys = PAYLOAD_KEYS.filter((k) => Object.hasOwn(line, k));
  if (payloadKeys.length > 0) {
    const unknown = Object.keys(line).filter((k) => !(PAYLOAD_KEYS as readonly string[]).includes(k) && !(ADDRESS_KEYS as readonly string[]).includes(k));
    if (unknown.length > 0) reject("schema", `envelope line has unknown key(s) ${unknown.join(", ")}`);
    if (payloadKeys.length > 1) reject("schema", "envelope line has both payload and payload_base64");
    const published = payloadKeys[0] === "payload" ? line.payload : line.payload_base64;
    if (typeof published !== "string") reject("schema", `envelope ${payloadKeys[0]} must be a string (the published bytes)`);
    if (payloadKeys[0] === "payload_base64" && !STRICT_BASE64.test(published as string)) reject("schema", "envelope payload_base64 is not base64");
    state.ingestTs = ingestTsOf(line);
    state.address = addressOf(line);
    const bytes = payloadKeys[0] === "payload" ? (published as string) : Buffer.from(published as string, "base64");
    const payload = decodeText(bytes, LIMITS.maxPayloadBytes, "payload", state);
    return validateMessage(parseStrictObject(payload, "payload"));
  }
  if (utf8Length(text) > LIMITS.maxPayloadBytes) reject("too_large", `message is ${utf8Length(text)} bytes; limit ${LIMITS.maxPayloadBytes}`);
  state.ingestTs = ingestTsOf(line);
  state.address = addressOf(line);
  // fromEntries defines own properties, so a "__proto__" key stays an (extra) key instead of a prototype.
  const message = Object.fromEntries(Object.entries(line).filter(([key]) => !(ADDRESS_KEYS as readonly string[]).includes(key)));
  return validateMessage(message);
}

/** Checks size and encoding, records the raw text for quarantine, and returns the text. */
function decodeText(input: string | Uint8Array, maxBytes: number, what: string, state: { raw: string }): string {
  if (typeof input !== "string" && !isUtf8(input)) {
    state.raw = Buffer.from(input).toString("base64");
    if (input.byteLength > maxBytes) reject("too_large", `${what} is ${input.byteLength} bytes; limit ${maxBytes}`);
    reject("unparseable", `${what} is not valid UTF-8 (raw_payload is base64)`);
  }
  const text = typeof input === "string" ? input : Buffer.from(input).toString("utf8");
  state.raw = text;
  const bytes = utf8Length(text);
  if (bytes > maxBytes) reject("too_large", `${what} is ${bytes} bytes; limit ${maxBytes}`);
  if (text.includes("\0")) reject("unparseable", `${what} contains a NUL character`);
  return text;
}

/** Strict JSON object with no repeated keys where the schema reads them. */
function parseStrictObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    reject("unparseable", `${what} is not valid JSON: ${(error as Error).message}`);
  }
  if (!allStringsWellFormed(value)) reject("unparseable", `${what} has a lone UTF-16 surrogate escape`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) reject("schema", `${what} is JSON but not an object`);
  const repeated = repeatedKey(text);
  if (repeated !== null) reject("schema", `${what} repeats the key '${repeated}'`);
  return value as Record<string, unknown>;
}

function ingestTsOf(line: Record<string, unknown>): number | null {
  if (line.ingest_ts === undefined) return null;
  if (!Number.isSafeInteger(line.ingest_ts)) reject("schema", "ingest_ts must be an integer epoch-millisecond time");
  return line.ingest_ts as number;
}

/** Reads the address the way the IoT rule does: the topic is authoritative; ids must be allowed identifiers. */
function addressOf(line: Record<string, unknown>): RecordAddress {
  const explicit = { device_id: line.device_id, site: line.site, line: line.line };
  if (line.topic !== undefined) {
    if (typeof line.topic !== "string") reject("bad_topic", "topic must be a string");
    const parsed = parseDeviceTopic(line.topic as string);
    if (!parsed) reject("bad_topic", `topic '${clip(line.topic as string)}' is not telemetry/<site>/<line>/<device>`);
    const address = { device_id: parsed!.deviceId, site: parsed!.site, line: parsed!.line };
    checkIds(address);
    for (const key of ["device_id", "site", "line"] as const) {
      if (explicit[key] !== undefined && explicit[key] !== address[key]) reject("bad_topic", `${key} '${clip(String(explicit[key]))}' disagrees with the topic`);
    }
    return address;
  }
  if (explicit.device_id === undefined) reject("bad_topic", "no topic and no device_id");
  for (const key of ["device_id", "site", "line"] as const) {
    if (explicit[key] !== undefined && typeof explicit[key] !== "string") reject("bad_topic", `${key} must be a string`);
  }
  const address = {
    device_id: explicit.device_id as string,
    site: (explicit.site as string | undefined) ?? DEFAULT_SITE,
    line: (explicit.line as string | undefined) ?? DEFAULT_LINE,
  };
  checkIds(address);
  return address;
}

function checkIds(address: RecordAddress): void {
  for (const key of ["site", "line", "device_id"] as const) {
    if (!identifier.safeParse(address[key]).success) reject("bad_topic", `${key} '${clip(address[key])}' is not an allowed id (letters, digits, . _ : -; max ${LIMITS.maxIdLength})`);
  }
}

/** Non-finite values first (the schema would call them wrong types), then the device message schema. */
function validateMessage(message: Record<string, unknown>): MessageFields {
  if (Array.isArray(message.readings)) {
    message.readings.forEach((reading, index) => {
      const value = isPlainObject(reading) ? reading.value : undefined;
      if (typeof value === "number" && !isAcceptedMagnitude(value)) reject("non_finite", `readings[${index}].value is ${value}, beyond ±${LIMITS.maxAbsValue}`);
    });
  }
  const parsed = deviceMessageSchema.safeParse(message);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    reject("schema", `${issue.path.join(".") || "message"}: ${issue.message}`);
  }
  return parsed.data!;
}

function checkEventTime(ts: number, ingestTs: number, mode: ValidationMode, policy: IngestPolicy): void {
  if (mode === "live") {
    if (ts > ingestTs + policy.maxFutureSkewMs) reject("timestamp_out_of_range", `ts ${ts} is ${ts - ingestTs} ms ahead of ingest time (max ${policy.maxFutureSkewMs})`);
    if (ts < ingestTs - policy.maxPastSkewMs) reject("timestamp_out_of_range", `ts ${ts} is ${ingestTs - ts} ms behind ingest time (max ${policy.maxPastSkewMs})`);
    return;
  }
  if (ts < MIN_EVENT_TS) reject("timestamp_out_of_range", `ts ${ts} is before ${new Date(MIN_EVENT_TS).toISOString()} (device clock reset?)`);
  if (ts > ingestTs + policy.maxFutureSkewMs) reject("timestamp_out_of_range", `ts ${ts} is ${ts - ingestTs} ms ahead of the record's ingest time (max ${policy.maxFutureSkewMs})`);
}

/** A CSV row is one message with one reading. */
function classifyCsv(input: string | Uint8Array, header: readonly CsvColumn[], state: { address: RecordAddress | null; ingestTs: number | null; raw: string }): MessageFields {
  const text = decodeText(input, LIMITS.maxPayloadBytes, "row", state);
  const fields = splitCsvFields(text);
  if (fields.length !== header.length) reject("unparseable", `row has ${fields.length} fields; header has ${header.length}`);
  const row = new Map<CsvColumn, string>();
  header.forEach((column, index) => {
    if (fields[index] !== "") row.set(column, fields[index]);
  });
  const ingest = row.get("ingest_ts");
  if (ingest !== undefined) {
    const parsed = parseEpochMs(ingest);
    if (parsed === null) reject("schema", "ingest_ts must be an integer epoch-millisecond time");
    state.ingestTs = parsed;
  }
  if (!row.has("device_id")) reject("bad_topic", "device_id is empty");
  state.address = null;
  const address = { device_id: row.get("device_id")!, site: row.get("site") ?? DEFAULT_SITE, line: row.get("line") ?? DEFAULT_LINE };
  checkIds(address);
  state.address = address;
  const value = parseCsvNumber(row.get("value") ?? "");
  if (value === "non_finite") reject("non_finite", `value '${clip(row.get("value")!)}' is not finite`);
  if (value === null) reject("schema", `value '${clip(row.get("value") ?? "")}' is not a number`);
  const ts = parseCsvTimestamp(row.get("ts") ?? "");
  if (ts === null) reject("schema", `ts '${clip(row.get("ts") ?? "")}' is neither epoch milliseconds nor ISO-8601`);
  const seqText = row.get("seq");
  const seq = seqText === undefined ? undefined : parseEpochMs(seqText);
  if (seq === null) reject("schema", "seq must be a non-negative integer");
  const unit = row.get("unit");
  const message = {
    ...(row.has("msg_id") ? { msg_id: row.get("msg_id") } : {}),
    ...(seq === undefined ? {} : { seq }),
    ts,
    readings: [{ metric: row.get("metric") ?? "", value, ...(unit === undefined ? {} : { unit }) }],
  };
  return validateMessage(message);
}

/** Strict decimal number (no hex, no spaces); NaN/inf spellings and overflow to ±Infinity are non-finite. */
export function parseCsvNumber(text: string): number | null | "non_finite" {
  if (/^[+-]?(nan|inf|infinity)$/i.test(text)) return "non_finite";
  if (!/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) return null;
  const value = Number(text);
  return isAcceptedMagnitude(value) ? value : "non_finite";
}

/** Finite and within ±LIMITS.maxAbsValue. */
function isAcceptedMagnitude(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) <= LIMITS.maxAbsValue;
}

/** Integer epoch milliseconds (a safe integer), or null. */
function parseEpochMs(text: string): number | null {
  if (!/^-?[0-9]{1,16}$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/** ISO-8601 date-time pattern accepted in CSV: `YYYY-MM-DD[T ]hh:mm[:ss[.fff…]][Z|±hh[:]mm]`, UTC when no zone. */
export const ISO_TIMESTAMP_PATTERN = "^([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})(:([0-9]{2})(\\.([0-9]{1,9}))?)?(Z|([+-])([0-9]{2}):?([0-9]{2}))?$";

/** Epoch ms from epoch milliseconds or ISO-8601 (fractions truncated to ms); null when neither or not a real date. */
export function parseCsvTimestamp(text: string): number | null {
  const epoch = parseEpochMs(text);
  if (epoch !== null) return epoch;
  const m = new RegExp(ISO_TIMESTAMP_PATTERN).exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const second = m[7] === undefined ? 0 : Number(m[7]);
  const millis = m[9] === undefined ? 0 : Number(m[9].padEnd(3, "0").slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  const offsetMinutes = m[11] === undefined ? 0 : (m[11] === "-" ? -1 : 1) * (Number(m[12]) * 60 + Number(m[13]));
  return daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm; no Date quirks for years < 100). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * The first key repeated in the top-level object or in an element of its top-level `readings` array (the only
 * objects the schema reads), or null. JSON.parse keeps the last of repeated keys and DuckDB the first, so a
 * record with one is rejected rather than read two ways. `text` must already be valid JSON.
 */
export function repeatedKey(text: string): string | null {
  interface Frame { kind: "object" | "array"; keys: Set<string> | null; expectKey: boolean; lastKey: string | null; readings: boolean }
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const top = stack[stack.length - 1];
    if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      if (top?.kind === "object" && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys) {
          if (top.keys.has(key)) return key;
          top.keys.add(key);
        }
        top.lastKey = key;
        top.expectKey = false;
      }
      i = end;
    } else if (ch === "{") {
      const checked = stack.length === 0 || (top.kind === "array" && top.readings && stack.length === 2);
      stack.push({ kind: "object", keys: checked ? new Set() : null, expectKey: true, lastKey: null, readings: false });
    } else if (ch === "[") {
      const readings = stack.length === 1 && top.kind === "object" && top.lastKey === "readings";
      stack.push({ kind: "array", keys: null, expectKey: false, lastKey: null, readings });
    } else if (ch === "}" || ch === "]") {
      stack.pop();
    } else if (ch === "," && top?.kind === "object") {
      top.expectKey = true;
    }
  }
  return null;
}

/** False when a key or string anywhere holds a lone surrogate (JSON.parse accepts `"\ud800"`; DuckDB does not). */
function allStringsWellFormed(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === "string") {
      if (LONE_SURROGATE.test(value)) return false;
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (typeof value === "object" && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) return false;
        pending.push(child);
      }
    }
  }
  return true;
}

/** With the u flag a surrogate pair is one code point, so this matches only unpaired halves. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function reject(reason: QuarantineReason, detail: string): never {
  throw new Rejection(reason, detail);
}
