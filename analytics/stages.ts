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

/**
 * One step of the anomaly chain: `SELECT *, <columns> FROM <previous step>`, either a plain projection or
 * with one OVER window per series of `preceding` rows up to the current one. Window steps with the same `pass`
 * only read columns computed before that pass, so an engine may evaluate them in one SELECT (DuckDB does, to
 * sort once); Flink gets one view per step (one OVER window per SELECT).
 */
export interface Step {
  name: string;
  about: string;
  columns: string[];
  window?: { preceding: number; pass: number };
}

const KEY = "device_id, site, line, metric";

/** The OVER window of a series: `preceding` rows before the current one, in event order. */
export function seriesWindowSpec(d: Dialect, preceding: number | "UNBOUNDED"): string {
  return `PARTITION BY ${d.seriesPartition} ORDER BY ${d.seriesOrder} ROWS BETWEEN ${preceding} PRECEDING AND CURRENT ROW`;
}

function seriesWindow(d: Dialect, preceding: number | "UNBOUNDED"): string {
  return `WINDOW w AS (${seriesWindowSpec(d, preceding)})`;
}

/** Columns every anomaly stage passes on unchanged. */
function carried(d: Dialect): string {
  return `${KEY}, ${d.id("value")}, event_ts, event_ms, ingest_ms${d.carriedExtra}`;
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
  const column = (alias: string, pick: (l: StaticLimit) => string, wrap = (e: string) => e) => {
    if (branches.length === 0) return `${wrap("CAST(NULL AS DOUBLE)")} AS ${alias}`;
    const whens = branches.map((b) => `      WHEN ${b.when} THEN ${pick(b.limit)}`).join("\n");
    return `${wrap(`CASE\n${whens}\n    END`)} AS ${alias}`;
  };
  const num = (v: number | undefined) => (v === undefined ? "CAST(NULL AS DOUBLE)" : sqlDouble(v));
  return [
    column("static_low", (l) => num(l.low)),
    column("static_high", (l) => num(l.high)),
    column("static_scale", (l) => sqlDouble(scale(l))),
    column("static_severity", (l) => sqlString(l.severity), d.text),
  ].join(",\n    ");
}

/**
 * The anomaly steps, from the engine's `series` relation to `anomaly_scored` (one row per reading, every rule
 * judged). Window steps select plain OVER aggregates only; the arithmetic on them happens in projection steps.
 */
export function anomalySteps(def: AnalyticsDefinition, d: Dialect): Step[] {
  const v = d.id("value");
  const { rateOfChange: roc, flatline } = def.rules;
  const { recentRows: recent, referenceRows: reference } = def.baseline;
  const sums = (prefix: string) => [
    `COUNT(*) OVER w AS ${prefix}_rows`,
    `SUM(${v}) OVER w AS ${prefix}_sum`,
    `SUM(${v} * ${v}) OVER w AS ${prefix}_sumsq`,
    `SUM(recent_mean) OVER w AS ${prefix}_msum`,
    `SUM(recent_mean * recent_mean) OVER w AS ${prefix}_msumsq`,
  ];
  const std = (sumsq: string, sum: string, n: string) =>
    d.sqrt(`GREATEST((${sumsq} - ${sum} * ${sum} / ${n}) / (${n} - 1), ${sqlDouble(0)})`);
  const floor = `GREATEST(${sqlDouble(def.baseline.relativeStdFloor)} * ABS(ref_sum / ref_rows), ${sqlDouble(def.baseline.absoluteStdFloor)})`;
  const prev = `CASE WHEN pair_max = ${v} THEN pair_min ELSE pair_max END`;
  return [
    {
      name: "anomaly_pair",
      about: "The reading and the one before it in the same series (two-row window).",
      window: { preceding: 1, pass: 1 },
      columns: [`COUNT(*) OVER w AS pair_rows`, `MAX(${v}) OVER w AS pair_max`, `MIN(${v}) OVER w AS pair_min`, `MIN(event_ms) OVER w AS pair_first_ms`],
    },
    {
      name: "anomaly_run",
      about: `Spread of the last ${flatline.rows} readings (zero = stuck sensor).`,
      window: { preceding: flatline.rows - 1, pass: 1 },
      columns: [`COUNT(*) OVER w AS run_rows`, `MAX(${v}) OVER w AS run_max`, `MIN(${v}) OVER w AS run_min`],
    },
    {
      name: "anomaly_recent",
      about: `Mean of the ${recent} most recent readings (the quantity the level-shift rule judges).`,
      window: { preceding: recent - 1, pass: 1 },
      columns: [`COUNT(*) OVER w AS recent_rows`, `AVG(${v}) OVER w AS recent_mean`],
    },
    {
      name: "anomaly_step",
      about: "Previous value and time, step and interval: the input of rate of change and data gap.",
      columns: [
        // Of the two values in the pair, the previous one is whichever is not the current (exact, no arithmetic).
        `CASE WHEN pair_rows = 2 THEN ${prev} END AS prev_value`,
        `CASE WHEN pair_rows = 2 THEN pair_first_ms END AS prev_ms`,
        `CASE WHEN pair_rows = 2 THEN ${v} - ${prev} END AS step`,
        `CASE WHEN pair_rows = 2 THEN event_ms - pair_first_ms END AS interval_ms`,
      ],
    },
    {
      name: "anomaly_near",
      about: `Sums over the ${recent} most recent readings, subtracted below to leave them out of the reference.`,
      window: { preceding: recent - 1, pass: 2 },
      columns: sums("near"),
    },
    {
      name: "anomaly_span",
      about: `Sums over the ${recent + reference} most recent readings: the reference (${reference} readings) plus the recent ones.`,
      window: { preceding: recent + reference - 1, pass: 2 },
      columns: [...sums("span"), `MIN(event_ms) OVER w AS span_first_ms`],
    },
    {
      name: "anomaly_change",
      about: `Squared steps over the last ${roc.baselineRows + 1} readings (the judged step is subtracted below).`,
      window: { preceding: roc.baselineRows, pass: 2 },
      columns: [
        `COUNT(step) OVER w AS change_rows`,
        `SUM(step * step) OVER w AS change_sumsq`,
        `SUM(CASE WHEN step = 0 THEN 1 ELSE 0 END) OVER w AS change_repeats`,
      ],
    },
    {
      name: "anomaly_reference",
      about: "Reference = span minus recent readings; the typical step excludes the judged step.",
      columns: [
        "run_max - run_min AS run_spread",
        "span_rows - near_rows AS ref_rows",
        "span_sum - near_sum AS ref_sum",
        "span_sumsq - near_sumsq AS ref_sumsq",
        "span_msum - near_msum AS ref_msum",
        "span_msumsq - near_msumsq AS ref_msumsq",
        "change_rows - CASE WHEN step IS NULL THEN 0 ELSE 1 END AS step_rows",
        `change_sumsq - COALESCE(step * step, ${sqlDouble(0)}) AS step_sumsq`,
        // Share of recent steps that repeated the previous value (quantised or slow sensors repeat often).
        `CASE WHEN change_rows > 0 THEN CAST(change_repeats AS DOUBLE) / change_rows END AS repeat_share`,
      ],
    },
    {
      name: "anomaly_stats",
      about: "Reference mean and standard deviations (raw and floored), typical step and interval, static limits.",
      columns: [
        "CASE WHEN ref_rows > 0 THEN ref_sum / ref_rows END AS ref_mean",
        `CASE WHEN ref_rows > 1 THEN ${std("ref_sumsq", "ref_sum", "ref_rows")} END AS ref_std`,
        `CASE WHEN ref_rows > 1 THEN GREATEST(${std("ref_sumsq", "ref_sum", "ref_rows")}, ${floor}) END AS ref_std_eff`,
        "CASE WHEN ref_rows > 1 THEN ref_msum / ref_rows END AS ref_mmean",
        `CASE WHEN ref_rows > 1 THEN GREATEST(${std("ref_msumsq", "ref_msum", "ref_rows")}, ${floor}) END AS ref_mstd_eff`,
        `CASE WHEN step_rows > 0 THEN GREATEST(${d.sqrt(`GREATEST(step_sumsq / step_rows, ${sqlDouble(0)})`)}, ${sqlDouble(roc.relativeFloor)} * ABS(prev_value), ${sqlDouble(roc.absoluteFloor)}) END AS step_rms_eff`,
        // Mean interval between the readings of the span before this one (at least 1 ms).
        `CASE WHEN span_rows > 2 THEN GREATEST(CAST(prev_ms - span_first_ms AS DOUBLE) / (span_rows - 2), ${sqlDouble(1)}) END AS typical_interval_ms`,
        staticLimitCases(def, d),
      ],
    },
    ...judgedSteps(def, d),
  ];
}

/** Rules whose single firing can be chance (statistical tests on noisy data); the others are definite events. */
const STATISTICAL_FIRED = ["deviation_fired", "shift_fired", "roc_fired"];

/**
 * The scoring steps, ending with `anomaly_scored`: every rule judged, then whether the reading counts toward an
 * alert (`alert_fired`). A definite event (static limit, flatline, data gap) or a critical statistical reading
 * counts at once; a warning-level statistical reading only once the evidence is confirmed — at least
 * `confirmation.readings` of the series' last `confirmation.window` readings fired a statistical rule — so a
 * short burst of marginal readings stays in the anomalies table without paging anyone.
 */
function judgedSteps(def: AnalyticsDefinition, d: Dialect): Step[] {
  const { deviation: dev, levelShift: shift, rateOfChange: roc } = def.rules;
  const { readings, window } = def.alerts.confirmation;
  const definite = "static_fired OR gap_fired OR flatline_fired";
  const critical = [
    `(deviation_fired AND deviation_score >= ${sqlDouble(dev.criticalScore)})`,
    `(shift_fired AND shift_score >= ${sqlDouble(shift.criticalScore)})`,
    `(roc_fired AND roc_score >= ${sqlDouble(roc.criticalScore)})`,
  ].join(" OR ");
  const statistical = STATISTICAL_FIRED.join(" OR ");
  const scoredAbout = "Every rule judged on every reading: fired flag, score (1.0 = at the threshold), baseline, limit.";
  if (readings === 1) {
    // Every anomalous reading counts: no evidence window needed.
    return [{ name: "anomaly_scored", about: scoredAbout, columns: [...scoredColumns(def, d), `${definite} OR ${statistical} AS alert_fired`] }];
  }
  return [
    { name: "anomaly_judged", about: scoredAbout, columns: scoredColumns(def, d) },
    {
      name: "anomaly_evidence",
      about: `Statistical anomalies among the last ${window} readings (the evidence an alert needs).`,
      window: { preceding: window - 1, pass: 3 },
      columns: [`SUM(CASE WHEN ${statistical} THEN 1 ELSE 0 END) OVER w AS evidence_rows`],
    },
    {
      name: "anomaly_scored",
      about: `Whether the reading counts toward an alert: a definite event, a critical reading, or a confirmed one (${readings} of the last ${window}).`,
      columns: [`${definite} OR ${critical} OR ((${statistical}) AND evidence_rows >= ${readings}) AS alert_fired`],
    },
  ];
}

/**
 * One step as `SELECT *, columns FROM from [WHERE where]` (Flink view body, DuckDB CTE body). The filter
 * applies before the step's window (see flink.ts windowBarrier).
 */
export function stepSql(step: Step, from: string, d: Dialect, where?: string): string {
  const cols = step.columns.map((c) => `    ${c}`).join(",\n");
  const filter = where ? `\n  WHERE ${where}` : "";
  const window = step.window ? `\n  ${seriesWindow(d, step.window.preceding)}` : "";
  return `SELECT *,\n${cols}\n  FROM ${from}${filter}${window}`;
}

function scoredColumns(def: AnalyticsDefinition, d: Dialect): string[] {
  const v = d.id("value");
  const { staticLimit, deviation: dev, levelShift: shift, rateOfChange: roc, flatline, dataGap: gap } = def.rules;
  const minRef = def.baseline.minReferenceRows;
  const on = (enabled: boolean, cond: string) => (enabled ? `(${cond})` : "FALSE");
  const devBand = `${sqlDouble(dev.threshold)} * ref_std_eff`;
  const recent = def.baseline.recentRows;
  // The spread of recent means is measured on overlapping windows over a finite reference: it runs low by about
  // (ref − recent) / ref, and the reference mean compared against is itself uncertain by recent / ref of it.
  // Both corrections together: × √((ref + recent) / (ref − recent)) — 1.1 on a full default reference, 1.6 on
  // one of 280 readings — so a young reference, whose spread is barely estimated, needs a larger shift.
  const shiftBand = `${sqlDouble(shift.threshold)} * ref_mstd_eff * ${d.sqrt(`(ref_rows + ${sqlDouble(recent)}) / GREATEST(ref_rows - ${sqlDouble(recent)}, ${sqlDouble(1)})`)}`;
  const rocBand = `${sqlDouble(roc.threshold)} * step_rms_eff`;
  const gapLimit = `CASE WHEN typical_interval_ms IS NOT NULL
      THEN LEAST(${sqlDouble(gap.factor)} * typical_interval_ms, ${sqlDouble(gap.maxGapSeconds * 1000)})
      ELSE ${sqlDouble(gap.maxGapSeconds * 1000)} END`;
  return [
    // static_limit: outside the configured operating range
    `${on(staticLimit.enabled, `${v} > static_high OR ${v} < static_low`)} AS static_fired`,
    `CASE WHEN ${v} > static_high THEN 1 + (${v} - static_high) / static_scale
         WHEN ${v} < static_low THEN 1 + (static_low - ${v}) / static_scale END AS static_score`,
    `CASE WHEN ${v} > static_high THEN static_high WHEN ${v} < static_low THEN static_low END AS static_limit`,
    // deviation: the reading is beyond the threshold in reference standard deviations from the reference mean
    `${on(dev.enabled, `ref_rows >= ${minRef} AND ABS(${v} - ref_mean) > ${devBand}`)} AS deviation_fired`,
    `ABS(${v} - ref_mean) / (${devBand}) AS deviation_score`,
    `CASE WHEN ${v} >= ref_mean THEN ref_mean + ${devBand} ELSE ref_mean - ${devBand} END AS deviation_limit`,
    // level_shift: the recent mean is beyond the threshold × the spread recent means have within the reference
    // (corrected for the reference's finite length; silent until the reference is longer than the recent window)
    `${on(shift.enabled, `ref_rows >= ${Math.max(minRef, recent + 1)} AND recent_rows = ${recent} AND ABS(recent_mean - ref_mmean) > ${shiftBand}`)} AS shift_fired`,
    `ABS(recent_mean - ref_mmean) / (${shiftBand}) AS shift_score`,
    `CASE WHEN recent_mean >= ref_mmean THEN ref_mmean + ${shiftBand} ELSE ref_mmean - ${shiftBand} END AS shift_limit`,
    // rate_of_change: step from the previous reading beyond the threshold × the typical step
    `${on(roc.enabled, `step_rows >= ${roc.minBaselineRows} AND ABS(step) > ${rocBand}`)} AS roc_fired`,
    `ABS(step) / (${rocBand}) AS roc_score`,
    `CASE WHEN step >= 0 THEN prev_value + ${rocBand} ELSE prev_value - ${rocBand} END AS roc_limit`,
    // flatline: identical readings, a run this series' own rate of repeats makes implausible
    `${on(flatline.enabled, `run_rows = ${flatline.rows} AND run_spread = 0 AND step_rows >= ${roc.minBaselineRows}
      AND POWER(repeat_share, ${flatline.rows - 1}) < ${sqlDouble(flatline.maxRunProbability)}`)} AS flatline_fired`,
    // data_gap: silence before this reading longer than min(factor × typical interval, max gap)
    `${on(gap.enabled, `interval_ms > ${gapLimit}`)} AS gap_fired`,
    `interval_ms / (${gapLimit}) AS gap_score`,
  ];
}

/** Column expressions of one anomaly row per rule, in the order of the `anomalies` lake table. */
const ruleColumns: Record<RuleName, (def: AnalyticsDefinition, d: Dialect) => { fired: string; score: string; baseline: string; limit: string; severity: string }> = {
  static_limit: () => ({ fired: "static_fired", score: "static_score", baseline: "CAST(NULL AS DOUBLE)", limit: "static_limit", severity: "static_severity" }),
  deviation: (def, d) => ({
    fired: "deviation_fired", score: "deviation_score", baseline: "ref_mean", limit: "deviation_limit",
    severity: d.text(`CASE WHEN deviation_score >= ${sqlDouble(def.rules.deviation.criticalScore)} THEN 'critical' ELSE 'warning' END`),
  }),
  level_shift: (def, d) => ({
    fired: "shift_fired", score: "shift_score", baseline: "ref_mmean", limit: "shift_limit",
    severity: d.text(`CASE WHEN shift_score >= ${sqlDouble(def.rules.levelShift.criticalScore)} THEN 'critical' ELSE 'warning' END`),
  }),
  rate_of_change: (def, d) => ({
    fired: "roc_fired", score: "roc_score", baseline: "prev_value", limit: "roc_limit",
    severity: d.text(`CASE WHEN roc_score >= ${sqlDouble(def.rules.rateOfChange.criticalScore)} THEN 'critical' ELSE 'warning' END`),
  }),
  flatline: (def, d) => ({
    fired: "flatline_fired", score: sqlDouble(1), baseline: d.id("value"), limit: "CAST(NULL AS DOUBLE)",
    severity: d.text(sqlString(def.rules.flatline.severity)),
  }),
  data_gap: (def, d) => ({
    fired: "gap_fired", score: "gap_score", baseline: "CAST(NULL AS DOUBLE)", limit: "CAST(NULL AS DOUBLE)",
    severity: d.text(sqlString(def.rules.dataGap.severity)),
  }),
};

/** Every rule's columns over `anomaly_scored`, in precedence order: the parts of one anomaly row per rule. */
export function anomalyRuleColumns(def: AnalyticsDefinition, d: Dialect): ({ rule: RuleName } & ReturnType<(typeof ruleColumns)[RuleName]>)[] {
  return RULE_PRECEDENCE.map((rule) => ({ rule, ...ruleColumns[rule](def, d) }));
}

/** Rule precedence: when several rules fire on one reading, the alert names the first of this list. */
export const RULE_PRECEDENCE: RuleName[] = ["static_limit", "deviation", "level_shift", "rate_of_change", "flatline", "data_gap"];

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
    ${d.text(sqlString(rule))} AS rule,
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
 * Alert stages: `alert_readings` (one row per reading that counts toward an alert — `alert_fired`: anomalous and,
 * for a warning-level statistical rule, confirmed — whatever the number of rules that fired) and
 * `alert_transitions` (is this reading the first of an episode?). An episode of a series opens at such a reading
 * when the previous one is at least the hold time older (or absent) and clears at the last one + hold time:
 * exactly a session window with gap = hold time.
 */
export function alertStages(def: AnalyticsDefinition, d: Dialect): Stage[] {
  const v = d.id("value");
  const pick = (field: "baseline" | "limit") =>
    `CASE\n${RULE_PRECEDENCE.map((rule) => {
      const r = ruleColumns[rule](def, d);
      return `      WHEN ${r.fired} THEN ${r[field]}`;
    }).join("\n")}\n    END`;
  return [
    {
      name: "alert_readings",
      about: "Readings that count toward an alert, one row each: the highest-precedence rule that fired, its limit, the worst severity, and which side of its reference the value is on.",
      sql: `SELECT
    ${carried(d)},
    ${d.text(`CASE\n${RULE_PRECEDENCE.map((rule) => `      WHEN ${ruleColumns[rule](def, d).fired} THEN ${sqlString(rule)}`).join("\n")}\n    END`)} AS top_rule,
    CASE\n${RULE_PRECEDENCE.map((rule, i) => `      WHEN ${ruleColumns[rule](def, d).fired} THEN ${i}`).join("\n")}\n    END AS top_rule_rank,
    ${pick("limit")} AS top_limit,
    -- Worst severity over every rule that fired on the reading.
    CASE WHEN ${RULE_PRECEDENCE.map((rule) => {
      const r = ruleColumns[rule](def, d);
      return `(${r.fired} AND ${r.severity} = 'critical')`;
    }).join("\n      OR ")}
      THEN ${d.text("'critical'")} ELSE ${d.text("'warning'")} END AS worst_severity,
    -- Reference the value is judged against: the rule's baseline, else its limit, else the value itself.
    ${v} - COALESCE(${pick("baseline")}, ${pick("limit")}, ${v}) AS excess
  FROM anomaly_scored
  WHERE alert_fired`,
    },
    {
      name: "alert_transitions",
      about: `Time of the previous anomalous reading of the series: a reading opens an episode when there is none within the hold time (${def.alerts.holdSeconds} s).`,
      sql: `SELECT
    ${carried(d)}, top_rule, top_rule_rank, top_limit, worst_severity, excess,
    COUNT(*) OVER w AS pair_rows,
    MIN(event_ms) OVER w AS pair_first_ms
  FROM alert_readings
  ${seriesWindow(d, 1)}`,
    },
  ];
}

/** True when a row of `alert_transitions` opens an episode: no anomalous reading within the hold time before it. */
export function opensExpr(def: AnalyticsDefinition): string {
  return `(pair_rows = 1 OR event_ms - pair_first_ms >= ${def.alerts.holdSeconds * 1000})`;
}

/** The `open` transition rows (lake column order) from `alert_transitions`. */
export function alertOpenSelect(def: AnalyticsDefinition, d: Dialect): string {
  assertAlertColumns();
  return `SELECT ${KEY},
    top_rule AS rule,
    ${d.text("'open'")} AS state,
    ${d.timestampOut("event_ms")} AS event_ts,
    ${d.timestampOut("event_ms")} AS episode_start,
    ${d.nullTimestamp} AS episode_end,
    ${d.id("value")} AS peak_value,
    top_limit AS limit_value,
    CAST(1 AS BIGINT) AS anomaly_count,
    worst_severity AS severity
  FROM alert_transitions
  WHERE ${opensExpr(def)}`;
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
    -- The opening rule: the rule of the episode's first reading (time and precedence packed into one MIN).
    ${d.text(`CASE MOD(MIN(event_ms * 10 + top_rule_rank), 10)
${RULE_PRECEDENCE.map((rule, i) => `      WHEN ${i} THEN ${sqlString(rule)}`).join("\n")}
    END`)} AS rule,
    ${d.text("'cleared'")} AS state,
    ${d.timestampOut(`MAX(event_ms) + ${holdMs}`)} AS event_ts,
    ${d.timestampOut("MIN(event_ms)")} AS episode_start,
    ${d.timestampOut(`MAX(event_ms) + ${holdMs}`)} AS episode_end,
    CASE WHEN ${upward} THEN MAX(${v}) ELSE MIN(${v}) END AS peak_value,
    CASE WHEN ${upward} THEN MIN(CASE WHEN excess > 0 THEN top_limit END)
         ELSE MAX(CASE WHEN excess < 0 THEN top_limit END) END AS limit_value,
    COUNT(*) AS anomaly_count,
    CASE WHEN MAX(CASE WHEN worst_severity = 'critical' THEN 1 ELSE 0 END) = 1 THEN ${d.text("'critical'")} ELSE ${d.text("'warning'")} END AS severity`;
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
    ${d.stddevSamp(v)} AS stddev_value,
    ${d.timestampOut("MIN(event_ms)")} AS first_event_ts,
    ${d.timestampOut("MAX(event_ms)")} AS last_event_ts`;
}
