/**
 * The replay input format: what `iotpipe simulate` and the MQTT spool write and `iotpipe replay` reads.
 *
 * JSON Lines, UTF-8, one record per line (a trailing `\r` is ignored; blank lines are not records). A line is
 * one of two shapes:
 *
 * - **Flat** (what the simulator writes): the device message's own fields plus its address,
 *   `{"topic":"telemetry/plant-a/line-1/press-01","ingest_ts":1763887000123,"msg_id":"m-1","seq":1,
 *     "ts":1763887000000,"readings":[{"metric":"temperature","value":71.2,"unit":"degC"}]}`.
 *   The address is `topic` (authoritative, like `topic(n)` in the rule) or `device_id` with optional `site` and
 *   `line` (default `"default"`). When both are given they must agree.
 * - **Envelope** (the payload bytes exactly as published, valid or not): `payload` as text (what the MQTT spool
 *   writes), `{"topic":"telemetry/plant-a/line-1/press-01","ingest_ts":1763887000123,"payload":"{\"ts\":...}"}`,
 *   or `payload_base64` (what the IoT rule writes to the raw stream, archived in the `raw_messages` table),
 *   `{"device_id":"press-01","site":"plant-a","line":"line-1","ingest_ts":1763887000123,"payload_base64":"eyJ0cyI6..."}`,
 *   so an export of the cloud archive replays as it is.
 *
 * `ingest_ts` (epoch ms) is optional in both; without it the replay's own clock is used. CSV long form
 * (`ts,device_id,metric,value` plus optional columns, header required) is the other accepted input.
 */
import { z } from "zod";
import { deviceMessageSchema, identifier, type DeviceMessage } from "./telemetry";

/** Lines longer than this are too large without being parsed (an envelope escapes at most ~6 bytes per byte). */
export const MAX_LINE_BYTES = 1024 * 1024;

/** Replay has no ingest clock to judge against; event times before this are a reset device clock (1970). */
export const MIN_EVENT_TS = Date.UTC(2000, 0, 1);

/** Fields that address a record; everything else in a flat line belongs to the device message. */
export const ADDRESS_KEYS = ["topic", "device_id", "site", "line", "ingest_ts"] as const;

/** Site and line of records that name only a device (CSV without those columns, flat lines without topic). */
export const DEFAULT_SITE = "default";
export const DEFAULT_LINE = "default";

const epochMs = z.number().int();

/** How a line names its device: a topic, or a device id with optional site and line. */
export const recordAddressSchema = z.object({
  topic: z.string().optional(),
  device_id: identifier.optional(),
  site: identifier.optional(),
  line: identifier.optional(),
  ingest_ts: epochMs.optional(),
});

/** A flat line: the device message with its address beside it. */
export const flatLineSchema = deviceMessageSchema.extend(recordAddressSchema.shape).strict();

/** An envelope line: the address plus the payload text exactly as it was published. */
export const envelopeLineSchema = recordAddressSchema.extend({ payload: z.string() }).strict();

export type FlatLine = z.infer<typeof flatLineSchema>;
export type EnvelopeLine = z.infer<typeof envelopeLineSchema>;

/** CSV long form: required and optional header columns (any order, names exact, lowercase). */
export const CSV_REQUIRED_COLUMNS = ["ts", "device_id", "metric", "value"] as const;
export const CSV_OPTIONAL_COLUMNS = ["site", "line", "unit", "msg_id", "seq", "ingest_ts"] as const;
export type CsvColumn = (typeof CSV_REQUIRED_COLUMNS)[number] | (typeof CSV_OPTIONAL_COLUMNS)[number];

/** Writes a device message as a flat replay line (no trailing newline). */
export function flatLine(address: { site: string; line: string; deviceId: string; ingestTs?: number }, message: DeviceMessage): string {
  const line: FlatLine = {
    topic: `telemetry/${address.site}/${address.line}/${address.deviceId}`,
    ...(address.ingestTs === undefined ? {} : { ingest_ts: address.ingestTs }),
    ...message,
  };
  return JSON.stringify(line);
}

/** Writes raw published bytes as an envelope line (no trailing newline); the payload must be UTF-8 text. */
export function envelopeLine(topic: string, payload: string, ingestTs?: number): string {
  const line: EnvelopeLine = { topic, ...(ingestTs === undefined ? {} : { ingest_ts: ingestTs }), payload };
  return JSON.stringify(line);
}

/** Parses a CSV header line into column names; throws (naming the file's problem) when it is not usable. */
export function parseCsvHeader(headerLine: string): CsvColumn[] {
  const names = splitCsvFields(headerLine.replace(/^\uFEFF/, "")).map((n) => n.trim().toLowerCase());
  const known = new Set<string>([...CSV_REQUIRED_COLUMNS, ...CSV_OPTIONAL_COLUMNS]);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new Error(`CSV header has unknown column(s) ${unknown.join(", ")}; allowed: ${[...known].join(", ")}`);
  const missing = CSV_REQUIRED_COLUMNS.filter((c) => !names.includes(c));
  if (missing.length > 0) throw new Error(`CSV header lacks required column(s) ${missing.join(", ")} (long form is ts,device_id,metric,value)`);
  if (new Set(names).size !== names.length) throw new Error(`CSV header repeats a column: ${names.join(",")}`);
  return names as CsvColumn[];
}

/**
 * Splits one CSV row on commas. A field wholly wrapped in double quotes loses them (and `""` becomes `"`);
 * quoted commas are not supported, so such a row has the wrong field count and is quarantined, not misread.
 */
export function splitCsvFields(row: string): string[] {
  return row.split(",").map((f) => (f.length >= 2 && f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1).replaceAll('""', '"') : f));
}
