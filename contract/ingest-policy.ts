/**
 * What happens to every record that enters (accepted, quarantined with a reason, or a counted duplicate;
 * late is a flag on accepted readings): the machine-readable quarantine reasons, and the
 * tolerances that decide them. Shared by the Flink SQL generator, the local engine, the Glue quarantine table
 * and the tests, so that a reason means the same thing everywhere.
 */

/** Why a record was quarantined. Stored in the `reason` column; alarms and dashboards group by it. */
export const QUARANTINE_REASONS = {
  unparseable: "Payload is not valid JSON (or not UTF-8)",
  too_large: "Payload exceeds the size limit",
  bad_topic: "Topic is not telemetry/<site>/<line>/<device> or an id is not allowed",
  schema: "JSON does not match the device message schema (missing/extra field, wrong type, bad metric name)",
  non_finite: "A value is NaN, Infinity, or beyond ±1e12 (LIMITS.maxAbsValue: no sensor reads that, and statistics over it overflow)",
  timestamp_out_of_range: "Event time too far from the ingest time (live) or outside the data's own span (replay)",
} as const;
export type QuarantineReason = keyof typeof QUARANTINE_REASONS;

/**
 * A duplicate is not invalid, so it is not a quarantine reason: it is dropped from the readings and counted. The
 * Flink job counts it by writing the message to the quarantine table under this reason (a stream has no other
 * durable counter); the local engine counts it in the conservation line.
 */
export const DUPLICATE_REASON = "duplicate";

/** Tolerances; each overridable from stack config / CLI flags. */
export interface IngestPolicy {
  /** Live ingest: reject event times more than this far ahead of the ingest clock (device clock running fast). */
  maxFutureSkewMs: number;
  /** Live ingest: reject event times more than this far behind the ingest clock (e.g. a clock reset to 1970). */
  maxPastSkewMs: number;
  /** Same device + msg_id/seq seen again within this span of event time is a duplicate (dropped, counted). */
  duplicateWindowMs: number;
  /** Readings this far or further behind the newest event time are flagged `late`: kept in readings, left out of windows. */
  allowedLatenessMs: number;
}

export const DEFAULT_INGEST_POLICY: IngestPolicy = {
  maxFutureSkewMs: 5 * 60_000,
  maxPastSkewMs: 7 * 24 * 3_600_000,
  duplicateWindowMs: 60 * 60_000,
  allowedLatenessMs: 5 * 60_000,
};
