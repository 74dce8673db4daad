/**
 * contract/validation.ts in DuckDB SQL: the same checks in the same order, so millions of records are judged
 * in one set-based pass. tests/contract/validation-sql.test.ts proves the verdicts equal the reference's on
 * random and hostile input; change both together.
 *
 * Input: a relation `(pos BIGINT, raw VARCHAR)` of records (JSON lines or CSV rows). Output: one row per
 * record with `reason` (NULL when accepted), `detail`, the address when known, `received_ts`/`ingest_ts`, the
 * event time and the readings as LIST(STRUCT(metric, value, unit)).
 */
import { DEFAULT_INGEST_POLICY, type IngestPolicy } from "../contract/ingest-policy";
import { ADDRESS_KEYS, DEFAULT_LINE, DEFAULT_SITE, MAX_LINE_BYTES, MIN_EVENT_TS, type CsvColumn } from "../contract/replay-line";
import { LIMITS, PATTERNS, TOPIC } from "../contract/telemetry";
import { ISO_TIMESTAMP_PATTERN, PAYLOAD_KEYS, STRICT_BASE64, type ValidationMode } from "../contract/validation";
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlString } from "./sql-string";

export interface ValidationSqlOptions {
  mode: ValidationMode;
  /** Epoch ms used as ingest time for records without their own ingest_ts. */
  clockMs: number;
  policy?: IngestPolicy;
}

const MAX_SAFE = "9007199254740991";
const NUMERIC_JSON = "('BIGINT','UBIGINT','DOUBLE')";
const IDENT_RE = sqlString(PATTERNS.identifier);
/** Lenient JSON that DuckDB accepts and JSON.parse does not: NaN/Infinity literals, trailing commas. */
const LENIENT_RE = sqlString("(?i)nan|inf|,[ \\t\\r\\n]*[\\]}]");
const JSON_STRING_RE = sqlString('"(?:[^"\\\\]|\\\\.)*"');
/**
 * A trailing comma before `]` or `}`: the one lenient construct the fast path must look for in the raw line.
 * NaN/Infinity literals cannot reach its verdict: every leaf it accepts must be a plain string, a digits-only
 * integer or a JSON number literal, and unknown keys send the line to the exact rules.
 */
const TRAILING_COMMA_RE = sqlString(",[ \\t\\r\\n]*[\\]}]");

/** The identifier pattern with its length limit inside (one regular expression for a whole topic). */
function boundedIdentifier(): string {
  const match = /^(\[[^\]]+\])(\[[^\]]+\])\*$/.exec(PATTERNS.identifier);
  if (!match) throw new Error(`internal: PATTERNS.identifier changed shape (${PATTERNS.identifier}); update boundedIdentifier`);
  return `${match[1]}${match[2]}{0,${LIMITS.maxIdLength - 1}}`;
}

/** A topic JSON string leaf (quotes included, no escapes) of an allowed telemetry/<site>/<line>/<device>. */
const TOPIC_LEAF_RE = sqlString(`"${TOPIC.root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/${boundedIdentifier()}/${boundedIdentifier()}/${boundedIdentifier()}"`);

function int(value: number, what: string): string {
  if (!Number.isSafeInteger(value)) throw new Error(`${what} must be an integer number of milliseconds, got ${value}`);
  return String(value);
}

/** SQL: x is an allowed identifier. */
function isIdent(x: string): string {
  return `(${x} IS NOT NULL AND length(${x}) <= ${LIMITS.maxIdLength} AND regexp_full_match(${x}, ${IDENT_RE}))`;
}

/** SQL: JSON value `j` at `path` is a number that is a safe integer (optionally ≥ 0). */
function isSafeInt(j: string, path: string, nonNegative = false): string {
  const d = `TRY_CAST(json_extract(${j}, ${sqlString(path)}) AS DOUBLE)`;
  return `(coalesce(json_type(${j}, ${sqlString(path)}) IN ${NUMERIC_JSON}, false) AND ${d} = trunc(${d}) AND abs(${d}) <= ${MAX_SAFE}${nonNegative ? ` AND ${d} >= 0` : ""})`;
}

/** SQL: `text` is strict JSON (parses, and any lenient-looking token is inside a string). */
function strictJson(text: string, parsed: string): string {
  return `(${parsed} IS NOT NULL AND NOT (regexp_matches(${text}, ${LENIENT_RE}) AND regexp_matches(regexp_replace(${text}, ${JSON_STRING_RE}, '""', 'g'), ${LENIENT_RE})))`;
}

/** SQL: JSON object `j` has a repeated key at top level or in an element of its `readings` array. */
function repeatsKey(j: string): string {
  return `(len(json_keys(${j})) <> len(list_distinct(json_keys(${j}))) OR coalesce(json_type(${j}, '$.readings') = 'ARRAY' AND list_bool_or(list_transform(json_extract(${j}, '$.readings[*]'), r -> json_type(r) = 'OBJECT' AND len(json_keys(r)) <> len(list_distinct(json_keys(r))))), false))`;
}

/** SQL: length in Unicode code points, what zod's string max() measures (DuckDB's length counts code points). */
function codePointLength(x: string): string {
  return `length(${x})`;
}

/** SQL: some element of the `readings` array of JSON `m` satisfies `condition` over `r` (false when there is no array). */
function anyReading(m: string, condition: string): string {
  return `coalesce(json_type(${m}, '$.readings') = 'ARRAY' AND list_bool_or(list_transform(json_extract(${m}, '$.readings[*]'), r -> ${condition})), false)`;
}

/** SQL: the device message in JSON `m` (keys `mk`) matches deviceMessageSchema; keys for which `ignoredKey` holds are skipped. */
function messageMatchesSchema(m: string, mk: string, ignoredKey: (k: string) => string): string {
  const allowed = ["msg_id", "seq", "ts", "readings"].map(sqlString).join(", ");
  const reading = `(json_type(r) = 'OBJECT'
      AND len(list_filter(json_keys(r), k -> k NOT IN ('metric', 'value', 'unit'))) = 0
      AND coalesce(json_type(r, '$.metric') = 'VARCHAR', false)
      AND length(json_extract_string(r, '$.metric')) BETWEEN 1 AND ${LIMITS.maxMetricNameLength}
      AND regexp_full_match(json_extract_string(r, '$.metric'), ${sqlString(PATTERNS.metricName)})
      AND coalesce(json_type(r, '$.value') IN ${NUMERIC_JSON}, false)
      AND (json_type(r, '$.unit') IS NULL OR (json_type(r, '$.unit') = 'VARCHAR' AND ${codePointLength("json_extract_string(r, '$.unit')")} <= ${LIMITS.maxUnitLength})))`;
  return `(len(list_filter(${mk}, k -> k NOT IN (${allowed}) AND NOT ${ignoredKey("k")})) = 0
    AND (json_type(${m}, '$.msg_id') IS NULL OR (json_type(${m}, '$.msg_id') = 'VARCHAR' AND ${isIdent(`json_extract_string(${m}, '$.msg_id')`)}))
    AND (json_type(${m}, '$.seq') IS NULL OR ${isSafeInt(m, "$.seq", true)})
    AND ${isSafeInt(m, "$.ts")}
    AND coalesce(json_type(${m}, '$.readings') = 'ARRAY', false)
    AND json_array_length(${m}, '$.readings') BETWEEN 1 AND ${LIMITS.maxReadingsPerMessage}
    AND list_bool_and(list_transform(json_extract(${m}, '$.readings[*]'), r -> ${reading})))`;
}

/** SQL: the message in JSON `m` has a reading whose value is a JSON number that overflows to ±Infinity. */
function hasNonFinite(m: string): string {
  return `coalesce(json_type(${m}, '$.readings') = 'ARRAY' AND list_bool_or(list_transform(json_extract(${m}, '$.readings[*]'), r -> json_type(r) = 'OBJECT' AND coalesce(json_type(r, '$.value') IN ${NUMERIC_JSON}, false) AND NOT (abs(TRY_CAST(json_extract(r, '$.value') AS DOUBLE)) <= ${LIMITS.maxAbsValue}))), false)`;
}

function timestampCheck(ts: string, ingest: string, o: ValidationSqlOptions): string {
  const policy = o.policy ?? DEFAULT_INGEST_POLICY;
  const future = `${ts} > ${ingest} + ${int(policy.maxFutureSkewMs, "maxFutureSkewMs")}`;
  return o.mode === "live"
    ? `(${future} OR ${ts} < ${ingest} - ${int(policy.maxPastSkewMs, "maxPastSkewMs")})`
    : `(${ts} < ${int(MIN_EVENT_TS, "MIN_EVENT_TS")} OR ${future})`;
}

/**
 * SQL: why an event time `ts` (epoch ms) is out of range. A 9- or 10-digit value is 1970 as milliseconds and a
 * plausible date as seconds: say so, since epoch seconds are the usual mistake (they are not accepted: the
 * device contract's ts is milliseconds everywhere, and guessing per row would misread a file silently).
 */
function timestampDetail(ts: string, ingest: string): string {
  return `CASE WHEN ${ts} BETWEEN 100000000 AND 9999999999
      THEN 'ts ' || ${ts} || ' is ' || strftime(make_timestamp(${ts} * 1000), '%Y-%m-%d') || ' as epoch milliseconds; it looks like epoch seconds (' || strftime(make_timestamp(${ts} * 1000000), '%Y-%m-%dT%H:%M:%SZ') || '): ts must be epoch milliseconds (seconds × 1000)'
      ELSE 'ts ' || ${ts} || ' outside the allowed range for ingest time ' || ${ingest} END`;
}

/** A user's field value quoted for a message, at most 40 characters. */
function quoted(text: string): string {
  return `'"' || left(coalesce(${text}, ''), 40) || '"'`;
}

/** A JSON number literal (RFC 8259), as a regular expression. */
const JSON_NUMBER = "-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][+-]?[0-9]+)?";

const READINGS_TYPE = `'[{"metric":"VARCHAR","value":"DOUBLE","unit":"VARCHAR"}]'`;

/**
 * The classifying SELECT over JSON lines (flat and envelope forms) read from relation `source`.
 *
 * Each DuckDB JSON function parses its input again, so the exact rules (about 30 parses a line) run only on
 * the lines a cheap test cannot settle. The fast path parses a line three times (json_transform to JSON-text
 * leaves, top-level keys, reading keys) and accepts it only when it is a flat line with a topic, no escapes,
 * no lenient-JSON tokens and every field plainly valid — a sufficient condition for the exact rules to accept
 * it with the same normalized message. Everything else, valid or not, goes through the exact rules.
 */
export function classifyJsonLinesSql(source: string, o: ValidationSqlOptions): string {
  const clock = int(o.clockMs, "clockMs");
  const leaves = `'{"topic":"JSON","ingest_ts":"JSON","msg_id":"JSON","seq":"JSON","ts":"JSON","readings":[{"metric":"JSON","value":"JSON","unit":"JSON"}]}'`;
  const present = (key: string) => `list_contains(k, ${sqlString(key)})`;
  const plainString = (leaf: string) => `(${leaf} LIKE '"%')`;
  const unquoted = (leaf: string) => `${leaf}[2:-2]`;
  const plainInt = (leaf: string, nonNegative = false) => `(regexp_full_match(${leaf}, '${nonNegative ? "" : "-?"}[0-9]{1,16}') AND abs(TRY_CAST(${leaf} AS DOUBLE)) <= ${MAX_SAFE})`;
  const topic = `string_split(${unquoted("t.topic")}, '/')`;
  const topLevel = ["topic", "ingest_ts", "msg_id", "seq", "ts", "readings"].map(sqlString).join(", ");
  return `
WITH fast_parsed AS (
  SELECT pos, raw,
    CASE WHEN strlen(raw) <= ${LIMITS.maxPayloadBytes} AND NOT contains(raw, chr(0)) AND NOT contains(raw, '\\') AND NOT regexp_matches(raw, ${TRAILING_COMMA_RE})
      AND json_valid(raw) AND json_type(raw) = 'OBJECT' THEN json_transform(raw, ${leaves}) END AS t
  FROM ${source}
), fast_keyed AS (
  SELECT pos, raw, t, ${topic} AS parts,
    CASE WHEN t IS NOT NULL THEN json_keys(raw) END AS k,
    CASE WHEN t IS NOT NULL AND len(t.readings) > 0 THEN array_to_string(list_transform(json_keys(raw, '$.readings[*]'), x -> array_to_string(x, ',')), ';') END AS reading_keys,
    array_to_string(list_transform(t.readings, e -> e.metric), ',') AS metrics,
    array_to_string(list_transform(t.readings, e -> e.unit), ',') AS units,
    list_transform(t.readings, e -> TRY_CAST(e.value AS DOUBLE)) AS vals,
    array_to_string(list_transform(t.readings, e -> e.value::VARCHAR), ',') AS value_texts
  FROM fast_parsed
), fast_judged AS MATERIALIZED (
  SELECT *, coalesce(
    t IS NOT NULL AND len(k) = len(list_distinct(k)) AND len(list_filter(k, x -> x NOT IN (${topLevel}))) = 0
    AND regexp_full_match(t.topic, ${TOPIC_LEAF_RE})
    AND (NOT ${present("ingest_ts")} OR ${plainInt("t.ingest_ts")})
    AND (NOT ${present("msg_id")} OR (${plainString("t.msg_id")} AND ${isIdent(unquoted("t.msg_id"))}))
    AND (NOT ${present("seq")} OR ${plainInt("t.seq", true)})
    AND ${present("ts")} AND ${plainInt("t.ts")}
    AND len(t.readings) BETWEEN 1 AND ${LIMITS.maxReadingsPerMessage}
    AND regexp_full_match(reading_keys, '(metric,value(,unit)?)(;metric,value(,unit)?)*')
    AND regexp_full_match(metrics, '"[a-z][a-z0-9_]{0,${LIMITS.maxMetricNameLength - 1}}"(,"[a-z][a-z0-9_]{0,${LIMITS.maxMetricNameLength - 1}}")*')
    AND (units = '' OR regexp_full_match(units, '"[ !#-~]{0,16}"(,"[ !#-~]{0,16}")*'))
    -- TRY_CAST also turns the JSON string "69.44" into a number: only JSON number literals take the fast path.
    AND regexp_full_match(value_texts, '${JSON_NUMBER}(,${JSON_NUMBER})*')
    AND list_count(vals) = len(vals) AND list_max(list_transform(vals, x -> abs(x))) <= ${LIMITS.maxAbsValue}, false) AS fast_ok
  FROM fast_keyed
), fast_timed AS (
  SELECT *, CASE WHEN ${present("ingest_ts")} THEN TRY_CAST(t.ingest_ts AS BIGINT) ELSE ${clock} END AS ingest, TRY_CAST(t.ts AS BIGINT) AS event_ts
  FROM fast_judged WHERE fast_ok
), slow_lines AS (
  SELECT pos, raw FROM fast_judged WHERE NOT fast_ok
), fast AS (
  SELECT pos, CASE WHEN ${timestampCheck("event_ts", "ingest", o)} THEN 'timestamp_out_of_range' END AS reason, raw, ingest, event_ts, t, parts, vals
  FROM fast_timed
), exact AS (${exactJsonLinesSql("slow_lines", o)})
SELECT pos, reason,
  CASE WHEN reason IS NOT NULL THEN 'ts ' || event_ts || ' outside the allowed range for ingest time ' || ingest END AS detail,
  parts[4] AS device_id, parts[2] AS site, parts[3] AS line, ingest AS received_ts, raw AS raw_payload, event_ts AS ts,
  CASE WHEN reason IS NULL THEN ${unquoted("t.msg_id")} END AS msg_id,
  CASE WHEN reason IS NULL THEN TRY_CAST(t.seq AS BIGINT) END AS seq,
  CASE WHEN reason IS NULL THEN list_transform(t.readings, (e, i) -> {'metric': ${unquoted("e.metric")}, 'value': vals[i], 'unit': ${unquoted("e.unit")}}) END AS readings
FROM fast
UNION ALL
SELECT * FROM exact`;
}

/** The exact rules for JSON lines, one line at a time in SQL terms (see contract/validation.ts for the order). */
function exactJsonLinesSql(source: string, o: ValidationSqlOptions): string {
  const clock = int(o.clockMs, "clockMs");
  const addressKeys = ADDRESS_KEYS.map(sqlString).join(", ");
  const topicDevice = `string_split(regexp_replace(json_extract_string(j, '$.topic'), '^\\$aws/rules/[^/]+/', ''), '/')`;
  return `
WITH parsed AS (
  SELECT pos, raw, strlen(raw) AS raw_bytes, contains(raw, chr(0)) AS has_nul,
         CASE WHEN strlen(raw) <= ${MAX_LINE_BYTES} AND NOT contains(raw, chr(0)) THEN TRY_CAST(raw AS JSON) END AS j
  FROM ${source}
), shaped AS (
  SELECT *, ${strictJson("raw", "j")} AS strict_ok,
         json_type(j) = 'OBJECT' AS is_object,
         json_keys(j) AS keys
  FROM parsed
), addressed AS (
  SELECT *,
    list_contains(keys, 'payload') OR list_contains(keys, 'payload_base64') AS is_envelope,
    list_contains(keys, 'payload_base64') AS is_b64,
    json_type(j, '$.topic') AS topic_type,
    CASE WHEN json_type(j, '$.topic') = 'VARCHAR' THEN ${topicDevice} END AS topic_parts,
    CASE WHEN ${isSafeInt("j", "$.ingest_ts")} THEN TRY_CAST(json_extract(j, '$.ingest_ts') AS DOUBLE)::BIGINT END AS line_ingest_ts
  FROM shaped
), resolved AS (
  SELECT *,
    CASE WHEN topic_type IS NOT NULL THEN topic_parts[4] ELSE json_extract_string(j, '$.device_id') END AS a_device,
    CASE WHEN topic_type IS NOT NULL THEN topic_parts[2] WHEN json_type(j, '$.site') IS NULL THEN ${sqlString(DEFAULT_SITE)} ELSE json_extract_string(j, '$.site') END AS a_site,
    CASE WHEN topic_type IS NOT NULL THEN topic_parts[3] WHEN json_type(j, '$.line') IS NULL THEN ${sqlString(DEFAULT_LINE)} ELSE json_extract_string(j, '$.line') END AS a_line,
    CASE WHEN is_envelope AND NOT is_b64 THEN json_extract_string(j, '$.payload') END AS payload_text,
    CASE WHEN is_b64 AND json_type(j, '$.payload_base64') = 'VARCHAR' AND regexp_full_match(json_extract_string(j, '$.payload_base64'), ${sqlString(STRICT_BASE64.source.slice(1, -1))})
      THEN from_base64(json_extract_string(j, '$.payload_base64')) END AS payload_blob
  FROM addressed
), decoded AS (
  SELECT *,
    -- NULL for base64 bytes that are not UTF-8 (then raw_payload is the base64, as in the reference).
    CASE WHEN is_b64 THEN TRY(decode(payload_blob)) ELSE payload_text END AS payload,
    CASE WHEN is_b64 THEN octet_length(payload_blob) ELSE strlen(payload_text) END AS payload_bytes
  FROM resolved
), addr_checked AS (
  SELECT *,
    CASE
      WHEN topic_type IS NOT NULL THEN
        topic_type = 'VARCHAR' AND len(topic_parts) = 4 AND topic_parts[1] = ${sqlString(TOPIC.root)}
        AND NOT list_bool_or(list_transform(topic_parts, p -> p = ''))
        AND ${isIdent("a_site")} AND ${isIdent("a_line")} AND ${isIdent("a_device")}
        AND (json_type(j, '$.device_id') IS NULL OR (json_type(j, '$.device_id') = 'VARCHAR' AND json_extract_string(j, '$.device_id') = a_device))
        AND (json_type(j, '$.site') IS NULL OR (json_type(j, '$.site') = 'VARCHAR' AND json_extract_string(j, '$.site') = a_site))
        AND (json_type(j, '$.line') IS NULL OR (json_type(j, '$.line') = 'VARCHAR' AND json_extract_string(j, '$.line') = a_line))
      ELSE
        coalesce(json_type(j, '$.device_id') = 'VARCHAR', false)
        AND coalesce(json_type(j, '$.site') = 'VARCHAR', true) AND coalesce(json_type(j, '$.line') = 'VARCHAR', true)
        AND ${isIdent("a_site")} AND ${isIdent("a_line")} AND ${isIdent("a_device")}
    END AS address_ok,
    CASE WHEN payload IS NOT NULL AND payload_bytes <= ${LIMITS.maxPayloadBytes} AND NOT contains(payload, chr(0)) THEN TRY_CAST(payload AS JSON) END AS pj
  FROM decoded
), staged AS (
  SELECT *,
    CASE
      WHEN raw_bytes > ${MAX_LINE_BYTES} THEN 'too_large'
      WHEN has_nul THEN 'unparseable'
      WHEN NOT ${strictJson("raw", "j")} THEN 'unparseable'
      WHEN NOT is_object THEN 'schema'
      WHEN ${repeatsKey("j")} THEN 'schema'
      WHEN is_envelope AND (len(list_filter(keys, k -> k NOT IN (${[...PAYLOAD_KEYS].map(sqlString).join(", ")}, ${addressKeys}))) > 0
        OR (is_b64 AND list_contains(keys, 'payload')) OR (NOT is_b64 AND json_type(j, '$.payload') <> 'VARCHAR') OR (is_b64 AND payload_blob IS NULL)) THEN 'schema'
      WHEN NOT is_envelope AND raw_bytes > ${LIMITS.maxPayloadBytes} THEN 'too_large'
      WHEN json_type(j, '$.ingest_ts') IS NOT NULL AND line_ingest_ts IS NULL THEN 'schema'
      WHEN NOT address_ok THEN 'bad_topic'
    END AS line_reason
  FROM addr_checked
), message AS (
  SELECT *,
    CASE
      WHEN line_reason IS NOT NULL THEN line_reason
      WHEN is_envelope AND payload_bytes > ${LIMITS.maxPayloadBytes} THEN 'too_large'
      WHEN is_b64 AND payload IS NULL THEN 'unparseable'
      WHEN is_envelope AND contains(payload, chr(0)) THEN 'unparseable'
      WHEN is_envelope AND NOT ${strictJson("payload", "pj")} THEN 'unparseable'
      WHEN is_envelope AND (json_type(pj) <> 'OBJECT' OR ${repeatsKey("pj")}) THEN 'schema'
    END AS pre_reason,
    CASE WHEN is_envelope THEN pj ELSE j END AS m,
    CASE WHEN is_envelope THEN json_keys(pj) ELSE keys END AS mk
  FROM staged
), judged AS (
  SELECT *,
    coalesce(line_ingest_ts, ${clock}) AS ingest,
    CASE WHEN pre_reason IS NULL AND ${isSafeInt("m", "$.ts")} THEN TRY_CAST(json_extract(m, '$.ts') AS DOUBLE)::BIGINT END AS event_ts,
    CASE
      WHEN pre_reason IS NOT NULL THEN pre_reason
      WHEN ${hasNonFinite("m")} THEN 'non_finite'
      WHEN NOT ${messageMatchesSchema("m", "mk", (k) => `(NOT is_envelope AND ${k} IN (${addressKeys}))`)} THEN 'schema'
    END AS schema_reason
  FROM message
), final AS (
  SELECT *, coalesce(schema_reason, CASE WHEN ${timestampCheck("event_ts", "ingest", o)} THEN 'timestamp_out_of_range' END) AS reason
  FROM judged
)
SELECT
  pos,
  reason,
  CASE reason
    WHEN 'too_large' THEN 'record is ' || CASE WHEN is_envelope AND line_reason IS NULL THEN payload_bytes ELSE raw_bytes END || ' bytes; over the size limit'
    WHEN 'unparseable' THEN 'not valid JSON (or contains NUL)'
    WHEN 'schema' THEN CASE
      WHEN json_type(m, '$.ts') IS NULL THEN 'field ts is missing (epoch milliseconds)'
      WHEN event_ts IS NULL THEN 'field ts ' || left(json_extract(m, '$.ts')::VARCHAR, 40) || ' is not a whole number of epoch milliseconds'
      WHEN coalesce(json_type(m, '$.readings') <> 'ARRAY', true) THEN 'field readings is missing or not a list'
      WHEN json_array_length(m, '$.readings') = 0 THEN 'field readings is empty'
      WHEN json_array_length(m, '$.readings') > ${LIMITS.maxReadingsPerMessage} THEN 'field readings has more than ${LIMITS.maxReadingsPerMessage} entries'
      WHEN ${anyReading("m", `NOT coalesce(json_type(r, '$.value') IN ${NUMERIC_JSON}, false)`)} THEN 'field readings[].value is missing or not a number'
      WHEN ${anyReading("m", `NOT coalesce(json_type(r, '$.metric') = 'VARCHAR' AND regexp_full_match(json_extract_string(r, '$.metric'), ${sqlString(PATTERNS.metricName)}), false)`)} THEN 'field readings[].metric is missing or not an allowed metric name'
      WHEN json_type(m, '$.msg_id') IS NOT NULL AND NOT coalesce(json_type(m, '$.msg_id') = 'VARCHAR' AND ${isIdent("json_extract_string(m, '$.msg_id')")}, false) THEN 'field msg_id is not an allowed id'
      WHEN json_type(m, '$.seq') IS NOT NULL AND NOT ${isSafeInt("m", "$.seq", true)} THEN 'field seq is not a whole number of 0 or more'
      ELSE 'a field does not match the device message schema (readings[].unit, an unknown or repeated key)' END
    WHEN 'bad_topic' THEN 'topic is not telemetry/<site>/<line>/<device> or an id is not allowed'
    WHEN 'non_finite' THEN 'a reading value is infinite or beyond ±${LIMITS.maxAbsValue}'
    WHEN 'timestamp_out_of_range' THEN ${timestampDetail("event_ts", "ingest")}
  END AS detail,
  CASE WHEN line_reason IS NULL THEN a_device END AS device_id,
  CASE WHEN line_reason IS NULL THEN a_site END AS site,
  CASE WHEN line_reason IS NULL THEN a_line END AS line,
  CASE WHEN line_reason IS NULL OR line_reason = 'bad_topic' THEN ingest ELSE ${clock} END AS received_ts,
  CASE WHEN is_envelope AND line_reason IS NULL THEN coalesce(payload, to_base64(payload_blob)) ELSE raw END AS raw_payload,
  event_ts AS ts,
  CASE WHEN reason IS NULL THEN json_extract_string(m, '$.msg_id') END AS msg_id,
  CASE WHEN reason IS NULL AND json_type(m, '$.seq') IS NOT NULL THEN TRY_CAST(json_extract(m, '$.seq') AS DOUBLE)::BIGINT END AS seq,
  CASE WHEN reason IS NULL THEN from_json(json_extract(m, '$.readings'), ${READINGS_TYPE}) END AS readings
FROM final`;
}

/** The classifying SELECT over CSV long-form rows read from relation `source`, given the file's header. */
export function classifyCsvRowsSql(source: string, header: readonly CsvColumn[], o: ValidationSqlOptions): string {
  const clock = int(o.clockMs, "clockMs");
  const field = (name: CsvColumn): string => {
    const index = header.indexOf(name);
    return index < 0 ? "NULL::VARCHAR" : `nullif(f[${index + 1}], '')`;
  };
  const epochRe = sqlString("^-?[0-9]{1,16}$");
  const epoch = (x: string) => `CASE WHEN regexp_matches(${x}, ${epochRe}) AND abs(TRY_CAST(${x} AS DOUBLE)) <= ${MAX_SAFE} THEN TRY_CAST(${x} AS BIGINT) END`;
  const part = (name: string) => `nullif(iso.${name}, '')::BIGINT`;
  return `
WITH split AS (
  SELECT pos, raw, strlen(raw) AS raw_bytes, contains(raw, chr(0)) AS has_nul,
    list_transform(string_split(raw, ','), x -> CASE WHEN length(x) >= 2 AND starts_with(x, '"') AND ends_with(x, '"') THEN replace(x[2:-2], '""', '"') ELSE x END) AS f
  FROM ${source}
), fields AS (
  SELECT pos, raw, raw_bytes, has_nul, len(f) AS field_count,
    ${field("ingest_ts")} AS ingest_text, ${field("device_id")} AS device_id,
    coalesce(${field("site")}, ${sqlString(DEFAULT_SITE)}) AS site, coalesce(${field("line")}, ${sqlString(DEFAULT_LINE)}) AS line,
    ${field("metric")} AS metric, ${field("value")} AS value_text, ${field("ts")} AS ts_text, ${field("unit")} AS unit,
    ${field("msg_id")} AS msg_id, ${field("seq")} AS seq_text
  FROM split
), parsed AS (
  SELECT *, ${epoch("ingest_text")} AS line_ingest_ts, ${epoch("seq_text")} AS seq, ${epoch("ts_text")} AS epoch_ts,
    regexp_matches(value_text, '(?i)^[+-]?(nan|inf|infinity)$') AS value_non_finite_token,
    CASE WHEN regexp_matches(value_text, '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$') THEN coalesce(TRY_CAST(value_text AS DOUBLE), 'inf'::DOUBLE) END AS value,
    regexp_extract(ts_text, ${sqlString(ISO_TIMESTAMP_PATTERN)}, ['y','mo','d','h','mi','g6','s','g8','frac','zone','sign','oh','om']) AS iso
  FROM fields
), iso_parts AS (
  SELECT *, ${part("y")} AS y, ${part("mo")} AS mo, ${part("d")} AS d, ${part("h")} AS h, ${part("mi")} AS mi,
    coalesce(${part("s")}, 0) AS sec,
    coalesce(left(rpad(nullif(iso.frac, ''), 3, '0'), 3)::BIGINT, 0) AS millis,
    CASE WHEN iso.sign = '' THEN 0 ELSE (CASE WHEN iso.sign = '-' THEN -1 ELSE 1 END) * (${part("oh")} * 60 + ${part("om")}) END AS offset_minutes
  FROM parsed
), civil AS (
  SELECT *, y - CASE WHEN mo <= 2 THEN 1 ELSE 0 END AS yy,
    CASE WHEN mo = 2 THEN CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0 THEN 29 ELSE 28 END WHEN mo IN (4, 6, 9, 11) THEN 30 ELSE 31 END AS month_days
  FROM iso_parts
), dated AS (
  SELECT *, coalesce(epoch_ts, CASE WHEN y IS NOT NULL AND mo BETWEEN 1 AND 12 AND d BETWEEN 1 AND month_days AND h <= 23 AND mi <= 59 AND sec <= 59 THEN (
      floor(yy / 400) * 146097
      + (yy - floor(yy / 400) * 400) * 365 + floor((yy - floor(yy / 400) * 400) / 4) - floor((yy - floor(yy / 400) * 400) / 100)
      + floor((153 * (mo + CASE WHEN mo > 2 THEN -3 ELSE 9 END) + 2) / 5) + d - 1
      - 719468)::BIGINT * 86400000 + ((h * 60 + mi - offset_minutes) * 60 + sec) * 1000 + millis END) AS event_ts
  FROM civil
), staged AS (
  SELECT *,
    CASE
      WHEN raw_bytes > ${LIMITS.maxPayloadBytes} THEN 'too_large'
      WHEN has_nul THEN 'unparseable'
      WHEN field_count <> ${header.length} THEN 'unparseable'
      WHEN ingest_text IS NOT NULL AND line_ingest_ts IS NULL THEN 'schema'
      WHEN device_id IS NULL OR NOT (${isIdent("site")} AND ${isIdent("line")} AND ${isIdent("device_id")}) THEN 'bad_topic'
    END AS line_reason,
    coalesce(line_ingest_ts, ${clock}) AS ingest
  FROM dated
), final AS (
  SELECT *, coalesce(line_reason, CASE
      WHEN value_non_finite_token OR NOT (abs(value) <= ${LIMITS.maxAbsValue}) THEN 'non_finite'
      WHEN value IS NULL OR event_ts IS NULL OR (seq_text IS NOT NULL AND seq IS NULL) THEN 'schema'
      WHEN NOT ((msg_id IS NULL OR ${isIdent("msg_id")}) AND coalesce(seq >= 0, true)
        AND coalesce(length(metric) BETWEEN 1 AND ${LIMITS.maxMetricNameLength} AND regexp_full_match(metric, ${sqlString(PATTERNS.metricName)}), false)
        AND (unit IS NULL OR ${codePointLength("unit")} <= ${LIMITS.maxUnitLength})) THEN 'schema'
      WHEN ${timestampCheck("event_ts", "ingest", o)} THEN 'timestamp_out_of_range'
    END) AS reason
  FROM staged
)
SELECT
  pos,
  reason,
  CASE reason
    WHEN 'too_large' THEN 'row is ' || raw_bytes || ' bytes; over the size limit'
    WHEN 'unparseable' THEN 'row has ' || field_count || ' fields (header has ${header.length}) or contains NUL'
    WHEN 'schema' THEN CASE
      WHEN ingest_text IS NOT NULL AND line_ingest_ts IS NULL THEN 'field ingest_ts ' || ${quoted("ingest_text")} || ' is not epoch milliseconds'
      WHEN value IS NULL THEN 'field value ' || ${quoted("value_text")} || ' is not a number'
      WHEN event_ts IS NULL THEN 'field ts ' || ${quoted("ts_text")} || ' is neither epoch milliseconds nor ISO-8601 (YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm])'
      WHEN seq_text IS NOT NULL AND seq IS NULL THEN 'field seq ' || ${quoted("seq_text")} || ' is not a whole number'
      WHEN seq < 0 THEN 'field seq ' || ${quoted("seq_text")} || ' is negative'
      WHEN msg_id IS NOT NULL AND NOT ${isIdent("msg_id")} THEN 'field msg_id ' || ${quoted("msg_id")} || ' is not an allowed id'
      WHEN NOT coalesce(length(metric) BETWEEN 1 AND ${LIMITS.maxMetricNameLength} AND regexp_full_match(metric, ${sqlString(PATTERNS.metricName)}), false) THEN 'field metric ' || ${quoted("metric")} || ' is not an allowed metric name'
      ELSE 'field unit ' || ${quoted("unit")} || ' is longer than ${LIMITS.maxUnitLength} characters' END
    WHEN 'bad_topic' THEN 'device_id, site or line is empty or not an allowed id'
    WHEN 'non_finite' THEN 'field value ' || value_text || ' is not finite'
    WHEN 'timestamp_out_of_range' THEN ${timestampDetail("event_ts", "ingest")}
  END AS detail,
  CASE WHEN line_reason IS NULL THEN device_id END AS device_id,
  CASE WHEN line_reason IS NULL THEN site END AS site,
  CASE WHEN line_reason IS NULL THEN line END AS line,
  CASE WHEN line_reason IS NULL OR line_reason = 'bad_topic' THEN ingest ELSE ${clock} END AS received_ts,
  raw AS raw_payload,
  event_ts AS ts,
  CASE WHEN reason IS NULL THEN msg_id END AS msg_id,
  CASE WHEN reason IS NULL THEN seq END AS seq,
  CASE WHEN reason IS NULL THEN [{'metric': metric, 'value': value, 'unit': unit}] END AS readings
FROM final`;
}

/** Records of a chunk: blank lines (only spaces, tabs and `\r`) are not records. */
const BLANK_LINE = /^[ \t\r]*$/;
/** Trailing carriage returns (CRLF files). */
const TRAILING_CR = /\r+$/;

/**
 * Loads a chunk of input text into a TEMP table `(pos BIGINT, raw VARCHAR)` of records, one per line: `pos` =
 * (chunk index << 32) + 1-based line index, so it orders records across chunks in file order. Trailing `\r` is
 * dropped; blank lines are not records. Split here and appended (4× faster than splitting the text in SQL).
 * Returns the number of records.
 */
export async function loadRecordLines(connection: DuckDBConnection, table: string, text: string, chunkIndex: number): Promise<number> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`table name '${table}' must be a plain identifier`);
  if (!Number.isSafeInteger(chunkIndex) || chunkIndex < 0 || chunkIndex >= 2 ** 21) throw new Error(`chunk index ${chunkIndex} out of range`);
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${table} (pos BIGINT NOT NULL, raw VARCHAR NOT NULL)`);
  const appender = await connection.createAppender(table);
  const base = chunkIndex * 2 ** 32;
  let records = 0;
  let index = 0;
  try {
    for (let from = 0; from <= text.length; ) {
      const nl = text.indexOf("\n", from);
      const end = nl < 0 ? text.length : nl;
      index += 1;
      const line = text.slice(from, end);
      if (!BLANK_LINE.test(line)) {
        appender.appendBigInt(BigInt(base + index));
        appender.appendVarchar(line.replace(TRAILING_CR, ""));
        appender.endRow();
        records += 1;
      }
      from = end + 1;
    }
  } finally {
    appender.closeSync();
  }
  return records;
}
