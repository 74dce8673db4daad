/**
 * The report's data model: what every engine hands the renderer. Values are strings exactly as Athena's
 * GetQueryResults returns them (`VarCharValue`), null for SQL NULL, so the cloud and local reports are rendered
 * by the same code from the same shapes.
 */
import type { StaticLimitRule } from "../analytics/definition";

/** A result column: name and engine type name (`varchar`, `bigint`, `double`, `timestamp`, `boolean`, ...). */
export interface ResultColumn {
  name: string;
  type: string;
}

/** The rows of one compliance query. */
export interface QueryResult {
  queryId: string;
  /** Athena QueryExecutionId, or a local marker for DuckDB runs. */
  executionId: string;
  columns: ResultColumn[];
  rows: Array<Array<string | null>>;
}

/** Everything a bundle is rendered from. */
export interface ReportData {
  date: string;
  /** Site id or `*`. */
  site: string;
  /** `athena` in the cloud, `duckdb` locally. */
  engine: "athena" | "duckdb";
  parameters: { lookbackDays: number; minGapSeconds: number };
  results: QueryResult[];
  /** The static limits the analytics judge against (the stack's), drawn on the range chart; absent: only limits crossed. */
  staticLimits?: StaticLimitRule;
  /**
   * Whether the day was final in the lake when the report ran (the cloud job's freshness gate); absent when not
   * checked (a local report over a finished replay). Incomplete reports say so at the top and in the manifest.
   */
  lakeFreshness?: { complete: boolean; detail: string };
}

/** One row as an object keyed by column name. */
export type ResultRecord = Record<string, string | null>;

/** The rows of a result as objects keyed by column name. */
export function recordsOf(result: QueryResult): ResultRecord[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i] ?? null])));
}

/** The result of one query; throws naming the missing query (a bundle is never rendered from partial data). */
export function resultOf(data: ReportData, queryId: string): QueryResult {
  const found = data.results.find((r) => r.queryId === queryId);
  if (!found) throw new Error(`report data for ${data.date} has no result for query '${queryId}'`);
  return found;
}
