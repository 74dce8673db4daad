/**
 * `iotpipe replay` with a stack's analytics (--stack-config Pulumi.<stack>.yaml, through the same stackAnalytics
 * the cloud deploys with), --hold-seconds and --windows, and the warning about series slower than the hold time.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { EXIT } from "../../cli/errors";
import { cli } from "./run-cli";
import { cadenceWarning, slowSeries } from "../../cli/cadence";
import { analyticsFromFlags, holdSecondsOption } from "../../cli/stack-analytics";
import { stackAnalytics } from "../../config/analytics";
import { parseStackConfig } from "../../config/load";
import { PROJECT_DIR, readProjectKeys } from "../../config/stack-file";
import { DEFAULT_ANALYTICS } from "../../analytics/definition";
import { DEFAULT_INGEST_POLICY } from "../../contract/ingest-policy";


let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-replay-analytics-"))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** One temperature series of plant-a/line-1/oven-1, a reading every `stepMs`; `value(i)` of reading i. */
function series(name: string, count: number, stepMs: number, value: (i: number) => number): string {
  const base = Date.UTC(2026, 10, 22, 8);
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      topic: "telemetry/plant-a/line-1/oven-1",
      ingest_ts: base + i * stepMs + 20,
      msg_id: `m${i}`,
      ts: base + i * stepMs,
      readings: [{ metric: "temperature", value: value(i), unit: "degC" }],
    }),
  );
  const file = path.join(dir, `${name}.jsonl`);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** The summary line of the alert transitions, e.g. "alerts: 3 episodes opened, 3 cleared, …". */
const alertSummary = (out: string) => /^ {2}alerts: (\d+) episodes? opened, (\d+) cleared/m.exec(out)?.slice(1, 3).map(Number);

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe("--stack-config", () => {
  test("runs exactly the analytics the stack deploys (the same stackAnalytics), flags over them", () => {
    for (const stack of ["dev", "prod"]) {
      const deployed = stackAnalytics(parseStackConfig(readProjectKeys(stack)));
      expect(analyticsFromFlags({ stackConfig: path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`) })).toEqual({ definition: deployed.definition, ingestPolicy: deployed.ingestPolicy, source: `Pulumi.${stack}.yaml` });
    }
    expect(analyticsFromFlags({})).toEqual({ definition: DEFAULT_ANALYTICS, ingestPolicy: DEFAULT_INGEST_POLICY, source: null });
    const prod = analyticsFromFlags({ stackConfig: path.join(PROJECT_DIR, "Pulumi.prod.yaml"), holdSeconds: 600, windows: [300] });
    expect(prod.definition.alerts.holdSeconds).toBe(600);
    expect(prod.definition.windowSeconds).toEqual([300]);
    expect(prod.definition.rules.staticLimit.defaults.pressure.high).toBe(16);
    expect(prod.source).toBe("Pulumi.prod.yaml, --windows, --hold-seconds");
  });

  test("a bad hold in the stack file is refused by the definition's check, named by its key", () => {
    const file = path.join(dir, "Pulumi.badhold.yaml");
    fs.writeFileSync(file, "config:\n  iotpipe:alertHoldSeconds: 100000\n  iotpipe:alertHoldReadings: 0\n");
    expect(() => analyticsFromFlags({ stackConfig: file })).toThrow(
      /iotpipe:alertHoldSeconds must be at most 86400 \(one day\); got 100000\n {2}iotpipe:alertHoldReadings must be a positive integer; got 0/,
    );
  });

  // 60 readings every 5 s near 20 degC; three at 95-97 from 08:00:50: inside temperature's shipped limit
  // (400), above the stack's 90 for plant-a/line-1.
  const input = () => series("warm", 60, 5000, (i) => (i >= 10 && i < 13 ? 85 + i : 20 + (i % 3) * 0.1));

  test("applies the stack's static limit override: it fires where the shipped limits do not", async () => {
    const stackFile = path.join(dir, "Pulumi.plant.yaml");
    fs.writeFileSync(
      stackFile,
      [
        "config:",
        "  aws:region: eu-west-1",
        "  iotpipe:staticLimits:",
        "    - temperature@plant-a/line-1=..90",
        "  iotpipe:aggregateWindowSeconds: [300]",
        "",
      ].join("\n"),
    );
    const file = input();
    const shipped = await cli("replay", "--input", file, "--out", path.join(dir, "warm-default"));
    expect(shipped.code).toBe(EXIT.ok);
    expect(alertSummary(shipped.out)).toEqual([0, 0]);
    expect(shipped.out).not.toMatch(/analytics \(/);

    const lake = path.join(dir, "warm-plant");
    const stack = await cli("replay", "--input", file, "--out", lake, "--stack-config", stackFile);
    expect(stack.err).toBe("");
    expect(stack.code).toBe(EXIT.ok);
    expect(stack.out).toContain("  analytics (Pulumi.plant.yaml): windows 300 s; alert hold 120 s; 1 site/line static limit override");
    expect(alertSummary(stack.out)).toEqual([1, 1]);
    expect(stack.out).toMatch(/2026-11-22 08:00:50 {2}open {5}plant-a\/line-1\/oven-1 {2}temperature {2}static_limit {2}critical {2}peak 95 \(limit 90\)/);

    // The stack's windows reach the local aggregates.
    const windows = await query(
      `SELECT DISTINCT window_seconds::INTEGER AS w FROM read_parquet('${path.join(lake, "aggregates", "**", "*.parquet")}', hive_partitioning = false)`,
    );
    expect(windows.map((r) => r.w)).toEqual([300]);
  });

  test("a stack file with a bad key fails with the same message as `pulumi up`", async () => {
    const stackFile = path.join(dir, "Pulumi.bad.yaml");
    fs.writeFileSync(stackFile, "config:\n  iotpipe:aggregateWindowSeconds: [60, 7]\n");
    const r = await cli("replay", "--input", input(), "--out", path.join(dir, "never"), "--stack-config", stackFile);
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(/iotpipe:aggregateWindowSeconds 7 must divide a day \(86400 s\)/);
    expect(r.err).toMatch(/next: fix the key\(s\) in the stack file/);
    expect(fs.existsSync(path.join(dir, "never"))).toBe(false);
  });

  test("a missing stack file says so", async () => {
    const r = await cli("replay", "--input", input(), "--out", path.join(dir, "never"), "--stack-config", path.join(dir, "Pulumi.nope.yaml"));
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(/error: stack config .*Pulumi\.nope\.yaml does not exist or is not a file/);
  });
});

describe("alert hold time on slow data", () => {
  // A reading every 5 minutes; three consecutive ones above temperature's 400 degC limit.
  const input = () => series("slow", 36, 300_000, (i) => (i >= 10 && i < 13 ? 450 + i : 20 + (i % 3) * 0.1));

  test("with the default hold the episode follows the series' cadence: one episode, no warning", async () => {
    const r = await cli("replay", "--input", input(), "--out", path.join(dir, "slow-default"));
    expect(r.code).toBe(EXIT.ok);
    expect(alertSummary(r.out)).toEqual([1, 1]);
    expect(r.err).toBe("");
  });

  test("--hold-seconds 900 sets the shortest hold; still one episode, without the warning", async () => {
    const r = await cli("replay", "--input", input(), "--out", path.join(dir, "slow-900"), "--hold-seconds", "900");
    expect(r.code).toBe(EXIT.ok);
    expect(r.err).toBe("");
    expect(r.out).toContain("  analytics (--hold-seconds): windows 60 s, 3600 s; alert hold 900 s");
    expect(alertSummary(r.out)).toEqual([1, 1]);
    // 10 readings of 5 min = 3000 s, rounded up to the 1 h step.
    expect(r.out).toMatch(/2026-11-22 10:00:00 {2}cleared .* 3 anomalous readings/);
  });

  test("the cadence check reads the lake: one slow series, none at a hold above its interval", async () => {
    const lake = path.join(dir, "slow-default");
    expect(await slowSeries(lake, 120)).toEqual({ count: 1, minIntervalMs: 300_000, maxIntervalMs: 300_000 });
    expect(await slowSeries(lake, 300)).toBeNull();
    expect(await slowSeries(path.join(dir, "no-lake"), 120)).toBeNull();
    expect(cadenceWarning({ count: 4, minIntervalMs: 60_500, maxIntervalMs: 300_000 }, 30)).toMatch(
      /^4 series report every ~61–300 s, longer than the alert hold time \(30 s\): .* at least 2 × their interval \(600 s\)$/,
    );
    // Daily readings: twice the interval is more than iotpipe:alertHoldSeconds accepts; suggest what it does accept.
    const daily = cadenceWarning({ count: 1, minIntervalMs: 86_400_000, maxIntervalMs: 86_400_000 }, 120);
    const suggested = Number(/\((\d+) s\)$/.exec(daily)![1]);
    expect(() => holdSecondsOption(String(suggested))).not.toThrow();
    expect(suggested).toBe(86_400);
  });
});

describe("--hold-seconds and --windows are checked as the stack keys are", () => {
  test.each([
    // The definition's rule (analytics/definition.ts), named by the flag and its key.
    [["--hold-seconds", "0"], /'--hold-seconds <n>' argument '0' is invalid\. must be a positive integer \(as iotpipe:alertHoldSeconds\)/],
    [["--hold-seconds", "90000"], /'--hold-seconds <n>' argument '90000' is invalid\. must be at most 86400 \(one day\) \(as iotpipe:alertHoldSeconds\)/],
    [["--hold-seconds", "2m"], /'--hold-seconds <n>' argument '2m' is invalid\. must be an integer/],
    [["--windows", "60,7"], /'--windows <s,s>' argument '60,7' is invalid\. 7 must divide a day \(86400 s\) so windows align to UTC days \(as iotpipe:aggregateWindowSeconds\)/],
    [["--windows", "60,60"], /'--windows <s,s>' argument '60,60' is invalid\. has duplicates/],
    [["--windows", "1m"], /'--windows <s,s>' argument '1m' is invalid\. must be whole seconds separated by commas, e.g\. 60,3600/],
  ])("%j is refused", async (args, message) => {
    const r = await cli("replay", "--input", "x.jsonl", "--out", path.join(dir, "never"), ...(args as string[]));
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(message as RegExp);
  });

  test("--windows reaches the aggregates", async () => {
    const lake = path.join(dir, "windows");
    const r = await cli("replay", "--input", series("win", 30, 60_000, () => 20), "--out", lake, "--windows", "300,900");
    expect(r.code).toBe(EXIT.ok);
    const rows = await query(
      `SELECT window_seconds::INTEGER AS w, count(*)::INTEGER AS n FROM read_parquet('${path.join(lake, "aggregates", "**", "*.parquet")}', hive_partitioning = false) GROUP BY 1 ORDER BY 1`,
    );
    expect(rows).toEqual([{ w: 300, n: 6 }, { w: 900, n: 2 }]);
  });
});
