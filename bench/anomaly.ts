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
 *
 * Held-out check: valve1 is the only labelled data the defaults are judged on, so every change made while looking
 * at it is tuning on the test set. `anomaly-free/anomaly-free.csv` (2.8 h of the same test bed, all normal, never
 * used to choose a default) is run through the same pipeline and scored the same way: once whole (steady state
 * after the 400-row warm-up) and once cut into valve1-length runs of 1150 rows, each its own device with its own
 * warm-up (the geometry of a valve1 file). Every row there is normal, so its FAR is what the defaults cost on
 * normal operation of this test bed; `--what-if` prints it beside every variant.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type AnalyticsDefinition, DEFAULT_ANALYTICS } from "../analytics/definition";
import { duckdbAnalytics } from "../analytics/duckdb";
import { type BenchReading, loadBenchReadings } from "./readings-table";
import { sharedDataDir } from "./shared-data";

const SKAB_DIR = join(sharedDataDir("skab"), "valve1");
const ANOMALY_FREE = join(sharedDataDir("skab"), "anomaly-free", "anomaly-free.csv");
const WARM_UP_ROWS = 400;
/** Length of the held-out runs: about that of a valve1 file (1076-1155 rows). */
const RUN_ROWS = 1150;

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

/** Reads SKAB csv files; `labelled: false` for the anomaly-free file (no anomaly column: every row is normal). */
function readSkab(dir: string, files?: string[], labelled = true): { metrics: string[]; rows: Row[] } {
  files ??= readdirSync(dir).filter((f) => f.endsWith(".csv")).sort((a, b) => parseInt(a) - parseInt(b));
  if (files.length === 0) throw new Error(`no SKAB csv files in ${dir}`);
  let metrics: string[] = [];
  const rows: Row[] = [];
  for (const file of files) {
    const lines = readFileSync(join(dir, file), "utf8").trim().split(/\r?\n/);
    const header = lines[0].split(";");
    const sensorCols = header.slice(1).filter((h) => h !== "anomaly" && h !== "changepoint");
    metrics = sensorCols.map(metricName);
    const anomalyCol = header.indexOf("anomaly");
    if (labelled && anomalyCol < 0) throw new Error(`${file}: no anomaly column`);
    lines.slice(1).forEach((line, index) => {
      const cells = line.split(";");
      const ms = Date.parse(cells[0].replace(" ", "T") + "Z");
      if (Number.isNaN(ms)) throw new Error(`${file} row ${index + 1}: bad datetime '${cells[0]}'`);
      rows.push({ file, index, ms, values: sensorCols.map((_, i) => Number(cells[i + 1])), anomaly: anomalyCol >= 0 && Number(cells[anomalyCol]) === 1 });
    });
  }
  return { metrics, rows };
}

/** The anomaly-free file whole, or cut into runs of `runRows` rows (each its own device, warm-up and scoring). */
function readAnomalyFree(runRows?: number): { metrics: string[]; rows: Row[] } {
  const { metrics, rows } = readSkab(dirname(ANOMALY_FREE), [basename(ANOMALY_FREE)], false);
  if (!runRows) return { metrics, rows };
  const runs = Math.floor(rows.length / runRows);
  return {
    metrics,
    rows: rows.slice(0, runs * runRows).map((r) => ({ ...r, file: `${r.file.replace(".csv", "")}-run${Math.floor(r.index / runRows)}.csv`, index: r.index % runRows })),
  };
}

/** Device id of a file's readings (one device per file or run). */
const deviceOf = (file: string) => `skab-${file.replace(".csv", "")}`;

/** The readings of SKAB rows: one device per file, one metric per sensor column. */
function* skabReadings(metrics: string[], rows: Row[]): Generator<BenchReading> {
  for (const r of rows) {
    for (const [i, metric] of metrics.entries()) yield { device: deviceOf(r.file), metric, ms: r.ms, value: r.values[i], id: String(r.index) };
  }
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
  /**
   * Per labelled segment: detected when a rule fires on any metric inside it; delay to that first anomaly; whether
   * an alert episode was already open at its first row and is still open at its last.
   */
  segments: { file: string; startMs: number; endMs: number; detected: boolean; delaySeconds: number | null; openAtStart: boolean; openAtEnd: boolean }[];
  falseEpisodes: number;
  scoredHours: number;
}

/** Runs the benchmark with a definition (the shipped defaults unless told otherwise). */
export async function runBench(def: AnalyticsDefinition = DEFAULT_ANALYTICS, dir = SKAB_DIR): Promise<BenchResult> {
  const { metrics, rows } = readSkab(dir);
  return scoreReadings(def, metrics, rows);
}

/**
 * The held-out check: the shipped defaults (or `def`) on the anomaly-free file, whole or cut into valve1-length
 * runs. No labels are needed: every row is normal, so FAR and false episodes per hour are all there is to report.
 */
export async function runHeldOut(def: AnalyticsDefinition = DEFAULT_ANALYTICS, runRows?: number): Promise<BenchResult> {
  const { metrics, rows } = readAnomalyFree(runRows);
  return scoreReadings(def, metrics, rows);
}

async function scoreReadings(def: AnalyticsDefinition, metrics: string[], rows: Row[]): Promise<BenchResult> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  await loadBenchReadings(conn, skabReadings(metrics, rows), "skab");
  const sql = duckdbAnalytics(def, "input");
  const device = deviceOf;

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
      const last = scored.find((r) => r.ms === e)!;
      result.segments.push({ file, startMs: s, endMs: e, detected: hit !== undefined, delaySeconds: hit ? (hit.ms - s) / 1000 : null, openAtStart: inEpisode(first), openAtEnd: inEpisode(last) });
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
  // Meets the target on valve1 only by judging nothing before reading 600, i.e. after every segment has started
  // (rows ~567-579): the pre-fault rows become true negatives by silence. Held-out FAR does not move.
  ["min reference 480 (judged from reading 600)", (d) => { d.baseline.minReferenceRows = 480; }],
  ["level shift 6, deviation 8", (d) => { d.rules.levelShift.threshold = 6; d.rules.deviation.threshold = 8; }],
];

async function main(): Promise<void> {
  const t0 = Date.now();
  const r = await runBench();
  console.log(`SKAB valve1 (${r.segments.length} files), shipped defaults (DEFAULT_ANALYTICS), warm-up ${WARM_UP_ROWS} rows per file`);
  console.log("");
  console.log("Per anomaly segment:");
  for (const s of r.segments) {
    const found = s.detected ? `first anomaly after ${s.delaySeconds} s` : "MISSED";
    const open = [s.openAtStart ? "an alert was already open at its start" : "", s.openAtEnd ? "still open at its end" : ""].filter(Boolean).join("; ");
    console.log(`  ${s.file.padEnd(7)} ${new Date(s.startMs).toISOString()} (${((s.endMs - s.startMs) / 1000 + 1).toFixed(0)} s)  ${found}${open ? ` (${open})` : ""}`);
  }
  const detected = r.segments.filter((s) => s.detected);
  const delays = detected.map((s) => s.delaySeconds!).sort((a, b) => a - b);
  console.log(`  detected ${detected.length}/${r.segments.length}, median delay ${delays.length ? delays[Math.floor(delays.length / 2)] : "-"} s`);
  console.log(`  false alert episodes: ${r.falseEpisodes} in ${r.scoredHours.toFixed(2)} scored hours = ${(r.falseEpisodes / r.scoredHours).toFixed(2)} per hour`);
  // Each segment is followed by ~170 normal rows: an alert still on at a segment's end costs the hold time
  // (plus the recent window's lag) in false rows, about 120-240 of the ~34 per file a 10 % FAR allows.
  console.log(`  alerts still open at the segment's last row: ${r.segments.filter((s) => s.openAtEnd).length}/${r.segments.length}`);
  console.log("");
  console.log("Pointwise (all scored rows of all files)        F1     FAR       MAR");
  const line = (name: string, f: number, fa: number, m: number) => console.log(`  ${name.padEnd(45)} ${f.toFixed(2)}  ${fa.toFixed(2).padStart(6)} %  ${m.toFixed(2).padStart(6)} %`);
  line("iotpipe: inside an alert episode (headline)", f1(r.episodes), 100 * far(r.episodes), 100 * mar(r.episodes));
  line("iotpipe: inside an episode, hold tail excluded", f1(r.spans), 100 * far(r.spans), 100 * mar(r.spans));
  line("iotpipe: reading has an anomaly row", f1(r.readings), 100 * far(r.readings), 100 * mar(r.readings));
  console.log("  SKAB leaderboard (published):");
  for (const b of LEADERBOARD) line(`  ${b.method}`, b.f1, b.far, b.mar);
  console.log("");
  const [whole, runs] = [await runHeldOut(), await runHeldOut(DEFAULT_ANALYTICS, RUN_ROWS)];
  console.log("Held-out: anomaly-free.csv (every row normal; never used to choose a default)   FAR     false episodes");
  const heldOut = (name: string, h: BenchResult) =>
    console.log(`  ${name.padEnd(45)}        ${(100 * far(h.episodes)).toFixed(2).padStart(6)} %  ${h.falseEpisodes} in ${h.scoredHours.toFixed(2)} h = ${(h.falseEpisodes / h.scoredHours).toFixed(2)} per hour`);
  heldOut("whole file (steady state after warm-up)", whole);
  heldOut(`cut into runs of ${RUN_ROWS} rows, like valve1 files`, runs);
  console.log("");
  const { baseline, alerts, rules } = DEFAULT_ANALYTICS;
  console.log(`  defaults: recent ${baseline.recentRows} / reference ${baseline.referenceRows} readings (judged from the ${baseline.recentRows + baseline.minReferenceRows}th), ` +
    `deviation ${rules.deviation.threshold}, level shift ${rules.levelShift.threshold}, hold ${alerts.holdSeconds} s, ` +
    `confirmation ${alerts.confirmation.readings} of ${alerts.confirmation.window}`);
  if (process.argv.includes("--what-if")) {
    console.log("  what-if (variants of the defaults, NOT shipped)                F1     FAR       MAR   held-out FAR whole / runs");
    for (const [name, edit] of WHAT_IF) {
      const def = structuredClone(DEFAULT_ANALYTICS);
      edit(def);
      const [w, hw, hr] = [await runBench(def), await runHeldOut(def), await runHeldOut(def, RUN_ROWS)];
      console.log(`    ${name.padEnd(43)} ${f1(w.episodes).toFixed(2)}  ${(100 * far(w.episodes)).toFixed(2).padStart(6)} %  ${(100 * mar(w.episodes)).toFixed(2).padStart(6)} %   ${(100 * far(hw.episodes)).toFixed(1).padStart(5)} % / ${(100 * far(hr.episodes)).toFixed(1).padStart(5)} %`);
    }
  }
  console.log("");
  const target = f1(r.episodes) >= 0.78 && far(r.episodes) <= 0.15 && far(whole.episodes) <= 0.05;
  console.log(`Target valve1 F1 >= 0.78 with FAR <= 15 %, anomaly-free FAR <= 5 %: ${target ? "met" : "NOT met"} ` +
    `(F1 ${f1(r.episodes).toFixed(3)}, FAR ${pct(far(r.episodes))}, anomaly-free FAR ${pct(far(whole.episodes))}); ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
