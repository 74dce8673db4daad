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
import { LIMITS } from "../contract/telemetry";
import { DEFAULT_INGEST_POLICY, type IngestPolicy, QUARANTINE_REASONS, type QuarantineReason } from "../contract/ingest-policy";
import { AGGREGATES, ALERTS, ANOMALIES, type LakeColumnType, type LakeTable, QUARANTINE, READINGS } from "../lake/tables";
import { type AnalyticsDefinition, DEFAULT_ANALYTICS, validateDefinition } from "./definition";
import { flinkDialect as d, sqlDouble, sqlString } from "./dialect";
import { aggregateColumns, alertClearedColumns, alertOpenSelect, alertStages, anomalySelects, anomalySteps, type Stage, stepSql } from "./stages";

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

/** Identifier pattern of contract/telemetry.ts `identifier`, as a Java regular expression. */
const ID_REGEX = `^[A-Za-z0-9][A-Za-z0-9._:-]{0,${LIMITS.maxIdLength - 1}}$`;
const METRIC_REGEX = `^[a-z][a-z0-9_]{0,${LIMITS.maxMetricNameLength - 1}}$`;

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
 * Both raw sources poll the same shards. Kinesis allows 5 GetRecords calls per second per shard: at most 2 per
 * second per source (every 500 ms, full or empty) keeps the pair under it. TRIM_HORIZON on the first start so
 * records written before the job started are not lost (later starts resume from the checkpointed positions).
 *
 * The two fetch intervals exist only in connector releases after 5.0.0 (empty fetches: FLINK-36947,
 * flink-connector-aws PR 195 of 2025-04; non-empty fetches: FLINK-39137, committed 2026-08). The table factory
 * passes `source.*` options through without validating them, so 5.0.0-1.20 accepts and ignores them: with that
 * jar each source polls as fast as GetRecords returns and the pair can be throttled on busy shards.
 */
const RAW_READER_OPTIONS: [string, string][] = [
  ["source.init.position", "TRIM_HORIZON"],
  ["source.reader.empty-records-fetch-interval", "500 ms"],
  ["source.reader.nonempty-records-fetch-interval", "500 ms"],
];

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

function kinesisOptions(arnProperty: string, extra: [string, string][]): string {
  const options: [string, string][] = [
    ["connector", "kinesis"],
    ["stream.arn", `\${${arnProperty}}`],
    ["aws.region", "${aws.region}"],
    ...extra,
  ];
  return options.map(([k, v]) => `  ${sqlString(k)} = ${sqlString(v)}`).join(",\n");
}

function view(stage: Stage): string {
  return `-- ${stage.about}\nCREATE TEMPORARY VIEW ${stage.name} AS\n  ${stage.sql};`;
}

/** Epoch-ms bounds of a trustworthy event time relative to the ingest clock (live ingest skew policy). */
function tsInRange(policy: IngestPolicy): string {
  return `ts BETWEEN ingest_ts - ${policy.maxPastSkewMs} AND ingest_ts + ${policy.maxFutureSkewMs}`;
}

function reasonLiteral(reason: QuarantineReason): string {
  return sqlString(reason);
}

/** True when a string column is longer than n characters (LIKE keeps to the grammar the tests check with). */
function longerThan(column: string, n: number): string {
  return `${column} LIKE '${"_".repeat(n + 1)}%'`;
}

const MAX_UNIT_LENGTH = LIMITS.maxUnitLength;

/** Why one reading (columns of alias `r` from UNNEST) is rejected; NULL when it is valid. */
function readingReason(r: string): string {
  const v = `${r}.${d.id("value")}`;
  // non_finite before schema, in the order of contract/validation.ts.
  return `CASE
      WHEN ${v} IS NOT NULL AND NOT (ABS(${v}) <= ${sqlDouble(LIMITS.maxAbsValue)}) THEN ${reasonLiteral("non_finite")}
      WHEN ${r}.metric IS NULL OR NOT REGEXP(${r}.metric, ${sqlString(METRIC_REGEX)}) OR ${v} IS NULL
        OR (${r}.unit IS NOT NULL AND ${longerThan(`${r}.unit`, MAX_UNIT_LENGTH)})
        THEN ${reasonLiteral("schema")}
    END`;
}

function readingDetail(r: string): string {
  const v = `${r}.${d.id("value")}`;
  return `CASE
      WHEN ${v} IS NOT NULL AND NOT (ABS(${v}) <= ${sqlDouble(LIMITS.maxAbsValue)}) THEN 'reading value is NaN, infinite or beyond ±${LIMITS.maxAbsValue}'
      WHEN ${r}.metric IS NULL THEN 'reading without metric'
      WHEN NOT REGEXP(${r}.metric, ${sqlString(METRIC_REGEX)}) THEN 'metric name is not snake_case or longer than ${LIMITS.maxMetricNameLength}'
      WHEN ${v} IS NULL THEN 'reading value missing or not a number'
      ELSE 'unit longer than ${MAX_UNIT_LENGTH} characters'
    END`;
}

/** Generates every Flink SQL file of the application, in execution order. */
export function flinkSqlFiles(def: AnalyticsDefinition = DEFAULT_ANALYTICS, policy: IngestPolicy = DEFAULT_INGEST_POLICY): FlinkSqlFile[] {
  validateDefinition(def);
  const v = d.id("value");
  const delay = def.watermarkDelaySeconds;
  // State of idle keys (message ids for de-duplication, silent series) is dropped after this long.
  const stateTtlMs = Math.max(2 * policy.duplicateWindowMs, 4 * def.rules.dataGap.maxGapSeconds * 1000);

  const config = `${header("Job configuration: UTC, idle shards, state retention.", [
    "The runner applies these SET statements to the table configuration before any other statement.",
    `Idle shards would hold the watermark back forever: after ${def.idleTimeoutSeconds} s without records a shard stops counting.`,
    `State TTL ${stateTtlMs / 60000} min bounds de-duplication keys and silent series (a series silent longer starts a new baseline).`,
  ])}
SET 'table.local-time-zone' = 'UTC';
SET 'table.exec.source.idle-timeout' = '${def.idleTimeoutSeconds} s';
SET 'table.exec.state.ttl' = '${stateTtlMs} ms';
`;

  const sources = `${header("Sources: the raw Kinesis stream the IoT rule writes (device JSON + device_id/site/line/ingest_ts).", [
    "raw_messages parses it (bad fields become NULL and are quarantined by 03-validate.sql);",
    "raw_payloads reads the same records as text, to quarantine what is not JSON at all with its original bytes.",
    "Each polls every shard at most twice a second, so the two stay within Kinesis' 5 reads/s per shard; the two",
    "fetch-interval options need a connector newer than 5.0.0 (older ones ignore them: see RAW_READER_OPTIONS).",
    `Event time is the device's ts when it is within the skew policy of the ingest clock, else the ingest time,`,
    "so a device clock in 1970 or next year can neither hold back nor run ahead the watermark.",
    `Watermark: ${delay} s behind the newest event time (the allowed lateness); later readings are flagged late.`,
  ])}
CREATE TABLE raw_messages (
  device_id STRING,
  site STRING,
  line STRING,
  ingest_ts BIGINT,
  msg_id STRING,
  seq BIGINT,
  ts BIGINT,
  readings ARRAY<ROW<metric STRING, ${v} DOUBLE, unit STRING>>,
  event_ts AS TO_TIMESTAMP_LTZ(CASE WHEN ${tsInRange(policy)} THEN ts ELSE COALESCE(ingest_ts, CAST(0 AS BIGINT)) END, 3),
  WATERMARK FOR event_ts AS event_ts - ${flinkInterval(delay * 1000)}
) WITH (
${kinesisOptions("raw.stream.arn", [...RAW_READER_OPTIONS, ["format", "json"], ["json.ignore-parse-errors", "true"], ["json.fail-on-missing-field", "false"]])}
);

CREATE TABLE raw_payloads (
  payload STRING
) WITH (
${kinesisOptions("raw.stream.arn", [...RAW_READER_OPTIONS, ["format", "raw"], ["raw.charset", "UTF-8"]])}
);
`;

  const sinkDdl = SINK_TABLES.map((t) => `-- ${t.description}.
CREATE TABLE ${t.name}_sink (
${t.columns.map((c) => `  ${d.id(c.name)} ${flinkType(c.type)}`).join(",\n")}
)${SINK_PARTITION_KEYS[t.name] ? ` PARTITIONED BY (${SINK_PARTITION_KEYS[t.name].join(", ")})` : ""} WITH (
${kinesisOptions(`${t.name}.stream.arn`, [["format", "json"]])}
);`).join("\n\n");
  const sinks = `${header("Sinks: one Kinesis stream per lake table; Firehose writes each to Parquet under the table's prefix.", [
    "Columns are the lake table's (lake/tables.ts), in order; timestamps are epoch milliseconds (BIGINT).",
  ])}
${sinkDdl}
`;

  const messageReason = `CASE
      WHEN device_id IS NULL OR site IS NULL OR line IS NULL
        OR NOT REGEXP(device_id, ${sqlString(ID_REGEX)}) OR NOT REGEXP(site, ${sqlString(ID_REGEX)}) OR NOT REGEXP(line, ${sqlString(ID_REGEX)})
        THEN ${reasonLiteral("bad_topic")}
      WHEN ts IS NULL OR ingest_ts IS NULL OR readings IS NULL OR CARDINALITY(readings) = 0 OR CARDINALITY(readings) > ${LIMITS.maxReadingsPerMessage}
        OR (msg_id IS NOT NULL AND NOT REGEXP(msg_id, ${sqlString(ID_REGEX)})) OR seq < 0
        THEN ${reasonLiteral("schema")}
      WHEN NOT (${tsInRange(policy)}) THEN ${reasonLiteral("timestamp_out_of_range")}
    END`;
  const messageDetail = `CASE
      WHEN device_id IS NULL OR site IS NULL OR line IS NULL THEN 'device_id, site or line missing (not written by the IoT rule)'
      WHEN NOT REGEXP(device_id, ${sqlString(ID_REGEX)}) OR NOT REGEXP(site, ${sqlString(ID_REGEX)}) OR NOT REGEXP(line, ${sqlString(ID_REGEX)}) THEN 'device_id, site or line is not a valid id'
      WHEN ts IS NULL THEN 'ts missing or not an integer (epoch ms)'
      WHEN ingest_ts IS NULL THEN 'ingest_ts missing (not written by the IoT rule)'
      WHEN readings IS NULL OR CARDINALITY(readings) = 0 THEN 'readings missing, not an array or empty'
      WHEN CARDINALITY(readings) > ${LIMITS.maxReadingsPerMessage} THEN 'more than ${LIMITS.maxReadingsPerMessage} readings'
      WHEN msg_id IS NOT NULL AND NOT REGEXP(msg_id, ${sqlString(ID_REGEX)}) THEN 'msg_id is not a valid id'
      WHEN seq < 0 THEN 'seq is negative'
      WHEN ts > ingest_ts THEN 'ts is more than ${policy.maxFutureSkewMs} ms ahead of the ingest time'
      ELSE 'ts is more than ${policy.maxPastSkewMs} ms behind the ingest time'
    END`;
  const rawEnvelope = `JSON_OBJECT('device_id' VALUE device_id, 'site' VALUE site, 'line' VALUE line, 'ingest_ts' VALUE ingest_ts,
      'msg_id' VALUE msg_id, 'seq' VALUE seq, 'ts' VALUE ts, 'readings_count' VALUE CARDINALITY(readings)`;
  const quarantineCols = QUARANTINE.columns.map((c) => c.name).join(",");
  if (quarantineCols !== "received_ts,reason,detail,source,device_id,site,line,raw_payload") {
    throw new Error(`quarantine lake columns changed (${quarantineCols}); update analytics/flink.ts`);
  }

  const validate = `${header("Validation: every raw record is accepted (04-readings.sql) or quarantined here with a reason.", [
    `Reasons are contract/ingest-policy.ts QUARANTINE_REASONS: ${Object.keys(QUARANTINE_REASONS).join(", ")}.`,
    "Message checks (topic ids, envelope schema, timestamp skew) reject the whole message; reading checks (metric",
    "name, value, unit) reject that reading. too_large never reaches Flink: IoT Core refuses payloads over 128 KiB.",
    "Unparseable records keep their original text; parsed rejects keep the parsed fields as JSON (raw_payload).",
    "late marks readings behind the watermark: kept in readings, left out of every window (Flink drops them there).",
  ])}
CREATE TEMPORARY VIEW checked_messages AS
  SELECT device_id, site, line, ingest_ts, msg_id, seq, ts, readings, event_ts,
    ${d.text(messageReason)} AS reason,
    ${d.text(messageDetail)} AS detail,
    CASE WHEN CURRENT_WATERMARK(event_ts) IS NOT NULL AND event_ts <= CURRENT_WATERMARK(event_ts) THEN TRUE ELSE FALSE END AS late,
    -- Message identity as the local engine forms it: msg_id, else seq.
    CASE WHEN msg_id IS NOT NULL THEN CONCAT('id:', msg_id) WHEN seq IS NOT NULL THEN CONCAT('seq:', CAST(seq AS STRING)) END AS dedup_key
  FROM raw_messages;

-- Readings of well-formed messages, each judged on its own.
CREATE TEMPORARY VIEW checked_readings AS
  SELECT m.device_id, m.site, m.line, m.ingest_ts, m.msg_id, m.seq, m.ts, m.event_ts, m.late, m.dedup_key,
    r.metric, r.${v}, r.unit,
    ${d.text(readingReason("r"))} AS reason,
    ${d.text(readingDetail("r"))} AS detail
  FROM checked_messages AS m
  CROSS JOIN UNNEST(m.readings) AS r (metric, ${v}, unit)
  WHERE m.reason IS NULL;

INSERT INTO quarantine_sink
  SELECT COALESCE(CAST(JSON_VALUE(payload, '$.ingest_ts' RETURNING BIGINT NULL ON ERROR) AS BIGINT), UNIX_TIMESTAMP() * 1000) AS received_ts,
    ${d.text(reasonLiteral("unparseable"))} AS reason,
    ${d.text("'payload is not a JSON object'")} AS detail,
    ${d.text("'flink'")} AS source,
    CAST(NULL AS STRING) AS device_id,
    CAST(NULL AS STRING) AS site,
    CAST(NULL AS STRING) AS line,
    payload AS raw_payload
  FROM raw_payloads
  WHERE payload IS NULL OR NOT (payload IS JSON OBJECT);

INSERT INTO quarantine_sink
  SELECT COALESCE(ingest_ts, UNIX_TIMESTAMP() * 1000) AS received_ts, reason, detail, ${d.text("'flink'")} AS source, device_id, site, line,
    ${rawEnvelope}) AS raw_payload
  FROM checked_messages
  WHERE reason IS NOT NULL;

INSERT INTO quarantine_sink
  SELECT ingest_ts AS received_ts, reason, detail, ${d.text("'flink'")} AS source, device_id, site, line,
    ${rawEnvelope.replace("CARDINALITY(readings)", "1")},
      'reading' VALUE JSON_OBJECT('metric' VALUE metric, 'value' VALUE ${v}, 'unit' VALUE unit)) AS raw_payload
  FROM checked_readings
  WHERE reason IS NOT NULL;
`;

  const readings = `${header("Accepted readings: de-duplicated on time, flagged when late; the input of every analytic.", [
    `A message is a duplicate when the same device sent the same msg_id (or seq) at most ${policy.duplicateWindowMs / 1000} s of event time before (as the local engine).`,
    "De-duplication is an OVER window per device and message id, so it keeps the event-time attribute the windows need.",
    "Late messages bypass it (an OVER window would drop them): they are written flagged late and not de-duplicated.",
  ])}
CREATE TEMPORARY VIEW first_messages AS
  SELECT device_id, site, line, ingest_ts, msg_id, ts, readings, event_ts, dedup_key,
    COUNT(*) OVER w AS seen,
    MIN(ts) OVER w AS previous_ts
  FROM checked_messages
  WHERE reason IS NULL AND NOT late
  WINDOW w AS (PARTITION BY device_id, dedup_key ORDER BY event_ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW);

-- On-time, first-seen, valid readings with epoch-ms columns: the series every analytic reads.
CREATE TEMPORARY VIEW series AS
  SELECT m.device_id, m.site, m.line, r.metric, r.${v}, r.unit, m.msg_id, m.event_ts,
    m.ts AS event_ms, m.ingest_ts AS ingest_ms
  FROM first_messages AS m
  CROSS JOIN UNNEST(m.readings) AS r (metric, ${v}, unit)
  WHERE (m.dedup_key IS NULL OR m.seen = 1 OR m.ts - m.previous_ts > ${policy.duplicateWindowMs})
    AND ${readingReason("r")} IS NULL;

INSERT INTO readings_sink
  SELECT device_id, site, line, metric, ${v}, unit, event_ms AS event_ts, ingest_ms AS ingest_ts, msg_id, FALSE AS late
  FROM series;

INSERT INTO readings_sink
  SELECT device_id, site, line, metric, ${v}, unit, ts AS event_ts, ingest_ts, msg_id, TRUE AS late
  FROM checked_readings
  WHERE late AND reason IS NULL;
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
${anomalySteps(def, d).map((step, i, all) => view({ name: step.name, about: step.about, sql: stepSql(step, i === 0 ? "series" : all[i - 1].name, d) })).join("\n\n")}

INSERT INTO anomalies_sink
${anomalySelects(def, d).map((s) => `  ${s.sql}`).join("\n  UNION ALL\n")};
`;

  const alerts = `${header("Alerts: one row when an episode opens and one when it clears, never one per reading.", [
    `An episode of a device and metric opens at an anomalous reading with no other within the hold time (${def.alerts.holdSeconds} s) before it,`,
    "and clears at its last anomalous reading + the hold time: a session window, emitted when the watermark",
    "passes the clear time. The alert-notifier Lambda publishes each row to SNS.",
    "The session gap is the hold time minus 1 ms: Flink merges sessions whose windows [t, t + gap) touch, so with",
    "gap = hold time two readings exactly the hold time apart would share one episode although the second opens a new one.",
  ])}
${alertStages(def, d).map(view).join("\n\n")}

INSERT INTO alerts_sink
  ${alertOpenSelect(def, d)};

INSERT INTO alerts_sink
  SELECT ${alertClearedColumns(def, d)}
  FROM alert_readings
  GROUP BY device_id, site, line, metric, SESSION(event_ts, ${flinkInterval(def.alerts.holdSeconds * 1000 - 1)});
`;

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
export const FLINK_PROPERTY_KEYS: string[] = ["raw.stream.arn", ...SINK_TABLES.map((t) => `${t.name}.stream.arn`), "aws.region"];

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
