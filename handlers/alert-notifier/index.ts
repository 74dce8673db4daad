/**
 * Alert notifier: consumes the alerts Kinesis stream (alert transitions written by Flink, one JSON object per
 * record) and publishes each transition — an episode opening or clearing — to the operators' SNS topic as a short
 * human message, with severity/site/device/state/metric message attributes for subscription filter policies.
 *
 * Failure handling (the event source mapping reports batch item failures):
 * - SNS publish fails (throttling, KMS, network): the record is reported as the batch item failure and processing
 *   stops there. Lambda retries from that record, so records after it are not published twice and a device's
 *   open/cleared notifications keep their order. After the mapping's retries, the batch range goes to the DLQ.
 * - Malformed record (not JSON, or not an alert transition): retrying cannot fix it, and reporting it would
 *   block the shard until the retries run out. It is logged with its raw bytes and sequence number, counted
 *   (MalformedAlerts metric), and skipped. Nothing is lost: the same record also reaches the lake through the
 *   alerts Firehose (its error prefix when it does not convert), and the log line says where to look.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, Metrics } from "@aws-lambda-powertools/metrics";
// zod/mini and a signed POST for SNS (handlers/shared/sns-publish.ts) instead of classic zod and the SNS SDK
// client: the same validation and the same Publish request, at a fraction of the bundle and its cold start
// (classic zod is ~450 KB minified and not tree-shakeable; the SNS client ~300 KiB). npm run bench:bundle.
import * as z from "zod/mini";
import { en } from "zod/locales";
import { SnsPublisher } from "../shared/sns-publish";

/** Epoch milliseconds a Date can format (1970 to year 9999): anything else is a malformed record, not a crash. */
const epochMs = z.int().check(z.minimum(0), z.maximum(253402300799999));
const nonEmpty = () => z.string().check(z.minLength(1));

/**
 * An alert transition as Flink writes it (the `alerts` lake table's columns; timestamps in epoch ms).
 * Numbers are finite by construction: zod 4 rejects Infinity and NaN for every number schema.
 */
export const alertTransitionSchema = z.object({
  device_id: nonEmpty(),
  site: nonEmpty(),
  line: nonEmpty(),
  metric: nonEmpty(),
  rule: nonEmpty(),
  state: z.enum(["open", "cleared"]),
  event_ts: epochMs,
  episode_start: epochMs,
  episode_end: z.nullish(epochMs),
  peak_value: z.nullish(z.number()),
  limit_value: z.nullish(z.number()),
  anomaly_count: z.int().check(z.nonnegative()),
  severity: z.enum(["warning", "critical"]),
});
export type AlertTransition = z.output<typeof alertTransitionSchema>;

/**
 * zod/mini reports every issue as "Invalid input" unless given a locale; the malformed-record log line should say
 * what is wrong ("Too small: expected number to be >=0"), as classic zod did. Passed per parse, not set globally.
 */
const englishIssueMessages = en().localeError;

/** The parts of a Kinesis event this handler reads. */
export interface KinesisStreamRecord {
  eventID: string;
  kinesis: { data: string; sequenceNumber: string; partitionKey: string };
}
export interface KinesisStreamEvent {
  Records: KinesisStreamRecord[];
}
export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** SNS subjects: ASCII, no line breaks, at most 100 characters. */
const MAX_SUBJECT = 100;
/** Bytes of a malformed record kept in its log line. */
const MAX_LOGGED_RAW = 4096;

export const logger = new Logger({ serviceName: "alert-notifier" });
export const metrics = new Metrics({ namespace: "iotpipe", serviceName: "alert-notifier" });
/** Reads credentials, region and endpoint from the environment on every publish (see handlers/shared/aws-rest.ts). */
const sns = new SnsPublisher();

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(".000Z", "Z");
}

function value(v: number | null | undefined): string {
  return v === null || v === undefined ? "n/a" : String(Number(v.toPrecision(6)));
}

/** The operator-facing subject, message and filterable attributes (SNS String message attributes) of one transition. */
export function formatAlert(a: AlertTransition): { subject: string; message: string; attributes: Record<string, string> } {
  const where = `${a.site}/${a.line}/${a.device_id}`;
  const opened = a.state === "open";
  const subject = `[${a.severity.toUpperCase()}] ${opened ? "Alert" : "Cleared"}: ${a.metric} on ${where}`
    .replace(/[^\x20-\x7E]/g, "?")
    .slice(0, MAX_SUBJECT);
  const lines = [
    `${opened ? "OPEN" : "CLEARED"} ${a.severity} alert on ${where}: ${a.metric} (rule ${a.rule})`,
    // A silence's peak and limit are seconds of silence (analytics/definition.ts DataGapRule).
    a.rule === "data_gap"
      ? `Silent for ${value(a.peak_value)} s (allowed ${value(a.limit_value)} s)${opened ? ", and still silent" : ""}`
      : `Peak ${value(a.peak_value)} against limit ${value(a.limit_value)}; ${a.anomaly_count} anomalous reading(s)`,
    opened
      ? `Episode started ${iso(a.episode_start)}`
      : `Episode ${iso(a.episode_start)} to ${iso(a.episode_end ?? a.event_ts)}`,
  ];
  return {
    subject,
    message: lines.join("\n"),
    attributes: { severity: a.severity, site: a.site, device: a.device_id, state: a.state, metric: a.metric },
  };
}

/** Decodes and validates one record; the reason when it is not an alert transition. */
export function parseRecord(record: KinesisStreamRecord): { ok: true; alert: AlertTransition } | { ok: false; reason: string; raw: string } {
  const raw = Buffer.from(record.kinesis.data, "base64").toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${(e as Error).message}`, raw };
  }
  const parsed = alertTransitionSchema.safeParse(json, { error: englishIssueMessages });
  if (!parsed.success) {
    return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "), raw };
  }
  return { ok: true, alert: parsed.data };
}

/** Processes a batch in order; see the file comment for what is retried and what is skipped. */
export async function handler(event: KinesisStreamEvent): Promise<BatchResponse> {
  const topicArn = process.env.ALERTS_TOPIC_ARN;
  if (!topicArn) throw new Error("ALERTS_TOPIC_ARN is not set: the notifier has nowhere to publish");
  const failures: BatchResponse["batchItemFailures"] = [];
  try {
    for (const record of event.Records) {
      const sequenceNumber = record.kinesis.sequenceNumber;
      const parsed = parseRecord(record);
      if (!parsed.ok) {
        logger.error("malformed alert record skipped (kept in the alerts lake table or its Firehose error prefix)", {
          sequenceNumber,
          partitionKey: record.kinesis.partitionKey,
          reason: parsed.reason,
          raw: parsed.raw.slice(0, MAX_LOGGED_RAW),
        });
        metrics.addMetric("MalformedAlerts", MetricUnit.Count, 1);
        continue;
      }
      const { subject, message, attributes } = formatAlert(parsed.alert);
      try {
        await sns.publish(topicArn, subject, message, attributes);
        metrics.addMetric("AlertsPublished", MetricUnit.Count, 1);
      } catch (e) {
        logger.warn("publishing the alert failed; the batch resumes from this record on retry", {
          sequenceNumber,
          device: parsed.alert.device_id,
          error: (e as Error).message,
        });
        metrics.addMetric("PublishFailures", MetricUnit.Count, 1);
        failures.push({ itemIdentifier: sequenceNumber });
        break;
      }
    }
  } finally {
    metrics.addMetric("AlertRecords", MetricUnit.Count, event.Records.length);
    metrics.publishStoredMetrics();
  }
  return { batchItemFailures: failures };
}
