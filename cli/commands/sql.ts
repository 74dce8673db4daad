/**
 * `iotpipe sql`: an analyst's query over a local lake, with the lake tables as views of the names Athena knows
 * (readings, aggregates, anomalies, alerts, quarantine) — the same views `iotpipe report` runs its SQL on. The
 * query is the user's own, over their own files; the lake is only read (in-memory DuckDB, views over Parquet).
 */
import * as fs from "node:fs";
import type { Command } from "commander";
import { openLocalLake } from "../../local/report-lake";
import { CliError } from "../errors";
import type { Io } from "../io";
import { integerIn } from "../options";

export interface SqlFlags {
  lake: string;
  maxRows: number;
}

/** A cell as text: numbers and booleans as they print, timestamps as ISO-8601 UTC, NULL as an empty cell. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString().replace("T", " ").replace(/\.000Z$/, "").replace(/Z$/, "");
  if (typeof value === "object") return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));
  return String(value);
}

/** Runs one query and prints its rows as aligned columns (at most `maxRows`, saying when there were more). */
export async function sqlCommand(query: string, flags: SqlFlags, io: Io): Promise<number> {
  if (!fs.existsSync(flags.lake)) {
    throw new CliError(`lake directory ${flags.lake} does not exist`, "write one with `iotpipe replay --input <file> --out <lake-dir>` (or run `npm run demo`)");
  }
  const connection = await openLocalLake(flags.lake);
  try {
    let reader;
    try {
      // Read one row past what is shown, no more: a query over every reading prints its first rows at once.
      reader = await connection.runAndReadUntil(query, flags.maxRows + 1);
    } catch (error) {
      throw new CliError(`query failed: ${(error as Error).message}`, "the tables are readings, aggregates, anomalies, alerts and quarantine (columns as in the Glue catalog)");
    }
    const columns = reader.columnNames();
    const rows = reader.getRowObjectsJS().map((row) => columns.map((c) => cell(row[c])));
    const shown = rows.slice(0, flags.maxRows);
    const widths = columns.map((c, i) => Math.max(c.length, ...shown.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
    io.out([line(columns), line(widths.map((w) => "-".repeat(w))), ...shown.map(line)].join("\n"));
    io.out(rows.length > shown.length ? `(first ${shown.length} rows shown, more not read; --max-rows to see more)` : `(${rows.length} row${rows.length === 1 ? "" : "s"})`);
    return rows.length;
  } finally {
    connection.closeSync();
  }
}

export function registerSql(program: Command, io: Io): void {
  program
    .command("sql")
    .description("Query a local lake with SQL: readings, aggregates, anomalies, alerts and quarantine are tables")
    .argument("<query>", `e.g. "SELECT rule, count(*) AS n FROM anomalies GROUP BY rule ORDER BY n DESC"`)
    .requiredOption("--lake <dir>", "lake directory written by `iotpipe replay`")
    .option("--max-rows <n>", "rows to print", integerIn(1, 1_000_000), 50)
    .action(async (query: string, flags: SqlFlags) => {
      await sqlCommand(query, flags, io);
    });
}
