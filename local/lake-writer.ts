/**
 * Writes a lake table as Parquet partitioned by event date, laid out like the S3 lake
 * (`<lakeDir>/<table>/dt=YYYY-MM-DD/*.parquet`, lake/tables.ts), and publishes it atomically: DuckDB writes a
 * staging directory beside the table, which then replaces the table with renames. A crash leaves either the
 * old table or the new one (plus a staging directory that the next run removes), never a half-written table.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { duckdbType, type LakeTable } from "../lake/tables";
import { sqlString } from "./sql-string";

const STAGING_PREFIX = ".staging-";
const RETIRED_PREFIX = ".retired-";

/** SELECT list that gives exactly the lake table's columns, in order, with the lake's DuckDB types. */
export function lakeColumnsSql(table: LakeTable): string {
  return table.columns.map((c) => `CAST("${c.name}" AS ${duckdbType(c.type)}) AS "${c.name}"`).join(", ");
}

/** Removes staging and retired directories left by an interrupted run. */
export function removeLeftovers(lakeDir: string): void {
  if (!existsSync(lakeDir)) return;
  for (const entry of readdirSync(lakeDir)) {
    if (entry.startsWith(STAGING_PREFIX) || entry.startsWith(RETIRED_PREFIX)) rmSync(join(lakeDir, entry), { recursive: true, force: true });
  }
}

/** Files under `dir`, relative to `root`, sorted. */
export function listFiles(dir: string, root: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

/**
 * Replaces `<lakeDir>/<table>` with the rows of `relation` (which has the table's columns) partitioned by the
 * UTC date of the table's partition source. Returns the files written, relative to lakeDir.
 */
export async function publishLakeTable(connection: DuckDBConnection, lakeDir: string, table: LakeTable, relation: string): Promise<string[]> {
  const nonce = `${process.pid}-${Date.now()}`;
  const staging = join(lakeDir, `${STAGING_PREFIX}${table.name}-${nonce}`);
  const retired = join(lakeDir, `${RETIRED_PREFIX}${table.name}-${nonce}`);
  const target = join(lakeDir, table.name);
  await connection.run(
    `COPY (SELECT ${lakeColumnsSql(table)}, strftime("${table.partitionSource}", '%Y-%m-%d') AS "${table.partitionKey}" FROM ${relation})
     TO ${sqlString(staging)} (FORMAT parquet, PARTITION_BY ("${table.partitionKey}"), FILENAME_PATTERN 'part-{i}')`,
  );
  mkdirSync(staging, { recursive: true });
  if (existsSync(target)) renameSync(target, retired);
  renameSync(staging, target);
  rmSync(retired, { recursive: true, force: true });
  return listFiles(target, lakeDir);
}
