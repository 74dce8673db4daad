/**
 * Writes lake tables as Parquet partitioned by event date, laid out like the S3 lake
 * (`<lakeDir>/<table>/dt=YYYY-MM-DD/*.parquet`, lake/tables.ts), and publishes a replay's changes atomically
 * per partition: DuckDB writes every changed partition into a staging directory beside the tables, the replay
 * records the list of swaps in its journal (the commit point), then each partition directory is replaced by
 * renames. A swap is idempotent, so a replay killed half-way through the swaps finishes them when run again;
 * a crash before the commit point leaves the lake untouched (the next run removes the staging directory).
 * Partitions a replay does not touch are never rewritten: appending a day rewrites that day, not the lake.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { duckdbType, type LakeTable } from "../lake/tables";
import { sqlString } from "./sql-string";

const STAGING_PREFIX = ".staging-";
const RETIRED_PREFIX = ".retired-";

/** One partition a replay changes: replaced by its staged copy, or removed when nothing is left in it. */
export interface PartitionSwap {
  table: string;
  /** `dt=YYYY-MM-DD` */
  partition: string;
  action: "replace" | "remove";
}

/** SELECT list that gives exactly the lake table's columns, in order, with the lake's DuckDB types. */
export function lakeColumnsSql(table: LakeTable): string {
  return table.columns.map((c) => `CAST("${c.name}" AS ${duckdbType(c.type)}) AS "${c.name}"`).join(", ");
}

/** The partition value of a row of `table` (its partition source's UTC date). */
export function partitionValueSql(table: LakeTable): string {
  return `strftime("${table.partitionSource}", '%Y-%m-%d')`;
}

/** A new staging directory for one replay's changes (inside the lake, so its renames stay on one file system). */
export function newStagingRoot(lakeDir: string): string {
  return join(lakeDir, `${STAGING_PREFIX}${process.pid}-${Date.now()}`);
}

/**
 * Removes staging and retired directories left by an interrupted run. Only call it when no swap is pending
 * (a pending swap's staged partitions are the data it publishes).
 */
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
 * Stages the partitions `partitions` of `table` with the rows of `relation` (the table's columns plus `dt`;
 * every row in one of those partitions): the full new content of each. A partition left without rows is
 * staged as a removal. Returns the swaps that publish them.
 */
export async function stagePartitions(connection: DuckDBConnection, stagingRoot: string, table: LakeTable, relation: string, partitions: string[]): Promise<PartitionSwap[]> {
  const dir = join(stagingRoot, "new", table.name);
  mkdirSync(dir, { recursive: true });
  await connection.run(
    `COPY (SELECT ${lakeColumnsSql(table)}, "${table.partitionKey}" FROM ${relation})
     TO ${sqlString(dir)} (FORMAT parquet, PARTITION_BY ("${table.partitionKey}"), FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE true)`,
  );
  const wanted = new Set(partitions.map((dt) => `${table.partitionKey}=${dt}`));
  const staged = readdirSync(dir);
  const stray = staged.filter((p) => !wanted.has(p));
  if (stray.length > 0) throw new Error(`internal: ${table.name} staged partitions ${stray.join(", ")} that the replay did not plan to change`);
  return [...wanted].sort().map((partition) => ({ table: table.name, partition, action: staged.includes(partition) ? "replace" : "remove" }));
}

/**
 * Publishes one staged partition. Idempotent: after a crash anywhere inside it, running it again ends in the
 * same state (the staged copy in place, or the partition gone), never with both or neither.
 */
export function applySwap(lakeDir: string, stagingRoot: string, swap: PartitionSwap): void {
  const target = join(lakeDir, swap.table, swap.partition);
  const staged = join(stagingRoot, "new", swap.table, swap.partition);
  const retired = join(stagingRoot, "old", swap.table, swap.partition);
  mkdirSync(join(lakeDir, swap.table), { recursive: true });
  if (swap.action === "replace" && !existsSync(staged)) return; // already published
  mkdirSync(join(stagingRoot, "old", swap.table), { recursive: true });
  if (existsSync(target)) {
    rmSync(retired, { recursive: true, force: true });
    renameSync(target, retired);
  }
  if (swap.action === "replace") renameSync(staged, target);
}

/** Removes a staging directory once all its swaps are published. */
export function removeStaging(stagingRoot: string): void {
  rmSync(stagingRoot, { recursive: true, force: true });
}
