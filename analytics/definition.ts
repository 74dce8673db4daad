/**
 * The analytics definition: the one place that says what the platform computes from accepted readings.
 *
 * Both engines are generated from it: `analytics/flink.ts` writes the Flink SQL that runs in Managed Flink
 * (committed under `sql/flink/`), `analytics/duckdb.ts` builds the DuckDB SQL the local engine runs. Change a
 * parameter here and both follow; a test fails when the committed Flink SQL is stale. A stack overrides the
 * aggregate windows, the alert hold (holdSeconds, holdReadings, holdStepsSeconds), the data-gap rule (factor,
 * minReadings, silenceStepsSeconds) and static limits in its config (config/analytics.ts `stackAnalytics`,
 * which `iotpipe replay --stack-config` applies locally too).
 *
 * Conventions every rule follows:
 * - Windows are per device and metric, in event time, `[window_start, window_end)`: a reading at exactly
 *   `window_end` belongs to the next window. Late readings (behind the watermark) are in no window and judged
 *   by no rule; they are kept in the readings table with `late = true`.
 * - Baselines are counted in ROWS (readings), not time, so the same defaults work on 1-second and 5-minute
 *   data. A baseline never includes the reading it judges.
 * - `score` is how far past the rule's threshold a reading is: 1.0 is exactly at the threshold; rules with a
 *   `criticalScore` report `critical` from that score on and `warning` below it.
 * - `baseline` / `limit_value` per rule (metric's unit unless said): static_limit: null / the limit crossed;
 *   deviation: reference mean / mean ± threshold × std; level_shift: reference mean of recent means / the band
 *   edge the recent mean crossed (the limit is on the recent mean, not on the reading); rate_of_change: previous
 *   value / previous ± threshold × typical step; flatline: the stuck value / null; data_gap: null / null
 *   (score = silence ÷ allowed silence).
 * - Alerts group the anomalies of a device and metric into episodes: an episode opens at a reading that counts
 *   toward an alert with none within the hold before it and clears at the last such reading + the hold. The
 *   hold follows the series' cadence (`alerts.holdReadings`). Static limits, flatline and critical readings
 *   count at once; a warning-level statistical reading (deviation, level shift, rate of change) counts once
 *   confirmed (`alerts.confirmation`). Every anomalous reading is in the anomalies table either way. Silences
 *   have episodes of their own (`DataGapRule`): open while the series is silent, cleared when it returns.
 * - No rule depends on a time constant that breaks at another cadence: baselines count readings; allowed
 *   silence and hold are multiples of the series' typical interval, rounded up to fixed steps only because a
 *   streaming engine's timers (session gaps) are fixed.
 */
import { METRICS, type MetricName } from "../contract/telemetry";
import { DEFAULT_INGEST_POLICY } from "../contract/ingest-policy";

export const SEVERITIES = ["warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const RULES = ["static_limit", "deviation", "level_shift", "rate_of_change", "flatline", "data_gap"] as const;
export type RuleName = (typeof RULES)[number];

/** Operating limits of one metric: a reading below `low` or above `high` is a static_limit anomaly. */
export interface StaticLimit {
  low?: number;
  high?: number;
  severity: Severity;
}

/** A per-site (and optionally per-line) replacement of a metric's default static limit. */
export interface StaticLimitOverride extends StaticLimit {
  site: string;
  /** When absent the override applies to every line of the site; a line override beats a site override. */
  line?: string;
  metric: string;
}

export interface StaticLimitRule {
  enabled: boolean;
  /** Default limits per metric name; metrics without an entry have no static limit. */
  defaults: Record<string, StaticLimit>;
  overrides: StaticLimitOverride[];
}

/**
 * The trailing reference shared by the baseline rules (deviation, level shift, flatline, data gap): the
 * `referenceRows` readings that precede the `recentRows` most recent ones. Leaving the recent readings out
 * keeps a developing fault out of the baseline it is judged against, and never includes the judged reading.
 */
export interface BaselineSpec {
  recentRows: number;
  referenceRows: number;
  /** Baseline rules stay silent until the reference holds this many readings. */
  minReferenceRows: number;
  /** Floor of a standard deviation relative to |reference mean| (a perfectly constant signal still has a scale). */
  relativeStdFloor: number;
  /** Absolute floor of a standard deviation, in the metric's unit (for signals whose mean is near 0). */
  absoluteStdFloor: number;
}

/** Deviation (spike): |value − reference mean| > threshold × reference standard deviation (floored). */
export interface DeviationRule {
  enabled: boolean;
  threshold: number;
  /**
   * Judge only readings that are the most extreme (highest above the mean, lowest below it) of the last
   * `baseline.recentRows` readings: a spiky series (CPU load, a valve that bangs) repeats spikes of a size it
   * has shown shortly before, and those are its normal behaviour, not a new fault.
   */
  newExtremesOnly: boolean;
  criticalScore: number;
}

/**
 * Level shift (sustained deviation, drift): the mean of the `recentRows` latest readings (trimmed: their highest
 * and lowest left out, so one bad reading does not shift it) is further from the
 * reference mean than threshold × the spread that such recent means have within the reference itself (the
 * standard deviation of the rolling recent mean over the reference rows, which accounts for autocorrelation),
 * × √((ref + recent) / (ref − recent)) for a reference of `ref` readings: overlapping windows over a finite
 * reference understate that spread, and the reference mean is itself uncertain. The factor is 1.1 on a full
 * default reference and 1.6 on the minimum one; the rule is silent until the reference outgrows the recent window.
 */
export interface LevelShiftRule {
  enabled: boolean;
  threshold: number;
  /**
   * The shift must also reach this many reference standard deviations of single readings: the spread of recent
   * means within a reference of a few hundred readings understates how far a wandering series (a daily cycle,
   * slow drift) moves, and a shift inside the series' normal spread is not a fault. A steady linear trend (a
   * daily cycle's slope) puts the recent mean about 2.1 such deviations from the reference mean of recent means
   * (720 readings of lag against a ramp's spread of 1200 / √12 readings, on the default windows): the shipped 3
   * keeps trends out with a margin for curvature and wander.
   */
  minShiftStd: number;
  criticalScore: number;
}

/** Rate of change: |value − previous| > threshold × RMS of the trailing reading-to-reading changes. */
export interface RateOfChangeRule {
  enabled: boolean;
  /** Readings whose changes form the baseline of typical change (the judged change excluded). */
  baselineRows: number;
  minBaselineRows: number;
  threshold: number;
  /** Floor of the typical change relative to |previous value|. */
  relativeFloor: number;
  absoluteFloor: number;
  criticalScore: number;
}

/**
 * Flatline (stuck sensor): `rows` identical consecutive readings, when the series' own history makes such a
 * run implausible: with p the share of the series' steps that repeated a value (over its whole history, steps
 * inside a stuck run of `rows` or more left out), p^(rows − 1) < maxRunProbability. A quantised sensor that often
 * repeats, or a constant one, is not stuck. Leaving the stuck runs out of p keeps the rule firing for as long as
 * the sensor stays stuck (the run does not teach the series that repeating is normal), so its alert lasts as
 * long as the fault.
 */
export interface FlatlineRule {
  enabled: boolean;
  rows: number;
  maxRunProbability: number;
  severity: Severity;
}

/**
 * Data gap (silence): a series that stays silent longer than its allowed silence. The allowed silence after a
 * reading is the smallest of `silenceStepsSeconds` that is at least `factor` × the series' typical interval
 * (the mean interval over its last `baseline.recentRows` readings, learned once it has `minReadings`): there is
 * no fixed cap, so 30-minute data is allowed its hours and 1-second data its minute. A series slower than
 * `factor` × the largest step is not watched for silence.
 *
 * The steps exist because a streaming engine can only notice an absence with a timer of fixed length: Flink
 * runs one session window per step over every series (gap = the step) and a series is alerted by the window of
 * its own step, when the watermark (the other devices' progress) passes its last reading + that step; locally
 * the newest event time of the replay minus the watermark delay plays the watermark. The alert opens while the
 * silence lasts (event time = last reading + allowed silence, episode_start = the last reading) and clears at
 * the reading that ends it (episode_end = that reading: the real span). The returning reading is also a
 * data_gap anomaly, score = silence ÷ allowed silence.
 */
export interface DataGapRule {
  enabled: boolean;
  factor: number;
  /**
   * Readings a series needs before its typical interval is trusted (fewer: no silence judged); at most
   * `baseline.recentRows` are used, and at least two.
   */
  minReadings: number;
  /** Allowed silences a series can get, ascending; the first is the floor. At most 15. */
  silenceStepsSeconds: number[];
  severity: Severity;
}

export interface AnalyticsDefinition {
  /** Tumbling aggregate windows, in seconds (each divides a day; aligned to the epoch, UTC). */
  windowSeconds: number[];
  /** Event-time watermark delay: readings further behind the newest event time are late (flagged, not windowed). */
  watermarkDelaySeconds: number;
  /** A source shard idle this long no longer holds the watermark back (Flink `table.exec.source.idle-timeout`). */
  idleTimeoutSeconds: number;
  baseline: BaselineSpec;
  rules: {
    staticLimit: StaticLimitRule;
    deviation: DeviationRule;
    levelShift: LevelShiftRule;
    rateOfChange: RateOfChangeRule;
    flatline: FlatlineRule;
    dataGap: DataGapRule;
  };
  alerts: {
    /**
     * Shortest hold: an episode clears when no anomaly of its series has been seen for its hold (event time);
     * one open + one clear row. A stack sets it with `iotpipe:alertHoldSeconds`.
     */
    holdSeconds: number;
    /**
     * The hold follows the series' cadence: after an anomalous reading it is the smallest of the hold steps
     * (`holdSeconds`, then the `holdStepsSeconds` above it) that is at least max(holdSeconds, `holdReadings` ×
     * the series' typical interval), else the largest step. Slow data keeps one episode per fault instead of one
     * per reading. Flink closes episodes with one session window per step (fixed gaps), as for silences.
     */
    holdReadings: number;
    /** Longer holds a slow series may get, ascending (those not above holdSeconds are skipped). At most 14. */
    holdStepsSeconds: number[];
    /**
     * Evidence a warning-level statistical reading needs before it counts toward an alert: at least `readings` of
     * the series' last `window` readings fired deviation, level shift or rate of change. Cuts short bursts of
     * marginal readings (chance, or a brief excursion) without delaying definite events or critical readings.
     * `readings: 1` alerts on every anomalous reading.
     */
    confirmation: { readings: number; window: number };
  };
}

/** Default static limits: the catalog's physically plausible range of each metric (plants override them). */
const catalogLimits: Record<string, StaticLimit> = Object.fromEntries(
  (Object.keys(METRICS) as MetricName[]).map((m) => [
    m,
    { low: METRICS[m].plausible[0], high: METRICS[m].plausible[1], severity: "critical" as const },
  ]),
);

export const DEFAULT_ANALYTICS: AnalyticsDefinition = {
  windowSeconds: [60, 3600],
  // Baseline rules judge once 400 readings of history exist (280 reference + 120 recent): a younger reference
  // understates how far a wandering signal (a motor temperature) moves and turns its normal wander into alerts.
  baseline: { recentRows: 120, referenceRows: 1200, minReferenceRows: 280, relativeStdFloor: 0.001, absoluteStdFloor: 1e-6 },
  watermarkDelaySeconds: DEFAULT_INGEST_POLICY.allowedLatenessMs / 1000,
  idleTimeoutSeconds: 30,
  rules: {
    staticLimit: { enabled: true, defaults: catalogLimits, overrides: [] },
    deviation: { enabled: true, threshold: 6, newExtremesOnly: true, criticalScore: 2 },
    levelShift: { enabled: true, threshold: 5, minShiftStd: 3, criticalScore: 2 },
    rateOfChange: {
      enabled: true,
      baselineRows: 300,
      minBaselineRows: 30,
      threshold: 8,
      relativeFloor: 0.001,
      absoluteFloor: 1e-6,
      criticalScore: 2,
    },
    flatline: { enabled: true, rows: 30, maxRunProbability: 1e-12, severity: "warning" },
    // Ten typical intervals, at least a minute: missing readings and a jittery clock stay well inside it.
    dataGap: { enabled: true, factor: 10, minReadings: 10, silenceStepsSeconds: [60, 300, 900, 3600, 14_400, 43_200, 86_400], severity: "warning" },
  },
  // Ten readings of the series (at least 2 minutes) between anomalies keep one episode.
  alerts: { holdSeconds: 120, holdReadings: 10, holdStepsSeconds: [600, 1800, 3600, 7200, 21_600, 86_400], confirmation: { readings: 10, window: 30 } },
};

/** The alert hold steps in seconds, ascending: the shortest hold, then the longer steps above it. */
export function holdSteps(def: AnalyticsDefinition): number[] {
  return [def.alerts.holdSeconds, ...def.alerts.holdStepsSeconds.filter((s) => s > def.alerts.holdSeconds)];
}

/** The longest shortest alert hold: one day (longer holds are the slow series' hold steps). */
export const MAX_ALERT_HOLD_SECONDS = 86_400;
/** The most typical intervals a hold may wait for. */
export const MAX_ALERT_HOLD_READINGS = 1000;

/** Returns every problem with a definition (empty when valid), each naming the parameter and the fix. */
export function definitionProblems(def: AnalyticsDefinition): string[] {
  const problems: string[] = [];
  const positiveInt = (path: string, v: number) => {
    if (!Number.isInteger(v) || v <= 0) problems.push(`${path} must be a positive integer, got ${v}`);
  };
  const positive = (path: string, v: number) => {
    if (!Number.isFinite(v) || v <= 0) problems.push(`${path} must be a positive number, got ${v}`);
  };
  const nonNegative = (path: string, v: number) => {
    if (!Number.isFinite(v) || v < 0) problems.push(`${path} must be zero or positive, got ${v}`);
  };
  /** Timer steps (session gaps in Flink): whole seconds, ascending, at most `max` of them, within 99 days. */
  const stepsProblems = (path: string, steps: number[], max: number, mayBeEmpty: boolean) => {
    if (!mayBeEmpty && steps.length === 0) problems.push(`${path} must list at least one step`);
    if (steps.length > max) problems.push(`${path} has ${steps.length} steps; at most ${max} (each is one session window in Flink)`);
    steps.forEach((s, i) => {
      positiveInt(`${path}[]`, s);
      if (s > 99 * 86_400) problems.push(`${path}[] ${s} is longer than 99 days (a Flink interval's limit)`);
      if (i > 0 && !(s > steps[i - 1])) problems.push(`${path} must be ascending (${steps[i - 1]} then ${s})`);
    });
  };
  if (def.windowSeconds.length === 0) problems.push("windowSeconds must list at least one window");
  if (new Set(def.windowSeconds).size !== def.windowSeconds.length) problems.push("windowSeconds has duplicates");
  for (const w of def.windowSeconds) {
    positiveInt("windowSeconds[]", w);
    if (Number.isInteger(w) && w > 0 && 86_400 % w !== 0) problems.push(`windowSeconds ${w} must divide a day (86400 s) so windows align to UTC days`);
  }
  positiveInt("watermarkDelaySeconds", def.watermarkDelaySeconds);
  positiveInt("idleTimeoutSeconds", def.idleTimeoutSeconds);
  // The one check of the alert hold: the stack keys (config/schema.ts) and --hold-seconds report these problems under their names.
  positiveInt("alerts.holdSeconds", def.alerts.holdSeconds);
  if (def.alerts.holdSeconds > MAX_ALERT_HOLD_SECONDS) problems.push(`alerts.holdSeconds must be at most ${MAX_ALERT_HOLD_SECONDS} (one day), got ${def.alerts.holdSeconds}`);
  positiveInt("alerts.holdReadings", def.alerts.holdReadings);
  if (def.alerts.holdReadings > MAX_ALERT_HOLD_READINGS) problems.push(`alerts.holdReadings must be at most ${MAX_ALERT_HOLD_READINGS}, got ${def.alerts.holdReadings}`);
  stepsProblems("alerts.holdStepsSeconds", def.alerts.holdStepsSeconds, 14, true);
  positiveInt("alerts.confirmation.readings", def.alerts.confirmation.readings);
  positiveInt("alerts.confirmation.window", def.alerts.confirmation.window);
  if (def.alerts.confirmation.readings > def.alerts.confirmation.window) {
    problems.push(`alerts.confirmation.readings (${def.alerts.confirmation.readings}) must not exceed alerts.confirmation.window (${def.alerts.confirmation.window})`);
  }

  const { staticLimit, deviation, levelShift, rateOfChange, flatline, dataGap } = def.rules;
  const limitProblems = (path: string, l: StaticLimit) => {
    if (l.low === undefined && l.high === undefined) problems.push(`${path} needs low and/or high`);
    for (const [k, v] of [["low", l.low], ["high", l.high]] as const) {
      if (v !== undefined && !Number.isFinite(v)) problems.push(`${path}.${k} must be finite, got ${v}`);
    }
    if (l.low !== undefined && l.high !== undefined && !(l.low < l.high)) problems.push(`${path}: low ${l.low} must be below high ${l.high}`);
    if (!SEVERITIES.includes(l.severity)) problems.push(`${path}.severity must be one of ${SEVERITIES.join(", ")}`);
  };
  for (const [metric, l] of Object.entries(staticLimit.defaults)) limitProblems(`rules.staticLimit.defaults.${metric}`, l);
  const seen = new Set<string>();
  staticLimit.overrides.forEach((o, i) => {
    limitProblems(`rules.staticLimit.overrides[${i}]`, o);
    for (const [k, v] of [["site", o.site], ["line", o.line], ["metric", o.metric]] as const) {
      if (v !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(v)) problems.push(`rules.staticLimit.overrides[${i}].${k} '${v}' is not a valid id`);
    }
    const key = `${o.site}/${o.line ?? "*"}/${o.metric}`;
    if (seen.has(key)) problems.push(`rules.staticLimit.overrides[${i}] repeats ${key}`);
    seen.add(key);
  });

  const { baseline } = def;
  positiveInt("baseline.recentRows", baseline.recentRows);
  positiveInt("baseline.referenceRows", baseline.referenceRows);
  positiveInt("baseline.minReferenceRows", baseline.minReferenceRows);
  if (baseline.minReferenceRows < 2) problems.push("baseline.minReferenceRows must be at least 2 (a standard deviation needs two readings)");
  if (baseline.minReferenceRows > baseline.referenceRows) problems.push("baseline.minReferenceRows must not exceed baseline.referenceRows");
  nonNegative("baseline.relativeStdFloor", baseline.relativeStdFloor);
  positive("baseline.absoluteStdFloor", baseline.absoluteStdFloor);
  for (const [path, r] of [["rules.deviation", deviation], ["rules.levelShift", levelShift], ["rules.rateOfChange", rateOfChange]] as const) {
    positive(`${path}.threshold`, r.threshold);
    if (!(r.criticalScore >= 1)) problems.push(`${path}.criticalScore must be at least 1 (1.0 is the threshold), got ${r.criticalScore}`);
  }
  positiveInt("rules.rateOfChange.baselineRows", rateOfChange.baselineRows);
  positiveInt("rules.rateOfChange.minBaselineRows", rateOfChange.minBaselineRows);
  if (rateOfChange.minBaselineRows > rateOfChange.baselineRows) problems.push("rules.rateOfChange.minBaselineRows must not exceed baselineRows");
  nonNegative("rules.rateOfChange.relativeFloor", rateOfChange.relativeFloor);
  positive("rules.rateOfChange.absoluteFloor", rateOfChange.absoluteFloor);
  nonNegative("rules.levelShift.minShiftStd", levelShift.minShiftStd);
  positiveInt("rules.flatline.rows", flatline.rows);
  if (flatline.rows < 2) problems.push("rules.flatline.rows must be at least 2");
  if (!(flatline.maxRunProbability > 0 && flatline.maxRunProbability < 1)) problems.push(`rules.flatline.maxRunProbability must be between 0 and 1, got ${flatline.maxRunProbability}`);
  positive("rules.dataGap.factor", dataGap.factor);
  positiveInt("rules.dataGap.minReadings", dataGap.minReadings);
  if (dataGap.minReadings < 2) problems.push("rules.dataGap.minReadings must be at least 2 (an interval needs two readings)");
  stepsProblems("rules.dataGap.silenceStepsSeconds", dataGap.silenceStepsSeconds, 15, false);
  for (const [path, s] of [["rules.flatline.severity", flatline.severity], ["rules.dataGap.severity", dataGap.severity]] as const) {
    if (!SEVERITIES.includes(s)) problems.push(`${path} must be one of ${SEVERITIES.join(", ")}`);
  }
  return problems;
}

/** Throws with every problem listed when a definition is not usable; returns it otherwise. */
export function validateDefinition(def: AnalyticsDefinition): AnalyticsDefinition {
  const problems = definitionProblems(def);
  if (problems.length > 0) throw new Error(`invalid analytics definition:\n- ${problems.join("\n- ")}`);
  return def;
}
