/**
 * Runs the Athena compliance SQL, unchanged on disk, on DuckDB over a local lake directory laid out like the S3
 * lake (`<lake>/<table>/dt=YYYY-MM-DD/*.parquet`). Each Glue table becomes a view of the same name and columns;
 * the few places where Trino and DuckDB disagree are bridged by the shim below, each rewrite documented.
 */
import * as fs from "fs";
import * as path from "path";
import {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampValue,
  DuckDBDateValue,
  DuckDBType,
  VARCHAR,
  BIGINT,
} from "@duckdb/node-api";
import { DEVICE_REGISTRY, LAKE_TABLES, LakeTable, duckdbColumnDefinitions, duckdbType } from "../lake/tables";
import type { RegistrySnapshotRow } from "../reports/registry-snapshot";
import { QueryResult, athenaDouble } from "../reports/model";
import { QuerySpec, ReportParameters, parameterValues, querySql, validateParameters } from "../reports/queries";

/**
 * Trino functions DuckDB lacks (or names differently), defined as DuckDB macros so the SQL text stays Trino's:
 * - `approx_percentile(x, p)`: Trino's q-digest estimate; DuckDB computes the exact discrete quantile with
 *   `quantile_disc` (an actual value from the data, as approx_percentile returns; identical on small inputs).
 */
const TRINO_MACROS = ["CREATE OR REPLACE MACRO approx_percentile(x, p) AS quantile_disc(x, p)"];

/**
 * Textual rewrites where a function exists in both engines with different meaning:
 * - `date_diff(unit, a, b)`: Trino counts whole units elapsed (10:00:00.900 to 10:00:01.100 is 0 seconds);
 *   DuckDB's `date_diff` counts unit boundaries crossed (1). DuckDB's `date_sub` has Trino's meaning.
 * Functions both engines share with the same meaning (count_if, min_by, max_by, lag, lead, round, CAST,
 * `INTERVAL '1' DAY`) need nothing.
 */
const TRINO_REWRITES: Array<{ pattern: RegExp; replacement: string; why: string }> = [
  { pattern: /\bdate_diff\s*\(/gi, replacement: "date_sub(", why: "whole units elapsed, not boundaries crossed" },
];

/** Translates a Trino compliance query to DuckDB (see TRINO_REWRITES). Comments and literals are left alone. */
export function trinoToDuckDb(sql: string): string {
  return TRINO_REWRITES.reduce((text, rule) => text.replace(rule.pattern, rule.replacement), sql);
}

/** A SQL string literal (for the lake paths in view DDL, which prepared statements cannot carry). */
function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function hasParquetFiles(dir: string): boolean {
  if (!fs.existsSync(dir)) return false;
  return fs.readdirSync(dir, { withFileTypes: true }).some((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? hasParquetFiles(full) : entry.name.endsWith(".parquet");
  });
}

/** The days (`dt=` partitions, sorted) of a lake table that hold Parquet files: what a report can be written for. */
export function lakeDays(lakeDir: string, table: string): string[] {
  const dir = path.join(lakeDir, table);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^dt=\d{4}-\d{2}-\d{2}$/.test(e.name) && hasParquetFiles(path.join(dir, e.name)))
    .map((e) => e.name.slice(3))
    .sort();
}

/** The view over one lake table: the Glue columns with their lake types, plus the `dt` partition as a string. */
function tableViewSql(lakeDir: string, table: LakeTable): string {
  const dir = path.join(lakeDir, table.name);
  const columns = table.columns.map((c) => `CAST(${c.name} AS ${duckdbType(c.type)}) AS ${c.name}`);
  if (!hasParquetFiles(dir)) {
    // No data yet for this table (a quiet plant has no alerts): an empty view keeps every query valid.
    const empty = table.columns.map((c) => `CAST(NULL AS ${duckdbType(c.type)}) AS ${c.name}`);
    return `CREATE OR REPLACE VIEW ${table.name} AS SELECT ${empty.join(", ")}, CAST(NULL AS VARCHAR) AS dt WHERE false`;
  }
  const glob = path.join(dir, "dt=*", "*.parquet");
  return (
    `CREATE OR REPLACE VIEW ${table.name} AS SELECT ${columns.join(", ")}, CAST(dt AS VARCHAR) AS dt ` +
    `FROM read_parquet(${sqlLiteral(glob)}, hive_partitioning = true, hive_types = {'dt': VARCHAR})`
  );
}

/** A report day's registry snapshot, as the cloud job writes it to `device_registry/dt=<day>/`. */
export interface LocalRegistrySnapshot {
  dt: string;
  devices: readonly RegistrySnapshotRow[];
}

/**
 * The `device_registry` table: the snapshot's rows under its `dt`, or none (a lake without a registry lists only the
 * devices it saw, as before registries existed). Rows are bound, never spliced into SQL.
 */
async function loadRegistrySnapshot(connection: DuckDBConnection, snapshot: LocalRegistrySnapshot | undefined): Promise<void> {
  await connection.run(`CREATE TABLE ${DEVICE_REGISTRY.name} (${duckdbColumnDefinitions(DEVICE_REGISTRY)}, dt VARCHAR)`);
  if (!snapshot) return;
  const insert = await connection.prepare(`INSERT INTO ${DEVICE_REGISTRY.name} VALUES (?, ?, ?, ?, ?, make_timestamp(CAST(? AS BIGINT) * 1000), ?)`);
  for (const d of snapshot.devices) {
    insert.bind([d.device_id, d.site, d.line, d.model, d.serial, d.registered_at === null ? null : BigInt(d.registered_at), snapshot.dt]);
    await insert.run();
  }
}

/**
 * An in-memory DuckDB with one view per lake table over `lakeDir`, the `device_registry` snapshot when given, the
 * Trino macros, and UTC as time zone.
 */
export async function openLocalLake(lakeDir: string, registry?: LocalRegistrySnapshot): Promise<DuckDBConnection> {
  if (!fs.existsSync(lakeDir)) throw new Error(`lake directory '${lakeDir}' does not exist; write one with the local engine first`);
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  for (const macro of TRINO_MACROS) await connection.run(macro);
  for (const table of LAKE_TABLES) await connection.run(tableViewSql(lakeDir, table));
  await loadRegistrySnapshot(connection, registry);
  return connection;
}

/** Formats a timestamp the way Athena shows `timestamp(3)` values: `2026-11-23 09:00:00.000`. */
function athenaTimestamp(micros: bigint): string {
  const millis = Number(micros / 1000n);
  return new Date(millis).toISOString().replace("T", " ").replace("Z", "");
}

function athenaValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof DuckDBTimestampValue) return athenaTimestamp(value.micros);
  if (value instanceof DuckDBDateValue) return value.toString();
  if (typeof value === "number") return athenaDouble(value);
  if (typeof value === "bigint" || typeof value === "boolean" || typeof value === "string") return String(value);
  return String(value);
}

/** DuckDB type names mapped to the names Athena reports in ResultSetMetadata. */
function athenaTypeName(type: DuckDBType): string {
  const name = type.toString().toLowerCase();
  return name.startsWith("decimal") ? name : ({ integer: "integer", hugeint: "bigint" } as Record<string, string>)[name] ?? name;
}

/** Runs one compliance query on the local lake with its parameters bound (never spliced into the text). */
export async function runLocalQuery(
  connection: DuckDBConnection,
  spec: QuerySpec,
  parameters: ReportParameters,
  sqlDir?: string,
): Promise<QueryResult> {
  const values = parameterValues(spec, validateParameters(parameters));
  const sql = trinoToDuckDb(querySql(spec, sqlDir));
  let reader;
  try {
    const statement = await connection.prepare(sql);
    statement.bind(
      values.map((v) => (typeof v === "number" ? BigInt(v) : v)),
      values.map((v) => (typeof v === "number" ? BIGINT : VARCHAR)),
    );
    reader = await statement.runAndReadAll();
  } catch (error) {
    throw new Error(`compliance query '${spec.id}' (${spec.file}) failed on DuckDB: ${(error as Error).message}`);
  }
  const types = reader.columnTypes();
  return {
    queryId: spec.id,
    executionId: `duckdb:${spec.id}`,
    columns: reader.columnNames().map((name, i) => ({ name, type: athenaTypeName(types[i]) })),
    rows: reader.getRows().map((row) => row.map(athenaValue)),
  };
}
