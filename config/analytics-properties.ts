/**
 * The stack settings the Flink job reads at run time, as entries of its application property group
 * (`/etc/flink/application_properties.json`): ingest tolerances and static-limit overrides. Values are strings
 * because property maps only hold strings; the static limits travel as JSON in the analytics definition's
 * shape (`defaults` per metric, `overrides` per site/line) so the runner can hand them to the SQL as-is.
 */
import type { StackConfig, StaticLimitSetting } from "./schema";

/** Property keys the runner reads; the component's own keys (stream ARNs, region) never collide with these. */
export const ANALYTICS_PROPERTY_KEYS = {
  maxFutureSkewMs: "ingest.max.future.skew.ms",
  maxPastSkewMs: "ingest.max.past.skew.ms",
  duplicateWindowMs: "ingest.duplicate.window.ms",
  allowedLatenessMs: "ingest.allowed.lateness.ms",
  staticLimits: "anomaly.static.limits",
} as const;

/** Static-limit settings split the way analytics/definition.ts holds them (severity: operating limits are critical). */
export function staticLimitRule(settings: StaticLimitSetting[]): {
  defaults: Record<string, { low?: number; high?: number; severity: "critical" }>;
  overrides: { metric: string; site: string; line?: string; low?: number; high?: number; severity: "critical" }[];
} {
  const bounds = (s: StaticLimitSetting) => ({ ...(s.low !== undefined && { low: s.low }), ...(s.high !== undefined && { high: s.high }), severity: "critical" as const });
  return {
    defaults: Object.fromEntries(settings.filter((s) => s.site === undefined).map((s) => [s.metric, bounds(s)])),
    overrides: settings
      .filter((s): s is StaticLimitSetting & { site: string } => s.site !== undefined)
      .map((s) => ({ metric: s.metric, site: s.site, ...(s.line !== undefined && { line: s.line }), ...bounds(s) })),
  };
}

/** The property map entries for the Flink application. */
export function analyticsProperties(config: StackConfig): Record<string, string> {
  const k = ANALYTICS_PROPERTY_KEYS;
  return {
    [k.maxFutureSkewMs]: String(config.maxFutureSkewMs),
    [k.maxPastSkewMs]: String(config.maxPastSkewMs),
    [k.duplicateWindowMs]: String(config.duplicateWindowMs),
    [k.allowedLatenessMs]: String(config.allowedLatenessMs),
    [k.staticLimits]: JSON.stringify(staticLimitRule(config.staticLimits)),
  };
}
