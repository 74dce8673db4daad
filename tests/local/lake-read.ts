/** Reads a replay's lake back with DuckDB for assertions: schemas, rows, partitions. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { sqlString } from "../../local/sql-string";
import type { LakeTable } from "../../lake/tables";

export async function withDuckDb<T>(use: (run: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    return await use(async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJS());
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Glob of a table's Parquet files, or null when the table has none. */
export function tableGlob(lakeDir: string, table: LakeTable): string | null {
  return existsSync(join(lakeDir, table.name)) ? sqlString(join(lakeDir, table.name, "*", "*.parquet")) : null;
}

/**
 * Every row of a lake table (with its dt partition), as JSON text, sorted: a content fingerprint. Doubles are
 * compared to 12 significant digits: parallel aggregation sums in a varying order, so a stddev may differ in
 * its last bits between two identical runs (and a value near a rounding boundary then rounds apart: lakes summed
 * in different orders are compared to fewer digits).
 */
export async function tableRows(lakeDir: string, table: LakeTable, significantDigits = 12): Promise<string[]> {
  const glob = tableGlob(lakeDir, table);
  if (!glob) return [];
  return withDuckDb(async (run) => {
    const rows = await run(`SELECT * FROM read_parquet(${glob}, hive_partitioning = true, union_by_name = false)`).catch((e: Error) => {
      if (/No files found/.test(e.message)) return [];
      throw e;
    });
    return rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? v.toString() : typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(significantDigits)) : v))).sort();
  });
}
