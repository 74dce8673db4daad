/**
 * The telemetry contract: what a device sends, how it is addressed, and what is valid.
 *
 * One definition for every path: the local engine validates with it, the simulator produces it, the tests
 * fuzz it, and the cloud schemas (Glue columns, Flink source DDL, IoT rule) are generated from or checked
 * against it. Field names are snake_case because Glue and the OpenX JSON SerDe lowercase everything.
 */
import { z } from "zod";

/** Metrics a factory sensor reports, with the unit the platform stores and a physically plausible range. */
export const METRICS = {
  temperature: { unit: "degC", description: "Process or housing temperature", plausible: [-60, 400] },
  vibration: { unit: "mm/s", description: "RMS vibration velocity", plausible: [0, 200] },
  pressure: { unit: "bar", description: "Line or vessel pressure", plausible: [-1, 400] },
  current: { unit: "A", description: "Motor or heater current draw", plausible: [0, 2000] },
} as const;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** Size limits: AWS IoT Core rejects payloads over 128 KiB; we cap readings per message to bound fan-out. */
export const LIMITS = {
  maxPayloadBytes: 128 * 1024,
  maxReadingsPerMessage: 500,
  maxIdLength: 128,
  maxMetricNameLength: 64,
  maxUnitLength: 16,
  /**
   * Largest accepted |value|. No physical sensor reads beyond it, and it keeps the statistics (sums of squares
   * over millions of readings) far from double overflow, which would otherwise fail a whole window.
   */
  maxAbsValue: 1e12,
} as const;

/**
 * Topic layout. Devices publish to the Basic Ingest topic `$aws/rules/<rule>/telemetry/<site>/<line>/<device>`;
 * the rule sees it without the `$aws/rules/<rule>/` prefix, so `topic(2)` is the site, `topic(3)` the line and
 * `topic(4)` the device id. Site, line and device come from the topic (policy-confined), never the payload.
 */
export const TOPIC = {
  root: "telemetry",
  siteLevel: 2,
  lineLevel: 3,
  deviceLevel: 4,
  /** The topic filter the rule selects from (without the Basic Ingest prefix). */
  filter: "telemetry/+/+/+",
} as const;

/** Builds the MQTT topic a device publishes on (Basic Ingest when a rule name is given). */
export function deviceTopic(site: string, line: string, deviceId: string, ruleName?: string): string {
  const topic = `${TOPIC.root}/${site}/${line}/${deviceId}`;
  return ruleName ? `$aws/rules/${ruleName}/${topic}` : topic;
}

/** Parses `telemetry/<site>/<line>/<device>` (with or without the Basic Ingest prefix); null if it is not one. */
export function parseDeviceTopic(topic: string): { site: string; line: string; deviceId: string } | null {
  const parts = topic.replace(/^\$aws\/rules\/[^/]+\//, "").split("/");
  if (parts.length !== 4 || parts[0] !== TOPIC.root || parts.some((p) => p.length === 0)) return null;
  return { site: parts[1], line: parts[2], deviceId: parts[3] };
}

/**
 * Whole-string patterns (no anchors; every engine matches them against the whole value): the one definition
 * zod, the DuckDB validator (local/validation-sql.ts) and the Flink job's judge (flink-app/) use.
 */
export const PATTERNS = {
  /** Site, line, device and message ids: printable, no MQTT wildcards or separators. */
  identifier: "[A-Za-z0-9][A-Za-z0-9._:-]*",
  /** Metric names: snake_case. */
  metricName: "[a-z][a-z0-9_]*",
} as const;

/** Identifiers (site, line, device, message id): printable, no MQTT wildcards or separators. */
export const identifier = z
  .string()
  .min(1)
  .max(LIMITS.maxIdLength)
  .regex(new RegExp(`^${PATTERNS.identifier}$`), "letters, digits and . _ : - only, starting with a letter or digit");

/** One measurement inside a device message. */
export const readingSchema = z.strictObject({
  metric: z
    .string()
    .min(1)
    .max(LIMITS.maxMetricNameLength)
    .regex(new RegExp(`^${PATTERNS.metricName}$`), "snake_case metric name"),
  value: z.number(),
  unit: z.string().max(LIMITS.maxUnitLength).optional(),
});

/**
 * The device message payload (JSON). `ts` is the device's event time in epoch milliseconds: the one timestamp
 * form that Flink's JSON format, Firehose's OpenX SerDe and DuckDB all read the same way. `msg_id` or `seq`
 * identifies the message for de-duplication after a reconnect.
 */
export const deviceMessageSchema = z.strictObject({
  msg_id: identifier.optional(),
  seq: z.number().int().nonnegative().optional(),
  ts: z.number().int(),
  readings: z.array(readingSchema).min(1).max(LIMITS.maxReadingsPerMessage),
});

export type Reading = z.infer<typeof readingSchema>;
export type DeviceMessage = z.infer<typeof deviceMessageSchema>;

/**
 * The record the IoT rule writes to the raw stream: the payload's fields plus what the platform knows for
 * sure (device, site and line from the topic; ingest time from the rules engine).
 */
export interface IngestedMessage extends DeviceMessage {
  device_id: string;
  site: string;
  line: string;
  ingest_ts: number;
}

/** A flattened, accepted reading: one row of the `readings` table and the input of every analytic. */
export interface AcceptedReading {
  device_id: string;
  site: string;
  line: string;
  metric: string;
  value: number;
  unit: string | null;
  /** Event time, epoch ms (the device's clock). */
  event_ts: number;
  /** Ingest time, epoch ms (the platform's clock). */
  ingest_ts: number;
  msg_id: string | null;
  /** True when the reading arrived behind the watermark (beyond allowed lateness): kept, flagged, counted. */
  late: boolean;
}
