/**
 * The Flink alarms' math, run against minute-by-minute metric histories: a small model of how CloudWatch
 * evaluates an alarm each minute (the last `evaluationPeriods` periods of the metric or of the returned metric
 * math, GreaterThanThreshold, `datapointsToAlarm` of them breaching, missing points per `treatMissingData`).
 * Each alarm must fire exactly when it should: on a restart or a failed checkpoint, and clear once they stop; on a
 * job that stays down, and not on the few silent minutes a deployment takes.
 */
import { alarmSpecs, DEFAULT_THRESHOLDS, type AlarmSpec } from "../../components/monitoring";

/** A metric's value per minute; undefined = the metric was not reported that minute. */
type History = (number | undefined)[];

/** The per-period Maximum of a minute history (the statistic every Flink alarm uses). */
function periodMaxima(history: History, periodSeconds: number, end: number, periods: number): History {
  const size = periodSeconds / 60;
  return Array.from({ length: periods }, (_, i) => {
    const start = end - (periods - i) * size;
    const values = history.slice(Math.max(0, start), start + size).filter((v): v is number => v !== undefined);
    return start < 0 || values.length === 0 ? undefined : Math.max(...values);
  });
}

/** The alarm's datapoints in the range it evaluates at minute `end` (exclusive). */
function evaluatedPoints(spec: AlarmSpec, history: History, end: number): History {
  if (spec.metric) return periodMaxima(history, spec.metric.period, end, spec.evaluationPeriods);
  const [base, math] = spec.metricQueries as any[];
  const points = periodMaxima(history, base.metric.period, end, spec.evaluationPeriods);
  expect(math.expression).toBe(`DIFF(${base.id})`);
  return points.map((v, i) => (i === 0 || v === undefined || points[i - 1] === undefined ? undefined : v - points[i - 1]!));
}

/** ALARM or OK at each minute from the first full evaluation range on. */
function states(spec: AlarmSpec, history: History): ("ALARM" | "OK")[] {
  const out: ("ALARM" | "OK")[] = [];
  const periodMinutes = (spec.metric?.period ?? (spec.metricQueries as any[])[0].metric.period) / 60;
  for (let end = spec.evaluationPeriods * periodMinutes; end <= history.length; end++) {
    const breaching = evaluatedPoints(spec, history, end).filter((v) =>
      v === undefined ? spec.treatMissingData === "breaching" : v > spec.threshold,
    ).length;
    out.push(breaching >= (spec.datapointsToAlarm ?? spec.evaluationPeriods) ? "ALARM" : "OK");
  }
  return out;
}

const specs = alarmSpecs({ applicationName: "iotpipe-flink" }, DEFAULT_THRESHOLDS);
const steady = (minutes: number, value: number): History => Array(minutes).fill(value);

describe("flink-restarts: fullRestarts is cumulative", () => {
  const spec = specs["flink-restarts"];
  it("fires on a restart and clears 5 minutes after it", () => {
    const result = states(spec, [...steady(10, 2), ...steady(10, 3)]);
    expect(result.slice(0, 5).every((s) => s === "OK")).toBe(true);
    expect(result.includes("ALARM")).toBe(true);
    expect(result.at(-1)).toBe("OK");
  });
  it("keeps firing while the job keeps restarting, and never fires on a healthy job or on a counter reset by a redeploy", () => {
    const looping = states(spec, Array.from({ length: 30 }, (_, m) => Math.floor(m / 3)));
    expect(looping.every((s) => s === "ALARM")).toBe(true);
    expect(states(spec, steady(30, 4)).every((s) => s === "OK")).toBe(true);
    expect(states(spec, [...steady(10, 7), undefined, undefined, ...steady(10, 0)]).every((s) => s === "OK")).toBe(true);
  });
});

describe("flink-failed-checkpoints: numberOfFailedCheckpoints is cumulative", () => {
  const spec = specs["flink-failed-checkpoints"];
  it("fires on a failed checkpoint and does not stay latched on the counter afterwards", () => {
    const result = states(spec, [...steady(10, 0), ...steady(20, 1)]);
    expect(result.filter((s) => s === "ALARM").length).toBeGreaterThan(0);
    expect(result.filter((s) => s === "ALARM").length).toBeLessThanOrEqual(5);
    expect(result.at(-1)).toBe("OK");
  });
  it("stays in alarm while checkpoints keep failing", () => {
    expect(states(spec, Array.from({ length: 20 }, (_, m) => m)).every((s) => s === "ALARM")).toBe(true);
  });
});

describe("flink-downtime: missing data is the job not running", () => {
  const spec = specs["flink-downtime"];
  it("does not page for the few silent or down minutes of a deployment", () => {
    const deploy: History = [...steady(15, 0), undefined, undefined, undefined, 30_000, 12_000, ...steady(15, 0)];
    expect(states(spec, deploy).every((s) => s === "OK")).toBe(true);
  });
  it("pages when the job stays down, whether it reports downtime or stops reporting", () => {
    expect(states(spec, [...steady(10, 0), ...steady(12, 60_000)]).at(-1)).toBe("ALARM");
    expect(states(spec, [...steady(10, 0), ...Array(12).fill(undefined)]).at(-1)).toBe("ALARM");
  });
});
