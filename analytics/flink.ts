/**
 * The analytics as Flink SQL files for the Managed Flink application (FLINK-1_20, PyFlink runner in
 * `flink-app/main.py`). The files are generated from the definition and committed under `sql/flink/` so a
 * reviewer reads exactly what runs; `npm run gen:flink-sql` rewrites them and a test fails when they are stale.
 *
 * Placeholders `${key}` are application properties (group `iotpipe`) the runner substitutes: `raw.stream.arn`,
 * `<table>.stream.arn` for readings, aggregates, anomalies, alerts and quarantine, and `aws.region`.
 *
 * Timestamps leave Flink as epoch milliseconds (BIGINT in JSON); Firehose's record format conversion writes
 * them to the Parquet `timestamp` columns of the Glue tables (its OpenX JSON SerDe reads epoch milliseconds).
 */
import { DEFAULT_INGEST_POLICY, DUPLICATE_REASON, type IngestPolicy, QUARANTINE_REASONS } from "../contract/ingest-policy";
import { STRICT_BASE64 } from "../contract/validation";
import { AGGREGATES, ALERTS, ANOMALIES, type LakeColumnType, type LakeTable, QUARANTINE, READINGS } from "../lake/tables";
import { type AnalyticsDefinition, DEFAULT_ANALYTICS, holdSteps, validateDefinition } from "./definition";
import { flinkDialect as d, sqlString } from "./dialect";
import { fromInput, fromInputAll, lakeSelectList } from "./lake-select";
import { aggregateColumns, alertClearedColumns, alertOpenSelect, alertStages, anomalyRuleColumns, anomalySteps, holdSessions, silenceClearedSelect, silenceOpenColumns, silenceSessions, type Stage, stepSql } from "./stages";
import type { Step } from "./step";

export interface FlinkSqlFile {
  /** File name under sql/flink/, run in name order. */
  name: string;
  sql: string;
}

/** The tables Flink writes, each to its own Kinesis stream (property `<table>.stream.arn`). */
const SINK_TABLES: LakeTable[] = [READINGS, AGGREGATES, ANOMALIES, ALERTS, QUARANTINE];

/**
 * Kinesis partition key columns of a sink (`PARTITIONED BY`). Without the clause the Kinesis table sink gives
 * every record a random partition key, so one device's rows land on any shard in any order. The alert-notifier
 * Lambda relies on a device's open/cleared transitions arriving in order, which holds only within one shard:
 * alerts are keyed by device id (as the IoT rule keys the raw stream). The lake sinks feed Firehose, where order
 * does not matter and random keys spread the load best.
 */
const SINK_PARTITION_KEYS: Record<string, string[]> = { [ALERTS.name]: ["device_id"] };


function flinkType(t: LakeColumnType): string {
  switch (t) {
    case "string": return "STRING";
    case "double": return "DOUBLE";
    case "bigint": return "BIGINT";
    case "int": return "INT";
    case "boolean": return "BOOLEAN";
    // Epoch milliseconds in JSON: the one form Firehose's OpenX SerDe turns into a Parquet timestamp.
    case "timestamp": return "BIGINT";
  }
}

/**
 * How the job reads the raw stream. TRIM_HORIZON on the first start so records written before the job started
 * are not lost (later starts resume from the checkpointed positions). The reader type (POLLING or EFO) and the
 * fan-out consumer's name (read only by EFO) are application properties the Flink component sets from its
 * enhancedFanOut option, so one SQL file serves both.
 *
 * No fetch-interval options: `source.reader.empty-records-fetch-interval` and
 * `source.reader.nonempty-records-fetch-interval` exist only in connector releases after 5.0.0 (FLINK-36947,
 * FLINK-39137); 5.0.0-1.20, the jar the stack deploys, passes every `source.*` key through unvalidated and
 * ignores them, so they promised a polling rate the job never had. A POLLING source calls GetRecords as fast as
 * it returns, which with the raw-archive Firehose on the same shards can exceed Kinesis' 5 reads/s per shard:
 * the component therefore reads with enhanced fan-out by default (its own 2 MiB/s push per shard).
 */
const RAW_READER_OPTIONS: [string, string][] = [
  // TRIM_HORIZON, or LATEST when a SQL change starts the job without state (components/stream-analytics.ts
  // restorePlan); only read when no snapshot is restored.
  ["source.init.position", "${raw.init.position}"],
  // POLLING or EFO, and the fan-out consumer's name (used only by EFO): set by the Flink component from its
  // enhancedFanOut option, so one SQL file serves both.
  ["source.reader.type", "${raw.reader.type}"],
  ["source.efo.consumer.name", "${raw.efo.consumer.name}"],
];

/** Where the job's tables connect: the options of each table's WITH (...) clause, and nothing else. */
export interface FlinkConnectors {
  /** Options of the raw source table (`raw_envelopes`). */
  source: [string, string][];
  /** Options of a sink table (one per lake table). */
  sink: (table: LakeTable) => [string, string][];
}

/** The deployed job's connectors: Kinesis streams named by application properties (`<table>.stream.arn`). */
export const KINESIS_CONNECTORS: FlinkConnectors = {
  source: kinesisOptions("raw.stream.arn", [...RAW_READER_OPTIONS, ["format", "json"], ["json.ignore-parse-errors", "true"], ["json.fail-on-missing-field", "false"]]),
  sink: (t) => kinesisOptions(`${t.name}.stream.arn`, [["format", "json"]]),
};

/**
 * A Flink SQL day-time interval literal of `ms` milliseconds. Flink's SQL validator (Calcite) gives an interval
 * literal's leading field a default precision of 2 digits, so `INTERVAL '300' SECOND` is rejected ("Interval
 * field value 300 exceeds precision of SECOND(2) field"): whole amounts use the largest unit that keeps the
 * value within 2 digits (`INTERVAL '5' MINUTE`), anything else the `'d hh:mm:ss.fff' DAY TO SECOND` form of
 * Flink's documentation (`INTERVAL '10 00:00:00.004' DAY TO SECOND`), which also carries milliseconds.
 */
export function flinkInterval(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`interval must be a positive whole number of milliseconds, got ${ms}`);
  const units: [string, number][] = [["DAY", 86_400_000], ["HOUR", 3_600_000], ["MINUTE", 60_000], ["SECOND", 1000]];
  for (const [unit, size] of units) {
    if (ms % size === 0 && ms / size <= 99) return `INTERVAL '${ms / size}' ${unit}`;
  }
  const days = Math.floor(ms / 86_400_000);
  if (days > 99) throw new Error(`interval of ${ms} ms is longer than 99 days`);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const rest = ms % 86_400_000;
  const h = Math.floor(rest / 3_600_000);
  const m = Math.floor((rest % 3_600_000) / 60_000);
  const s = Math.floor((rest % 60_000) / 1000);
  return `INTERVAL '${days} ${pad(h)}:${pad(m)}:${pad(s)}.${pad(rest % 1000, 3)}' DAY TO SECOND`;
}

function header(title: string, lines: string[]): string {
  return [`-- ${title}`, ...lines.map((l) => (l ? `-- ${l}` : "--")), "-- Generated by analytics/flink.ts from analytics/definition.ts (npm run gen:flink-sql); do not edit."].join("\n");
}

function kinesisOptions(arnProperty: string, extra: [string, string][]): [string, string][] {
  return [
    ["connector", "kinesis"],
    ["stream.arn", `\${${arnProperty}}`],
    ["aws.region", "${aws.region}"],
    ...extra,
  ];
}

function withClause(options: [string, string][]): string {
  return options.map(([k, v]) => `  ${sqlString(k)} = ${sqlString(v)}`).join(",\n");
}

function view(stage: Stage): string {
  return `-- ${stage.about}\nCREATE TEMPORARY VIEW ${stage.name} AS\n  ${stage.sql};`;
}

/** Epoch-ms bounds of a trustworthy event time relative to the ingest clock (live ingest skew policy). */
function tsInRange(policy: IngestPolicy, ts = "ts"): string {
  return `${ts} BETWEEN ingest_ts - ${policy.maxPastSkewMs} AND ingest_ts + ${policy.maxFutureSkewMs}`;
}

/** STRICT_BASE64 for Java's regex (Flink's REGEXP): `$` there also matches before a final line break, `\z` does not. */
const JAVA_STRICT_BASE64 = STRICT_BASE64.source.replace(/\$$/, "\\z");

/**
 * The payload's claimed event time, read leniently, for the watermark only (the judge decides validity): a
 * computed column cannot call the Python judge, and may not refer to another computed column.
 * - JSON_VALUE's RETURNING accepts only VARCHAR, BOOLEAN, INTEGER and DOUBLE in Flink 1.20 (BIGINT fails code
 *   generation; DOUBLE throws on integer values outside NULL ON ERROR: FLINK-40463), so the text is read and
 *   TRY_CAST through DOUBLE (so 1763856000000.0, valid in the contract, reads too; NULL when not a number).
 * - FROM_BASE64 throws on text that is not base64, which would restart the job on that record forever: the
 *   canonical-base64 check (what the rule's encode(*, 'base64') writes) guards it. The judge still rejects
 *   such a record with a reason.
 */
/** A message's event time in epoch ms, as the source's event_ts: its ts, but never after its ingest time. */
const eventMs = (m: string) => `CASE WHEN ${m}.ts <= ${m}.ingest_ts THEN ${m}.ts ELSE ${m}.ingest_ts END`;

const CLAIMED_TS = `CASE WHEN REGEXP(payload_base64, ${sqlString(JAVA_STRICT_BASE64)}) THEN CAST(TRY_CAST(JSON_VALUE(FROM_BASE64(payload_base64), '$.ts' NULL ON ERROR) AS DOUBLE) AS BIGINT) END`;

/**
 * The filter that keeps a window step apart from the window steps before it. Flink 1.20's planner fails on a
 * third OVER window stacked on two others through projections alone ("Field names must be unique. Found
 * duplicates: [w0$o0]": the windows' internal column names clash once the projections between them are pushed
 * down); a filter between them is not pushed through, and the plan compiles. The filter is always true: a
 * COUNT(*) over a frame that ends at the current row is at least 1. Found by planning the job on Flink itself
 * (tests/flink/).
 */
function windowBarrier(before: Step[], step: Step): string | undefined {
  if (!step.window) return undefined;
  const counted = before.filter((s) => s.window).flatMap((s) => s.columns.filter((c) => typeof c.value !== "string" && c.value.kind === "count"));
  return counted.length > 0 ? `${counted[counted.length - 1].alias} > 0` : undefined;
}

/**
 * The anomalies as one SELECT: each reading unnested into one row per rule, kept where the rule fired. One
 * reader of anomaly_scored instead of a UNION ALL of one SELECT per rule, because Flink 1.20 gives each reader
 * its own copy of the OVER windows beneath (each prunes different columns, so sub-plan reuse finds nothing to
 * share): six copies of the scoring state and work. Planned on Flink itself: 58 OVER operators -> 23.
 */
function anomalyRows(def: AnalyticsDefinition): string {
  // Each rule's part of its anomaly row, by lake column; the row's fields are those columns in the table's order.
  const parts = anomalyRuleColumns(def, d).map((r) => ({
    fired: r.fired,
    fields: {
      rule: d.text(sqlString(r.rule)),
      score: `CAST(${r.score} AS DOUBLE)`,
      baseline: `CAST(${r.baseline} AS DOUBLE)`,
      limit_value: `CAST(${r.limit} AS DOUBLE)`,
      severity: d.text(r.severity),
    } as Record<string, string>,
  }));
  const fields = ANOMALIES.columns.map((c) => c.name).filter((name) => name in parts[0].fields);
  const rows = parts.map((p) => `ROW(${[p.fired, ...fields.map((f) => p.fields[f])].join(", ")})`);
  const columns = lakeSelectList(ANOMALIES, {
    ...Object.fromEntries(ANOMALIES.columns.map((c) => [c.name, fromInput(fields.includes(c.name) ? "r" : "s")])),
    event_ts: "s.event_ms",
  }, d, "inline");
  return `SELECT ${columns}
  FROM anomaly_scored AS s
  CROSS JOIN UNNEST(ARRAY[
    ${rows.join(",\n    ")}
  ]) AS r (${["fired", ...fields].join(", ")})
  WHERE r.fired`;
}

/** The fields of one reading of a message (the judge's `readings`), unnested as `r`. */
const READING_FIELDS = ["metric", "value", "unit"];

/** Name the runner registers the contract's validator under (flink-app/main.py JUDGE_FUNCTION). */
export const FLINK_JUDGE_FUNCTION = "judge_telemetry";


/** Generates every Flink SQL file of the application, in execution order. */
export function flinkSqlFiles(def: AnalyticsDefinition = DEFAULT_ANALYTICS, policy: IngestPolicy = DEFAULT_INGEST_POLICY, connectors: FlinkConnectors = KINESIS_CONNECTORS): FlinkSqlFile[] {
  validateDefinition(def);
  const v = d.id("value");
  const delay = def.watermarkDelaySeconds;
  // State of idle keys (message ids for de-duplication, silent series) is dropped after this long: twice the
  // longest allowed silence, so a slow series keeps its baselines between readings.
  const stateTtlMs = Math.max(2 * policy.duplicateWindowMs, 2 * Math.max(...def.rules.dataGap.silenceStepsSeconds) * 1000);

  const config = `${header("Job configuration: UTC, idle shards, state retention.", [
    "The runner applies these SET statements to the table configuration before any other statement.",
    `Idle shards would hold the watermark back forever: after ${def.idleTimeoutSeconds} s without records a shard stops counting.`,
    `State TTL ${stateTtlMs / 60000} min bounds de-duplication keys and silent series (a series silent longer starts a new baseline).`,
    "Optimize blocks found by digest: the views every statement reads (the judged messages above all) are planned once",
    "and shared, so the Python judge runs once per message, not once per statement that reads it (planned on Flink 1.20).",
  ])}
SET 'table.local-time-zone' = 'UTC';
SET 'table.exec.source.idle-timeout' = '${def.idleTimeoutSeconds} s';
SET 'table.exec.state.ttl' = '${stateTtlMs} ms';
SET 'table.optimizer.reuse-optimize-block-with-digest-enabled' = 'true';
`;

  const sources = `${header("Source: the raw Kinesis stream the IoT rule writes, one envelope per published message.", [
    "payload_base64 is the published bytes, base64 (the rule's encode(*, 'base64')), so nothing a device sends is lost to",
    "parsing: 03-validate.sql judges it with the contract and quarantines what fails with the original bytes.",
    "device_id, site and line come from the topic and ingest_ts from the rules engine, never from the payload.",
    `Event time is the payload's ts when it is within the skew policy of the ingest clock and not after the ingest`,
    "time, else the ingest time: a device clock in 1970 or next year can neither hold back nor run ahead the",
    "watermark, and a clock a few minutes fast cannot move it past the ingest time, which would turn every other",
    "device's readings on the subtask late (a reading cannot have happened after it arrived).",
    `Watermark: ${delay} s behind the newest event time (the allowed lateness); later readings are flagged late.`,
    "Only the IoT rule can write the stream (IAM) and it always writes a JSON envelope of canonical base64; were a",
    "record ever not one, the job skips it (or the judge rejects its payload) rather than stop, and the raw archive",
    "(raw_messages) still holds it.",
    "Reader: enhanced fan-out by default, since the pinned connector (5.0.0-1.20) has no polling interval and the",
    "raw-archive Firehose polls the same shards (see RAW_READER_OPTIONS in analytics/flink.ts).",
  ])}
CREATE TABLE raw_envelopes (
  device_id STRING,
  site STRING,
  line STRING,
  ingest_ts BIGINT,
  payload_base64 STRING,
  event_ts AS TO_TIMESTAMP_LTZ(CASE WHEN ${tsInRange(policy, CLAIMED_TS)} AND ${CLAIMED_TS} <= ingest_ts THEN ${CLAIMED_TS} ELSE COALESCE(ingest_ts, CAST(0 AS BIGINT)) END, 3),
  WATERMARK FOR event_ts AS event_ts - ${flinkInterval(delay * 1000)}
) WITH (
${withClause(connectors.source)}
);
`;

  const sinkDdl = SINK_TABLES.map((t) => `-- ${t.description}.
CREATE TABLE ${t.name}_sink (
${t.columns.map((c) => `  ${d.id(c.name)} ${flinkType(c.type)}`).join(",\n")}
)${SINK_PARTITION_KEYS[t.name] ? ` PARTITIONED BY (${SINK_PARTITION_KEYS[t.name].join(", ")})` : ""} WITH (
${withClause(connectors.sink(t))}
);`).join("\n\n");
  const sinks = `${header("Sinks: one Kinesis stream per lake table; Firehose writes each to Parquet under the table's prefix.", [
    "Columns are the lake table's (lake/tables.ts), in order; timestamps are epoch milliseconds (BIGINT).",
  ])}
${sinkDdl}
`;

  const judgeCall = `${FLINK_JUDGE_FUNCTION}(payload_base64, device_id, site, line, ingest_ts, CAST(${policy.maxFutureSkewMs} AS BIGINT), CAST(${policy.maxPastSkewMs} AS BIGINT))`;

  const validate = `${header("Validation: every raw message is accepted (04-readings.sql) or quarantined here with a reason.", [
    `Reasons are contract/ingest-policy.ts QUARANTINE_REASONS: ${Object.keys(QUARANTINE_REASONS).join(", ")}.`,
    `${FLINK_JUDGE_FUNCTION} is the contract's own validator (flink-app/telemetry_contract.py, a Python function the runner`,
    "registers; a property test holds it to contract/validation.ts): it decodes the published bytes and returns the",
    "verdict, the accepted fields, and raw_payload, the bytes as UTF-8 text (base64 when they are not UTF-8).",
    "A message is accepted or rejected whole, as everywhere else. too_large is checked too, though IoT Core already",
    "refuses payloads over 128 KiB.",
    "late marks messages behind the watermark: their readings are kept, flagged, and left out of every window.",
  ])}
CREATE TEMPORARY VIEW judged_messages AS
  SELECT device_id, site, line, ingest_ts, event_ts, ${judgeCall} AS verdict
  FROM raw_envelopes;

CREATE TEMPORARY VIEW checked_messages AS
  SELECT device_id, site, line, ingest_ts, verdict.msg_id AS msg_id, verdict.seq AS seq, verdict.ts AS ts, verdict.readings AS readings,
    event_ts, verdict.reason AS reason, verdict.detail AS detail, verdict.raw_payload AS raw_payload,
    CASE WHEN CURRENT_WATERMARK(event_ts) IS NOT NULL AND event_ts <= CURRENT_WATERMARK(event_ts) THEN TRUE ELSE FALSE END AS late,
    -- Message identity as the local engine forms it: msg_id, else seq.
    CASE WHEN verdict.msg_id IS NOT NULL THEN CONCAT('id:', verdict.msg_id) WHEN verdict.seq IS NOT NULL THEN CONCAT('seq:', CAST(verdict.seq AS STRING)) END AS dedup_key
  FROM judged_messages;

INSERT INTO quarantine_sink
  SELECT ${lakeSelectList(QUARANTINE, { ...fromInputAll(QUARANTINE), received_ts: "COALESCE(ingest_ts, UNIX_TIMESTAMP() * 1000)", source: d.text("'flink'") }, d, "inline")}
  FROM checked_messages
  WHERE reason IS NOT NULL;
`;

  const readings = `${header("Accepted readings: de-duplicated on time, flagged when late; the input of every analytic.", [
    `A message is a duplicate when the same device sent the same msg_id (or seq) first at most ${policy.duplicateWindowMs / 1000} s of event time before (as the local engine).`,
    `Duplicates are dropped from the readings and counted: each is written to the quarantine table with reason '${DUPLICATE_REASON}'`,
    "and its identity (its bytes stay in raw_messages: carrying them through the OVER window would double its state).",
    "Sightings are taken in event-time order, as the local engine does (local/replay.ts).",
    "De-duplication is an OVER window per device and message id, so it keeps the event-time attribute the windows need.",
    "Its frame is ROWS UNBOUNDED PRECEDING with COUNT and MIN only: what a key keeps between messages is a count and",
    "the first sighting's ts (the accumulators), not the previous message with its readings, which a bounded frame",
    "would hold for the state TTL; whole messages wait in state only until the watermark passes them. (LAG would give",
    "the previous sighting but allows no frame, and the default RANGE frame would count equal event times together.)",
    "Late messages bypass it (an OVER window would drop them): they are written flagged late and not de-duplicated.",
  ])}
CREATE TEMPORARY VIEW first_messages AS
  SELECT device_id, site, line, ingest_ts, msg_id, ts, readings, event_ts, dedup_key,
    COUNT(*) OVER w AS seen,
    MIN(ts) OVER w AS first_ts
  FROM checked_messages
  WHERE reason IS NULL AND NOT late
  WINDOW w AS (PARTITION BY device_id, dedup_key ORDER BY event_ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);

CREATE TEMPORARY VIEW deduplicated_messages AS
  SELECT *, (dedup_key IS NOT NULL AND seen > 1 AND ts - first_ts <= ${policy.duplicateWindowMs}) AS duplicate
  FROM first_messages;

-- On-time, first-seen readings with epoch-ms columns: the series every analytic reads.
CREATE TEMPORARY VIEW series AS
  SELECT m.device_id, m.site, m.line, r.metric, r.${v}, r.unit, m.msg_id, m.event_ts,
    ${eventMs("m")} AS event_ms, m.ingest_ts AS ingest_ms
  FROM deduplicated_messages AS m
  CROSS JOIN UNNEST(m.readings) AS r (${READING_FIELDS.map(d.id).join(", ")})
  WHERE NOT m.duplicate;

INSERT INTO quarantine_sink
  SELECT ${lakeSelectList(QUARANTINE, {
    ...fromInputAll(QUARANTINE),
    received_ts: "ingest_ts",
    reason: d.text(sqlString(DUPLICATE_REASON)),
    detail: { expr: "CONCAT('same ', dedup_key, ' from this device, ', CAST(ts - first_ts AS STRING), ' ms of event time after its first sighting')", newLine: true },
    source: { expr: d.text("'flink'"), newLine: true },
    raw_payload: { expr: "JSON_OBJECT('msg_id' VALUE msg_id, 'ts' VALUE ts, 'readings_count' VALUE CARDINALITY(readings))", newLine: true },
  }, d, "inline")}
  FROM deduplicated_messages
  WHERE duplicate;

INSERT INTO readings_sink
  SELECT ${lakeSelectList(READINGS, { ...fromInputAll(READINGS), event_ts: "event_ms", ingest_ts: "ingest_ms", late: "FALSE" }, d, "inline")}
  FROM series;

INSERT INTO readings_sink
  SELECT ${lakeSelectList(READINGS, {
    ...fromInputAll(READINGS, "m"),
    ...Object.fromEntries(READING_FIELDS.map((f) => [f, fromInput("r")])),
    event_ts: eventMs("m"),
    late: "TRUE",
  }, d, "inline")}
  FROM checked_messages AS m
  CROSS JOIN UNNEST(m.readings) AS r (${READING_FIELDS.map(d.id).join(", ")})
  WHERE m.late AND m.reason IS NULL;
`;

  const aggregates = `${header("Aggregates: per device and metric over tumbling event-time windows [window_start, window_end).", [
    `Windows: ${def.windowSeconds.map((w) => `${w} s`).join(", ")}; aligned to the epoch in UTC; a reading at exactly window_end is in the next window.`,
    "Emitted once the watermark passes the window end; late readings never reach them (see 04-readings.sql).",
  ])}
${def.windowSeconds.map((w) => `INSERT INTO aggregates_sink
  SELECT ${aggregateColumns(w, d)}
  FROM TABLE(TUMBLE(TABLE series, DESCRIPTOR(event_ts), ${flinkInterval(w * 1000)}))
  GROUP BY device_id, site, line, metric, window_start, window_end;`).join("\n\n")}
`;

  const anomalies = `${header("Anomalies: every reading judged by every enabled rule; one row per reading and rule that fired.", [
    "Each stage has one OVER window per device and metric, ordered by event time, ending at CURRENT ROW.",
    "Baselines count readings (ROWS), not time, so the same parameters fit 1-second and 5-minute data.",
    "Standard deviations come from SUM, SUM of squares and COUNT with the judged readings subtracted.",
  ])}
${anomalySteps(def, d).map((step, i, all) => view({ name: step.name, about: step.about, sql: stepSql(step, i === 0 ? "series" : all[i - 1].name, d, windowBarrier(all.slice(0, i), step)) })).join("\n\n")}

INSERT INTO anomalies_sink
  ${anomalyRows(def)};
`;

  const sessions = (from: string, columns: string, list: { gapMs: number; having: string }[]) =>
    list.map((s) => `INSERT INTO alerts_sink
  SELECT ${columns}
  FROM ${from}
  GROUP BY device_id, site, line, metric, SESSION(event_ts, ${flinkInterval(s.gapMs - 1)})
  HAVING ${s.having};`).join("\n\n");
  const alerts = `${header("Alerts: one row when an episode opens and one when it clears, never one per reading.", [
    "An episode of a device and metric opens at an anomalous reading with no other within its hold before it, and clears",
    "at its last anomalous reading + the hold: a session window, emitted when the watermark passes the clear time.",
    `The hold follows the series' cadence (${holdSteps(def).map((s) => `${s} s`).join(", ")}): Flink's session gap is fixed, so there is one session`,
    "window per hold, each closing the episodes whose last reading asked for its hold. The alert-notifier Lambda publishes each row to SNS.",
    "Session gaps are the hold minus 1 ms: Flink merges sessions whose windows [t, t + gap) touch, so with",
    "gap = hold two readings exactly the hold apart would share one episode although the second opens a new one.",
  ])}
${alertStages(def, d).map(view).join("\n\n")}

INSERT INTO alerts_sink
  ${alertOpenSelect(def, d)};

${sessions("alert_readings", alertClearedColumns(def, d), holdSessions(def))}
${def.rules.dataGap.enabled ? `
-- Silences, while they last: one session window per allowed silence over every reading of every series; the
-- window of a series' own allowed silence (its last reading's) opens the alert when the watermark, the other
-- devices' progress, passes the last reading + that silence. The reading that ends the silence clears it.
${sessions("anomaly_cadence", silenceOpenColumns(def, d), silenceSessions(def))}

INSERT INTO alerts_sink
  ${silenceClearedSelect(def, d)};
` : ""}`;

  return [
    { name: "00-config.sql", sql: config },
    { name: "01-sources.sql", sql: sources },
    { name: "02-sinks.sql", sql: sinks },
    { name: "03-validate.sql", sql: validate },
    { name: "04-readings.sql", sql: readings },
    { name: "05-aggregates.sql", sql: aggregates },
    { name: "06-anomalies.sql", sql: anomalies },
    { name: "07-alerts.sql", sql: alerts },
  ];
}

/** Application property keys the SQL files expect (group `iotpipe`). */
export const FLINK_PROPERTY_KEYS: string[] = ["raw.stream.arn", "raw.reader.type", "raw.efo.consumer.name", "raw.init.position", ...SINK_TABLES.map((t) => `${t.name}.stream.arn`), "aws.region"];

/**
 * Splits a SQL file into statements at top-level semicolons, ignoring those inside '…' strings, "…" or `…`
 * identifiers, line comments (--) and block comments. Comment-only pieces are dropped. flink-app/main.py does the same.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = "";
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end < 0 ? sql.length : end;
      current += sql.slice(i, stop);
      i = stop;
    } else if (ch === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      if (end < 0) throw new Error(`unterminated /* comment at offset ${i}`);
      current += sql.slice(i, end + 2);
      i = end + 2;
    } else if (ch === "'" || ch === '"' || ch === "`") {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new Error(`unterminated ${ch} quote at offset ${i}`);
        if (sql[j] === ch) {
          if (sql[j + 1] === ch) { j += 2; continue; }
          break;
        }
        j++;
      }
      current += sql.slice(i, j + 1);
      i = j + 1;
    } else if (ch === ";") {
      statements.push(current);
      current = "";
      i++;
    } else {
      current += ch;
      i++;
    }
  }
  statements.push(current);
  return statements.map((s) => s.trim()).filter((s) => stripComments(s).trim().length > 0);
}

function stripComments(s: string): string {
  return s.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "");
}

/** Replaces `${key}` placeholders with property values; throws naming any key without a value. */
export function substituteProperties(sql: string, properties: Record<string, string>): string {
  return sql.replace(/\$\{([^}]+)\}/g, (_, key: string) => {
    if (!(key in properties)) throw new Error(`no application property '${key}' for placeholder \${${key}}`);
    return properties[key];
  });
}
