/**
 * `npm run bench:nab`: the shipped defaults on the Numenta Anomaly Benchmark's development set
 * (`shared/data/nab`, 33 labelled single-metric files at 5 to 30 minutes, read in place), scored as NAB scores.
 *
 * Each file is one device and metric through the SAME DuckDB SQL the local engine runs (`duckdbAnalytics()` with
 * `DEFAULT_ANALYTICS`, no per-file settings). One detection per alert episode, at the row where it opens (an
 * alert system notifies on openings; for a silence, the first row at or after the moment it was noticed).
 *
 * The scorer (bench/nab-score.ts) is checked first: NAB's published per-row scores of its `numenta` detector on
 * the five calibration files, thresholded as published, must reproduce that detector's per-file scores to 3
 * decimals, and the published per-file scores of every detector must add up to the normalised scores in the data
 * set's README. The per-file table prints the published detectors' raw scores beside ours.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { DEFAULT_ANALYTICS } from "../analytics/definition";
import { duckdbAnalytics } from "../analytics/duckdb";
import { nabFileScore, nabNormalised } from "./nab-score";
import { type BenchReading, loadBenchReadings } from "./readings-table";
import { sharedDataDir } from "./shared-data";

const NAB = sharedDataDir("nab");
/** Published detectors printed beside ours, in the README's order. */
const PUBLISHED = ["numenta", "ARTime", "randomCutForest", "earthgeckoSkyline", "twitterADVec", "windowedGaussian"];
const CALIBRATION_THRESHOLD = 0.542187690735;
const TARGET = 50;
const STRETCH = 68;

interface NabFile { name: string; times: number[]; values: number[]; windows: [number, number][] }

/** NAB's naive UTC timestamps ('YYYY-MM-DD HH:MM:SS[.ffffff]') as epoch ms. */
function nabTime(text: string): number {
  const ms = Date.parse(`${text.trim().slice(0, 19).replace(" ", "T")}Z`);
  if (Number.isNaN(ms)) throw new Error(`bad NAB timestamp '${text}'`);
  return ms;
}

function readCsv(path: string): string[][] {
  return readFileSync(path, "utf8").trim().split(/\r?\n/).slice(1).map((line) => line.split(","));
}

/** Window [start, end] timestamps as inclusive row ranges. */
function windowRows(times: number[], windows: [string, string][]): [number, number][] {
  return windows.map(([start, end]) => {
    const first = times.findIndex((t) => t >= nabTime(start));
    let last = -1;
    for (let i = times.length - 1; i >= 0; i--) if (times[i] <= nabTime(end)) { last = i; break; }
    if (first < 0 || last < first) throw new Error(`window ${start}..${end} holds no row`);
    return [first, last];
  });
}

function readFiles(): NabFile[] {
  const labels = JSON.parse(readFileSync(join(NAB, "combined_windows.json"), "utf8")) as Record<string, [string, string][]>;
  return readdirSync(join(NAB, "data")).sort().flatMap((category) =>
    readdirSync(join(NAB, "data", category)).filter((f) => f.endsWith(".csv")).sort().map((file) => {
      const name = `${category}/${file}`;
      const rows = readCsv(join(NAB, "data", name));
      const times = rows.map((r) => nabTime(r[0]));
      if (!(name in labels)) throw new Error(`${name}: no entry in combined_windows.json`);
      return { name, times, values: rows.map((r) => Number(r[1])), windows: windowRows(times, labels[name]) };
    }));
}

/** Published raw scores per detector and file (anchors/<detector>_standard_scores.csv). */
function readAnchors(): Map<string, Map<string, number>> {
  return new Map(PUBLISHED.map((detector) => {
    const rows = readCsv(join(NAB, "anchors", `${detector}_standard_scores.csv`));
    return [detector, new Map(rows.filter((r) => r[2].endsWith(".csv")).map((r) => [r[2], Number(r[4])]))];
  }));
}

/** The scorer against the published numenta per-row scores: one line per calibration file. */
function calibrate(files: NabFile[], anchors: Map<string, Map<string, number>>): { matched: number; lines: string[] } {
  const lines: string[] = [];
  let matched = 0;
  for (const file of readdirSync(join(NAB, "calibration")).filter((f) => f.startsWith("numenta_")).sort()) {
    const base = file.replace(/^numenta_/, "");
    const nab = files.find((f) => f.name.endsWith(`/${base}`));
    if (!nab) throw new Error(`calibration file ${file}: no data file ${base}`);
    const scores = readCsv(join(NAB, "calibration", file)).map((r) => Number(r[2]));
    const ours = nabFileScore(nab.times.length, nab.windows, (i) => scores[i] >= CALIBRATION_THRESHOLD).score;
    const published = anchors.get("numenta")!.get(nab.name)!;
    const ok = ours.toFixed(3) === published.toFixed(3);
    if (ok) matched++;
    lines.push(`  ${nab.name.padEnd(52)} ours ${ours.toFixed(3).padStart(8)}  published ${published.toFixed(3).padStart(8)}  ${ok ? "ok" : "MISMATCH"}`);
  }
  return { matched, lines };
}

/** Rows where an alert episode opens, per file (device), from the shipped analytics. */
async function detections(files: NabFile[]): Promise<Map<string, Set<number>>> {
  const device = (i: number) => `nab-${i}`;
  const readings = function* (): Generator<BenchReading> {
    for (const [i, f] of files.entries()) {
      for (const [row, ms] of f.times.entries()) yield { device: device(i), metric: "value", ms, value: f.values[row], id: String(row) };
    }
  };
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  await loadBenchReadings(conn, readings(), "nab");
  const sql = duckdbAnalytics(DEFAULT_ANALYTICS, "input");
  const opens = (await conn.runAndReadAll(`SELECT device_id, epoch_ms(event_ts) AS t FROM (${sql.alerts}) WHERE state = 'open'`)).getRowObjectsJS() as { device_id: string; t: number }[];
  conn.closeSync();
  instance.closeSync();
  return new Map(files.map((f, i) => {
    const rows = new Set<number>();
    for (const o of opens.filter((a) => a.device_id === device(i))) {
      const row = f.times.findIndex((t) => t >= Number(o.t));
      if (row >= 0) rows.add(row);
    }
    return [f.name, rows];
  }));
}

async function main(): Promise<void> {
  const started = Date.now();
  const files = readFiles();
  const anchors = readAnchors();
  const windowsOf = (name: string) => nabFileScore(files.find((f) => f.name === name)!.times.length, files.find((f) => f.name === name)!.windows, () => false).windows;

  const calibration = calibrate(files, anchors);
  console.log(`NAB scorer calibration (numenta's published per-row scores ≥ ${CALIBRATION_THRESHOLD} → its published per-file score):`);
  for (const line of calibration.lines) console.log(line);
  const categories = ["realKnownCause", "realAWSCloudwatch"];
  const normalisedOf = (detector: string, filter: (name: string) => boolean) =>
    nabNormalised(files.filter((f) => filter(f.name)).map((f) => ({ score: anchors.get(detector)!.get(f.name)!, windows: windowsOf(f.name) })));
  console.log("  published per-file scores → normalised (README: numenta 67.9 / 55.7 / 73.4):");
  for (const detector of PUBLISHED) {
    console.log(`    ${detector.padEnd(18)} all ${normalisedOf(detector, () => true).toFixed(1).padStart(5)}  ${categories.map((c) => `${c} ${normalisedOf(detector, (n) => n.startsWith(`${c}/`)).toFixed(1)}`).join("  ")}`);
  }

  const detected = await detections(files);
  const ours = files.map((f) => ({ file: f, ...nabFileScore(f.times.length, f.windows, (i) => detected.get(f.name)!.has(i)) }));
  console.log(`\nPer file: iotpipe's shipped defaults (one detection per alert episode, at its opening row) beside the published raw scores`);
  const header = ["file", "rows", "windows", "episodes", "TP", "FP", "FN", "iotpipe", ...PUBLISHED];
  const rows = ours.map((o) => [
    o.file.name, String(o.file.times.length), String(o.windows), String(detected.get(o.file.name)!.size), String(o.tp), String(o.fp), String(o.fn), o.score.toFixed(3),
    ...PUBLISHED.map((p) => anchors.get(p)!.get(o.file.name)!.toFixed(3)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) console.log("  " + row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));

  const ourNormalised = (filter: (name: string) => boolean) => nabNormalised(ours.filter((o) => filter(o.file.name)));
  const all = ourNormalised(() => true);
  console.log(`\nNormalised (standard profile): iotpipe all 33 ${all.toFixed(1)}; ${categories.map((c) => `${c} ${ourNormalised((n) => n.startsWith(`${c}/`)).toFixed(1)}`).join("; ")}` +
    `; published: ${PUBLISHED.map((p) => `${p} ${normalisedOf(p, () => true).toFixed(1)}`).join(", ")}`);
  console.log(`Scorer calibration: ${calibration.matched}/${calibration.lines.length} files reproduce the published score. ` +
    `Target >= ${TARGET} (stretch >= ${STRETCH}): ${all >= STRETCH ? "stretch met" : all >= TARGET ? "met" : "NOT met"} (${all.toFixed(1)}); ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
