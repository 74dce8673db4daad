/**
 * `npm run bench:anomaly`: how well the shipped anomaly defaults find SKAB's labelled anomalies.
 *
 * SKAB (Skoltech Anomaly Benchmark, `../shared/data/skab`, GPL, read in place, never copied): a water-pump
 * test bed at ~1 Hz; each `valve1/*.csv` run has one labelled anomaly segment (the inlet valve closed). Every
 * file is one device; each of its 8 sensor columns is a metric. The readings go through the SAME DuckDB SQL the
 * local engine runs (`duckdbAnalytics()` with `DEFAULT_ANALYTICS`, no per-file tuning).
 *
 * A timestamp is predicted anomalous when it lies inside an alert episode of any metric of the device, i.e.
 * between an `open` transition and its `cleared` time — what an operator sees as "the alert is on". Episodes
 * follow the definition's alert rules (hold time, confirmation of warning-level readings). The per-reading view
 * (any anomaly row at that timestamp, confirmed or not) is printed too.
 *
 * `--what-if` also scores a few variants of the defaults (not shipped; printed to show how the
 * operating point moves, e.g. with a longer hold time).
 *
 * Scoring follows SKAB's leaderboard protocol (outlier problem): the first 400 rows of each file are warm-up
 * (they feed the baselines but are not scored); all scored rows of all files together give pointwise
 * F1, FAR = FP / (FP + TN) and MAR = FN / (FN + TP).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { type AnalyticsDefinition, DEFAULT_ANALYTICS } from "../analytics/definition";
import { duckdbAnalytics } from "../analytics/duckdb";

const SKAB_DIR = resolve(__dirname, "../../shared/data/skab/valve1");
const WARM_UP_ROWS = 400;

/** SKAB's published leaderboard (outlier problem), for comparison. */
const LEADERBOARD = [
  { method: "Conv-AE", f1: 0.78, far: 13.55, mar: 28.02 },
  { method: "MSET", f1: 0.78, far: 39.73, mar: 14.13 },
  { method: "T-squared+Q (PCA)", f1: 0.76, far: 26.62, mar: 24.92 },
  { method: "LSTM-AE", f1: 0.74, far: 29.96, mar: 25.92 },
  { method: "T-squared", f1: 0.66, far: 19.21, mar: 42.6 },
  { method: "Isolation forest", f1: 0.29, far: 2.56, mar: 82.89 },
];

interface Row {
  file: string;
  index: number;
  ms: number;
  values: number[];
  anomaly: boolean;
}

/** Sensor column → metric name (snake_case, as the telemetry contract requires). */
function metricName(column: string): string {
  return column.trim().replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").toLowerCase().replace(/^_|_$/g, "");
}

function readSkab(dir: string): { metrics: string[]; rows: Row[] } {
  const files = readdirSync(dir).filter((f) => f.endsWith(".csv")).sort((a, b) => parseInt(a) - parseInt(b));
  if (files.length === 0) throw new Error(`no SKAB csv files in ${dir}`);
  let metrics: string[] = [];
  const rows: Row[] = [];
  for (const file of files) {
    const lines = readFileSync(join(dir, file), "utf8").trim().split(/\r?\n/);
    const header = lines[0].split(";");
    const sensorCols = header.slice(1).filter((h) => h !== "anomaly" && h !== "changepoint");
    metrics = sensorCols.map(metricName);
    const anomalyCol = header.indexOf("anomaly");
    if (anomalyCol < 0) throw new Error(`${file}: no anomaly column`);
    lines.slice(1).forEach((line, index) => {
      const cells = line.split(";");
      const ms = Date.parse(cells[0].replace(" ", "T") + "Z");
      if (Number.isNaN(ms)) throw new Error(`${file} row ${index + 1}: bad datetime '${cells[0]}'`);
      rows.push({ file, index, ms, values: sensorCols.map((_, i) => Number(cells[i + 1])), anomaly: Number(cells[anomalyCol]) === 1 });
    });
  }
  return { metrics, rows };
}

async function loadReadings(conn: DuckDBConnection, metrics: string[], rows: Row[]): Promise<void> {
  await conn.run(`CREATE OR REPLACE TABLE input (device_id VARCHAR, site VARCHAR, line VARCHAR, metric VARCHAR, "value" DOUBLE,
    unit VARCHAR, event_ts TIMESTAMP, ingest_ts TIMESTAMP, msg_id VARCHAR, late BOOLEAN)`);
  const appender = await conn.createAppender("input");
  for (const r of rows) {
    metrics.forEach((metric, i) => {
      if (!Number.isFinite(r.values[i])) return;
      const ts = BigInt(r.ms) * 1000n;
      appender.appendVarchar(`valve1-${r.file.replace(".csv", "")}`);
      appender.appendVarchar("skab");
      appender.appendVarchar("valve1");
      appender.appendVarchar(metric);
      appender.appendDouble(r.values[i]);
      appender.appendNull();
      appender.appendTimestamp({ micros: ts } as never);
      appender.appendTimestamp({ micros: ts } as never);
      appender.appendVarchar(String(r.index));
      appender.appendBoolean(false);
      appender.endRow();
    });
  }
  appender.closeSync();
}

interface Scores { tp: number; fp: number; fn: number; tn: number }
const f1 = (s: Scores) => (2 * s.tp) / (2 * s.tp + s.fp + s.fn);
const far = (s: Scores) => s.fp / (s.fp + s.tn);
const mar = (s: Scores) => s.fn / (s.fn + s.tp);

function score(rows: Row[], predicted: (r: Row) => boolean): Scores {
  const s: Scores = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const r of rows) {
    if (r.index < WARM_UP_ROWS) continue;
    const p = predicted(r);
    if (r.anomaly) p ? s.tp++ : s.fn++;
    else p ? s.fp++ : s.tn++;
  }
  return s;
}

export interface BenchResult {
  episodes: Scores;
  spans: Scores;
  readings: Scores;
  /** Per labelled segment: detected when a rule fires on any metric inside it; delay to that first anomaly. */
  segments: { file: string; startMs: number; endMs: number; detected: boolean; delaySeconds: number | null; openAtStart: boolean }[];
  falseEpisodes: number;
  scoredHours: number;
}

/** Runs the benchmark with a definition (the shipped defaults unless told otherwise). */
export async function runBench(def: AnalyticsDefinition = DEFAULT_ANALYTICS, dir = SKAB_DIR): Promise<BenchResult> {
  const { metrics, rows } = readSkab(dir);
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  await loadReadings(conn, metrics, rows);
  const sql = duckdbAnalytics(def, "input");
  const device = (file: string) => `valve1-${file.replace(".csv", "")}`;

  // Alert episodes per device (any metric): [episode_start, episode_end).
  const episodes = new Map<string, [number, number][]>();
  const alertRows = (await conn.runAndReadAll(`SELECT device_id, epoch_ms(episode_start) AS s, epoch_ms(episode_end) AS e
    FROM (${sql.alerts}) WHERE state = 'cleared'`)).getRowObjectsJS() as { device_id: string; s: number; e: number }[];
  // Episode spans: first to last anomalous reading (the clear time minus the hold time).
  const spans = new Map<string, [number, number][]>();
  for (const a of alertRows) {
    episodes.set(a.device_id, [...(episodes.get(a.device_id) ?? []), [Number(a.s), Number(a.e)]]);
    spans.set(a.device_id, [...(spans.get(a.device_id) ?? []), [Number(a.s), Number(a.e) - def.alerts.holdSeconds * 1000]]);
  }
  const anomalous = new Set(
    ((await conn.runAndReadAll(`SELECT DISTINCT device_id, epoch_ms(event_ts) AS t FROM (${sql.anomalies})`)).getRowObjectsJS() as { device_id: string; t: number }[])
      .map((a) => `${a.device_id}@${Number(a.t)}`),
  );
  conn.closeSync();
  instance.closeSync();

  const inEpisode = (r: Row) => (episodes.get(device(r.file)) ?? []).some(([s, e]) => r.ms >= s && r.ms < e);
  const inSpan = (r: Row) => (spans.get(device(r.file)) ?? []).some(([s, e]) => r.ms >= s && r.ms <= e);
  const result: BenchResult = {
    episodes: score(rows, inEpisode),
    spans: score(rows, inSpan),
    readings: score(rows, (r) => anomalous.has(`${device(r.file)}@${r.ms}`)),
    segments: [],
    falseEpisodes: 0,
    scoredHours: 0,
  };

  for (const file of [...new Set(rows.map((r) => r.file))]) {
    const scored = rows.filter((r) => r.file === file && r.index >= WARM_UP_ROWS);
    if (scored.length === 0) continue;
    result.scoredHours += (scored[scored.length - 1].ms - scored[0].ms) / 3_600_000;
    const segs: [number, number][] = [];
    for (const r of scored) {
      if (!r.anomaly) continue;
      const last = segs[segs.length - 1];
      const prev = scored[scored.indexOf(r) - 1];
      if (last && prev && prev.anomaly) last[1] = r.ms;
      else segs.push([r.ms, r.ms]);
    }
    for (const [s, e] of segs) {
      const hit = scored.find((r) => r.ms >= s && r.ms <= e && anomalous.has(`${device(file)}@${r.ms}`));
      const first = scored.find((r) => r.ms === s)!;
      result.segments.push({ file, startMs: s, endMs: e, detected: hit !== undefined, delaySeconds: hit ? (hit.ms - s) / 1000 : null, openAtStart: inEpisode(first) });
    }
    // Episodes (merged over metrics) that start in the scored span and overlap no labelled segment.
    const merged = mergeIntervals(episodes.get(device(file)) ?? []).filter(([s]) => s >= scored[0].ms);
    result.falseEpisodes += merged.filter(([s, e]) => !segs.some(([a, b]) => s <= b && e > a)).length;
  }
  return result;
}

function mergeIntervals(list: [number, number][]): [number, number][] {
  const sorted = [...list].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

/** Variants of the defaults `--what-if` scores beside them. */
const WHAT_IF: [string, (d: AnalyticsDefinition) => void][] = [
  ["hold 180 s", (d) => { d.alerts.holdSeconds = 180; }],
  ["hold 180 s, level shift 7", (d) => { d.alerts.holdSeconds = 180; d.rules.levelShift.threshold = 7; }],
  ["no confirmation (readings 1)", (d) => { d.alerts.confirmation = { readings: 1, window: 1 }; }],
  ["min reference 60 (judged from reading 180)", (d) => { d.baseline.minReferenceRows = 60; }],
  ["min reference 360 (judged from reading 480)", (d) => { d.baseline.minReferenceRows = 360; }],
];

async function main(): Promise<void> {
  const t0 = Date.now();
  const r = await runBench();
  console.log(`SKAB valve1 (${r.segments.length} files), shipped defaults (DEFAULT_ANALYTICS), warm-up ${WARM_UP_ROWS} rows per file`);
  console.log("");
  console.log("Per anomaly segment:");
  for (const s of r.segments) {
    const found = s.detected ? `first anomaly after ${s.delaySeconds} s` : "MISSED";
    console.log(`  ${s.file.padEnd(7)} ${new Date(s.startMs).toISOString()} (${((s.endMs - s.startMs) / 1000 + 1).toFixed(0)} s)  ${found}${s.openAtStart ? " (an alert was already open at its start)" : ""}`);
  }
  const detected = r.segments.filter((s) => s.detected);
  const delays = detected.map((s) => s.delaySeconds!).sort((a, b) => a - b);
  console.log(`  detected ${detected.length}/${r.segments.length}, median delay ${delays.length ? delays[Math.floor(delays.length / 2)] : "-"} s`);
  console.log(`  false alert episodes: ${r.falseEpisodes} in ${r.scoredHours.toFixed(2)} scored hours = ${(r.falseEpisodes / r.scoredHours).toFixed(2)} per hour`);
  console.log("");
  console.log("Pointwise (all scored rows of all files)        F1     FAR       MAR");
  const line = (name: string, f: number, fa: number, m: number) => console.log(`  ${name.padEnd(45)} ${f.toFixed(2)}  ${fa.toFixed(2).padStart(6)} %  ${m.toFixed(2).padStart(6)} %`);
  line("iotpipe: inside an alert episode (headline)", f1(r.episodes), 100 * far(r.episodes), 100 * mar(r.episodes));
  line("iotpipe: inside an episode, hold tail excluded", f1(r.spans), 100 * far(r.spans), 100 * mar(r.spans));
  line("iotpipe: reading has an anomaly row", f1(r.readings), 100 * far(r.readings), 100 * mar(r.readings));
  console.log("  SKAB leaderboard (published):");
  for (const b of LEADERBOARD) line(`  ${b.method}`, b.f1, b.far, b.mar);
  console.log("");
  const { baseline, alerts, rules } = DEFAULT_ANALYTICS;
  console.log(`  defaults: recent ${baseline.recentRows} / reference ${baseline.referenceRows} readings (judged from the ${baseline.recentRows + baseline.minReferenceRows}th), ` +
    `deviation ${rules.deviation.threshold}, level shift ${rules.levelShift.threshold}, hold ${alerts.holdSeconds} s, ` +
    `confirmation ${alerts.confirmation.readings} of ${alerts.confirmation.window}`);
  if (process.argv.includes("--what-if")) {
    console.log("  what-if (variants of the defaults, NOT shipped):");
    for (const [name, edit] of WHAT_IF) {
      const def = structuredClone(DEFAULT_ANALYTICS);
      edit(def);
      const w = await runBench(def);
      line(`  ${name}`, f1(w.episodes), 100 * far(w.episodes), 100 * mar(w.episodes));
    }
  }
  console.log("");
  const target = f1(r.episodes) >= 0.8 && far(r.episodes) <= 0.1;
  console.log(`Target F1 >= 0.80 with FAR <= 10 %: ${target ? "met" : "NOT met"} (F1 ${f1(r.episodes).toFixed(3)}, FAR ${pct(far(r.episodes))}); ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
