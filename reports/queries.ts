/**
 * The compliance queries: which SQL file answers what, and which value fills each `?` placeholder, in order.
 * One registry for both engines: the Lambda passes the values as Athena `ExecutionParameters`, the local runner
 * binds the same values to DuckDB prepared statements. The SQL files are the source of truth for the text; the
 * order of `params` here must match the `-- params:` header of each file (a test checks the count).
 */
import * as fs from "fs";
import * as path from "path";

/** A value a query can take, derived from the report's parameters. */
export type QueryParam =
  /** The report day, `'YYYY-MM-DD'` (compared with the `dt` partition column). */
  | "date"
  /** The first day of the lookback window, `'YYYY-MM-DD'` (report day minus `lookbackDays`). */
  | "lookbackStart"
  /** A site id, or `'*'` for every site. */
  | "site"
  /** The shortest gap worth reporting, in whole seconds. */
  | "minGapSeconds";

export interface QuerySpec {
  /** Stable id: the CSV file name, the manifest key and the Athena named query name. */
  id: string;
  /** File name under `sql/athena/`. */
  file: string;
  /** Section title in the HTML report. */
  title: string;
  /** Values bound to the `?` placeholders, in order of appearance. */
  params: QueryParam[];
}

/** Every compliance query, in the order the report presents them. */
export const COMPLIANCE_QUERIES: readonly QuerySpec[] = [
  { id: "daily-sensor-log", file: "daily-sensor-log.sql", title: "Daily sensor log", params: ["date", "site", "date", "site"] },
  {
    id: "excursions",
    file: "excursions.sql",
    title: "Excursions (alert episodes)",
    params: ["lookbackStart", "date", "site", "date", "date"],
  },
  {
    id: "data-completeness",
    file: "data-completeness.sql",
    title: "Data completeness",
    params: ["lookbackStart", "date", "site", "date", "site"],
  },
  { id: "data-gaps", file: "data-gaps.sql", title: "Data gaps", params: ["date", "site", "minGapSeconds"] },
  { id: "anomaly-summary", file: "anomaly-summary.sql", title: "Anomaly summary", params: ["date", "site"] },
  {
    id: "device-inventory",
    file: "device-inventory.sql",
    title: "Device inventory",
    params: ["lookbackStart", "date", "site", "date", "site", "date", "site", "date", "lookbackStart", "date", "site"],
  },
];

/**
 * Not part of the report: whether the report day is final in the lake (the latest aggregate window ends at the
 * next midnight). The cloud job asks it before the compliance queries (handlers/compliance-report/freshness.ts).
 */
export const LAKE_FRESHNESS_QUERY: QuerySpec = {
  id: "lake-freshness",
  file: "lake-freshness.sql",
  title: "Lake freshness",
  params: ["date", "site"],
};

/**
 * The query that checks a report's scope before the compliance queries run: which sites have readings in the
 * report's window (reports/scope.ts). Not part of the bundle; like every `sql/athena` file it is also a named query.
 */
export const SCOPE_QUERY: QuerySpec = {
  id: "report-scope",
  file: "report-scope.sql",
  title: "Report scope",
  params: ["lookbackStart", "date"],
};

/** The scope query reads one column of the window: it gets at most this long (less if the query timeout is shorter). */
export const SCOPE_QUERY_TIMEOUT_SECONDS = 60;

/** Every query file under `sql/athena`: the compliance queries, the freshness check and the scope query. */
export const ATHENA_QUERIES: readonly QuerySpec[] = [...COMPLIANCE_QUERIES, LAKE_FRESHNESS_QUERY, SCOPE_QUERY];

/** What a report is about and how strict it is; everything a query parameter is derived from. */
export interface ReportParameters {
  /** Report day, `YYYY-MM-DD` (UTC partition date). */
  date: string;
  /** One site id, or `'*'` for every site. */
  site: string;
  /** How many days before the report day define the known sensors, their cadence and open episodes. */
  lookbackDays: number;
  /** Gaps in a sensor's readings longer than this are listed. */
  minGapSeconds: number;
}

export const DEFAULT_LOOKBACK_DAYS = 7;
export const DEFAULT_MIN_GAP_SECONDS = 15 * 60;
export const ALL_SITES = "*";

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A site id as the telemetry contract's `identifier` accepts it (a test holds the two equal). Kept as a plain
 * pattern here because this module ships in the report Lambda and zod's classic build would dominate its size.
 */
export const SITE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Checks a `YYYY-MM-DD` string is a real calendar day; throws with the offending value otherwise. */
export function assertReportDate(date: string): void {
  const parsed = new Date(`${date}T00:00:00Z`);
  if (!DATE_PATTERN.test(date) || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date) {
    throw new Error(`report date '${date}' is not a calendar day in the form YYYY-MM-DD`);
  }
}

/** Validates report parameters before any of them reaches a query (site ids follow the telemetry contract). */
export function validateParameters(p: ReportParameters): ReportParameters {
  assertReportDate(p.date);
  if (p.site !== ALL_SITES && !SITE_ID_PATTERN.test(p.site)) {
    throw new Error(`site '${p.site}' is not a valid site id (letters, digits and . _ : -), nor '${ALL_SITES}' for all sites`);
  }
  if (!Number.isInteger(p.lookbackDays) || p.lookbackDays < 1 || p.lookbackDays > 366) {
    throw new Error(`lookbackDays must be an integer from 1 to 366, got ${p.lookbackDays}`);
  }
  if (!Number.isInteger(p.minGapSeconds) || p.minGapSeconds < 1) {
    throw new Error(`minGapSeconds must be a positive integer, got ${p.minGapSeconds}`);
  }
  return p;
}

/** `YYYY-MM-DD` shifted by whole days (calendar arithmetic in UTC, so no daylight-saving surprises). */
export function shiftDate(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The typed values of a query's placeholders, in order. */
export function parameterValues(spec: QuerySpec, p: ReportParameters): Array<string | number> {
  return spec.params.map((param) => {
    switch (param) {
      case "date": return p.date;
      case "lookbackStart": return shiftDate(p.date, -p.lookbackDays);
      case "site": return p.site;
      case "minGapSeconds": return p.minGapSeconds;
    }
  });
}

/**
 * Athena `ExecutionParameters`: each value is inserted as a literal, so strings carry their own quotes (with
 * embedded quotes doubled) and numbers are bare. Values are validated first; quoting is the second fence.
 */
export function athenaExecutionParameters(spec: QuerySpec, p: ReportParameters): string[] {
  return parameterValues(spec, validateParameters(p)).map((v) =>
    typeof v === "number" ? String(v) : `'${v.replace(/'/g, "''")}'`,
  );
}

/**
 * Where the SQL files are: `sql/athena` next to the repository root in development, or `sql/athena` next to the
 * bundled `index.js` in the Lambda package (the component ships the files beside the code).
 */
export function sqlDirectory(): string {
  const candidates = [path.join(__dirname, "sql", "athena"), path.join(__dirname, "..", "sql", "athena")];
  const found = candidates.find((dir) => fs.existsSync(dir));
  if (!found) throw new Error(`compliance SQL files not found; looked in ${candidates.join(", ")}`);
  return found;
}

/** The text of a query's SQL file. */
export function querySql(spec: QuerySpec, dir = sqlDirectory()): string {
  return fs.readFileSync(path.join(dir, spec.file), "utf8");
}

/** The first comment line of a SQL file: what the query answers and for whom (the named query's description). */
export function queryDescription(sql: string): string {
  const first = sql.split("\n").find((line) => line.startsWith("--"));
  if (!first) throw new Error("compliance SQL file does not start with a '--' comment saying what it answers");
  return first.replace(/^--\s*/, "").trim();
}

/**
 * The lake tables a report run reads (from the SQL files themselves), so the report job's IAM policy
 * names exactly those tables and prefixes and cannot drift from the SQL.
 */
export function tablesReadByQueries(tableNames: readonly string[], dir = sqlDirectory()): string[] {
  const read = new Set<string>();
  for (const spec of ATHENA_QUERIES) {
    const sql = querySql(spec, dir).replace(/--[^\n]*/g, "");
    for (const name of tableNames) if (new RegExp(`\\b(FROM|JOIN)\\s+${name}\\b`, "i").test(sql)) read.add(name);
  }
  return tableNames.filter((name) => read.has(name));
}
