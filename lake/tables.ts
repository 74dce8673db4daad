/**
 * The Parquet lake's layout: tables, columns (with the comments analysts see in Glue) and where each table's
 * files live. One definition for both paths: the Glue tables and their partition projection, the Firehose
 * prefixes, the local engine's writer and the compliance queries all read it, so they cannot drift apart.
 *
 * Every table is partitioned by event date `dt=YYYY-MM-DD` (UTC). Event time, not arrival time: a backfill
 * of last year's data lands in last year's partitions. Quarantine is the exception: a rejected record may
 * have no trustworthy event time, so it is partitioned by the date it was received.
 */

/** Glue/Hive column types used by the lake (Athena reads them; DuckDB maps them in `duckdbType`). */
export type LakeColumnType = "string" | "double" | "bigint" | "int" | "boolean" | "timestamp";

export interface LakeColumn {
  name: string;
  type: LakeColumnType;
  comment: string;
}

export interface LakeTable {
  /** Glue table name and the first segment of its S3 prefix. */
  name: string;
  description: string;
  columns: LakeColumn[];
  /** Partition column (a `yyyy-MM-dd` string); its values come from `partitionSource`. */
  partitionKey: "dt";
  /** The column whose UTC date is the partition value. */
  partitionSource: string;
}

const site: LakeColumn = { name: "site", type: "string", comment: "Site (plant) id, from the MQTT topic" };
const line: LakeColumn = { name: "line", type: "string", comment: "Production line id, from the MQTT topic" };
const device: LakeColumn = { name: "device_id", type: "string", comment: "Device (thing) id, from the MQTT topic, never the payload" };
const metric: LakeColumn = { name: "metric", type: "string", comment: "Metric name, e.g. temperature, vibration, pressure, current" };

export const READINGS: LakeTable = {
  name: "readings",
  description: "Accepted sensor readings, one row per reading (messages flattened, duplicates removed)",
  partitionKey: "dt",
  partitionSource: "event_ts",
  columns: [
    device, site, line, metric,
    { name: "value", type: "double", comment: "Measured value in the metric's unit" },
    { name: "unit", type: "string", comment: "Unit as sent by the device (may be null)" },
    { name: "event_ts", type: "timestamp", comment: "Event time from the device clock (UTC)" },
    { name: "ingest_ts", type: "timestamp", comment: "Time the platform received the message (UTC)" },
    { name: "msg_id", type: "string", comment: "Message id or sequence used for de-duplication" },
    { name: "late", type: "boolean", comment: "True if the reading arrived beyond the allowed lateness: kept here, excluded from windows" },
  ],
};

export const AGGREGATES: LakeTable = {
  name: "aggregates",
  description: "Per device and metric statistics over tumbling event-time windows [window_start, window_end)",
  partitionKey: "dt",
  partitionSource: "window_start",
  columns: [
    device, site, line, metric,
    { name: "window_seconds", type: "int", comment: "Window length in seconds (60 = 1 minute, 3600 = 1 hour)" },
    { name: "window_start", type: "timestamp", comment: "Window start, inclusive (UTC)" },
    { name: "window_end", type: "timestamp", comment: "Window end, exclusive (UTC)" },
    { name: "sample_count", type: "bigint", comment: "Readings in the window" },
    { name: "valid_count", type: "bigint", comment: "Readings with a finite value inside the metric's plausible range" },
    { name: "min_value", type: "double", comment: "Minimum value" },
    { name: "max_value", type: "double", comment: "Maximum value" },
    { name: "avg_value", type: "double", comment: "Mean value" },
    { name: "stddev_value", type: "double", comment: "Sample standard deviation (null for a single reading)" },
    { name: "first_event_ts", type: "timestamp", comment: "Event time of the first reading in the window" },
    { name: "last_event_ts", type: "timestamp", comment: "Event time of the last reading in the window" },
  ],
};

export const ANOMALIES: LakeTable = {
  name: "anomalies",
  description: "Readings judged anomalous, one row per reading and rule, with the baseline or limit used",
  partitionKey: "dt",
  partitionSource: "event_ts",
  columns: [
    device, site, line, metric,
    { name: "event_ts", type: "timestamp", comment: "Event time of the anomalous reading (UTC)" },
    { name: "value", type: "double", comment: "The reading's value" },
    { name: "rule", type: "string", comment: "Rule that fired: static_limit, deviation, level_shift, rate_of_change, flatline, data_gap" },
    { name: "score", type: "double", comment: "How far past the rule's threshold (1.0 = at the threshold)" },
    { name: "baseline", type: "double", comment: "Expected value the reading was judged against (null for static limits)" },
    { name: "limit_value", type: "double", comment: "Threshold the reading crossed, in the metric's unit" },
    { name: "severity", type: "string", comment: "warning or critical" },
  ],
};

export const ALERTS: LakeTable = {
  name: "alerts",
  description: "Alert state transitions: one row when an episode opens and one when it clears",
  partitionKey: "dt",
  partitionSource: "event_ts",
  columns: [
    device, site, line, metric,
    { name: "rule", type: "string", comment: "Rule that opened the episode" },
    { name: "state", type: "string", comment: "open or cleared" },
    { name: "event_ts", type: "timestamp", comment: "Time of the transition (first anomalous reading, or clear time)" },
    { name: "episode_start", type: "timestamp", comment: "First anomalous reading of the episode" },
    { name: "episode_end", type: "timestamp", comment: "Clear time (last anomaly + hold time); null while open" },
    { name: "peak_value", type: "double", comment: "Most extreme value seen in the episode so far" },
    { name: "limit_value", type: "double", comment: "Threshold crossed by the peak reading" },
    { name: "anomaly_count", type: "bigint", comment: "Anomalous readings in the episode so far" },
    { name: "severity", type: "string", comment: "Highest severity in the episode" },
  ],
};

export const QUARANTINE: LakeTable = {
  name: "quarantine",
  description: "Rejected input kept with the reason: nothing that enters is silently dropped",
  partitionKey: "dt",
  partitionSource: "received_ts",
  columns: [
    { name: "received_ts", type: "timestamp", comment: "Time the platform received the record (UTC)" },
    { name: "reason", type: "string", comment: "Machine-readable reason: unparseable, too_large, bad_topic, schema, non_finite, timestamp_out_of_range; duplicate (cloud: counted here)" },
    { name: "detail", type: "string", comment: "Human-readable explanation (which field, which limit)" },
    { name: "source", type: "string", comment: "Where it was rejected: iot_rule, firehose, flink, local" },
    { name: "device_id", type: "string", comment: "Device id from the topic when known" },
    { name: "site", type: "string", comment: "Site id from the topic when known" },
    { name: "line", type: "string", comment: "Line id from the topic when known" },
    { name: "raw_payload", type: "string", comment: "The original bytes as received (UTF-8, or base64 when not valid UTF-8)" },
  ],
};

// ---------------------------------------------------------------------------------------------------------------
// Cloud-only tables: JSON that AWS services write themselves (the IoT rule's error action, Firehose's error
// output, the raw-stream archive). The local engine keeps the same evidence in `quarantine`.
// ---------------------------------------------------------------------------------------------------------------

/**
 * The IoT rule error action's message (AWS IoT developer guide, "Error action message format"), one JSON object
 * per S3 object. Glue lowercases column names and the Hive JSON SerDe matches keys case-insensitively, so `ruleName`
 * arrives in `rulename`. Partitioned by the date the rule received the message (the key the error action writes).
 */
export const INGEST_ERRORS: LakeTable = {
  name: "ingest_errors",
  description: "Deliveries the IoT rule could not make (its error action's messages): the original payload is kept",
  partitionKey: "dt",
  partitionSource: "dt",
  columns: [
    { name: "rulename", type: "string", comment: "Rule that failed to deliver (ruleName)" },
    { name: "topic", type: "string", comment: "MQTT topic the message arrived on" },
    { name: "cloudwatchtraceid", type: "string", comment: "Id of the error in the rules engine's CloudWatch logs" },
    { name: "clientid", type: "string", comment: "MQTT client id of the publisher" },
    { name: "base64originalpayload", type: "string", comment: "The original payload, base64" },
  ],
};

/** Glue type of the error action's `failures` array (not a lake column type, so kept apart from the columns). */
export const INGEST_ERRORS_FAILURES = {
  name: "failures",
  type: "array<struct<failedaction:string,failedresource:string,errormessage:string>>",
  comment: "Each failed action: failedAction, failedResource, errorMessage",
};

/** Where the IoT rule's error action writes for one day (DeviceIngest's S3 error action key starts with this). */
export function ingestErrorsPrefix(dt: string): string {
  return `${INGEST_ERRORS.name}/dt=${dt}/`;
}

/**
 * Firehose's error output (`errors/<table>/<error type>/dt=<arrival date>/`): records it could not partition or
 * convert, one JSON document each with the raw record (base64) and the error. Both spellings of the error fields
 * appear in AWS's documentation (`ErrorCode` and `lastErrorCode`), so both are columns; the others stay null.
 */
export const DELIVERY_ERRORS = {
  name: "delivery_errors",
  /** Key prefix of every Firehose's error output (`<prefix>/<table>/<error type>/dt=…/`). */
  prefix: "errors",
  // error_type is an injected projection (Firehose names its error types, no list of them is published), so Athena
  // rejects a query without a static equality filter on it: the description says so where analysts look.
  description:
    "Records a Firehose could not partition or convert to Parquet, with the raw record and the error. " +
    "Every query must filter error_type with static values, e.g. WHERE error_type = 'format-conversion-failed' " +
    "(or an IN list; the types present are the folders under errors/<table>/), else Athena rejects it with CONSTRAINT_VIOLATION",
  columns: [
    { name: "attemptsmade", type: "bigint", comment: "Delivery attempts" },
    { name: "arrivaltimestamp", type: "bigint", comment: "When Firehose received the record (epoch ms)" },
    { name: "errorcode", type: "string", comment: "Error code (ErrorCode)" },
    { name: "errormessage", type: "string", comment: "Error message (ErrorMessage)" },
    { name: "lasterrorcode", type: "string", comment: "Error code (lastErrorCode)" },
    { name: "lasterrormessage", type: "string", comment: "Error message (lastErrorMessage)" },
    { name: "attemptendingtimestamp", type: "bigint", comment: "When Firehose gave up (epoch ms)" },
    { name: "rawdata", type: "string", comment: "The record as received, base64" },
    { name: "sequencenumber", type: "string", comment: "Kinesis sequence number of the record" },
    { name: "subsequencenumber", type: "bigint", comment: "Sub-sequence number (aggregated records)" },
  ],
};

/**
 * The raw stream archived as the IoT rule wrote it (gzip JSON lines): the replay/backfill source, and the record
 * of every message the rule received, before Flink judged it, with the published bytes as sent. Partitioned by
 * the platform's ingest date: the device clock is exactly what may be wrong in a raw message. Analysts read a
 * payload with `from_utf8(from_base64(payload_base64))` (and `json_extract` on that).
 */
export const RAW_MESSAGES: LakeTable = {
  name: "raw_messages",
  description: "Device messages as the IoT rule wrote them to the raw stream (before validation), by ingest date",
  partitionKey: "dt",
  partitionSource: "ingest_ts",
  columns: [
    { name: "device_id", type: "string", comment: "Device (thing) id, from the MQTT topic" },
    { name: "site", type: "string", comment: "Site id, from the MQTT topic" },
    { name: "line", type: "string", comment: "Line id, from the MQTT topic" },
    { name: "ingest_ts", type: "bigint", comment: "Rules-engine receive time, epoch ms" },
    { name: "payload_base64", type: "string", comment: "The published bytes, base64 (JSON or not): from_utf8(from_base64(payload_base64))" },
  ],
};

/**
 * The device registry as the compliance report saw it: one snapshot per report day, written by the report job
 * before its queries run (the cloud: AWS IoT things of the fleet with their attributes; locally: the
 * `iotpipe devices` registry), so the device inventory can list registered devices that sent nothing. JSON Lines
 * (written by the job itself, not Firehose), partitioned by the report day `dt` the snapshot was taken for.
 * Thing name = device id; site, line, model and serial are the things' attributes.
 */
export const DEVICE_REGISTRY: LakeTable = {
  name: "device_registry",
  description: "Registered devices (thing name and attributes), one snapshot per report day taken when that day's report ran",
  partitionKey: "dt",
  partitionSource: "dt",
  columns: [
    { name: "device_id", type: "string", comment: "Device id: the IoT thing name, the topic's device level" },
    { name: "site", type: "string", comment: "Site the device is registered to (thing attribute site)" },
    { name: "line", type: "string", comment: "Line the device is registered to (thing attribute line)" },
    { name: "model", type: "string", comment: "Device model (thing attribute model)" },
    { name: "serial", type: "string", comment: "Hardware serial number (thing attribute serial)" },
    {
      name: "registered_at",
      type: "timestamp",
      comment: "When the device was registered (locally: devices add; cloud: the first snapshot that held it, null in the first snapshot)",
    },
  ],
};

/** Every lake table, in the order the README documents them. */
export const LAKE_TABLES: LakeTable[] = [READINGS, AGGREGATES, ANOMALIES, ALERTS, QUARANTINE];

/** Key prefix of a table's partition, relative to the lake root, e.g. `readings/dt=2026-11-23/`. */
export function partitionPrefix(table: LakeTable, dt: string): string {
  return `${table.name}/${table.partitionKey}=${dt}/`;
}

/**
 * Glue's `storage.location.template` for partition projection. It must match the Firehose prefix exactly:
 * `firehosePrefix` below writes `<table>/dt=!{partitionKeyFromQuery:dt}/`, this reads `<table>/dt=${dt}/`.
 */
export function projectionLocationTemplate(bucketName: string, table: LakeTable): string {
  return `s3://${bucketName}/${table.name}/${table.partitionKey}=\${${table.partitionKey}}/`;
}

/** Firehose dynamic-partitioning prefix for a table (event-time partitions from the record itself). */
export function firehosePrefix(table: LakeTable): string {
  return `${table.name}/${table.partitionKey}=!{partitionKeyFromQuery:${table.partitionKey}}/`;
}

/** Maps a lake column type to the DuckDB type the local engine writes. */
export function duckdbType(type: LakeColumnType): string {
  switch (type) {
    case "string": return "VARCHAR";
    case "double": return "DOUBLE";
    case "bigint": return "BIGINT";
    case "int": return "INTEGER";
    case "boolean": return "BOOLEAN";
    case "timestamp": return "TIMESTAMP";
  }
}

/** The column definitions of a DuckDB table shaped like a lake table (`"device_id" VARCHAR, …`), for its CREATE TABLE. */
export function duckdbColumnDefinitions(table: LakeTable): string {
  return table.columns.map((c) => `"${c.name}" ${duckdbType(c.type)}`).join(", ");
}

/** Looks a table up by name; throws with the known names when it does not exist. */
export function lakeTable(name: string): LakeTable {
  const table = LAKE_TABLES.find((t) => t.name === name);
  if (!table) throw new Error(`unknown lake table '${name}'; known: ${LAKE_TABLES.map((t) => t.name).join(", ")}`);
  return table;
}
