/**
 * The static limits a sensor's readings are judged against, from the one resolution the analytics' SQL is
 * generated from (analytics/static-limits.ts). They fill the daily sensor log's limit columns and mark the range
 * chart. That module is dependency-free: the report Lambda does not bundle the definition.
 */
import type { StaticLimitRule } from "../analytics/definition";
import { resolveStaticLimit } from "../analytics/static-limits";
import { QueryResult, ReportData, athenaDouble, resultOf } from "./model";

export interface SensorLimits {
  low?: number;
  high?: number;
}

/** The limits of one sensor under `rule`, or undefined when it has none (rule off, or no limit for the metric). */
export function sensorLimits(rule: StaticLimitRule, site: string, line: string, metric: string): SensorLimits | undefined {
  const limit = resolveStaticLimit(rule, site, line, metric);
  return limit && { ...(limit.low !== undefined && { low: limit.low }), ...(limit.high !== undefined && { high: limit.high }) };
}

/**
 * The daily sensor log with its `lower_limit` / `upper_limit` filled where the query left them empty (no limit
 * was crossed that day): the static limits that applied to the sensor under `rule`. A limit crossed on the day
 * (from the anomalies) stays as the query found it; a sensor with no limit on a side stays empty there.
 */
export function withAppliedLimits(log: QueryResult, rule: StaticLimitRule | undefined): QueryResult {
  if (!rule) return log;
  const col = (name: string) => log.columns.findIndex((c) => c.name === name);
  const [site, line, metric, lower, upper] = ["site", "line", "metric", "lower_limit", "upper_limit"].map(col);
  if ([site, line, metric, lower, upper].includes(-1)) throw new Error(`query '${log.queryId}' has no site, line, metric, lower_limit and upper_limit columns to fill`);
  const rows = log.rows.map((row) => {
    const applied = sensorLimits(rule, row[site] ?? "", row[line] ?? "", row[metric] ?? "");
    if (!applied) return row;
    const filled = [...row];
    if (filled[lower] === null && applied.low !== undefined) filled[lower] = athenaDouble(applied.low);
    if (filled[upper] === null && applied.high !== undefined) filled[upper] = athenaDouble(applied.high);
    return filled;
  });
  return { ...log, rows };
}

/** The query whose limit columns are filled with the limits that applied (see withAppliedLimits). */
export const LIMITS_FILLED_QUERY = "daily-sensor-log";

/** A query's result as the bundle writes it (CSV and HTML table): the daily sensor log with the limits that applied. */
export function writtenResult(data: ReportData, queryId: string): QueryResult {
  const result = resultOf(data, queryId);
  return queryId === LIMITS_FILLED_QUERY ? withAppliedLimits(result, data.staticLimits) : result;
}
