/**
 * The analytics a stack runs: the shipped definition (analytics/definition.ts) and ingest policy
 * (contract/ingest-policy.ts) with the stack's overrides applied (static limits, aggregate windows, alert hold
 * time, ingest tolerances). The cloud (Flink SQL) and the local replay (`iotpipe replay --stack-config`) both
 * take a stack's analytics from here.
 *
 * The Flink SQL embeds these values, so a stack that overrides them needs SQL generated for it. A stack
 * without overrides runs the committed sql/flink/ files exactly; a stack with overrides runs the same
 * generator's output for its values, written to `.iotpipe/flink-sql/<stack>/` (readable before deploying;
 * the code zip's content hash, and so its S3 key, changes with it).
 */
import * as fs from "fs";
import * as path from "path";
import {
  DEFAULT_ANALYTICS,
  validateDefinition,
  type AnalyticsDefinition,
  type StaticLimit,
  type StaticLimitOverride,
  type StaticLimitRule,
} from "../analytics/definition";
import { flinkSqlFiles } from "../analytics/flink";
import type { IngestPolicy } from "../contract/ingest-policy";
import type { StackConfig, StaticLimitSetting } from "./schema";

/** Operating limits from config are hard limits: a reading outside them is critical. */
const LIMIT_SEVERITY = "critical" as const;

function bounds(s: StaticLimitSetting): StaticLimit {
  return { ...(s.low !== undefined && { low: s.low }), ...(s.high !== undefined && { high: s.high }), severity: LIMIT_SEVERITY };
}

/** The stack's analytics definition and ingest policy. */
export function stackAnalytics(config: StackConfig): { definition: AnalyticsDefinition; ingestPolicy: IngestPolicy } {
  const replaced = config.staticLimits.filter((s) => s.site === undefined);
  const overrides: StaticLimitOverride[] = config.staticLimits
    .filter((s): s is StaticLimitSetting & { site: string } => s.site !== undefined)
    .map((s) => ({ metric: s.metric, site: s.site, ...(s.line !== undefined && { line: s.line }), ...bounds(s) }));
  const shipped = DEFAULT_ANALYTICS.rules.staticLimit;
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
      staticLimit: {
        ...shipped,
        defaults: { ...shipped.defaults, ...Object.fromEntries(replaced.map((s) => [s.metric, bounds(s)])) },
        overrides: [...shipped.overrides, ...overrides],
      },
    },
    alerts: { ...DEFAULT_ANALYTICS.alerts, holdSeconds: config.alertHoldSeconds, holdReadings: config.alertHoldReadings, holdStepsSeconds: [...config.alertHoldStepsSeconds] },
  };
  const ingestPolicy: IngestPolicy = {
    maxFutureSkewMs: config.maxFutureSkewMs,
    maxPastSkewMs: config.maxPastSkewMs,
    duplicateWindowMs: config.duplicateWindowMs,
    allowedLatenessMs: config.allowedLatenessMs,
  };
  return { definition: validateDefinition(definition), ingestPolicy };
}

/**
 * The specification limits within a stack's static limits: what its configuration set (metric defaults it replaced,
 * site and line overrides), without the shipped plausibility ranges the rest still judges against. The report
 * draws these on its range chart; a plausibility range (−60…400 °C) is no specification and would squash it.
 */
export function specificationLimits(rule: StaticLimitRule): StaticLimitRule {
  const shipped = DEFAULT_ANALYTICS.rules.staticLimit;
  const same = (a: StaticLimit, b: StaticLimit | undefined) => b !== undefined && a.low === b.low && a.high === b.high;
  return {
    enabled: rule.enabled,
    defaults: Object.fromEntries(Object.entries(rule.defaults).filter(([metric, limit]) => !same(limit, shipped.defaults[metric]))),
    overrides: rule.overrides.filter((o) => !shipped.overrides.includes(o)),
  };
}

/** Where the committed Flink SQL lives. */
export function committedFlinkSqlDirectory(projectDir: string): string {
  return path.join(projectDir, "sql", "flink");
}

/**
 * The directory of Flink SQL this stack runs: the committed files when they are exactly what the stack's
 * analytics generate, otherwise the stack's own generated files (rewritten only when they change).
 */
export function flinkSqlDirectory(config: StackConfig, stack: string, projectDir: string): string {
  const { definition, ingestPolicy } = stackAnalytics(config);
  const files = flinkSqlFiles(definition, ingestPolicy);
  const committed = committedFlinkSqlDirectory(projectDir);
  const same = (dir: string) =>
    fs.existsSync(dir) &&
    fs.readdirSync(dir).filter((f) => f.endsWith(".sql")).sort().join("\n") === files.map((f) => f.name).sort().join("\n") &&
    files.every((f) => fs.readFileSync(path.join(dir, f.name), "utf8") === f.sql);
  if (same(committed)) return committed;
  const own = path.join(projectDir, ".iotpipe", "flink-sql", stack);
  if (!same(own)) {
    fs.rmSync(own, { recursive: true, force: true });
    fs.mkdirSync(own, { recursive: true });
    for (const f of files) fs.writeFileSync(path.join(own, f.name), f.sql);
  }
  return own;
}
