/**
 * What a lake already holds, for a replay that adds to it: each table's Parquet as a DuckDB view
 * (`prior_<table>`, with its `dt` partition as text), and a short inventory to tell the user what `--replace`
 * drops. A table without files is an empty view with the table's columns, so every query reads alike.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { duckdbType, type LakeTable } from "../lake/tables";
import { sqlString } from "./sql-string";

/** The view of a table's rows already in the lake. */
export function priorView(table: LakeTable): string {
  return `prior_${table.name}`;
}

/** The partition values of `<lakeDir>/<table>` that hold a Parquet file, sorted. */
function partitionsWithFiles(lakeDir: string, table: LakeTable): string[] {
  const dir = join(lakeDir, table.name);
  if (!existsSync(dir)) return [];
  const prefix = `${table.partitionKey}=`;
  return readdirSync(dir, { withFileTypes: true })
    .filter((p) => p.isDirectory() && p.name.startsWith(prefix) && readdirSync(join(dir, p.name)).some((f) => f.endsWith(".parquet")))
    .map((p) => p.name.slice(prefix.length))
    .sort();
}

function hasParquet(lakeDir: string, table: LakeTable): boolean {
  return partitionsWithFiles(lakeDir, table).length > 0;
}

/** `SELECT <columns>, dt` over a table's files, or the same columns with no rows. */
function tableRowsSql(lakeDir: string, table: LakeTable): string {
  if (!hasParquet(lakeDir, table)) {
    const nulls = table.columns.map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS "${c.name}"`).join(", ");
    return `SELECT ${nulls}, CAST(NULL AS VARCHAR) AS "${table.partitionKey}" WHERE false`;
  }
  const files = sqlString(join(lakeDir, table.name, `${table.partitionKey}=*`, "*.parquet"));
  const columns = table.columns.map((c) => `"${c.name}"`).join(", ");
  return `SELECT ${columns}, "${table.partitionKey}" FROM read_parquet(${files}, hive_partitioning = true, hive_types = {'${table.partitionKey}': VARCHAR})`;
}

/** Creates `prior_<table>` for each table: the rows the lake holds now (read lazily, filters pushed down). */
export async function createPriorViews(connection: DuckDBConnection, lakeDir: string, tables: LakeTable[]): Promise<void> {
  for (const table of tables) await connection.run(`CREATE OR REPLACE TEMP VIEW ${priorView(table)} AS ${tableRowsSql(lakeDir, table)}`);
}

/** One table's content: rows and the first and last partition. */
export interface TableInventory {
  table: string;
  rows: number;
  first: string | null;
  last: string | null;
}

/** Rows and date range of each table in the lake (tables without rows included, with 0). */
export async function lakeInventory(lakeDir: string, tables: LakeTable[]): Promise<TableInventory[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const out: TableInventory[] = [];
    for (const table of tables) {
      // The date range from the directory names: DuckDB 1.5.5 fails an assertion on count(*) beside min(dt).
      const partitions = partitionsWithFiles(lakeDir, table);
      const rows = partitions.length === 0 ? 0 : Number((await connection.runAndReadAll(`SELECT count(*) AS n FROM (${tableRowsSql(lakeDir, table)})`)).getRowObjectsJS()[0].n);
      out.push({ table: table.name, rows, first: partitions[0] ?? null, last: partitions[partitions.length - 1] ?? null });
    }
    return out;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
