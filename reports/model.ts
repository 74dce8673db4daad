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

/** What an amendment records about itself: in its manifest, and as a banner at the top of its HTML. */
export interface AmendmentRecord {
  /** 1 for the first amendment of a report, then 2, ... */
  number: number;
  /** Why the report is amended, as the person or job that amended it said it. */
  reason: string;
  /** The version this one supersedes: the locked report or the previous amendment. */
  amends: {
    /** Its manifest, relative to this amendment's folder (`../../manifest.json`, `../1/manifest.json`). */
    manifest: string;
    manifestSha256: string;
    contentSha256: string;
    generatedAt: string;
  };
  /**
   * The content hash of this report without its amendment record: what the lake said. A later amendment run
   * compares it with what the lake says then, so re-running the same amendment writes nothing.
   */
  reportSha256: string;
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
  /**
   * The static limits the analytics judge against (the stack's, shipped plausibility ranges included): they fill the
   * daily sensor log's limit columns where no limit was crossed. Absent: the columns hold only limits crossed.
   */
  staticLimits?: StaticLimitRule;
  /**
   * Whether the day was final in the lake when the report ran (the cloud job's freshness gate); absent when not
   * checked (a local report over a finished replay). Incomplete reports say so at the top and in the manifest.
   */
  lakeFreshness?: { complete: boolean; detail: string };
  /**
   * The specification limits: those the stack's configuration sets (`iotpipe:staticLimits`), without the shipped
   * plausibility ranges. Drawn on the range chart where no limit was crossed; absent: only limits crossed are drawn.
   */
  specLimits?: StaticLimitRule;
  /** Set when this bundle amends a locked report (reports/amendment.ts): rendered as a banner and in the manifest. */
  amendment?: AmendmentRecord;
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

/** Formats a double the way Athena's results show it (Java's Double.toString): `21.0`, `34.962`, `1.5E7`. */
export function athenaDouble(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e7 || abs < 1e-3)) {
    const [mantissa, exponent] = value.toExponential().split("e");
    return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
  }
  return Number.isInteger(value) ? `${value}.0` : String(value);
}
