/**
 * One device with a fast clock among honest ones, live (one watermark across devices, as the Flink source's per
 * subtask): its claimed times, up to the future skew the contract allows, must not move the watermark past the
 * ingest time, or every honest reading that arrives after one of its messages turns late and leaves the
 * analytics. Event time is the claimed time but never after the ingest time, in both engines (the Flink source's
 * event_ts, tests/analytics/flink-sql.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { replay } from "../../local/replay";
import { READINGS } from "../../lake/tables";
import { tableGlob, withDuckDb } from "./lake-read";
import { CLOCK } from "../contract/arbitraries";

const BASE = Date.UTC(2026, 10, 22, 8);
const FAST_BY_MS = 299_000; // within the 300 s future skew: accepted, not quarantined
const LATENCY_MS = 3_000;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "iotpipe-fast-clock-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const message = (device: string, n: number, ts: number, ingestTs: number) =>
  JSON.stringify({ topic: `telemetry/plant-a/line-1/${device}`, ingest_ts: ingestTs, msg_id: `${device}-${n}`, ts, readings: [{ metric: "temperature", value: 20 + (n % 5) / 10 }] });

it("a device 5 minutes fast does not turn the honest devices' readings late, and its own readings sit at their arrival time", async () => {
  const lines: string[] = [];
  // Ten minutes, one message a second from each device, in arrival order: the fast one, then three honest ones.
  for (let n = 0; n < 600; n++) {
    const arrival = BASE + n * 1000;
    lines.push(message("fast-1", n, arrival + FAST_BY_MS, arrival));
    for (const [i, device] of ["honest-1", "honest-2", "honest-3"].entries()) {
      const ingest = arrival + 100 * (i + 1);
      lines.push(message(device, n, ingest - LATENCY_MS, ingest));
    }
  }
  const input = join(dir, "spool.jsonl");
  writeFileSync(input, lines.join("\n"));
  const lake = join(dir, "lake");
  const result = await replay({ inputPath: input, lakeDir: lake, now: CLOCK, mode: "live" });

  expect(result.counts).toMatchObject({ input: 2400, accepted: 2400, quarantined: 0, duplicates: 0, late: 0 });
  const rows = await withDuckDb((run) =>
    run(`SELECT device_id, count(*) AS n, max(epoch_ms(event_ts) - epoch_ms(ingest_ts)) AS ahead_ms
         FROM read_parquet(${tableGlob(lake, READINGS)}) GROUP BY device_id ORDER BY device_id`),
  );
  expect(rows.map((r) => [r.device_id, Number(r.n), Number(r.ahead_ms)])).toEqual([
    ["fast-1", 600, 0], // stamped at arrival: a reading cannot have happened after it arrived
    ["honest-1", 600, -LATENCY_MS],
    ["honest-2", 600, -LATENCY_MS],
    ["honest-3", 600, -LATENCY_MS],
  ]);
});
