/**
 * `npm run bench:bundle`: the compliance-report Lambda as deployed (handlers/bundle.ts: esbuild, minified, only
 * the SDK clients it imports) — its size, and its module init time: the bundle is `require`d in a fresh Node
 * process RUNS times and the median is reported (what a cold start pays before the first invocation).
 * Wall time is reported with the CPU time of the same `require`: on a shared machine the wall time swings with
 * the load, the CPU time much less. Targets: ≤ 300 KB and ≤ 50 ms.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { bundleWith } from "../handlers/bundle";
import { complianceReportPackage } from "../handlers/compliance-report/package";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const TARGET_KB = 300;
const TARGET_INIT_MS = 50;

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
  console.log(`  machine         ${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}, load ${os.loadavg()[0].toFixed(1)}, Node ${process.version}`);
  console.log(`  targets         size ≤ ${TARGET_KB} KB: ${kb <= TARGET_KB ? "met" : "NOT met"}; init ≤ ${TARGET_INIT_MS} ms: ${initMs <= TARGET_INIT_MS ? "met" : "NOT met"}`);
  console.log(`floor: each SDK client the handler needs, bundled alone the same way (import + one client)`);
  for (const [pkg, client] of SDK_CLIENTS) {
    const floor = bundleWith({ stdin: { contents: `import { ${client} } from "${pkg}"; export const client = new ${client}({});`, resolveDir: process.cwd(), loader: "ts" } });
    const file = path.join(dir, `${client}.js`);
    fs.writeFileSync(file, floor.code);
    console.log(`  ${pkg.padEnd(22)} ${(floor.bytes / 1024).toFixed(1).padStart(6)} KiB, init median ${median(measureInit(file).times).toFixed(1)} ms`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The SDK v3 clients the report handler uses: each sets a floor no bundle of the handler can go below. */
const SDK_CLIENTS = [["@aws-sdk/client-s3", "S3Client"], ["@aws-sdk/client-athena", "AthenaClient"], ["@aws-sdk/client-sns", "SNSClient"]] as const;

/** `require`s a bundle in RUNS fresh Node processes: wall and CPU milliseconds of each. */
function measureInit(file: string): { times: number[]; cpuTimes: number[] } {
  const env = { ...process.env, AWS_REGION: "eu-west-1", POWERTOOLS_METRICS_DISABLED: "true" };
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = spawnSync(process.execPath, ["--no-warnings", "-e", PROBE, file], { env, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`loading ${file} failed: ${run.stderr}`);
    const { wall, cpu } = JSON.parse(run.stdout) as { wall: number; cpu: number };
    times.push(wall);
    cpuTimes.push(cpu);
  }
  return { times, cpuTimes };
}

main();
