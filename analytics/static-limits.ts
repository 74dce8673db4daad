/**
 * Which static limit applies to a sensor, answered once. The SQL generator (analytics/stages.ts) renders these
 * branches as a CASE, the report (reports/limits.ts) walks them in TypeScript, and config (config/analytics.ts)
 * fills the bounds a partial override leaves empty from here. A test holds the SQL and the report to the same
 * answer on a matrix of overrides.
 *
 * Dependency-free (type imports only): the report Lambda bundles it without the analytics definition.
 *
 * Precedence: a line override, then a site override, then the metric's default; the first that matches decides
 * both bounds. Overrides in a definition carry their effective bounds (inheritance is resolved when config is
 * read, by `inheritBounds`), so the generated SQL shows exactly the limits each scope runs with.
 */
import type { StaticLimit, StaticLimitOverride, StaticLimitRule } from "./definition";

/** Where a branch applies: a metric, optionally narrowed to a site, then to one of its lines. */
export interface StaticLimitScope {
  metric: string;
  site?: string;
  line?: string;
}

export interface StaticLimitBranch {
  scope: StaticLimitScope;
  limit: StaticLimit;
}

/** The branches in precedence order: the first one whose scope matches a sensor is the limit it is judged by. */
export function staticLimitBranches(rule: StaticLimitRule): StaticLimitBranch[] {
  const scoped = (o: StaticLimitOverride): StaticLimitBranch => ({
    scope: { metric: o.metric, site: o.site, ...(o.line !== undefined && { line: o.line }) },
    limit: { ...(o.low !== undefined && { low: o.low }), ...(o.high !== undefined && { high: o.high }), severity: o.severity },
  });
  return [
    ...rule.overrides.filter((o) => o.line !== undefined).map(scoped),
    ...rule.overrides.filter((o) => o.line === undefined).map(scoped),
    ...Object.entries(rule.defaults).map(([metric, limit]) => ({ scope: { metric }, limit })),
  ];
}

export function scopeMatches(scope: StaticLimitScope, site: string, line: string, metric: string): boolean {
  return scope.metric === metric && (scope.site === undefined || scope.site === site) && (scope.line === undefined || scope.line === line);
}

/** The limit a sensor is judged by under `rule`, or undefined when the rule is off or has no limit for it. */
export function resolveStaticLimit(rule: StaticLimitRule, site: string, line: string, metric: string): StaticLimit | undefined {
  if (!rule.enabled) return undefined;
  return staticLimitBranches(rule).find((b) => scopeMatches(b.scope, site, line, metric))?.limit;
}

/**
 * The unit a static_limit score counts in: the band's width, or for a one-sided limit its magnitude (at least 1),
 * so a reading one band-width past the limit scores 2.
 */
export function staticLimitScale(limit: StaticLimit): number {
  return limit.low !== undefined && limit.high !== undefined ? limit.high - limit.low : Math.max(Math.abs((limit.high ?? limit.low)!), 1);
}

/**
 * A bound as config states it: a number, `"none"` (no bound on that side, on purpose) or `"inherit"` (the bound
 * was left empty: take the one the next scope has).
 */
export type BoundSetting = number | "none" | "inherit";

/**
 * The effective bounds of a limit given in config over `parent`, the limit of the next scope out (a line's site
 * override or metric default; a site's metric default; a default's shipped plausibility range). An empty bound
 * keeps the parent's, so `temperature@plant-a/line-2=..90` lowers the high limit on that line and keeps the low
 * one; `none` drops a bound explicitly.
 */
export function inheritBounds(low: BoundSetting, high: BoundSetting, parent: StaticLimit | undefined): { low?: number; high?: number } {
  const pick = (own: BoundSetting, inherited: number | undefined) => (own === "inherit" ? inherited : own === "none" ? undefined : own);
  const effectiveLow = pick(low, parent?.low);
  const effectiveHigh = pick(high, parent?.high);
  return { ...(effectiveLow !== undefined && { low: effectiveLow }), ...(effectiveHigh !== undefined && { high: effectiveHigh }) };
}
