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

/** Whether `<lakeDir>/<table>` holds any Parquet file in a partition directory. */
function hasParquet(lakeDir: string, table: LakeTable): boolean {
  const dir = join(lakeDir, table.name);
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { withFileTypes: true }).some(
    (p) => p.isDirectory() && p.name.startsWith(`${table.partitionKey}=`) && readdirSync(join(dir, p.name)).some((f) => f.endsWith(".parquet")),
  );
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
      const row = (await connection.runAndReadAll(`SELECT count(*) AS n, min(dt) AS first, max(dt) AS last FROM (${tableRowsSql(lakeDir, table)})`)).getRowObjectsJS()[0];
      out.push({ table: table.name, rows: Number(row.n), first: (row.first as string | null) ?? null, last: (row.last as string | null) ?? null });
    }
    return out;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
