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
import { fromInput, lakeSelectList, type LakeOutput } from "./lake-select";
import { type AnalyticsDefinition, holdSteps, type RuleName, type StaticLimit } from "./definition";
import { type Dialect, sqlDouble, sqlString } from "./dialect";
import { staticLimitBranches, staticLimitScale } from "./static-limits";
import { plain, renderStepColumn, type Step, type StepColumn, windowed } from "./step";

export interface Stage {
  name: string;
  /** What the stage answers, written as a comment above it in the generated SQL. */
  about: string;
  sql: string;
}

/** The columns that name a series (one device's metric): Flink partitions its windows by them, DuckDB by their hash (`series_id`). */
export const SERIES_KEY_COLUMNS = ["device_id", "site", "line", "metric"];
const KEY = SERIES_KEY_COLUMNS.join(", ");

/** The series key of a lake row, carried from the input as it is. */
const SERIES_KEY: Record<string, LakeOutput> = Object.fromEntries(SERIES_KEY_COLUMNS.map((k) => [k, fromInput()]));

/**
 * Packs a step index (below 16) with a time: `MIN`/`MAX(event_ms * 16 + step)` picks the step of the earliest or
 * latest reading, the one aggregate both engines have that says which row a value came from.
 */
const STEP_PACK = 16;

/** The index of the smallest step (seconds) at least `ms`; past the last: its index (`clamp`) or one more. */
function stepIndex(ms: string, stepsSeconds: number[], clamp: boolean): string {
  const whens = stepsSeconds.map((s, i) => `WHEN ${ms} <= ${sqlDouble(s * 1000)} THEN ${i}`).join(" ");
  return `CASE ${whens} ELSE ${clamp ? stepsSeconds.length - 1 : stepsSeconds.length} END`;
}

/** The step (milliseconds, DOUBLE) of a step index; null past the last step. */
function stepMs(index: string, stepsSeconds: number[]): string {
  return `CASE ${index} ${stepsSeconds.map((s, i) => `WHEN ${i} THEN ${sqlDouble(s * 1000)}`).join(" ")} END`;
}

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

/** The static limit that applies to a reading, in the precedence of analytics/static-limits.ts (first match wins). */
export function staticLimitColumns(def: AnalyticsDefinition, d: Dialect): StepColumn[] {
  const scoped = staticLimitBranches(def.rules.staticLimit);
  const branches = scoped.map(({ scope, limit }) => ({
    when: [
      ...(scope.site !== undefined ? [`site = ${sqlString(scope.site)}`] : []),
      ...(scope.line !== undefined ? [`line = ${sqlString(scope.line)}`] : []),
      `metric = ${sqlString(scope.metric)}`,
    ].join(" AND "),
    limit,
  }));
  // The scope columns the branches test: metric always, site and line where an override names them.
  const reads = (["site", "line", "metric"] as const).filter((key) => scoped.some(({ scope }) => key === "metric" || scope[key] !== undefined));
  const column = (alias: string, pick: (l: StaticLimit) => string, wrap = (e: string) => e): StepColumn => {
    if (branches.length === 0) return plain(alias, [], wrap("CAST(NULL AS DOUBLE)"));
    const whens = branches.map((b) => `      WHEN ${b.when} THEN ${pick(b.limit)}`).join("\n");
    return plain(alias, reads, wrap(`CASE\n${whens}\n    END`));
  };
  const num = (v: number | undefined) => (v === undefined ? "CAST(NULL AS DOUBLE)" : sqlDouble(v));
  return [
    column("static_low", (l) => num(l.low)),
    column("static_high", (l) => num(l.high)),
    column("static_scale", (l) => sqlDouble(staticLimitScale(l))),
    column("static_severity", (l) => sqlString(l.severity), d.text),
  ];
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
    windowed(`${prefix}_rows`, [], { kind: "count" }),
    windowed(`${prefix}_sum`, ["value"], { kind: "sum", arg: v }),
    windowed(`${prefix}_sumsq`, ["value"], { kind: "sum", arg: `${v} * ${v}` }),
    windowed(`${prefix}_msum`, ["recent_mean"], { kind: "sum", arg: "recent_mean" }),
    windowed(`${prefix}_msumsq`, ["recent_mean"], { kind: "sum", arg: "recent_mean * recent_mean" }),
  ];
  const std = (sumsq: string, sum: string, n: string) =>
    d.sqrt(`GREATEST((${sumsq} - ${sum} * ${sum} / ${n}) / (${n} - 1), ${sqlDouble(0)})`);
  const floor = `GREATEST(${sqlDouble(def.baseline.relativeStdFloor)} * ABS(ref_sum / ref_rows), ${sqlDouble(def.baseline.absoluteStdFloor)})`;
  const prev = `CASE WHEN pair_max = ${v} THEN pair_min ELSE pair_max END`;
  const prevReads = ["pair_max", "value", "pair_min"];
  // Mean interval over the recent readings, once there are enough of them (at least two).
  const cadenceRows = Math.max(2, Math.min(def.rules.dataGap.minReadings, recent));
  const cadence = `CASE WHEN recent_rows >= ${cadenceRows} THEN CAST(event_ms - recent_first_ms AS DOUBLE) / (recent_rows - 1) END`;
  return [
    {
      name: "anomaly_pair",
      about: "The reading and the one before it in the same series (two-row window).",
      window: { preceding: 1, pass: 1 },
      columns: [
        windowed("pair_rows", [], { kind: "count" }),
        windowed("pair_max", ["value"], { kind: "max", arg: v }),
        windowed("pair_min", ["value"], { kind: "min", arg: v }),
        windowed("pair_first_ms", ["event_ms"], { kind: "min", arg: "event_ms" }),
      ],
    },
    {
      name: "anomaly_run",
      about: `Spread of the last ${flatline.rows} readings (zero = stuck sensor).`,
      window: { preceding: flatline.rows - 1, pass: 1 },
      columns: [
        windowed("run_rows", [], { kind: "count" }),
        windowed("run_max", ["value"], { kind: "max", arg: v }),
        windowed("run_min", ["value"], { kind: "min", arg: v }),
      ],
    },
    {
      name: "anomaly_recent",
      about: `Sum, extremes and first time of the ${recent} most recent readings (the level-shift rule's trimmed mean; the series' cadence).`,
      window: { preceding: recent - 1, pass: 1 },
      columns: [
        windowed("recent_rows", [], { kind: "count" }),
        windowed("recent_sum", ["value"], { kind: "sum", arg: v }),
        windowed("recent_max", ["value"], { kind: "max", arg: v }),
        windowed("recent_min", ["value"], { kind: "min", arg: v }),
        windowed("recent_first_ms", ["event_ms"], { kind: "min", arg: "event_ms" }),
      ],
    },
    {
      name: "anomaly_step",
      about: "Previous value and time, step and interval; the recent mean; the series' typical interval and the allowed silence and alert hold it sets.",
      columns: [
        // Of the two values in the pair, the previous one is whichever is not the current (exact, no arithmetic).
        plain("prev_value", ["pair_rows", ...prevReads], `CASE WHEN pair_rows = 2 THEN ${prev} END`),
        plain("prev_ms", ["pair_rows", "pair_first_ms"], "CASE WHEN pair_rows = 2 THEN pair_first_ms END"),
        plain("step", ["pair_rows", ...prevReads], `CASE WHEN pair_rows = 2 THEN ${v} - ${prev} END`),
        plain("interval_ms", ["pair_rows", "event_ms", "pair_first_ms"], "CASE WHEN pair_rows = 2 THEN event_ms - pair_first_ms END"),
        // Trimmed mean (the highest and lowest reading left out): one bad reading does not move the recent mean,
        // so a spike is judged by the per-reading rules and does not become a level shift for `recentRows` readings.
        plain("recent_mean", ["recent_rows", "recent_sum", "recent_max", "recent_min"], "CASE WHEN recent_rows > 2 THEN (recent_sum - recent_max - recent_min) / (recent_rows - 2) ELSE recent_sum / recent_rows END"),
        plain("cadence_ms", ["recent_rows", "event_ms", "recent_first_ms"], cadence),
        // Inside a run of `rows` identical readings: its steps are not evidence of how often the series repeats.
        plain("stuck", ["run_rows", "run_max", "run_min"], `run_rows = ${flatline.rows} AND run_max = run_min`),
      ],
    },
    {
      name: "anomaly_cadence",
      about: "The silence this reading allows and the alert hold after it, as steps of the definition (by the series' typical interval).",
      columns: [
        plain("silence_step", ["cadence_ms"], stepIndex(`${sqlDouble(def.rules.dataGap.factor)} * cadence_ms`, def.rules.dataGap.silenceStepsSeconds, false)),
        plain("hold_step", ["cadence_ms"], stepIndex(`GREATEST(${sqlDouble(def.alerts.holdSeconds * 1000)}, ${sqlDouble(def.alerts.holdReadings)} * COALESCE(cadence_ms, ${sqlDouble(0)}))`, holdSteps(def), true)),
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
      columns: sums("span"),
    },
    {
      name: "anomaly_change",
      about: `Squared steps over the last ${roc.baselineRows + 1} readings (the judged step is subtracted below).`,
      window: { preceding: roc.baselineRows, pass: 2 },
      columns: [
        windowed("change_rows", ["step"], { kind: "countNonNull", arg: "step" }),
        windowed("change_sumsq", ["step"], { kind: "sum", arg: "step * step" }),
      ],
    },
    {
      name: "anomaly_history",
      about: "Steps and repeated values over the series' whole history, stuck runs left out (the flatline rule's rate of repeats).",
      window: { preceding: "UNBOUNDED", pass: 2 },
      columns: [
        windowed("history_steps", ["step", "stuck"], { kind: "countIf", condition: "step IS NOT NULL AND NOT stuck" }),
        windowed("history_repeats", ["step", "stuck"], { kind: "countIf", condition: "step = 0 AND NOT stuck" }),
      ],
    },
    {
      name: "anomaly_silence",
      about: "The previous reading's allowed silence step (time and step packed into one MIN over the pair).",
      window: { preceding: 1, pass: 2 },
      columns: [windowed("pair_silence_packed", ["event_ms", "silence_step"], { kind: "min", arg: `event_ms * ${STEP_PACK} + silence_step` })],
    },
    {
      name: "anomaly_reference",
      about: "Reference = span minus recent readings; the typical step excludes the judged step.",
      columns: [
        plain("run_spread", ["run_max", "run_min"], "run_max - run_min"),
        ...["rows", "sum", "sumsq", "msum", "msumsq"].map((s) => plain(`ref_${s}`, [`span_${s}`, `near_${s}`], `span_${s} - near_${s}`)),
        plain("step_rows", ["change_rows", "step"], "change_rows - CASE WHEN step IS NULL THEN 0 ELSE 1 END"),
        plain("step_sumsq", ["change_sumsq", "step"], `change_sumsq - COALESCE(step * step, ${sqlDouble(0)})`),
        // Share of the series' steps that repeated the previous value (quantised or slow sensors repeat often).
        plain("repeat_share", ["history_steps", "history_repeats"], "CASE WHEN history_steps > 0 THEN CAST(history_repeats AS DOUBLE) / history_steps END"),
        plain("prev_silence_step", ["pair_rows", "pair_silence_packed"], `CASE WHEN pair_rows = 2 THEN MOD(pair_silence_packed, ${STEP_PACK}) END`),
      ],
    },
    {
      name: "anomaly_stats",
      about: "Reference mean and standard deviations (raw and floored), typical step and interval, static limits.",
      columns: [
        plain("ref_mean", ["ref_rows", "ref_sum"], "CASE WHEN ref_rows > 0 THEN ref_sum / ref_rows END"),
        plain("ref_std", ["ref_rows", "ref_sumsq", "ref_sum"], `CASE WHEN ref_rows > 1 THEN ${std("ref_sumsq", "ref_sum", "ref_rows")} END`),
        plain("ref_std_eff", ["ref_rows", "ref_sumsq", "ref_sum"], `CASE WHEN ref_rows > 1 THEN GREATEST(${std("ref_sumsq", "ref_sum", "ref_rows")}, ${floor}) END`),
        plain("ref_mmean", ["ref_rows", "ref_msum"], "CASE WHEN ref_rows > 1 THEN ref_msum / ref_rows END"),
        plain("ref_mstd_eff", ["ref_rows", "ref_msumsq", "ref_msum", "ref_sum"], `CASE WHEN ref_rows > 1 THEN GREATEST(${std("ref_msumsq", "ref_msum", "ref_rows")}, ${floor}) END`),
        plain("step_rms_eff", ["step_rows", "step_sumsq", "prev_value"], `CASE WHEN step_rows > 0 THEN GREATEST(${d.sqrt(`GREATEST(step_sumsq / step_rows, ${sqlDouble(0)})`)}, ${sqlDouble(roc.relativeFloor)} * ABS(prev_value), ${sqlDouble(roc.absoluteFloor)}) END`),
        // The silence the previous reading allowed (null: not watched).
        plain("gap_allowed_ms", ["prev_silence_step"], stepMs("prev_silence_step", def.rules.dataGap.silenceStepsSeconds)),
        ...staticLimitColumns(def, d),
      ],
    },
    ...judgedSteps(def, d),
  ];
}


/**
 * The scoring steps, ending with `anomaly_scored`: every rule judged, then whether the reading counts toward an
 * alert (`alert_fired`). A definite event (static limit, flatline, data gap) or a critical statistical reading
 * counts at once; a warning-level statistical reading only once the evidence is confirmed — at least
 * `confirmation.readings` of the series' last `confirmation.window` readings fired a statistical rule — so a
 * short burst of marginal readings stays in the anomalies table without paging anyone.
 */
function judgedSteps(def: AnalyticsDefinition, d: Dialect): Step[] {
  const { readings, window } = def.alerts.confirmation;
  // Data gaps alert through their own silence episodes (silenceOpenRow), not through the hold.
  const fired = (rule: RuleName) => ruleColumns[rule](def, d).fired;
  const definite = [fired("static_limit"), fired("flatline")];
  const critical = STATISTICAL_RULES.map((rule) => `(${fired(rule)} AND ${statisticalRules[rule](def, d).critical})`).join(" OR ");
  const statisticalFired = STATISTICAL_RULES.map(fired);
  const statistical = statisticalFired.join(" OR ");
  const alertReads = [...definite, ...STATISTICAL_RULES.flatMap((rule) => [fired(rule), ruleColumns[rule](def, d).score])];
  const scoredAbout = "Every rule judged on every reading: fired flag, score (1.0 = at the threshold), baseline, limit.";
  if (readings === 1) {
    // Every anomalous reading counts: no evidence window needed.
    return [{ name: "anomaly_scored", about: scoredAbout, columns: [...scoredColumns(def, d), plain("alert_fired", [...definite, ...statisticalFired], `${definite.join(" OR ")} OR ${statistical}`)] }];
  }
  return [
    { name: "anomaly_judged", about: scoredAbout, columns: scoredColumns(def, d) },
    {
      name: "anomaly_evidence",
      about: `Statistical anomalies among the last ${window} readings (the evidence an alert needs).`,
      window: { preceding: window - 1, pass: 3 },
      columns: [windowed("evidence_rows", statisticalFired, { kind: "countFired", flags: statisticalFired })],
    },
    {
      name: "anomaly_scored",
      about: `Whether the reading counts toward an alert: a definite event, a critical reading, or a confirmed one (${readings} of the last ${window}).`,
      columns: [plain("alert_fired", [...alertReads, "evidence_rows"], `${definite.join(" OR ")} OR ${critical} OR ((${statistical}) AND evidence_rows >= ${readings})`)],
    },
  ];
}

/**
 * One step as `SELECT *, columns FROM from [WHERE where]` (Flink view body, DuckDB CTE body). The filter
 * applies before the step's window (see flink.ts windowBarrier).
 */
export function stepSql(step: Step, from: string, d: Dialect, where?: string): string {
  const cols = step.columns.map((c) => `    ${renderStepColumn(c)}`).join(",\n");
  const filter = where ? `\n  WHERE ${where}` : "";
  const window = step.window ? `\n  ${seriesWindow(d, step.window.preceding)}` : "";
  return `SELECT *,\n${cols}\n  FROM ${from}${filter}${window}`;
}

function scoredColumns(def: AnalyticsDefinition, d: Dialect): StepColumn[] {
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
  // …and never less than minShiftStd × the spread of single readings: a wandering series' recent means move
  // more than its short reference shows, and a shift inside the series' normal spread is not one to page about.
  const shiftBand = `GREATEST(${sqlDouble(shift.threshold)} * ref_mstd_eff * ${d.sqrt(`(ref_rows + ${sqlDouble(recent)}) / GREATEST(ref_rows - ${sqlDouble(recent)}, ${sqlDouble(1)})`)}, ${sqlDouble(shift.minShiftStd)} * ref_std_eff)`;
  const shiftReads = ["recent_mean", "ref_mmean", "ref_mstd_eff", "ref_rows", "ref_std_eff"];
  const rocBand = `${sqlDouble(roc.threshold)} * step_rms_eff`;
  const when = (enabled: boolean, reads: string[]) => (enabled ? reads : []);
  const limits = ["value", "static_high", "static_low"];
  return [
    // static_limit: outside the configured operating range
    plain("static_fired", when(staticLimit.enabled, limits), on(staticLimit.enabled, `${v} > static_high OR ${v} < static_low`)),
    plain("static_score", [...limits, "static_scale"], `CASE WHEN ${v} > static_high THEN 1 + (${v} - static_high) / static_scale
         WHEN ${v} < static_low THEN 1 + (static_low - ${v}) / static_scale END`),
    plain("static_limit", limits, `CASE WHEN ${v} > static_high THEN static_high WHEN ${v} < static_low THEN static_low END`),
    // deviation: the reading is beyond the threshold in reference standard deviations from the reference mean
    // …and, with newExtremesOnly, the reading is the most extreme of the recent readings on its side: a spike no
    // larger than one the series showed within them is part of its normal behaviour. (The recent window's extremes
    // come with its trimmed mean; extremes over the whole span cost a fifth more scoring time.)
    plain("deviation_fired", when(dev.enabled, ["ref_rows", "value", "ref_mean", "ref_std_eff", ...(dev.newExtremesOnly ? ["recent_max", "recent_min"] : [])]),
      on(dev.enabled, `ref_rows >= ${minRef} AND ABS(${v} - ref_mean) > ${devBand}${dev.newExtremesOnly ? ` AND (${v} >= recent_max OR ${v} <= recent_min)` : ""}`)),
    plain("deviation_score", ["value", "ref_mean", "ref_std_eff"], `ABS(${v} - ref_mean) / (${devBand})`),
    plain("deviation_limit", ["value", "ref_mean", "ref_std_eff"], `CASE WHEN ${v} >= ref_mean THEN ref_mean + ${devBand} ELSE ref_mean - ${devBand} END`),
    // level_shift: the recent mean is beyond the threshold × the spread recent means have within the reference
    // (corrected for the reference's finite length; silent until the reference is longer than the recent window)
    plain("shift_fired", when(shift.enabled, ["ref_rows", "recent_rows", ...shiftReads]),
      on(shift.enabled, `ref_rows >= ${Math.max(minRef, recent + 1)} AND recent_rows = ${recent} AND ABS(recent_mean - ref_mmean) > ${shiftBand}`)),
    plain("shift_score", shiftReads, `ABS(recent_mean - ref_mmean) / (${shiftBand})`),
    plain("shift_limit", shiftReads, `CASE WHEN recent_mean >= ref_mmean THEN ref_mmean + ${shiftBand} ELSE ref_mmean - ${shiftBand} END`),
    // rate_of_change: step from the previous reading beyond the threshold × the typical step
    plain("roc_fired", when(roc.enabled, ["step_rows", "step", "step_rms_eff"]), on(roc.enabled, `step_rows >= ${roc.minBaselineRows} AND ABS(step) > ${rocBand}`)),
    plain("roc_score", ["step", "step_rms_eff"], `ABS(step) / (${rocBand})`),
    plain("roc_limit", ["step", "prev_value", "step_rms_eff"], `CASE WHEN step >= 0 THEN prev_value + ${rocBand} ELSE prev_value - ${rocBand} END`),
    // flatline: identical readings, a run this series' own rate of repeats makes implausible
    plain("flatline_fired", when(flatline.enabled, ["run_rows", "run_spread", "history_steps", "repeat_share"]), on(flatline.enabled, `run_rows = ${flatline.rows} AND run_spread = 0 AND history_steps >= ${roc.minBaselineRows}
      AND POWER(repeat_share, ${flatline.rows - 1}) < ${sqlDouble(flatline.maxRunProbability)}`)),
    // data_gap: the silence before this reading reached what the previous reading allowed
    plain("gap_fired", when(gap.enabled, ["gap_allowed_ms", "interval_ms"]), on(gap.enabled, `gap_allowed_ms IS NOT NULL AND interval_ms >= gap_allowed_ms`)),
    plain("gap_score", ["interval_ms", "gap_allowed_ms"], "interval_ms / gap_allowed_ms"),
  ];
}

/** A statistical rule's columns: critical from `criticalScore` on. */
function statisticalRuleColumns(d: Dialect, columns: Omit<RuleColumns, "severity">, criticalScore: number): RuleColumns & { critical: string } {
  const critical = `${columns.score} >= ${sqlDouble(criticalScore)}`;
  return { ...columns, critical, severity: d.text(`CASE WHEN ${critical} THEN 'critical' ELSE 'warning' END`) };
}

type RuleColumns = { fired: string; score: string; baseline: string; limit: string; severity: string };
type StatisticalRule = (typeof STATISTICAL_RULES)[number];

/** The statistical rules' columns, each with its `critical` condition (the severity's, and what alerts at once). */
const statisticalRules: Record<StatisticalRule, (def: AnalyticsDefinition, d: Dialect) => RuleColumns & { critical: string }> = {
  deviation: (def, d) => statisticalRuleColumns(d, { fired: "deviation_fired", score: "deviation_score", baseline: "ref_mean", limit: "deviation_limit" }, def.rules.deviation.criticalScore),
  level_shift: (def, d) => statisticalRuleColumns(d, { fired: "shift_fired", score: "shift_score", baseline: "ref_mmean", limit: "shift_limit" }, def.rules.levelShift.criticalScore),
  rate_of_change: (def, d) => statisticalRuleColumns(d, { fired: "roc_fired", score: "roc_score", baseline: "prev_value", limit: "roc_limit" }, def.rules.rateOfChange.criticalScore),
};

/** Column expressions of one anomaly row per rule, in the order of the `anomalies` lake table. */
const ruleColumns: Record<RuleName, (def: AnalyticsDefinition, d: Dialect) => RuleColumns> = {
  static_limit: () => ({ fired: "static_fired", score: "static_score", baseline: "CAST(NULL AS DOUBLE)", limit: "static_limit", severity: "static_severity" }),
  ...statisticalRules,
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

/** Rules whose single firing can be chance (statistical tests on noisy data); the others are definite events. */
const STATISTICAL_RULES = ["deviation", "level_shift", "rate_of_change"] as const;

/** Rule precedence: when several rules fire on one reading, the alert names the first of this list. */
export const RULE_PRECEDENCE: RuleName[] = ["static_limit", "deviation", "level_shift", "rate_of_change", "flatline", "data_gap"];

/** One SELECT per rule over `anomaly_scored`; their UNION ALL is the anomalies table (lake column order). */
export function anomalySelects(def: AnalyticsDefinition, d: Dialect): { rule: RuleName; sql: string }[] {
  return RULE_PRECEDENCE.map((rule) => {
    const r = ruleColumns[rule](def, d);
    const columns = lakeSelectList(ANOMALIES, {
      ...SERIES_KEY,
      event_ts: d.timestampOut("event_ms"),
      value: fromInput(),
      rule: d.text(sqlString(rule)),
      score: r.score,
      baseline: r.baseline,
      limit_value: r.limit,
      severity: r.severity,
    }, d, "lines");
    return { rule, sql: `SELECT ${columns}\n  FROM anomaly_scored\n  WHERE ${r.fired}` };
  });
}

/** Rules whose readings form hold episodes (data gaps have silence episodes of their own). */
const EPISODE_RULES = RULE_PRECEDENCE.filter((rule) => rule !== "data_gap");

/**
 * The quantity a rule compares with its limit: the reading's value, except level shift's recent mean. An alert
 * reports it (peak_value), so its peak is always past the limit it names.
 */
function crossedQuantity(rule: RuleName, d: Dialect): string {
  return rule === "level_shift" ? "recent_mean" : d.id("value");
}

/** The hold (ms, DOUBLE) of a hold step index. */
function holdMs(def: AnalyticsDefinition, index: string): string {
  return stepMs(index, holdSteps(def));
}

/** Hold step of the latest reading of a group (an episode, a session). */
const LAST_HOLD_STEP = `MOD(MAX(event_ms * ${STEP_PACK} + hold_step), ${STEP_PACK})`;

/**
 * Alert stages: `alert_readings` (one row per reading that counts toward an alert — `alert_fired`: anomalous and,
 * for a warning-level statistical rule, confirmed — whatever the number of rules that fired) and
 * `alert_transitions` (is this reading the first of an episode?). An episode of a series opens at such a reading
 * when the previous one is at least its hold older (or absent) and clears at the last one + its hold: a session
 * window whose gap is the hold, the hold following the series' cadence (`alerts.holdReadings`).
 */
export function alertStages(def: AnalyticsDefinition, d: Dialect): Stage[] {
  const pick = (field: "baseline" | "limit" | "crossed") =>
    `CASE\n${EPISODE_RULES.map((rule) => {
      const r = ruleColumns[rule](def, d);
      return `      WHEN ${r.fired} THEN ${field === "crossed" ? crossedQuantity(rule, d) : r[field]}`;
    }).join("\n")}\n    END`;
  return [
    {
      name: "alert_readings",
      about: "Readings that count toward an alert, one row each: the highest-precedence rule that fired, the quantity it judged and its limit, the worst severity, which side of its reference the quantity is on, and the hold.",
      sql: `SELECT
    ${carried(d)},
    ${d.text(`CASE\n${EPISODE_RULES.map((rule) => `      WHEN ${ruleColumns[rule](def, d).fired} THEN ${sqlString(rule)}`).join("\n")}\n    END`)} AS top_rule,
    CASE\n${EPISODE_RULES.map((rule) => `      WHEN ${ruleColumns[rule](def, d).fired} THEN ${RULE_PRECEDENCE.indexOf(rule)}`).join("\n")}\n    END AS top_rule_rank,
    ${pick("crossed")} AS crossed,
    ${pick("limit")} AS top_limit,
    -- Worst severity over every rule that fired on the reading.
    CASE WHEN ${EPISODE_RULES.map((rule) => {
      const r = ruleColumns[rule](def, d);
      return `(${r.fired} AND ${r.severity} = 'critical')`;
    }).join("\n      OR ")}
      THEN ${d.text("'critical'")} ELSE ${d.text("'warning'")} END AS worst_severity,
    -- Reference the quantity is judged against: the rule's baseline, else its limit, else the quantity itself.
    ${pick("crossed")} - COALESCE(${pick("baseline")}, ${pick("limit")}, ${pick("crossed")}) AS excess,
    hold_step
  FROM anomaly_scored
  WHERE alert_fired`,
    },
    {
      name: "alert_transitions",
      about: `Time and hold of the previous anomalous reading of the series: a reading opens an episode when there is none within that hold (${holdSteps(def).join(", ")} s by cadence).`,
      sql: `SELECT
    ${carried(d)}, top_rule, top_rule_rank, crossed, top_limit, worst_severity, excess, hold_step,
    COUNT(*) OVER w AS pair_rows,
    MIN(event_ms) OVER w AS pair_first_ms,
    MIN(event_ms * ${STEP_PACK} + hold_step) OVER w AS pair_first_packed
  FROM alert_readings
  ${seriesWindow(d, 1)}`,
    },
  ];
}

/** True when a row of `alert_transitions` opens an episode: no anomalous reading within its hold before it. */
export function opensExpr(def: AnalyticsDefinition): string {
  return `(pair_rows = 1 OR event_ms - pair_first_ms >= ${holdMs(def, `MOD(pair_first_packed, ${STEP_PACK})`)})`;
}

/** The `open` transition rows (lake column order) from `alert_transitions`. */
export function alertOpenSelect(def: AnalyticsDefinition, d: Dialect): string {
  const columns = lakeSelectList(ALERTS, {
    ...SERIES_KEY,
    rule: "top_rule",
    state: d.text("'open'"),
    event_ts: d.timestampOut("event_ms"),
    episode_start: d.timestampOut("event_ms"),
    episode_end: d.nullTimestamp,
    peak_value: "crossed",
    limit_value: "top_limit",
    anomaly_count: "CAST(1 AS BIGINT)",
    severity: "worst_severity",
  }, d, "lines");
  return `SELECT ${columns}\n  FROM alert_transitions\n  WHERE ${opensExpr(def)}`;
}

/** Flink's session windows that close hold episodes: one per hold step, each keeping the episodes of its step. */
export function holdSessions(def: AnalyticsDefinition): { gapMs: number; having: string }[] {
  return holdSteps(def).map((s, i) => ({ gapMs: s * 1000, having: `${LAST_HOLD_STEP} = ${i}` }));
}

/**
 * Select list of the `cleared` row of one episode, aggregated over its anomalous readings (any GROUP BY that
 * forms episodes: Flink's session windows, DuckDB's episode number). It clears at its last reading + that
 * reading's hold. The peak is the opening rule's most extreme judged quantity (the value; level shift's recent
 * mean) on the side the episode went, and its limit the tightest limit of that rule crossed on that side, which
 * the peak necessarily crossed: the row's rule names whose limit it is (static_limit: the specification limit;
 * the others: a statistical band).
 */
export function alertClearedColumns(def: AnalyticsDefinition, d: Dialect): string {
  const end = `MAX(event_ms) + CAST(${holdMs(def, LAST_HOLD_STEP)} AS BIGINT)`;
  const opening = `MOD(MIN(event_ms * 10 + top_rule_rank), 10)`;
  const ofRule = (i: number, e: string) => `CASE WHEN top_rule_rank = ${i} THEN ${e} END`;
  const perRule = (pickOne: (i: number, upward: string) => string) =>
    `CASE ${opening}\n${EPISODE_RULES.map((rule) => {
      const i = RULE_PRECEDENCE.indexOf(rule);
      const upward = `MAX(${ofRule(i, `GREATEST(excess, ${sqlDouble(0)})`)}) >= MAX(${ofRule(i, `GREATEST(-excess, ${sqlDouble(0)})`)})`;
      return `      WHEN ${i} THEN ${pickOne(i, upward)}`;
    }).join("\n")}\n    END`;
  return lakeSelectList(ALERTS, {
    ...SERIES_KEY,
    rule: {
      comment: "The opening rule: the rule of the episode's first reading (time and precedence packed into one MIN).",
      expr: d.text(`CASE ${opening}\n${RULE_PRECEDENCE.map((rule, i) => `      WHEN ${i} THEN ${sqlString(rule)}`).join("\n")}\n    END`),
    },
    state: d.text("'cleared'"),
    event_ts: d.timestampOut(end),
    episode_start: d.timestampOut("MIN(event_ms)"),
    episode_end: d.timestampOut(end),
    peak_value: perRule((i, up) => `CASE WHEN ${up} THEN MAX(${ofRule(i, "crossed")}) ELSE MIN(${ofRule(i, "crossed")}) END`),
    limit_value: perRule((i, up) => `CASE WHEN ${up} THEN MIN(${ofRule(i, "CASE WHEN excess > 0 THEN top_limit END")}) ELSE MAX(${ofRule(i, "CASE WHEN excess < 0 THEN top_limit END")}) END`),
    anomaly_count: "COUNT(*)",
    severity: `CASE WHEN MAX(CASE WHEN worst_severity = 'critical' THEN 1 ELSE 0 END) = 1 THEN ${d.text("'critical'")} ELSE ${d.text("'warning'")} END`,
  }, d, "lines");
}

/** One alert row of a silence (lake column order): allowed silence and silence so far in seconds. */
function silenceRow(def: AnalyticsDefinition, d: Dialect, row: { state: "open" | "cleared"; at: string; start: string; end: string | null; silenceMs: string; allowedMs: string; count: number }): string {
  return lakeSelectList(ALERTS, {
    ...SERIES_KEY,
    rule: d.text("'data_gap'"),
    state: d.text(sqlString(row.state)),
    event_ts: d.timestampOut(row.at),
    episode_start: d.timestampOut(row.start),
    episode_end: row.end === null ? d.nullTimestamp : d.timestampOut(row.end),
    peak_value: `CAST(${row.silenceMs} AS DOUBLE) / 1000`,
    limit_value: `CAST(${row.allowedMs} AS DOUBLE) / 1000`,
    anomaly_count: `CAST(${row.count} AS BIGINT)`,
    severity: d.text(sqlString(def.rules.dataGap.severity)),
  }, d, "lines");
}

/** Silence step of the latest reading of a group (a Flink session, a series' last readings). */
const LAST_SILENCE_STEP = `MOD(MAX(event_ms * ${STEP_PACK} + silence_step), ${STEP_PACK})`;

/**
 * Select list of the `open` row of a silence, aggregated over the readings before it (a Flink session window of
 * the series' allowed silence; the series' last readings locally): opens at the last reading + the silence that
 * reading allowed, while the series is still silent. peak_value and limit_value are seconds of silence.
 */
export function silenceOpenColumns(def: AnalyticsDefinition, d: Dialect): string {
  const allowed = stepMs(LAST_SILENCE_STEP, def.rules.dataGap.silenceStepsSeconds);
  return silenceRow(def, d, { state: "open", at: `MAX(event_ms) + CAST(${allowed} AS BIGINT)`, start: "MAX(event_ms)", end: null, silenceMs: allowed, allowedMs: allowed, count: 0 });
}

/** HAVING over a series' last readings: it is watched for silence and `watermarkMs` is past its allowed silence. */
export function silenceLastingHaving(def: AnalyticsDefinition, watermarkMs: string): string {
  const steps = def.rules.dataGap.silenceStepsSeconds;
  return `${LAST_SILENCE_STEP} < ${steps.length} AND ${watermarkMs} >= MAX(event_ms) + ${stepMs(LAST_SILENCE_STEP, steps)}`;
}

/** Flink's session windows that notice silences: one per allowed-silence step, each alerting the series of its step. */
export function silenceSessions(def: AnalyticsDefinition): { gapMs: number; having: string }[] {
  return def.rules.dataGap.silenceStepsSeconds.map((s, i) => ({ gapMs: s * 1000, having: `${LAST_SILENCE_STEP} = ${i}` }));
}

/** The `cleared` row of a silence, at the reading that ends it (the data_gap anomaly): the silence's real span. */
export function silenceClearedSelect(def: AnalyticsDefinition, d: Dialect): string {
  return `SELECT ${silenceRow(def, d, { state: "cleared", at: "event_ms", start: "prev_ms", end: "event_ms", silenceMs: "interval_ms", allowedMs: "gap_allowed_ms", count: 1 })}
  FROM anomaly_scored
  WHERE gap_fired`;
}

/**
 * The `open` row of a silence that ended, from the reading that ended it (locally; Flink's session window emits
 * the same row when the watermark passed the allowed silence).
 */
export function silenceEndedOpenSelect(def: AnalyticsDefinition, d: Dialect): string {
  return `SELECT ${silenceRow(def, d, { state: "open", at: "prev_ms + CAST(gap_allowed_ms AS BIGINT)", start: "prev_ms", end: null, silenceMs: "gap_allowed_ms", allowedMs: "gap_allowed_ms", count: 0 })}
  FROM anomaly_scored
  WHERE gap_fired`;
}

/**
 * Whether a value is a plausible reading of its metric (the aggregates' `valid_count`); unknown metrics: finite.
 * Its lines are indented for where it sits in the aggregate's select list.
 */
function validValueExpr(d: Dialect): string {
  const v = d.id("value");
  const finite = `ABS(${v}) <= ${sqlDouble(Number.MAX_VALUE)}`;
  const newLine = "\n        ";
  const whens = Object.entries(METRICS)
    .map(([m, spec]) => `WHEN metric = ${sqlString(m)} THEN ${v} >= ${sqlDouble(spec.plausible[0])} AND ${v} <= ${sqlDouble(spec.plausible[1])}`)
    .join(newLine);
  return `CASE${newLine}${whens}${newLine}ELSE ${finite} END`;
}

/**
 * Select list of one tumbling-window aggregate row (lake column order), over the readings of one window of
 * `windowSeconds` grouped by series and window. Window start and end are computed from the event times so that
 * both engines produce the same epoch-aligned `[start, end)` whatever their window syntax.
 */
export function aggregateColumns(windowSeconds: number, d: Dialect): string {
  const v = d.id("value");
  const ms = windowSeconds * 1000;
  const start = `CAST(FLOOR(CAST(MIN(event_ms) AS DOUBLE) / ${ms}) AS BIGINT) * ${ms}`;
  return lakeSelectList(AGGREGATES, {
    ...SERIES_KEY,
    window_seconds: `CAST(${windowSeconds} AS INT)`,
    window_start: d.timestampOut(start),
    window_end: d.timestampOut(`${start} + ${ms}`),
    sample_count: "COUNT(*)",
    valid_count: `CAST(SUM(CASE WHEN ${validValueExpr(d)} THEN 1 ELSE 0 END) AS BIGINT)`,
    min_value: `MIN(${v})`,
    max_value: `MAX(${v})`,
    avg_value: `AVG(${v})`,
    stddev_value: d.stddevSamp(v),
    first_event_ts: d.timestampOut("MIN(event_ms)"),
    last_event_ts: d.timestampOut("MAX(event_ms)"),
  }, d, "lines");
}
