/**
 * One query over one table of a local lake (`<lake>/<table>/dt=…/*.parquet`), for the CLI's read-backs after a
 * replay (alerts to print, episodes to score, series cadence). A table that has no files yet is empty, not an
 * error: a replay that raised no alert writes no alerts directory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { sqlString } from "./sql-string";

/**
 * Rows of `sql(from)`, where `from` is the table's Parquet files as a relation (`read_parquet(…)`, the `dt`
 * directories not read as a column); [] when the table has no files.
 */
export async function queryLakeTable(lakeDir: string, table: string, sql: (from: string) => string): Promise<Record<string, unknown>[]> {
  const dir = path.join(lakeDir, table);
  if (!fs.existsSync(dir)) return [];
  const files = sqlString(path.join(dir, "**", "*.parquet"));
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const found = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM glob(${files})`);
    if (Number(found.getRowObjectsJS()[0].n) === 0) return [];
    return (await connection.runAndReadAll(sql(`read_parquet(${files}, hive_partitioning = false)`))).getRowObjectsJS();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
