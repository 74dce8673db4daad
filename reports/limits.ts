/**
 * The static limits a sensor's readings are judged against, for the report's range chart: the same precedence
 * as the analytics (analytics/stages.ts staticLimitCases): a line override, then a site override, then the
 * metric's default. Type-only import: the report Lambda does not bundle the definition.
 */
import type { StaticLimitRule } from "../analytics/definition";

export interface SensorLimits {
  low?: number;
  high?: number;
}

/** The limits of one sensor under `rule`, or undefined when it has none (rule off, or no limit for the metric). */
export function sensorLimits(rule: StaticLimitRule, site: string, line: string, metric: string): SensorLimits | undefined {
  if (!rule.enabled) return undefined;
  const limit =
    rule.overrides.find((o) => o.line !== undefined && o.site === site && o.line === line && o.metric === metric) ??
    rule.overrides.find((o) => o.line === undefined && o.site === site && o.metric === metric) ??
    rule.defaults[metric];
  return limit && { ...(limit.low !== undefined && { low: limit.low }), ...(limit.high !== undefined && { high: limit.high }) };
}
