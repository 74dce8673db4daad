/**
 * How many readings a series needs before each statistical rule judges it, from the analytics definition: the
 * baseline rules stay silent until their reference holds enough readings, so on short or slow data they are
 * inactive, and `iotpipe replay` says so per series instead of leaving an empty anomalies table unexplained.
 * The counts follow the rule conditions in stages.ts (a reading is judged with the readings before it):
 * - deviation: reference ≥ minReferenceRows, the reference being the readings before the recentRows latest;
 * - level_shift: reference ≥ max(minReferenceRows, recentRows + 1), and a full recent window;
 * - rate_of_change: ≥ minBaselineRows earlier steps besides the judged one (a step needs two readings);
 * - flatline: a run of `rows` readings and the rate-of-change baseline to judge its repeats against.
 */
import type { AnalyticsDefinition } from "./definition";

export interface RuleWarmup {
  rule: "deviation" | "level_shift" | "rate_of_change" | "flatline";
  /** The series' reading (1-based) from which the rule judges. */
  fromReading: number;
}

/** The enabled statistical rules and the reading each judges from. */
export function statisticalWarmup(def: AnalyticsDefinition): RuleWarmup[] {
  const { recentRows, minReferenceRows } = def.baseline;
  const { deviation, levelShift, rateOfChange, flatline } = def.rules;
  const stepsFrom = rateOfChange.minBaselineRows + 2;
  const all: (RuleWarmup & { enabled: boolean })[] = [
    { rule: "deviation", enabled: deviation.enabled, fromReading: minReferenceRows + recentRows },
    { rule: "level_shift", enabled: levelShift.enabled, fromReading: Math.max(minReferenceRows, recentRows + 1) + recentRows },
    { rule: "rate_of_change", enabled: rateOfChange.enabled, fromReading: stepsFrom },
    { rule: "flatline", enabled: flatline.enabled, fromReading: Math.max(flatline.rows, stepsFrom) },
  ];
  return all.filter((r) => r.enabled).map(({ rule, fromReading }) => ({ rule, fromReading }));
}

/** The reading from which every enabled statistical rule judges (0 when none is enabled). */
export function fullyJudgedFrom(def: AnalyticsDefinition): number {
  return Math.max(0, ...statisticalWarmup(def).map((r) => r.fromReading));
}
