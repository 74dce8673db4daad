/**
 * Writes a test lake the way the local engine and Firehose lay it out: `<lake>/<table>/dt=YYYY-MM-DD/*.parquet`,
 * columns and types exactly as lake/tables.ts defines them, `dt` derived from the table's partition source.
 * Rows go through a JSON file read with explicit column types, so nothing is spliced into SQL.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DuckDBInstance } from "@duckdb/node-api";
import { LakeTable, duckdbType, lakeTable } from "../../lake/tables";

export type LakeRows = Partial<Record<"readings" | "aggregates" | "anomalies" | "alerts" | "quarantine", Array<Record<string, unknown>>>>;

/** Writes every table given into `lakeDir` (created if missing). Timestamps are `YYYY-MM-DD HH:MM:SS` strings. */
export async function writeLake(lakeDir: string, tables: LakeRows): Promise<void> {
  fs.mkdirSync(lakeDir, { recursive: true });
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  for (const [name, rows] of Object.entries(tables)) {
    if (!rows || rows.length === 0) continue;
    const table: LakeTable = lakeTable(name);
    for (const row of rows) {
      const unknown = Object.keys(row).filter((k) => !table.columns.some((c) => c.name === k));
      if (unknown.length) throw new Error(`fixture row for ${name} has columns not in the lake layout: ${unknown.join(", ")}`);
    }
    const jsonPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lake-rows-")), `${name}.json`);
    fs.writeFileSync(jsonPath, rows.map((r) => JSON.stringify(r)).join("\n"));
    const columns = table.columns.map((c) => `'${c.name}': '${duckdbType(c.type)}'`).join(", ");
    await connection.run(
      `COPY (SELECT *, strftime(CAST(${table.partitionSource} AS DATE), '%Y-%m-%d') AS dt ` +
        `FROM read_json('${jsonPath}', format = 'newline_delimited', columns = {${columns}})) ` +
        `TO '${path.join(lakeDir, table.name)}' (FORMAT parquet, PARTITION_BY (dt), OVERWRITE_OR_IGNORE true)`,
    );
    fs.rmSync(path.dirname(jsonPath), { recursive: true, force: true });
  }
  connection.closeSync();
}
