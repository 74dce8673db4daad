/**
 * The analytics a stack runs, answered by one pure function (`stackAnalytics`): the shipped definition
 * (analytics/definition.ts) and ingest policy (contract/ingest-policy.ts) with the stack's overrides applied
 * (static limits, aggregate windows, alert hold time, ingest tolerances), the Flink SQL generated from them and the
 * static limits its report fills in. The program (index.ts), the CLI (`iotpipe replay|report --stack-config`) and
 * `npm run gen:flink-sql` all call it, so what a stack deploys, what a local replay runs and the SQL committed
 * under sql/flink/<stack>/ for review cannot drift apart (config/flink-sql-files.ts checks the last).
 */
import {
  DEFAULT_ANALYTICS,
  validateDefinition,
  type AnalyticsDefinition,
  type StaticLimit,
  type StaticLimitOverride,
  type StaticLimitRule,
} from "../analytics/definition";
import { type FlinkSqlFile, flinkSqlFiles } from "../analytics/flink";
import { inheritBounds } from "../analytics/static-limits";
import type { IngestPolicy } from "../contract/ingest-policy";
import type { StackConfig, StaticLimitSetting } from "./schema";

/** Operating limits from config are hard limits: a reading outside them is critical. */
const LIMIT_SEVERITY = "critical" as const;

/**
 * The stack's static limits over the shipped ones, each bound resolved (analytics/static-limits.ts
 * inheritBounds): a default replacement over the shipped range, a site override over the stack's default, a line
 * override over its site's override or else the default.
 */
function stackStaticLimits(settings: StaticLimitSetting[]): { defaults: Record<string, StaticLimit>; overrides: StaticLimitOverride[] } {
  const shipped = DEFAULT_ANALYTICS.rules.staticLimit;
  const resolved = (s: StaticLimitSetting, parent: StaticLimit | undefined): StaticLimit => {
    const limit = { ...inheritBounds(s.low, s.high, parent), severity: LIMIT_SEVERITY };
    const written = `iotpipe:staticLimits '${s.metric}${s.site ? `@${s.site}${s.line ? `/${s.line}` : ""}` : ""}=${[s.low, s.high].map((b) => (b === "inherit" ? "" : b)).join("..")}'`;
    if (limit.low === undefined && limit.high === undefined) {
      throw new Error(`${written} leaves no bound: the scope it inherits from has none; give low or high`);
    }
    if (limit.low !== undefined && limit.high !== undefined && !(limit.low < limit.high)) {
      throw new Error(`${written}: its effective low ${limit.low} is not below its effective high ${limit.high} (an empty bound keeps the next scope's); give both bounds or write none`);
    }
    return limit;
  };
  const defaults = { ...shipped.defaults };
  for (const s of settings.filter((s) => s.site === undefined)) defaults[s.metric] = resolved(s, shipped.defaults[s.metric]);
  const siteOverride = (site: string, metric: string) => settings.find((s) => s.site === site && s.line === undefined && s.metric === metric);
  const overrides: StaticLimitOverride[] = settings
    .filter((s): s is StaticLimitSetting & { site: string } => s.site !== undefined)
    .map((s) => {
      const site = s.line !== undefined ? siteOverride(s.site, s.metric) : undefined;
      const parent = site ? resolved(site, defaults[s.metric]) : defaults[s.metric];
      return { metric: s.metric, site: s.site, ...(s.line !== undefined && { line: s.line }), ...resolved(s, parent) };
    });
  return { defaults, overrides: [...shipped.overrides, ...overrides] };
}

/** Everything a stack's analytics need, derived from its config once. */
export interface StackAnalytics {
  definition: AnalyticsDefinition;
  ingestPolicy: IngestPolicy;
  /** The Flink job's statements for this stack, in run order (committed under sql/flink/<stack>/ for review). */
  flinkSql: FlinkSqlFile[];
  /** The static limits the report fills the sensor log with and draws (its specification limits among them). */
  staticLimits: StaticLimitRule;
}

/** The stack's analytics: definition, ingest policy, Flink SQL and the report's static limits. */
export function stackAnalytics(config: StackConfig): StackAnalytics {
  const definition: AnalyticsDefinition = {
    ...DEFAULT_ANALYTICS,
    windowSeconds: [...config.aggregateWindowSeconds],
    watermarkDelaySeconds: config.allowedLatenessMs / 1000,
    rules: {
      ...DEFAULT_ANALYTICS.rules,
      deviation: { ...DEFAULT_ANALYTICS.rules.deviation, newExtremesOnly: config.deviationNewExtremesOnly },
      levelShift: { ...DEFAULT_ANALYTICS.rules.levelShift, minShiftStd: config.levelShiftMinStd },
      dataGap: {
        ...DEFAULT_ANALYTICS.rules.dataGap,
        factor: config.dataGapFactor,
        minReadings: config.dataGapMinReadings,
        silenceStepsSeconds: [...config.dataGapSilenceStepsSeconds],
      },
      staticLimit: { ...DEFAULT_ANALYTICS.rules.staticLimit, ...stackStaticLimits(config.staticLimits) },
    },
    alerts: { ...DEFAULT_ANALYTICS.alerts, holdSeconds: config.alertHoldSeconds, holdReadings: config.alertHoldReadings, holdStepsSeconds: [...config.alertHoldStepsSeconds] },
  };
  const ingestPolicy: IngestPolicy = {
    maxFutureSkewMs: config.maxFutureSkewMs,
    maxPastSkewMs: config.maxPastSkewMs,
    duplicateWindowMs: config.duplicateWindowMs,
    allowedLatenessMs: config.allowedLatenessMs,
  };
  const validated = validateDefinition(definition);
  return { definition: validated, ingestPolicy, flinkSql: flinkSqlFiles(validated, ingestPolicy), staticLimits: validated.rules.staticLimit };
}

/**
 * The specification limits within a stack's static limits: the bounds its configuration set (metric defaults it
 * replaced, site and line overrides), without the shipped plausibility ranges the rest still judges against, bound
 * by bound: a bound equal to the shipped range's is that range, inherited (an empty bound in config), and no
 * specification. The report draws these on its range chart; a plausibility range (−60…400 °C) would squash it.
 */
export function specificationLimits(rule: StaticLimitRule): StaticLimitRule {
  const shipped = DEFAULT_ANALYTICS.rules.staticLimit;
  const specified = <L extends StaticLimit>(metric: string, limit: L): L | undefined => {
    const range = shipped.defaults[metric];
    const { low, high, ...rest } = limit;
    const kept = { ...rest, ...(low !== undefined && low !== range?.low && { low }), ...(high !== undefined && high !== range?.high && { high }) } as L;
    return kept.low === undefined && kept.high === undefined ? undefined : kept;
  };
  const defaults = Object.entries(rule.defaults).flatMap(([metric, limit]) => {
    const kept = specified(metric, limit);
    return kept ? [[metric, kept] as const] : [];
  });
  return {
    enabled: rule.enabled,
    defaults: Object.fromEntries(defaults),
    overrides: rule.overrides.filter((o) => !shipped.overrides.includes(o)).flatMap((o) => specified(o.metric, o) ?? []),
  };
}
