/**
 * The analytics logic, written once as a chain of SELECT stages that both engines run: Flink as temporary
 * views, DuckDB as CTEs. Each stage has at most one OVER window (Flink's streaming rule), ordered by event
 * time, bounded by CURRENT ROW. Standard deviations are computed from SUM / SUM of squares / COUNT with the
 * current row subtracted, because Flink's streaming OVER aggregation has no STDDEV and the baseline must not
 * include the reading it judges.
 *
 * Every stage reads the columns of the previous one. The first stage (`series`) is supplied by the engine:
 * device_id, site, line, metric, value (DOUBLE), event_ts (event-time attribute), event_ms, ingest_ms (BIGINT
 * epoch ms) of on-time readings only.
 */
import { METRICS } from "../contract/telemetry";
import { ALERTS, ANOMALIES, AGGREGATES } from "../lake/tables";
import type { AnalyticsDefinition, RuleName, StaticLimit } from "./definition";
import { type Dialect, sqlDouble, sqlString } from "./dialect";

export interface Stage {
  name: string;
  /** What the stage answers, written as a comment above it in the generated SQL. */
  about: string;
  sql: string;
}

const KEY = "device_id, site, line, metric";

function seriesWindow(d: Dialect, preceding: number | "UNBOUNDED"): string {
  return `WINDOW w AS (PARTITION BY ${KEY} ORDER BY ${d.seriesOrder} ROWS BETWEEN ${preceding} PRECEDING AND CURRENT ROW)`;
}

/** Columns every anomaly stage passes on unchanged. */
function carried(d: Dialect): string {
  return `${KEY}, ${d.id("value")}, event_ts, event_ms, ingest_ms`;
}

/** The static limit that applies to a reading: line override, then site override, then the metric default. */
function staticLimitCases(def: AnalyticsDefinition, d: Dialect): string {
  const { defaults, overrides } = def.rules.staticLimit;
  const scale = (l: StaticLimit) =>
    l.low !== undefined && l.high !== undefined ? l.high - l.low : Math.max(Math.abs((l.high ?? l.low)!), 1);
  const branches: { when: string; limit: StaticLimit }[] = [
    ...overrides.filter((o) => o.line !== undefined).map((o) => ({
      when: `site = ${sqlString(o.site)} AND line = ${sqlString(o.line!)} AND metric = ${sqlString(o.metric)}`,
      limit: o as StaticLimit,
    })),
    ...overrides.filter((o) => o.line === undefined).map((o) => ({
      when: `site = ${sqlString(o.site)} AND metric = ${sqlString(o.metric)}`,
      limit: o as StaticLimit,
    })),
    ...Object.entries(defaults).map(([metric, limit]) => ({ when: `metric = ${sqlString(metric)}`, limit })),
  ];
  const column = (alias: string, pick: (l: StaticLimit) => string) => {
    if (branches.length === 0) return `CAST(NULL AS DOUBLE) AS ${alias}`;
    const whens = branches.map((b) => `      WHEN ${b.when} THEN ${pick(b.limit)}`).join("\n");
    return `CASE\n${whens}\n    END AS ${alias}`;
  };
  const num = (v: number | undefined) => (v === undefined ? "CAST(NULL AS DOUBLE)" : sqlDouble(v));
  return [
    column("static_low", (l) => num(l.low)),
    column("static_high", (l) => num(l.high)),
    column("static_scale", (l) => sqlDouble(scale(l))),
    column("static_severity", (l) => sqlString(l.severity)),
  ].join(",\n    ");
}

/** The anomaly stages, from the engine's `series` stage to `anomaly_scored` (one row per reading, every rule judged). */
export function anomalyStages(def: AnalyticsDefinition, d: Dialect): Stage[] {
  const v = d.id("value");
  const { deviation: dev, rateOfChange: roc, flatline } = def.rules;
  const c = carried(d);
  return [
    {
      name: "anomaly_step",
      about: "Previous reading of the same series (value and time): the input of rate of change and data gap.",
      sql: `SELECT
    ${c},
    -- Of the two values in the window, the previous one is whichever is not the current (exact, no arithmetic).
    CASE WHEN COUNT(*) OVER w = 2 THEN
      CASE WHEN MAX(${v}) OVER w = ${v} THEN MIN(${v}) OVER w ELSE MAX(${v}) OVER w END
    END AS prev_value,
    CASE WHEN COUNT(*) OVER w = 2 THEN MIN(event_ms) OVER w END AS prev_ms
  FROM series
  ${seriesWindow(d, 1)}`,
    },
    {
      name: "anomaly_run",
      about: `Spread of the last ${flatline.rows} readings (zero = stuck sensor), plus the step to the previous reading.`,
      sql: `SELECT
    ${c}, prev_value, prev_ms,
    ${v} - prev_value AS step,
    event_ms - prev_ms AS interval_ms,
    COUNT(*) OVER w AS run_rows,
    MAX(${v}) OVER w - MIN(${v}) OVER w AS run_spread
  FROM anomaly_step
  ${seriesWindow(d, flatline.rows - 1)}`,
    },
    {
      name: "anomaly_level",
      about: `Trailing baseline of the last ${dev.baselineRows} readings, the judged reading excluded: count, mean, sample variance, first time.`,
      sql: `SELECT
    ${c}, prev_value, prev_ms, step, interval_ms, run_rows, run_spread,
    COUNT(*) OVER w - 1 AS base_rows,
    (SUM(${v}) OVER w - ${v}) AS base_sum,
    (SUM(${v} * ${v}) OVER w - ${v} * ${v}) AS base_sumsq,
    MIN(event_ms) OVER w AS base_first_ms
  FROM anomaly_run
  ${seriesWindow(d, dev.baselineRows)}`,
    },
    {
      name: "anomaly_change",
      about: `Typical reading-to-reading change: RMS of the last ${roc.baselineRows} steps, the judged step excluded.`,
      sql: `SELECT
    ${c}, prev_value, prev_ms, step, interval_ms, run_rows, run_spread,
    base_rows, base_sum, base_sumsq, base_first_ms,
    COUNT(step) OVER w - CASE WHEN step IS NULL THEN 0 ELSE 1 END AS step_rows,
    SUM(step * step) OVER w - COALESCE(step * step, 0) AS step_sumsq
  FROM anomaly_level
  ${seriesWindow(d, roc.baselineRows)}`,
    },
    {
      name: "anomaly_stats",
      about: "Baseline mean and effective standard deviations (floored), typical interval and static limits per reading.",
      sql: `SELECT
    ${c}, prev_value, prev_ms, step, interval_ms, run_rows, run_spread, base_rows, step_rows,
    CASE WHEN base_rows > 0 THEN base_sum / base_rows END AS base_mean,
    CASE WHEN base_rows > 1 THEN ${d.sqrt(`GREATEST((base_sumsq - base_sum * base_sum / base_rows) / (base_rows - 1), ${sqlDouble(0)})`)} END AS base_std,
    CASE WHEN base_rows > 1 THEN GREATEST(
      ${d.sqrt(`GREATEST((base_sumsq - base_sum * base_sum / base_rows) / (base_rows - 1), ${sqlDouble(0)})`)},
      ${sqlDouble(dev.relativeStdFloor)} * ABS(base_sum / base_rows),
      ${sqlDouble(dev.absoluteStdFloor)}) END AS base_std_eff,
    CASE WHEN step_rows > 0 THEN GREATEST(
      ${d.sqrt(`GREATEST(step_sumsq / step_rows, ${sqlDouble(0)})`)},
      ${sqlDouble(roc.relativeFloor)} * ABS(prev_value),
      ${sqlDouble(roc.absoluteFloor)}) END AS step_rms_eff,
    -- Mean interval between the baseline's readings; the window's first reading to the previous one.
    CASE WHEN base_rows > 1 THEN CAST(prev_ms - base_first_ms AS DOUBLE) / (base_rows - 1) END AS typical_interval_ms,
    ${staticLimitCases(def, d)}
  FROM anomaly_change`,
    },
    {
      name: "anomaly_scored",
      about: "Every rule judged on every reading: fired flag, score (1.0 = at the threshold), baseline, limit, severity.",
      sql: scoredSql(def, d),
    },
  ];
}

function scoredSql(def: AnalyticsDefinition, d: Dialect): string {
  const v = d.id("value");
  const { staticLimit, deviation: dev, rateOfChange: roc, flatline, dataGap: gap } = def.rules;
  const on = (enabled: boolean, cond: string) => (enabled ? `(${cond})` : "FALSE");
  const devBand = `${sqlDouble(dev.threshold)} * base_std_eff`;
  const rocBand = `${sqlDouble(roc.threshold)} * step_rms_eff`;
  const gapLimit = `CASE WHEN base_rows - 1 >= ${gap.minBaselineRows}
      THEN LEAST(${sqlDouble(gap.factor)} * typical_interval_ms, ${sqlDouble(gap.maxGapSeconds * 1000)})
      ELSE ${sqlDouble(gap.maxGapSeconds * 1000)} END`;
  return `SELECT
    ${carried(d)},
    -- static_limit: outside the configured operating range
    ${on(staticLimit.enabled, `${v} > static_high OR ${v} < static_low`)} AS static_fired,
    CASE WHEN ${v} > static_high THEN 1 + (${v} - static_high) / static_scale
         WHEN ${v} < static_low THEN 1 + (static_low - ${v}) / static_scale END AS static_score,
    CASE WHEN ${v} > static_high THEN static_high WHEN ${v} < static_low THEN static_low END AS static_limit,
    static_severity,
    -- deviation: |value - mean| beyond ${dev.threshold} effective standard deviations of the trailing baseline
    ${on(dev.enabled, `base_rows >= ${dev.minBaselineRows} AND ABS(${v} - base_mean) > ${devBand}`)} AS deviation_fired,
    ABS(${v} - base_mean) / (${devBand}) AS deviation_score,
    base_mean AS deviation_baseline,
    CASE WHEN ${v} >= base_mean THEN base_mean + ${devBand} ELSE base_mean - ${devBand} END AS deviation_limit,
    -- rate_of_change: step from the previous reading beyond ${roc.threshold} × the typical step
    ${on(roc.enabled, `step_rows >= ${roc.minBaselineRows} AND ABS(step) > ${rocBand}`)} AS roc_fired,
    ABS(step) / (${rocBand}) AS roc_score,
    prev_value AS roc_baseline,
    CASE WHEN step >= 0 THEN prev_value + ${rocBand} ELSE prev_value - ${rocBand} END AS roc_limit,
    -- flatline: ${flatline.rows} identical readings from a series whose baseline does vary
    ${on(flatline.enabled, `run_rows = ${flatline.rows} AND run_spread = 0 AND base_rows >= ${dev.minBaselineRows}
      AND base_std > GREATEST(${sqlDouble(dev.relativeStdFloor)} * ABS(base_mean), ${sqlDouble(dev.absoluteStdFloor)})`)} AS flatline_fired,
    -- data_gap: silence before this reading longer than min(${gap.factor} × typical interval, ${gap.maxGapSeconds} s)
    ${on(gap.enabled, `interval_ms > ${gapLimit}`)} AS gap_fired,
    interval_ms / (${gapLimit}) AS gap_score
  FROM anomaly_stats`;
}

/** Column expressions of one anomaly row per rule, in the order of the `anomalies` lake table. */
const ruleColumns: Record<RuleName, (def: AnalyticsDefinition, d: Dialect) => { fired: string; score: string; baseline: string; limit: string; severity: string }> = {
  static_limit: () => ({ fired: "static_fired", score: "static_score", baseline: "CAST(NULL AS DOUBLE)", limit: "static_limit", severity: "static_severity" }),
  deviation: (def) => ({
    fired: "deviation_fired", score: "deviation_score", baseline: "deviation_baseline", limit: "deviation_limit",
    severity: `CASE WHEN deviation_score >= ${sqlDouble(def.rules.deviation.criticalScore)} THEN 'critical' ELSE 'warning' END`,
  }),
  rate_of_change: (def) => ({
    fired: "roc_fired", score: "roc_score", baseline: "roc_baseline", limit: "roc_limit",
    severity: `CASE WHEN roc_score >= ${sqlDouble(def.rules.rateOfChange.criticalScore)} THEN 'critical' ELSE 'warning' END`,
  }),
  flatline: (def, d) => ({
    fired: "flatline_fired", score: sqlDouble(1), baseline: d.id("value"), limit: "CAST(NULL AS DOUBLE)",
    severity: sqlString(def.rules.flatline.severity),
  }),
  data_gap: (def) => ({
    fired: "gap_fired", score: "gap_score", baseline: "CAST(NULL AS DOUBLE)", limit: "CAST(NULL AS DOUBLE)",
    severity: sqlString(def.rules.dataGap.severity),
  }),
};

/** Rule precedence: when several rules fire on one reading, the alert names the first of this list. */
export const RULE_PRECEDENCE: RuleName[] = ["static_limit", "deviation", "rate_of_change", "flatline", "data_gap"];

/** One SELECT per rule over `anomaly_scored`; their UNION ALL is the anomalies table (lake column order). */
export function anomalySelects(def: AnalyticsDefinition, d: Dialect): { rule: RuleName; sql: string }[] {
  const expected = ANOMALIES.columns.map((col) => col.name).join(",");
  const names = "device_id,site,line,metric,event_ts,value,rule,score,baseline,limit_value,severity";
  if (expected !== names) throw new Error(`anomalies lake columns changed (${expected}); update analytics/stages.ts`);
  return RULE_PRECEDENCE.map((rule) => {
    const r = ruleColumns[rule](def, d);
    return {
      rule,
      sql: `SELECT ${KEY},
    ${d.timestampOut("event_ms")} AS event_ts,
    ${d.id("value")},
    ${sqlString(rule)} AS rule,
    ${r.score} AS score,
    ${r.baseline} AS baseline,
    ${r.limit} AS limit_value,
    ${r.severity} AS severity
  FROM anomaly_scored
  WHERE ${r.fired}`,
    };
  });
}

/**
 * Alert stages: `alert_readings` (one row per anomalous reading, whatever the number of rules that fired) and
 * `alert_transitions` (is this reading the first of an episode?). An episode of a series opens at an anomalous
 * reading whose previous anomalous reading is at least the hold time older (or absent) and clears at the last
 * anomalous reading + hold time: exactly a session window with gap = hold time.
 */
export function alertStages(def: AnalyticsDefinition, d: Dialect): Stage[] {
  const v = d.id("value");
  const holdMs = def.alerts.holdSeconds * 1000;
  const pick = (field: "baseline" | "limit") =>
    `CASE\n${RULE_PRECEDENCE.map((rule) => {
      const r = ruleColumns[rule](def, d);
      return `      WHEN ${r.fired} THEN ${r[field]}`;
    }).join("\n")}\n    END`;
  return [
    {
      name: "alert_readings",
      about: "Anomalous readings, one row each: the highest-precedence rule that fired, its limit, the worst severity, and which side of its reference the value is on.",
      sql: `SELECT
    ${carried(d)},
    CASE\n${RULE_PRECEDENCE.map((rule) => `      WHEN ${ruleColumns[rule](def, d).fired} THEN ${sqlString(rule)}`).join("\n")}\n    END AS top_rule,
    ${pick("limit")} AS top_limit,
    -- Worst severity over every rule that fired on the reading.
    CASE WHEN ${RULE_PRECEDENCE.map((rule) => {
      const r = ruleColumns[rule](def, d);
      return `(${r.fired} AND ${r.severity} = 'critical')`;
    }).join("\n      OR ")}
      THEN 'critical' ELSE 'warning' END AS worst_severity,
    -- Reference the value is judged against: the rule's baseline, else its limit, else the value itself.
    ${v} - COALESCE(${pick("baseline")}, ${pick("limit")}, ${v}) AS excess
  FROM anomaly_scored
  WHERE ${RULE_PRECEDENCE.map((rule) => ruleColumns[rule](def, d).fired).join(" OR ")}`,
    },
    {
      name: "alert_transitions",
      about: `Time of the previous anomalous reading of the series: a reading opens an episode when there is none within the hold time (${def.alerts.holdSeconds} s).`,
      sql: `SELECT
    ${carried(d)}, top_rule, top_limit, worst_severity, excess,
    CASE WHEN COUNT(*) OVER w = 1 OR event_ms - MIN(event_ms) OVER w >= ${holdMs} THEN TRUE ELSE FALSE END AS opens
  FROM alert_readings
  ${seriesWindow(d, 1)}`,
    },
  ];
}

/** The `open` transition rows (lake column order) from `alert_transitions`. */
export function alertOpenSelect(d: Dialect): string {
  assertAlertColumns();
  return `SELECT ${KEY},
    top_rule AS rule,
    'open' AS state,
    ${d.timestampOut("event_ms")} AS event_ts,
    ${d.timestampOut("event_ms")} AS episode_start,
    ${d.nullTimestamp} AS episode_end,
    ${d.id("value")} AS peak_value,
    top_limit AS limit_value,
    CAST(1 AS BIGINT) AS anomaly_count,
    worst_severity AS severity
  FROM alert_transitions
  WHERE opens`;
}

/**
 * Select list of the `cleared` row of one episode, aggregated over its anomalous readings (any GROUP BY that
 * forms episodes: Flink's session window, DuckDB's episode number). The peak is the most extreme value on the
 * side the episode went (above or below its references); its limit is the tightest limit crossed on that side,
 * which the peak necessarily crossed.
 */
export function alertClearedColumns(def: AnalyticsDefinition, d: Dialect): string {
  assertAlertColumns();
  const v = d.id("value");
  const holdMs = def.alerts.holdSeconds * 1000;
  const upward = `MAX(GREATEST(excess, ${sqlDouble(0)})) >= MAX(GREATEST(-excess, ${sqlDouble(0)}))`;
  return `${KEY},
    ${d.firstInGroup("top_rule")} AS rule,
    'cleared' AS state,
    ${d.timestampOut(`MAX(event_ms) + ${holdMs}`)} AS event_ts,
    ${d.timestampOut("MIN(event_ms)")} AS episode_start,
    ${d.timestampOut(`MAX(event_ms) + ${holdMs}`)} AS episode_end,
    CASE WHEN ${upward} THEN MAX(${v}) ELSE MIN(${v}) END AS peak_value,
    CASE WHEN ${upward} THEN MIN(CASE WHEN excess > 0 THEN top_limit END)
         ELSE MAX(CASE WHEN excess < 0 THEN top_limit END) END AS limit_value,
    COUNT(*) AS anomaly_count,
    CASE WHEN MAX(CASE WHEN worst_severity = 'critical' THEN 1 ELSE 0 END) = 1 THEN 'critical' ELSE 'warning' END AS severity`;
}

function assertAlertColumns(): void {
  const expected = ALERTS.columns.map((col) => col.name).join(",");
  const names = "device_id,site,line,metric,rule,state,event_ts,episode_start,episode_end,peak_value,limit_value,anomaly_count,severity";
  if (expected !== names) throw new Error(`alerts lake columns changed (${expected}); update analytics/stages.ts`);
}

/** Whether a value is a plausible reading of its metric (the aggregates' `valid_count`); unknown metrics: finite. */
export function validValueExpr(d: Dialect): string {
  const v = d.id("value");
  const finite = `ABS(${v}) <= ${sqlDouble(Number.MAX_VALUE)}`;
  const whens = Object.entries(METRICS)
    .map(([m, spec]) => `WHEN metric = ${sqlString(m)} THEN ${v} >= ${sqlDouble(spec.plausible[0])} AND ${v} <= ${sqlDouble(spec.plausible[1])}`)
    .join("\n      ");
  return `CASE\n      ${whens}\n      ELSE ${finite} END`;
}

/**
 * Select list of one tumbling-window aggregate row (lake column order), over the readings of one window of
 * `windowSeconds` grouped by series and window. Window start and end are computed from the event times so that
 * both engines produce the same epoch-aligned `[start, end)` whatever their window syntax.
 */
export function aggregateColumns(windowSeconds: number, d: Dialect): string {
  const expected = AGGREGATES.columns.map((col) => col.name).join(",");
  const names = "device_id,site,line,metric,window_seconds,window_start,window_end,sample_count,valid_count,min_value,max_value,avg_value,stddev_value,first_event_ts,last_event_ts";
  if (expected !== names) throw new Error(`aggregates lake columns changed (${expected}); update analytics/stages.ts`);
  const v = d.id("value");
  const ms = windowSeconds * 1000;
  const start = `CAST(FLOOR(CAST(MIN(event_ms) AS DOUBLE) / ${ms}) AS BIGINT) * ${ms}`;
  return `${KEY},
    CAST(${windowSeconds} AS INT) AS window_seconds,
    ${d.timestampOut(start)} AS window_start,
    ${d.timestampOut(`${start} + ${ms}`)} AS window_end,
    COUNT(*) AS sample_count,
    CAST(SUM(CASE WHEN ${validValueExpr(d).replace(/\n/g, "\n  ")} THEN 1 ELSE 0 END) AS BIGINT) AS valid_count,
    MIN(${v}) AS min_value,
    MAX(${v}) AS max_value,
    AVG(${v}) AS avg_value,
    STDDEV_SAMP(${v}) AS stddev_value,
    ${d.timestampOut("MIN(event_ms)")} AS first_event_ts,
    ${d.timestampOut("MAX(event_ms)")} AS last_event_ts`;
}
