/**
 * The benchmarks' input: readings appended to an in-memory DuckDB table shaped like the lake's readings (the
 * relation `duckdbAnalytics` reads), all on time, event time = ingest time.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { duckdbColumnDefinitions, READINGS } from "../lake/tables";

/** One reading of a benchmark series. */
export interface BenchReading {
  device: string;
  metric: string;
  ms: number;
  value: number;
  /** Message id (any text unique enough for the reader; not judged by the analytics). */
  id: string;
}

/** Creates (or replaces) `table` and appends the readings; non-finite values are left out. */
export async function loadBenchReadings(conn: DuckDBConnection, readings: Iterable<BenchReading>, site: string, table = "input"): Promise<void> {
  await conn.run(`CREATE OR REPLACE TABLE ${table} (${duckdbColumnDefinitions(READINGS)})`);
  const appender = await conn.createAppender(table);
  for (const r of readings) {
    if (!Number.isFinite(r.value)) continue;
    const ts = { micros: BigInt(r.ms) * 1000n } as never;
    appender.appendVarchar(r.device);
    appender.appendVarchar(site);
    appender.appendVarchar("bench");
    appender.appendVarchar(r.metric);
    appender.appendDouble(r.value);
    appender.appendNull();
    appender.appendTimestamp(ts);
    appender.appendTimestamp(ts);
    appender.appendVarchar(r.id);
    appender.appendBoolean(false);
    appender.endRow();
  }
  appender.closeSync();
}
