/**
 * The Flink job, run for real, gives the local engine's answers. One seeded simulator run with every kind of
 * fault, hostile input and a lateness edge case go through both engines as the same raw-stream envelopes: Flink 1.20
 * (PyFlink mini-cluster, flink-app/main.py unchanged, the generator's statements with file connectors) and the
 * local replay in live mode (one watermark across devices in arrival order, as the Kinesis source has). Table by
 * table the rows must agree: counts, keys, min/max and exact values exactly; averages, deviations, scores and
 * baselines within 1e-9 relative (the two engines sum in different orders). Where the engines differ by nature,
 * the difference is asserted here, not ignored (README, "The Flink job, run for real").
 *
 * The first run installs PyFlink into .iotpipe/pyflink-venv (tests/flink/pyflink-env.ts). Everything is one job:
 * most of its time on 2 cores is planning and deploying the graph, not the records.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { DEFAULT_ANALYTICS } from "../../analytics/definition";
import { DUPLICATE_REASON } from "../../contract/ingest-policy";
import { MAX_LINE_BYTES } from "../../contract/replay-line";
import { AGGREGATES, ALERTS, ANOMALIES, QUARANTINE, READINGS } from "../../lake/tables";
import { replay, type ReplayResult } from "../../local/replay";
import { DELIVERY_FAULT_KINDS, SIGNAL_FAULT_KINDS } from "../../simulator/faults";
import { createSimulation, type SimulationConfig } from "../../simulator/simulate";
import { CLOCK, jsonLineArb } from "../contract/arbitraries";
import { bothEngines, prepareFlinkCase, rawEnvelope, type Row, runFlinkJobs } from "./flink-job";

/** Small enough for minutes on 2 cores, long enough for full baselines (1320 readings) and every fault kind. */
const SIMULATION: SimulationConfig = {
  seed: 7,
  start: Date.UTC(2026, 10, 2, 6),
  hours: 4,
  shape: { sites: 1, linesPerSite: 1, devicesPerLine: 2 },
  cadenceSeconds: 10,
  faultRate: 3,
};

const RELATIVE = 1e-9;

/** Numbers equal within `RELATIVE` of the larger magnitude (null only equals null). */
function close(a: unknown, b: unknown): boolean {
  if (a === null || b === null || a === undefined || b === undefined) return a == null && b == null;
  const x = Number(a);
  const y = Number(b);
  return x === y || Math.abs(x - y) <= RELATIVE * Math.max(Math.abs(x), Math.abs(y));
}

/**
 * Pairs the two engines' rows by `key` (each key once per engine) and lists every difference: rows only one
 * engine has, `exact` columns that differ, `near` columns beyond the tolerance. Empty when they agree.
 */
function differences(flink: Row[], local: Row[], key: string[], exact: string[], near: string[] = []): string[] {
  const keyOf = (r: Row) => JSON.stringify(key.map((k) => r[k]));
  const index = (rows: Row[], engine: string) => {
    const map = new Map<string, Row>();
    for (const r of rows) {
      if (map.has(keyOf(r))) throw new Error(`${engine} has two rows for ${keyOf(r)}`);
      map.set(keyOf(r), r);
    }
    return map;
  };
  const f = index(flink, "flink");
  const l = index(local, "local");
  const out: string[] = [];
  for (const [k, row] of f) if (!l.has(k)) out.push(`only flink: ${JSON.stringify(row)}`);
  for (const [k, row] of l) if (!f.has(k)) out.push(`only local: ${JSON.stringify(row)}`);
  for (const [k, fr] of f) {
    const lr = l.get(k);
    if (!lr) continue;
    for (const c of exact) if (JSON.stringify(fr[c] ?? null) !== JSON.stringify(lr[c] ?? null)) out.push(`${k} ${c}: flink ${JSON.stringify(fr[c])}, local ${JSON.stringify(lr[c])}`);
    for (const c of near) if (!close(fr[c], lr[c])) out.push(`${k} ${c}: flink ${fr[c]}, local ${lr[c]}`);
  }
  return out.slice(0, 20);
}

let dir: string;
let replayed: ReplayResult;
let tables: Awaited<ReturnType<typeof bothEngines>>;
/** The envelope lines over the local reader's line limit, and what each engine made of them (see the test). */
let overLimit: { envelopes: Row[]; flink: Row[]; local: Row[] };

/** One seeded simulator run, as the raw stream would carry it. */
function simulatedEnvelopes(): { lines: string[]; kinds: Set<string> } {
  const sim = createSimulation(SIMULATION);
  const lines = [...sim.lines()].map(rawEnvelope);
  return { lines, kinds: new Set(sim.truth.faults.map((f) => f.kind)) };
}

/** Devices of the hostile lines: their own, so their series never mix with the simulated ones. */
const HOSTILE_DEVICES = ["hostile-0", "hostile-1", "hostile-2"];

/**
 * Hostile input (the nothing-lost corpus of tests/local/replay.test.ts: random and damaged JSON lines), fixed by
 * a seed, as envelopes: each line is a payload some device published (the IoT rule routes by topic and never
 * reads the payload). They arrive after the simulated run, days later in ingest time.
 */
function hostileEnvelopes(): string[] {
  return fc.sample(jsonLineArb, { seed: 16, numRuns: 300 }).map((payload, i) =>
    JSON.stringify({ device_id: HOSTILE_DEVICES[i % 3], site: "plant-a", line: "line-1", ingest_ts: CLOCK + i * 1000, payload_base64: Buffer.from(payload).toString("base64") }));
}

/** Lateness at its edge: the third message is exactly the allowed lateness behind the newest, the fourth 1 ms less. */
const EDGE = CLOCK + 10 * 86_400_000;
function latenessEdgeEnvelopes(): string[] {
  return [["edge-a", EDGE], ["edge-b", EDGE + 300_000], ["edge-c", EDGE], ["edge-d", EDGE + 1]].map(([id, ts], i) =>
    JSON.stringify({ device_id: "edge-0", site: "plant-a", line: "line-1", ingest_ts: EDGE + 300_000 + i * 100, payload_base64: Buffer.from(JSON.stringify({ msg_id: id, ts, readings: [{ metric: "current", value: 1 + i }] })).toString("base64") }));
}

/**
 * A device whose clock runs 299 s fast among honest ones (issue 14.5): its claimed ts is just inside the accepted
 * future skew, so without the bound on event time (never after the ingest time) it would move the watermark past
 * the wall clock and every honest reading after it would be late. Each device sends a message every 10 s; the
 * case comes before the lateness edge (in the file and in time), whose later messages end its silences in both engines;
 * honest ones' messages take 5 s to arrive, so an unbounded watermark (fast ts − 300 s = ingest − 1 s) passes them.
 */
const SKEW = CLOCK + 5 * 86_400_000;
const FAST_DEVICE = "skew-fast";
function fastClockEnvelopes(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 12; i++) {
    for (const device of [FAST_DEVICE, "skew-honest-0", "skew-honest-1"]) {
      const ingest = SKEW + i * 10_000 + lines.length;
      const ts = device === FAST_DEVICE ? ingest + 299_000 : ingest - 5_000;
      const payload = JSON.stringify({ msg_id: `${device}-${i}`, ts, readings: [{ metric: "current", value: 10 + i }] });
      lines.push(JSON.stringify({ device_id: device, site: "plant-a", line: "line-2", ingest_ts: ingest, payload_base64: Buffer.from(payload).toString("base64") }));
    }
  }
  return lines;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "iotpipe-flink-"));
  // Both inputs in one file, so one job (one plan, one deployment: most of the time on 2 cores) judges both.
  const input = join(dir, "raw.jsonl");
  writeFileSync(input, `${[...simulatedEnvelopes().lines, ...hostileEnvelopes(), ...fastClockEnvelopes(), ...latenessEdgeEnvelopes()].join("\n")}\n`);
  const flinkCase = prepareFlinkCase(join(dir, "flink"), input);
  const lakeDir = join(dir, "lake");
  replayed = await replay({ inputPath: input, lakeDir, mode: "live", now: CLOCK, threads: 1 });
  const run = runFlinkJobs([flinkCase]);
  // The Flink job's own time, printed for the CI log (no test depends on it).
  console.log(`Flink job (PyFlink 1.20 mini-cluster): ${run.seconds[0]} s`);
  tables = await bothEngines(flinkCase.outputDir, lakeDir);
  // Envelopes longer than the local reader's line limit (hostile payloads of ~1 MB; IoT Core refuses anything
  // over 128 KiB, so the cloud never sees them): the local engine rejects the line unread, Flink the payload.
  // They are compared on their own below, and left out of the per-table comparisons.
  const envelopes = readFileSync(input, "utf8").split("\n").filter((l) => Buffer.byteLength(l) > MAX_LINE_BYTES).map((l) => JSON.parse(l) as Row);
  const decoded = new Set(envelopes.map((e) => `${e.ingest_ts} ${Buffer.from(String(e.payload_base64), "base64").toString()}`));
  const lines = new Set(envelopes.map((e) => JSON.stringify(e)));
  const q = tables[QUARANTINE.name];
  overLimit = {
    envelopes,
    flink: q.flink.filter((r) => decoded.has(`${r.received_ts} ${r.raw_payload}`)),
    local: q.local.filter((r) => lines.has(String(r.raw_payload))),
  };
  tables[QUARANTINE.name] = { flink: q.flink.filter((r) => !overLimit.flink.includes(r)), local: q.local.filter((r) => !overLimit.local.includes(r)) };
}, 30 * 60_000);

afterAll(() => {
  if (process.env.IOTPIPE_KEEP_FLINK_TEST_DIR) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
});

it("the simulated run holds every kind of fault", () => {
  expect([...simulatedEnvelopes().kinds].sort()).toEqual([...SIGNAL_FAULT_KINDS, ...DELIVERY_FAULT_KINDS].sort());
});

it("by nature: an envelope over the local line limit is too_large in both, Flink judging its payload, the local reader the whole line", () => {
  expect(overLimit.envelopes.length).toBeGreaterThan(0);
  const byTime = (a: unknown[], b: unknown[]) => Number(a[2]) - Number(b[2]) || String(a[3] ?? a[1]).localeCompare(String(b[3] ?? b[1]));
  expect(overLimit.flink.map((r) => [r.reason, r.device_id, r.received_ts]).sort(byTime)).toEqual(overLimit.envelopes.map((e) => ["too_large", e.device_id, e.ingest_ts]).sort(byTime));
  // Unread, the line has no address and no ingest time: the replay clock stands in, and the line is kept whole.
  expect(overLimit.local.map((r) => [r.reason, r.device_id, r.received_ts, r.raw_payload]).sort(byTime)).toEqual(overLimit.envelopes.map((e) => ["too_large", null, CLOCK, JSON.stringify(e)]).sort(byTime));
});

it("flags a message exactly the allowed lateness behind the newest as late, in both (Flink: not after the watermark)", () => {
  const flags = (rows: Row[]) => rows.filter((r) => r.device_id === "edge-0").map((r) => [r.msg_id, r.late]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  const expected = [["edge-a", false], ["edge-b", false], ["edge-c", true], ["edge-d", false]];
  expect(flags(tables[READINGS.name].flink)).toEqual(expected);
  expect(flags(tables[READINGS.name].local)).toEqual(expected);
});

it("a device with a fast clock marks no other device's readings late, in both (event time never after ingest time)", () => {
  for (const engine of ["flink", "local"] as const) {
    const skewed = tables[READINGS.name][engine].filter((r) => String(r.device_id).startsWith("skew-"));
    expect({ engine, readings: skewed.length }).toEqual({ engine, readings: 36 });
    expect({ engine, late: skewed.filter((r) => r.late === true).map((r) => r.msg_id) }).toEqual({ engine, late: [] });
  }
});

it("drops the same duplicates: the cloud writes each to quarantine, the local engine counts them", () => {
  const flinkDuplicates = tables[QUARANTINE.name].flink.filter((r) => r.reason === DUPLICATE_REASON);
  expect(replayed.counts.duplicates).toBeGreaterThan(0);
  expect(flinkDuplicates.length).toBe(replayed.counts.duplicates);
});

it("by nature: the bounded Flink run's final watermark (+infinity) opened no silence the live local engine did not", () => {
  // At the end of a bounded input Flink's watermark jumps to +infinity and closes every series' silence session,
  // so a series still inside its allowed silence then would be alerted by Flink alone; the local engine takes the
  // newest event time minus the allowed lateness as the watermark, as a live job would (README, Known gaps).
  // This input ends with the lateness edge device, whose 4 readings are too few to be watched for silence: every
  // silence Flink opened, the other devices' progress opened, before the end of the input.
  const onTime = tables[READINGS.name].local.filter((r) => !r.late).map((r) => Number(r.event_ts));
  const liveWatermark = Math.max(...onTime) - DEFAULT_ANALYTICS.watermarkDelaySeconds * 1000;
  const silences = tables[ALERTS.name].flink.filter((r) => r.rule === "data_gap" && r.state === "open");
  expect(silences.length).toBeGreaterThan(0);
  expect(silences.filter((r) => Number(r.event_ts) > liveWatermark)).toEqual([]);
  expect(tables[ALERTS.name].flink.filter((r) => r.device_id === "edge-0")).toEqual([]);
});

describe.each([
  ["simulated", (r: Row) => !HOSTILE_DEVICES.includes(String(r.device_id))],
  ["hostile", (r: Row) => HOSTILE_DEVICES.includes(String(r.device_id))],
] as const)("%s input: Flink and the local engine agree", (name, mine) => {
  const t = () => Object.fromEntries(Object.entries(tables).map(([table, rows]) => [table, { flink: rows.flink.filter(mine), local: rows.local.filter(mine) }]));

  it("readings: the same rows, late flags included", () => {
    const { flink, local } = t()[READINGS.name];
    expect(flink.length).toBe(local.length);
    expect(differences(flink, local, ["device_id", "metric", "event_ts", "msg_id", "late", "value"], ["site", "line", "unit", "ingest_ts"])).toEqual([]);
    if (name === "simulated") expect(local.filter((r) => r.late).length).toBeGreaterThan(0);
  });

  it("quarantine: the same rejected records, each with the same reason, address and original bytes", () => {
    const { flink, local } = t()[QUARANTINE.name];
    const flinkRejected = flink.filter((r) => r.reason !== DUPLICATE_REASON);
    expect(flinkRejected.length).toBe(local.length);
    expect(local.every((r) => r.source === "local") && flinkRejected.every((r) => r.source === "flink")).toBe(true);
    // The same bytes can be rejected twice (a re-sent malformed message): number each sighting.
    const keyed = (rows: Row[]) => rows.map((r, i) => ({ ...r, n: rows.slice(0, i).filter((o) => o.raw_payload === r.raw_payload && o.received_ts === r.received_ts).length }));
    expect(differences(keyed(flinkRejected), keyed(local), ["received_ts", "raw_payload", "n"], ["reason", "device_id", "site", "line"])).toEqual([]);
    // By nature: detail is each validator's own wording (Python json vs the TypeScript contract), never empty.
    expect([...flinkRejected, ...local].every((r) => typeof r.detail === "string" && r.detail.length > 0)).toBe(true);
    if (name === "simulated") expect(local.length).toBeGreaterThan(0);
  });

  it("aggregates: counts and min/max exactly, mean and deviation within 1e-9", () => {
    const { flink, local } = t()[AGGREGATES.name];
    expect(flink.length).toBe(local.length);
    expect(differences(flink, local, ["device_id", "metric", "window_seconds", "window_start"],
      ["site", "line", "window_end", "sample_count", "valid_count", "min_value", "max_value", "first_event_ts", "last_event_ts"],
      ["avg_value", "stddev_value"])).toEqual([]);
  });

  it("anomalies: the same (device, metric, time, rule) set, with their values, scores and baselines", () => {
    const { flink, local } = t()[ANOMALIES.name];
    expect(flink.length).toBe(local.length);
    expect(differences(flink, local, ["device_id", "metric", "event_ts", "rule"], ["site", "line", "value", "severity"], ["score", "baseline", "limit_value"])).toEqual([]);
    if (name === "simulated") expect(new Set(local.map((r) => r.rule)).size).toBeGreaterThan(3);
  });

  it("alerts: the same (device, metric, time, state) transitions with the same episodes", () => {
    const { flink, local } = t()[ALERTS.name];
    expect(flink.length).toBe(local.length);
    const key = ["device_id", "metric", "event_ts", "state"];
    expect(differences(flink, local, key, ["site", "line", "rule", "episode_start", "episode_end", "anomaly_count", "severity"], ["limit_value"])).toEqual([]);
    // peak_value is the quantity the rule judged: a reading's value (or seconds of silence) exactly; level_shift's
    // is the recent (trimmed) mean, a sum over 120 readings that each engine adds in its own order: within 1e-9.
    const shift = (r: Row) => r.rule === "level_shift";
    expect(differences(flink.filter((r) => !shift(r)), local.filter((r) => !shift(r)), key, ["peak_value"])).toEqual([]);
    expect(differences(flink.filter(shift), local.filter(shift), key, [], ["peak_value"])).toEqual([]);
    if (name === "simulated") {
      expect(local.some((r) => r.state === "cleared")).toBe(true);
      expect(local.some(shift) && local.some((r) => r.rule === "data_gap" && r.state === "open")).toBe(true);
    }
  });
});
