/**
 * `npm run bench:replay [-- --readings N]`: readings per second through the full local pipeline (validation,
 * de-duplication, lateness, analytics, Parquet lake) beside DuckDB's own copy-through of the same input to
 * Parquet (read_json → COPY), on generated factory telemetry. Default 10 million readings; input and lakes go
 * to a temp directory that is removed afterwards. Also the floor the analytics' windows set (windowFloor).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { scoringSql } from "../analytics/duckdb";
import { replay } from "../local/replay";
import { sqlString } from "../local/sql-string";

const READINGS_PER_MESSAGE = 4;
const DEVICES = 200;

function readingsArg(): number {
  const at = process.argv.indexOf("--readings");
  const value = at >= 0 ? Number(process.argv[at + 1]) : 10_000_000;
  if (!Number.isSafeInteger(value) || value < READINGS_PER_MESSAGE) throw new Error(`--readings must be an integer ≥ ${READINGS_PER_MESSAGE}`);
  return value;
}

/**
 * Flat replay lines from 200 devices on 10 sites, one message per device per second with temperature,
 * vibration, pressure and current; about 0.1 % of messages repeated (reconnect duplicates).
 */
async function generateInput(path: string, readings: number): Promise<void> {
  const messages = Math.floor(readings / READINGS_PER_MESSAGE);
  const start = Date.UTC(2026, 10, 20);
  const connection = await (await DuckDBInstance.create(":memory:")).connect();
  await connection.run(`COPY (
    SELECT 'telemetry/site-' || (d % 10) || '/line-' || (d % 3) || '/dev-' || d AS topic,
           ts + 40 + (i % 17) AS ingest_ts, 'dev-' || d || '-' || (i // ${DEVICES}) AS msg_id, i // ${DEVICES} AS seq, ts,
           [{'metric': 'temperature', 'value': round(60 + 10 * sin(i / 5000.0) + (hash(i) % 100) / 50.0, 3), 'unit': 'degC'},
            {'metric': 'vibration', 'value': round(2 + (hash(i + 1) % 100) / 100.0, 3), 'unit': 'mm/s'},
            {'metric': 'pressure', 'value': round(6 + (hash(i + 2) % 100) / 200.0, 3), 'unit': 'bar'},
            {'metric': 'current', 'value': round(40 + (hash(i + 3) % 100) / 20.0, 3), 'unit': 'A'}] AS readings
    FROM (SELECT CASE WHEN i % 1000 = 999 THEN i - 1 ELSE i END AS i, (CASE WHEN i % 1000 = 999 THEN i - 1 ELSE i END) % ${DEVICES} AS d,
                 ${start} + ((CASE WHEN i % 1000 = 999 THEN i - 1 ELSE i END) // ${DEVICES}) * 1000 AS ts
          FROM range(${messages}) r(i))
  ) TO ${sqlString(path)} (FORMAT json)`);
  connection.closeSync();
}

async function copyThrough(input: string, output: string): Promise<number> {
  const connection = await (await DuckDBInstance.create(":memory:")).connect();
  const t0 = performance.now();
  await connection.run(`COPY (SELECT * FROM read_json(${sqlString(input)}, format = 'newline_delimited')) TO ${sqlString(output)} (FORMAT parquet)`);
  const elapsed = performance.now() - t0;
  connection.closeSync();
  return elapsed;
}

/**
 * The floor of the analytics' design on this machine, from DuckDB's window operator over the replayed readings:
 * one sort per window pass, plus one framed aggregate per segment-tree aggregate the scoring needs (row_number,
 * lag and first_value are not counted), each over its own frame size (a 30-row frame costs about half a
 * 1,320-row one, so pricing every aggregate at the span's frame would overstate the floor). The marginal cost of
 * an aggregate over a frame is measured as (3 SUMs − 1 SUM) / 2 over that window; the rest of the 1-SUM query is
 * the sort (the smallest such estimate). What the windows alone cost, whatever else is made faster.
 */
async function windowFloor(lakeDir: string): Promise<{ floorMs: number; framed: number; passes: number; sortMs: number; aggregateMs: Map<number | "UNBOUNDED", number> }> {
  const sql = scoringSql();
  // Frame size (rows preceding) of every named window, then of every framed aggregate over one.
  // (an UNBOUNDED frame, the series' running history, is priced by timing one.)
  const frames = new Map([...sql.matchAll(/\b(w_\w+) AS \(PARTITION BY [^()]* ROWS BETWEEN (\d+|UNBOUNDED) PRECEDING/g)].map((m) => [m[1], m[2] === "UNBOUNDED" ? ("UNBOUNDED" as const) : Number(m[2])]));
  const aggregates = [...sql.matchAll(/\b(?:SUM|AVG|MIN|MAX|COUNT)\((?:[^()]|\([^()]*\))*\) OVER (w_\w+)/g)].map((m) => {
    const preceding = frames.get(m[1]);
    if (preceding === undefined) throw new Error(`internal: no frame for window ${m[1]}`);
    return preceding;
  });
  const passes = (sql.match(/^anomaly_pass_\d+ AS/gm) ?? []).length;
  const instance = await DuckDBInstance.create(":memory:", { preserve_insertion_order: "false" });
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE series AS SELECT hash(device_id, site, line, metric) AS series_id, epoch_ms(event_ts) AS event_ms, "value"
    FROM read_parquet(${sqlString(join(lakeDir, "readings", "**", "*.parquet"))}) WHERE late IS NOT TRUE`);
  const timed = async (sums: string[], preceding: number | "UNBOUNDED") => {
    const t0 = performance.now();
    await connection.run(`CREATE OR REPLACE TABLE framed AS SELECT series_id, ${sums.map((e, i) => `SUM(${e}) OVER w AS s${i}`).join(", ")} FROM series
      WINDOW w AS (PARTITION BY series_id ORDER BY event_ms ROWS BETWEEN ${preceding} PRECEDING AND CURRENT ROW)`);
    return performance.now() - t0;
  };
  const aggregateMs = new Map<number | "UNBOUNDED", number>();
  let sortMs = Infinity;
  try {
    for (const preceding of [...new Set(aggregates)].sort((a, b) => (a === "UNBOUNDED" ? Infinity : a) - (b === "UNBOUNDED" ? Infinity : b))) {
      const one = await timed([`"value"`], preceding);
      const three = await timed([`"value"`, `"value" * "value"`, `"value" + 1`], preceding);
      const aggregate = Math.max((three - one) / 2, 0);
      aggregateMs.set(preceding, aggregate);
      sortMs = Math.min(sortMs, Math.max(one - aggregate, 0));
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  if (!Number.isFinite(sortMs)) sortMs = 0;
  const floorMs = passes * sortMs + aggregates.reduce<number>((sum, preceding) => sum + aggregateMs.get(preceding)!, 0);
  return { floorMs, framed: aggregates.length, passes, sortMs, aggregateMs };
}

async function main(): Promise<void> {
  const readings = readingsArg();
  const dir = mkdtempSync(join(tmpdir(), "iotpipe-bench-replay-"));
  try {
    const input = join(dir, "telemetry.jsonl");
    process.stdout.write(`generating ${readings.toLocaleString("en")} readings (${READINGS_PER_MESSAGE} per message) ... `);
    await generateInput(input, readings);
    console.log(`${(statSync(input).size / 1e6).toFixed(0)} MB`);

    const copyMs = await copyThrough(input, join(dir, "copy.parquet"));
    const t0 = performance.now();
    const result = await replay({ inputPath: input, lakeDir: join(dir, "lake"), now: Date.UTC(2026, 10, 23) });
    const pipelineMs = performance.now() - t0;

    const total = result.readings.accepted;
    const rate = (n: number, ms: number) => `${((n / ms) * 1000).toLocaleString("en", { maximumFractionDigits: 0 })} readings/s`;
    console.log(`cores: ${availableParallelism()}`);
    console.log(result.conservation);
    console.log(`full pipeline (validate + dedupe + late + analytics + Parquet lake): ${(pipelineMs / 1000).toFixed(2)} s, ${rate(total, pipelineMs)} (${result.filesWritten.length} files)`);
    const s = result.stageMs;
    console.log(`  stages: validate ${(s.validate / 1000).toFixed(2)} s, dedupe+late ${(s.dedupe / 1000).toFixed(2)} s, analytics ${(s.analytics / 1000).toFixed(2)} s, Parquet ${(s.write / 1000).toFixed(2)} s`);
    console.log(`  without analytics (validate + dedupe + late + Parquet): ${rate(total, pipelineMs - s.analytics)}`);
    console.log(`DuckDB copy-through (read_json → COPY parquet):                  ${(copyMs / 1000).toFixed(2)} s, ${rate(total, copyMs)}`);
    console.log(`ratio full pipeline / copy-through throughput: ${(copyMs / pipelineMs).toFixed(2)}`);
    const floor = await windowFloor(join(dir, "lake"));
    const perFrame = [...floor.aggregateMs].map(([preceding, ms]) => `${(ms / 1000).toFixed(2)} s over ${preceding === "UNBOUNDED" ? "the whole history's" : preceding + 1} rows`).join(", ");
    console.log(`window floor: a sort of these readings ${(floor.sortMs / 1000).toFixed(2)} s, a framed aggregate over them ${perFrame}; ` +
      `the scoring sorts ${floor.passes} times and needs ${floor.framed} framed aggregates per reading: ≈ ${(floor.floorMs / 1000).toFixed(1)} s, ` +
      `at most ${rate(total, floor.floorMs)} for the analytics as defined, before validation and the lake`);
    console.log(`target ≥ 1,000,000 readings/s: ${(total / pipelineMs) * 1000 >= 1_000_000 ? "met" : "NOT met"}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
