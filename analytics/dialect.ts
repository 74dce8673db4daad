/**
 * The thin layer between the shared analytics SQL and each engine. Everything that differs between Flink SQL
 * (streaming, Calcite grammar) and DuckDB lives here; the logic itself is written once in `stages.ts`.
 *
 * The shared SQL works on epoch milliseconds (`event_ms`, BIGINT) for every computation with time, and uses
 * `event_ts` only to order OVER windows (Flink needs its event-time attribute there). Output timestamps go
 * through `timestampOut`: epoch ms BIGINT in Flink (JSON on Kinesis, Firehose writes Parquet timestamps),
 * TIMESTAMP in DuckDB (written straight to Parquet).
 */
export interface Dialect {
  name: "flink" | "duckdb";
  /** Quotes an identifier that is a reserved word in the engine (`value` in Flink). */
  id(name: string): string;
  /** Turns an epoch-ms BIGINT expression into the output timestamp representation. */
  timestampOut(msExpr: string): string;
  /** The typed NULL for an output timestamp column. */
  nullTimestamp: string;
  /** PARTITION BY of every per-series OVER window (one series = device, site, line, metric). */
  seriesPartition: string;
  /** Extra columns the stages carry for the engine (DuckDB's numeric series key). */
  carriedExtra: string;
  /** ORDER BY of every per-series OVER window: the event-time attribute (plus deterministic tie-breakers where allowed). */
  seriesOrder: string;
  /**
   * A string-valued expression as a variable-length string. Flink types a literal as CHAR(n); a CASE or UNION
   * of literals of different lengths could come out blank-padded ('warning ' beside 'critical'), so every
   * string the analytics emit goes through this.
   */
  text(expr: string): string;
  /** Square root (`SQRT` is missing from the Flink grammar used to check the files; POWER(x, 0.5) is standard). */
  sqrt(expr: string): string;
  /** The sample standard deviation of a group (NULL for one value, 0 for equal values, never NaN). */
  stddevSamp(expr: string): string;
}

export const flinkDialect: Dialect = {
  name: "flink",
  id: (name) => (name === "value" ? "`value`" : name),
  timestampOut: (ms) => ms,
  nullTimestamp: "CAST(NULL AS BIGINT)",
  seriesPartition: "device_id, site, line, metric",
  carriedExtra: "",
  // Flink allows only the time attribute here; ties keep arrival order.
  seriesOrder: "event_ts",
  text: (e) => `CAST(${e} AS STRING)`,
  sqrt: (e) => `POWER(${e}, 0.5)`,
  // Flink rewrites STDDEV_SAMP to SQRT((SUM(x*x) - SUM(x)*SUM(x)/COUNT(x)) / (COUNT(x) - 1)): on equal values the
  // rounding can leave the variance a hair below 0 and the result NaN (found running the job on Flink 1.20: a stuck
  // sensor's windows), which JSON cannot carry to Firehose. Equal values have deviation 0 exactly, as DuckDB's
  // Welford algorithm gives; otherwise the variance is clamped at 0.
  stddevSamp: (e) => `CASE WHEN MIN(${e}) = MAX(${e}) THEN CASE WHEN COUNT(${e}) > 1 THEN 0E0 END ELSE POWER(GREATEST(VAR_SAMP(${e}), 0E0), 0.5) END`,
};

export const duckdbDialect: Dialect = {
  name: "duckdb",
  id: (name) => (name === "value" ? '"value"' : name),
  timestampOut: (ms) => `epoch_ms(${ms})`,
  nullTimestamp: "CAST(NULL AS TIMESTAMP)",
  // A 64-bit hash of the four key columns: sorting on one integer instead of four strings makes every window
  // several times faster (a collision among a few million series is a ~1e-7 chance).
  seriesPartition: "series_id",
  carriedExtra: ", series_id",
  // Ties broken like Flink's arrival order (ingest time), then by value so a replay is deterministic.
  seriesOrder: 'event_ms, ingest_ms, "value"',
  text: (e) => e,
  sqrt: (e) => `sqrt(${e})`,
  stddevSamp: (e) => `stddev_samp(${e})`,
};

/** A SQL string literal (single quotes doubled). */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A DOUBLE literal both engines read the same way (always with an exponent, so never parsed as DECIMAL/INT). */
export function sqlDouble(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`cannot write non-finite number ${n} as SQL`);
  return n.toExponential().replace("e+", "E").replace("e-", "E-");
}
