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
  /** ORDER BY of every per-series OVER window: the event-time attribute (plus deterministic tie-breakers where allowed). */
  seriesOrder: string;
  /** Square root (`SQRT` is missing from the Flink grammar used to check the files; POWER(x, 0.5) is standard). */
  sqrt(expr: string): string;
  /** Value of `expr` on the first row of a group in event order. */
  firstInGroup(expr: string): string;
}

export const flinkDialect: Dialect = {
  name: "flink",
  id: (name) => (name === "value" ? "`value`" : name),
  timestampOut: (ms) => ms,
  nullTimestamp: "CAST(NULL AS BIGINT)",
  // Flink allows only the time attribute here; ties keep arrival order.
  seriesOrder: "event_ts",
  sqrt: (e) => `POWER(${e}, 0.5)`,
  // Rows reach the group in event order: every upstream OVER operator emits a series sorted by event time.
  firstInGroup: (e) => `FIRST_VALUE(${e})`,
};

export const duckdbDialect: Dialect = {
  name: "duckdb",
  id: (name) => (name === "value" ? '"value"' : name),
  timestampOut: (ms) => `epoch_ms(${ms})`,
  nullTimestamp: "CAST(NULL AS TIMESTAMP)",
  // Ties broken like Flink's arrival order (ingest time), then by value so a replay is deterministic.
  seriesOrder: 'event_ts, ingest_ms, "value"',
  sqrt: (e) => `sqrt(${e})`,
  firstInGroup: (e) => `arg_min(${e}, event_ms)`,
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
