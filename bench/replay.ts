/**
 * `npm run bench:replay [-- --readings N]`: readings per second through the full local pipeline (validation,
 * de-duplication, lateness, analytics, Parquet lake) beside DuckDB's own copy-through of the same input to
 * Parquet (read_json → COPY), on generated factory telemetry. Default 10 million readings; input and lakes go
 * to a temp directory that is removed afterwards.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
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
    console.log(`target ≥ 1,000,000 readings/s: ${(total / pipelineMs) * 1000 >= 1_000_000 ? "met" : "NOT met"}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
