/**
 * Every stack's own Flink SQL plans, compiles and runs on Flink 1.20: a stack that overrides static limits, windows
 * or the alert hold deploys SQL generated for it (config/analytics.ts, committed as sql/flink/<stack>/), so each is
 * submitted here through flink-app/main.py with file connectors over a few messages. An unknown function, a type
 * error or an updating stream into an append-only sink (the file sink is append-only, as Kinesis is) fails it.
 * The Kinesis options themselves are not checked: the connector jar is not served where the tests run (README).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stackAnalytics } from "../../config/analytics";
import { parseStackConfig } from "../../config/load";
import { listStacks, readProjectKeys } from "../../config/stack-file";
import { AGGREGATES, READINGS } from "../../lake/tables";
import { flinkRows, prepareFlinkCase, runFlinkJobs } from "./flink-job";

const BASE = Date.UTC(2026, 10, 2, 6);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "iotpipe-flink-stacks-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("runs each stack's generated SQL: every statement plans and the job writes what it read", () => {
  const stacks = listStacks();
  expect(stacks.length).toBeGreaterThan(0);
  const input = join(dir, "raw.jsonl");
  const envelopes = Array.from({ length: 20 }, (_, i) => JSON.stringify({
    device_id: "pump-1", site: "plant-a", line: "line-2", ingest_ts: BASE + i * 10_000 + 50,
    payload_base64: Buffer.from(JSON.stringify({ msg_id: `m${i}`, ts: BASE + i * 10_000, readings: [{ metric: "temperature", value: 20 + (i % 3) }] })).toString("base64"),
  }));
  writeFileSync(input, `${envelopes.join("\n")}\n`);
  const analytics = stacks.map((stack) => stackAnalytics(parseStackConfig(readProjectKeys(stack))));
  const cases = stacks.map((stack, i) => prepareFlinkCase(join(dir, stack), input, analytics[i].definition, analytics[i].ingestPolicy));
  const run = runFlinkJobs(cases);
  console.log(`Flink jobs per stack (${stacks.join(", ")}): ${run.seconds.map((s) => `${s} s`).join(", ")}`);
  cases.forEach((c, i) => {
    expect(flinkRows(c.outputDir, READINGS)).toHaveLength(20);
    // Each of the stack's windows counts every reading once (they close at the end of the input).
    const counted = Object.fromEntries(analytics[i].definition.windowSeconds.map((w) => [w, 0]));
    for (const row of flinkRows(c.outputDir, AGGREGATES)) counted[Number(row.window_seconds)] += Number(row.sample_count);
    expect(counted).toEqual(Object.fromEntries(analytics[i].definition.windowSeconds.map((w) => [w, 20])));
  });
}, 20 * 60_000);
