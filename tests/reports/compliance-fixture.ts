/**
 * A small plant whose every figure is known by hand, around the report day 2026-11-10:
 * - dev-t1 (plant-a/line-1, temperature, hourly): no readings 10:00-12:00 on the day (a 4 h gap 09:00-13:00),
 *   91.2 degC at midnight, and an excursion opened 2026-11-09 23:30 that clears 2026-11-10 00:45 (spans midnight);
 * - dev-p1 (plant-a/line-1, pressure, every 30 min): complete; 12.5 bar at 14:00 (one late reading at 14:30),
 *   an excursion 14:00-14:20, and an older one on 2026-11-08 that must not appear;
 * - dev-v1 (plant-a/line-2, vibration, hourly): complete; a deviation episode opened 22:00, still open at midnight;
 * - dev-s1 (plant-a/line-2, temperature, hourly): reported on 2026-11-08 and 09, silent all of 2026-11-10;
 * - dev-b1 (plant-b/line-9, current, hourly): another site, only in the all-sites report;
 * - data on 2026-11-11 that a report for 2026-11-10 must never read.
 */
import { LakeRows } from "./lake-fixture";

export const REPORT_DAY = "2026-11-10";

const pad = (n: number) => String(n).padStart(2, "0");
const at = (day: string, hour: number, minute = 0) => `${day} ${pad(hour)}:${pad(minute)}:00`;

interface Sensor {
  device_id: string;
  site: string;
  line: string;
  metric: string;
  unit: string;
}
const T1: Sensor = { device_id: "dev-t1", site: "plant-a", line: "line-1", metric: "temperature", unit: "degC" };
const P1: Sensor = { device_id: "dev-p1", site: "plant-a", line: "line-1", metric: "pressure", unit: "bar" };
const V1: Sensor = { device_id: "dev-v1", site: "plant-a", line: "line-2", metric: "vibration", unit: "mm/s" };
const S1: Sensor = { device_id: "dev-s1", site: "plant-a", line: "line-2", metric: "temperature", unit: "degC" };
const B1: Sensor = { device_id: "dev-b1", site: "plant-b", line: "line-9", metric: "current", unit: "A" };

function reading(sensor: Sensor, ts: string, value: number, late = false) {
  return { ...sensor, value, event_ts: ts, ingest_ts: ts, msg_id: `${sensor.device_id}-${ts}`, late };
}

/** Hourly readings on a day for the hours given, value from the hour. */
function hourly(sensor: Sensor, day: string, hours: number[], value: (hour: number) => number) {
  return hours.map((h) => reading(sensor, at(day, h), value(h)));
}

const allHours = Array.from({ length: 24 }, (_, h) => h);

function alert(sensor: Sensor, rule: string, state: "open" | "cleared", eventTs: string, start: string, end: string | null,
  peak: number, limit: number, count: number, severity: string) {
  const { unit: _unit, ...where } = sensor;
  return { ...where, rule, state, event_ts: eventTs, episode_start: start, episode_end: end, peak_value: peak,
    limit_value: limit, anomaly_count: count, severity };
}

function anomaly(sensor: Sensor, ts: string, value: number, rule: string, score: number, baseline: number | null,
  limit: number, severity: string) {
  const { unit: _unit, ...where } = sensor;
  return { ...where, event_ts: ts, value, rule, score, baseline, limit_value: limit, severity };
}

type Reading = ReturnType<typeof reading>;
const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

/**
 * The aggregates the engine computes from these readings: per device, metric and tumbling window, on-time readings
 * only (late ones stay out of windows), for each window size the default definition has (1 minute, 1 hour).
 */
function aggregatesOf(readings: Reading[], windowSeconds = [60, 3600]) {
  const rows: Array<Record<string, unknown>> = [];
  for (const size of windowSeconds) {
    const groups = new Map<string, Reading[]>();
    for (const r of readings.filter((x) => !x.late)) {
      const start = Math.floor(Date.parse(`${r.event_ts}Z`) / (size * 1000)) * size * 1000;
      const key = `${r.device_id}|${r.metric}|${start}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const [key, group] of groups) {
      const start = Number(key.split("|")[2]);
      const values = group.map((g) => g.value);
      const times = group.map((g) => Date.parse(`${g.event_ts}Z`));
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const { device_id, site, line, metric } = group[0];
      rows.push({
        device_id, site, line, metric, window_seconds: size, window_start: stamp(start), window_end: stamp(start + size * 1000),
        sample_count: group.length, valid_count: group.length, min_value: Math.min(...values), max_value: Math.max(...values), avg_value: mean,
        stddev_value: values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : null,
        first_event_ts: stamp(Math.min(...times)), last_event_ts: stamp(Math.max(...times)),
      });
    }
  }
  return rows;
}

export function complianceLake(): LakeRows {
  const lake = complianceRows();
  return { ...lake, aggregates: aggregatesOf(lake.readings as Reading[]) };
}

function complianceRows(): LakeRows {
  const pressureDay = (day: string, spike: boolean) =>
    Array.from({ length: 48 }, (_, i) => {
      const ts = at(day, Math.floor(i / 2), (i % 2) * 30);
      const isSpike = spike && ts.endsWith("14:00:00");
      return reading(P1, ts, isSpike ? 12.5 : 5.0, spike && ts.endsWith("14:30:00"));
    });
  return {
    readings: [
      ...hourly(T1, "2026-11-09", allHours, (h) => 20 + h),
      ...hourly(T1, REPORT_DAY, allHours.filter((h) => h < 10 || h > 12), (h) => (h === 0 ? 91.2 : 20 + h)),
      ...hourly(T1, "2026-11-11", [0, 1, 2, 3, 4, 5], () => 20),
      ...pressureDay("2026-11-09", false),
      ...pressureDay(REPORT_DAY, true),
      ...hourly(V1, "2026-11-09", allHours, () => 2),
      ...hourly(V1, REPORT_DAY, allHours, (h) => (h === 22 ? 9 : h === 23 ? 11 : 2)),
      ...hourly(S1, "2026-11-08", allHours, () => 18),
      ...hourly(S1, "2026-11-09", allHours, () => 18),
      ...hourly(B1, REPORT_DAY, allHours, () => 10),
    ],
    alerts: [
      alert(T1, "static_limit", "open", at("2026-11-09", 23, 30), at("2026-11-09", 23, 30), null, 85.5, 80, 1, "warning"),
      alert(T1, "static_limit", "cleared", at(REPORT_DAY, 0, 45), at("2026-11-09", 23, 30), at(REPORT_DAY, 0, 45), 91.2, 80, 4, "critical"),
      alert(P1, "static_limit", "open", at(REPORT_DAY, 14), at(REPORT_DAY, 14), null, 12.5, 10, 1, "warning"),
      alert(P1, "static_limit", "cleared", at(REPORT_DAY, 14, 20), at(REPORT_DAY, 14), at(REPORT_DAY, 14, 20), 12.5, 10, 1, "warning"),
      alert(P1, "static_limit", "open", at("2026-11-08", 8), at("2026-11-08", 8), null, 11, 10, 1, "warning"),
      alert(P1, "static_limit", "cleared", at("2026-11-08", 8, 30), at("2026-11-08", 8), at("2026-11-08", 8, 30), 11, 10, 2, "warning"),
      alert(V1, "deviation", "open", at(REPORT_DAY, 22), at(REPORT_DAY, 22), null, 9, 7.5, 1, "warning"),
      alert(T1, "static_limit", "open", at("2026-11-11", 1), at("2026-11-11", 1), null, 95, 80, 1, "critical"),
      alert(B1, "static_limit", "open", at(REPORT_DAY, 3), at(REPORT_DAY, 3), null, 12, 10, 1, "warning"),
      alert(B1, "static_limit", "cleared", at(REPORT_DAY, 3, 10), at(REPORT_DAY, 3), at(REPORT_DAY, 3, 10), 12, 10, 1, "warning"),
    ],
    anomalies: [
      anomaly(T1, at("2026-11-09", 23, 30), 85.5, "static_limit", 1.069, null, 80, "warning"),
      anomaly(T1, at(REPORT_DAY, 0), 91.2, "static_limit", 1.14, null, 80, "critical"),
      anomaly(P1, at(REPORT_DAY, 14), 12.5, "static_limit", 1.25, null, 10, "warning"),
      anomaly(V1, at(REPORT_DAY, 22), 9, "deviation", 1.2, 2, 7.5, "warning"),
      anomaly(V1, at(REPORT_DAY, 23), 11, "deviation", 1.4667, 2, 7.5, "critical"),
      anomaly(B1, at(REPORT_DAY, 3), 12, "static_limit", 1.2, null, 10, "warning"),
    ],
  };
}
