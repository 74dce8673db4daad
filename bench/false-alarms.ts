/**
 * `npm run bench:false-alarms`: what the shipped defaults cost on clean data, at every cadence a plant has.
 *
 * Synthetic series with nothing wrong in them, as real plants produce them: a daily cycle, slow wander (an
 * Ornstein-Uhlenbeck process, 6 h time constant), noise, values quantised to the sensor's resolution (one kind to
 * whole numbers), occasional missing readings (0.5 % alone, and short bursts of 2-5), and about once per 30 days
 * of data an unannounced restart to a new steady level (a step of the daily cycle's amplitude). Four sensor
 * kinds at 1 s, 5 s, 1 min, 5 min, 30 min and 1 h; each series runs long enough to be judged (2 days at 1 s up to a
 * year at 30 min and 1 h). Every series goes through the SAME DuckDB SQL the local engine runs
 * (`duckdbAnalytics()` with `DEFAULT_ANALYTICS`).
 *
 * Every alert episode here is a false alarm. Target: at most 1 alert episode per series per 30 days of data,
 * and no anomaly flood (anomalies per series per day printed). Seeded: the same series on every run.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { DEFAULT_ANALYTICS } from "../analytics/definition";
import { duckdbAnalytics } from "../analytics/duckdb";
import { type BenchReading, loadBenchReadings } from "./readings-table";

const DAY_MS = 86_400_000;
/** Every series ends here (a shorter one starts later), so none is silent while the others still report. */
const END_MS = Date.UTC(2027, 0, 1);
/** The budget: alert episodes per series per 30 days of clean data. */
const BUDGET_PER_30_DAYS = 1;

interface Cadence { label: string; intervalMs: number; days: number }
const CADENCES: Cadence[] = [
  { label: "1 s", intervalMs: 1000, days: 2 },
  { label: "5 s", intervalMs: 5000, days: 10 },
  { label: "1 min", intervalMs: 60_000, days: 60 },
  { label: "5 min", intervalMs: 300_000, days: 90 },
  { label: "30 min", intervalMs: 1_800_000, days: 365 },
  { label: "1 h", intervalMs: 3_600_000, days: 365 },
];

/** A sensor kind: level, daily amplitude, wander and noise standard deviations, resolution. */
interface SensorKind { name: string; metric: string; level: number; daily: number; wander: number; noise: number; resolution: number }
const KINDS: SensorKind[] = [
  { name: "oven-temp", metric: "temperature", level: 180, daily: 8, wander: 2, noise: 0.4, resolution: 0.1 },
  { name: "line-press", metric: "pressure", level: 12, daily: 1.5, wander: 0.5, noise: 0.6, resolution: 1 },
  { name: "motor-amps", metric: "current", level: 40, daily: 6, wander: 1, noise: 0.8, resolution: 0.01 },
  { name: "fan-vib", metric: "vibration", level: 2.5, daily: 0.3, wander: 0.2, noise: 0.25, resolution: 0.01 },
];

/** A seeded generator of uniform [0, 1) and standard normal numbers (an LCG with Box-Muller). */
function random(seed: number): { uniform: () => number; normal: () => number } {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** One clean series: its readings and how many restarts it had. */
function cleanSeries(kind: SensorKind, cadence: Cadence, seed: number): { readings: BenchReading[]; restarts: number } {
  const rng = random(seed);
  const device = `${kind.name}-${cadence.label.replace(" ", "")}`;
  const n = Math.round((cadence.days * DAY_MS) / cadence.intervalMs);
  const startMs = END_MS - n * cadence.intervalMs;
  const tauMs = 6 * 3_600_000;
  const decay = Math.exp(-cadence.intervalMs / tauMs);
  const restartChance = cadence.intervalMs / (30 * DAY_MS);
  const phase = rng.uniform() * 2 * Math.PI;
  const readings: BenchReading[] = [];
  let wander = 0;
  let offset = 0;
  let restarts = 0;
  let missingBurst = 0;
  for (let i = 0; i < n; i++) {
    const ms = startMs + i * cadence.intervalMs;
    wander = wander * decay + kind.wander * Math.sqrt(1 - decay * decay) * rng.normal();
    if (rng.uniform() < restartChance) {
      offset = (rng.uniform() < 0.5 ? -1 : 1) * kind.daily;
      restarts++;
    }
    if (missingBurst > 0) { missingBurst--; continue; }
    if (rng.uniform() < 0.0005) { missingBurst = 1 + Math.floor(rng.uniform() * 4); continue; }
    if (rng.uniform() < 0.005) continue;
    const cycle = kind.daily * Math.sin((2 * Math.PI * ms) / DAY_MS + phase);
    const raw = kind.level + offset + cycle + wander + kind.noise * rng.normal();
    const value = Math.round(Math.max(raw, 0) / kind.resolution) * kind.resolution;
    readings.push({ device, metric: kind.metric, ms, value: Number(value.toFixed(6)), id: String(i) });
  }
  return { readings, restarts };
}

interface SeriesResult { cadence: string; kind: string; days: number; readings: number; restarts: number; episodes: Map<string, number>; anomalies: number }

async function main(): Promise<void> {
  const started = Date.now();
  const series = CADENCES.flatMap((cadence, c) => KINDS.map((kind, k) => ({ cadence, kind, ...cleanSeries(kind, cadence, 1000 + 10 * c + k) })));
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  await loadBenchReadings(conn, series.flatMap((s) => s.readings), "false-alarms");
  const total = series.reduce((sum, s) => sum + s.readings.length, 0);
  const sql = duckdbAnalytics(DEFAULT_ANALYTICS, "input");
  await conn.run(`CREATE TABLE alerts AS ${sql.alerts}`);
  await conn.run(`CREATE TABLE anomalies AS ${sql.anomalies}`);
  const episodes = (await conn.runAndReadAll(`SELECT device_id, rule, count(*)::INTEGER AS n FROM alerts WHERE state = 'open' GROUP BY ALL`)).getRowObjectsJS() as { device_id: string; rule: string; n: number }[];
  const anomalies = (await conn.runAndReadAll(`SELECT device_id, count(*)::INTEGER AS n FROM anomalies GROUP BY ALL`)).getRowObjectsJS() as { device_id: string; n: number }[];
  conn.closeSync();
  instance.closeSync();

  const results: SeriesResult[] = series.map((s) => {
    const device = s.readings[0].device;
    return {
      cadence: s.cadence.label,
      kind: s.kind.name,
      days: s.cadence.days,
      readings: s.readings.length,
      restarts: s.restarts,
      episodes: new Map(episodes.filter((e) => e.device_id === device).map((e) => [e.rule, e.n])),
      anomalies: anomalies.find((a) => a.device_id === device)?.n ?? 0,
    };
  });
  const count = (r: SeriesResult) => [...r.episodes.values()].reduce((a, b) => a + b, 0);
  const per30 = (r: SeriesResult) => (count(r) * 30) / r.days;

  console.log(`Clean synthetic series (${series.length}: ${KINDS.length} sensor kinds × ${CADENCES.length} cadences, ${total.toLocaleString("en-US")} readings) through the shipped defaults`);
  console.log("  every alert episode here is a false alarm; restarts = unannounced steps to a new level (about 1 per 30 days)\n");
  const header = ["cadence", "sensor", "days", "readings", "restarts", "episodes", "per 30 days", "anomalies/day", "episodes by rule"];
  const rows = results.map((r) => [
    r.cadence, r.kind, String(r.days), r.readings.toLocaleString("en-US"), String(r.restarts), String(count(r)), per30(r).toFixed(2),
    (r.anomalies / r.days).toFixed(1), [...r.episodes].map(([rule, n]) => `${rule} ${n}`).join(", ") || "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows]) console.log("  " + row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());

  const over = results.filter((r) => per30(r) > BUDGET_PER_30_DAYS);
  const allDays = results.reduce((a, r) => a + r.days, 0);
  const allEpisodes = results.reduce((a, r) => a + count(r), 0);
  const anomaliesPerDay = results.map((r) => r.anomalies / r.days);
  console.log(`\n  all series: ${allEpisodes} episodes in ${allDays} series-days = ${((allEpisodes * 30) / allDays).toFixed(2)} per series per 30 days; ` +
    `anomalies per series per day: median ${median(anomaliesPerDay).toFixed(1)}, max ${Math.max(...anomaliesPerDay).toFixed(1)}`);
  console.log(`Target <= ${BUDGET_PER_30_DAYS} alert episode per series per 30 days: ${over.length === 0 ? "met" : `NOT met by ${over.length} of ${results.length} series (${over.map((r) => `${r.kind} at ${r.cadence}: ${per30(r).toFixed(2)}`).join("; ")})`}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)];
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
