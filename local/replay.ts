/**
 * `iotpipe replay`: runs recorded history (JSON Lines of device messages, or CSV long form) through the same
 * rules as the cloud pipeline on DuckDB and writes a Parquet lake laid out like the S3 lake.
 *
 * Two stages, both resumable:
 *  1. Validate, per chunk of whole lines, durably: each chunk's verdicts (accepted messages with their
 *     readings, quarantined records with the raw payload) and its journal row commit in ONE DuckDB transaction
 *     in `<lakeDir>/_replay/state.duckdb`. A killed run loses at most the chunk in flight; the next run skips
 *     committed chunks.
 *  2. Publish, over all chunks at once (de-duplication, lateness and analytics windows span chunks):
 *     duplicates, late flags, readings, aggregates/anomalies/alerts (analytics/duckdb.ts), quarantine; each lake
 *     table replaced atomically (local/lake-writer.ts). Idempotent, so re-running it after a crash is safe.
 *
 * Late: watermark = highest event time of the accepted records before this one in input order minus
 * allowedLatenessMs; a record at or behind it is flagged late (kept, counted, left out of windows by the
 * analytics), as Flink drops a record whose time is not after the watermark.
 * - live mode (a spool of what arrived): one watermark across devices, like the Flink source (the Kinesis raw
 *   stream's watermark is per shard and shards mix devices), input order being arrival order;
 * - replay mode (backfill): one watermark per device, and per device and metric for CSV (one reading a row).
 *   History comes sorted by time, by device or by metric, and readings must not turn late because another
 *   device's (or, in a CSV, another metric's) came first in the file; a series' own out-of-order readings are
 *   still judged. JSON Lines messages carry several metrics each, so they keep one watermark per device.
 * Duplicates, as in the Flink job: among the on-time messages, the same device and message identity (msg_id,
 * else seq; for CSV rows without either, metric and ts) within duplicateWindowMs of event time after its
 * previous sighting in event-time order; dropped, counted. Late messages are not de-duplicated (kept, flagged).
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { isUtf8 } from "node:buffer";
import { availableParallelism } from "node:os";
import { extname, join, resolve } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { DEFAULT_INGEST_POLICY, QUARANTINE_REASONS, type IngestPolicy, type QuarantineReason } from "../contract/ingest-policy";
import { parseCsvHeader, type CsvColumn } from "../contract/replay-line";
import { classify, type ValidationMode } from "../contract/validation";
import { ALERTS, AGGREGATES, ANOMALIES, QUARANTINE, READINGS, type LakeTable } from "../lake/tables";
import { DEFAULT_ANALYTICS, type AnalyticsDefinition } from "../analytics/definition";
import { duckdbAnalyticsPlan } from "../analytics/duckdb";
import { checkConservation, type ReplayCounts } from "./conservation";
import { planChunks, readChunk, readFirstLine, type InputChunk } from "./input-chunks";
import { publishLakeTable, removeLeftovers } from "./lake-writer";
import { sqlString } from "./sql-string";
import { classifyCsvRowsSql, classifyJsonLinesSql, loadRecordLines } from "./validation-sql";

export type InputFormat = "jsonl" | "csv";

export interface ReplayProgress {
  phase: "validate" | "publish";
  /**
   * validate: chunks done (including ones a previous run finished); publish: steps done of de-duplication,
   * aggregates, scoring, anomalies, alerts and writing each lake table.
   */
  done: number;
  total: number;
  /** Records validated so far (validate phase); all of them (publish phase). */
  records: number;
}

export interface ReplayOptions {
  /** JSON Lines (flat or envelope lines, contract/replay-line.ts) or CSV long form. */
  inputPath: string;
  /** Lake root; the replay replaces its readings, aggregates, anomalies, alerts and quarantine tables. */
  lakeDir: string;
  /** Default: from the extension (.csv → csv, anything else → jsonl). */
  format?: InputFormat;
  policy?: Partial<IngestPolicy>;
  definition?: AnalyticsDefinition;
  /** Default replay (judged against the data's own clock); live applies the ingest-time skews. */
  mode?: ValidationMode;
  /** Replay clock (epoch ms) for records without ingest_ts. Default: now, kept across a resume. */
  now?: number;
  /** Bytes of input per durable chunk. Default 32 MiB. */
  chunkBytes?: number;
  /** DuckDB threads. Default: all cores. */
  threads?: number;
  onProgress?: (progress: ReplayProgress) => void;
}

export interface ReplayResult {
  counts: ReplayCounts;
  byReason: Record<QuarantineReason, number>;
  /** Readings (rows of the readings table) written, and how many of them are late. */
  readings: { accepted: number; late: number };
  /** The conservation line (already checked). */
  conservation: string;
  lakeDir: string;
  /** Parquet files of the lake tables, relative to lakeDir. */
  filesWritten: string[];
  chunks: { total: number; resumed: number };
  /** Wall time per stage (validate covers only the chunks this run validated). */
  stageMs: { validate: number; dedupe: number; analytics: number; write: number };
  elapsedMs: number;
}

/** Where the replay keeps its durable state (the journal of validated chunks). */
export function replayStateDir(lakeDir: string): string {
  return join(lakeDir, "_replay");
}

const READINGS_LIST = "STRUCT(metric VARCHAR, value DOUBLE, unit VARCHAR)[]";

const STATE_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS replay_run (fingerprint VARCHAR NOT NULL, clock_ms BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS chunks (chunk INTEGER NOT NULL, start_byte BIGINT NOT NULL, end_byte BIGINT NOT NULL, records BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS messages (pos BIGINT NOT NULL, device_id VARCHAR NOT NULL, site VARCHAR NOT NULL, line VARCHAR NOT NULL,
     ingest_ts BIGINT NOT NULL, ts BIGINT NOT NULL, msg_id VARCHAR, dedup_key VARCHAR, readings ${READINGS_LIST} NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS rejected (pos BIGINT NOT NULL, received_ts BIGINT NOT NULL, reason VARCHAR NOT NULL, detail VARCHAR,
     device_id VARCHAR, site VARCHAR, line VARCHAR, raw_payload VARCHAR NOT NULL)`,
];

/** Replays `inputPath` into `lakeDir`; resumes an interrupted replay of the same input. Throws if conservation fails. */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const started = Date.now();
  const inputPath = resolve(options.inputPath);
  const lakeDir = resolve(options.lakeDir);
  if (!existsSync(inputPath) || !statSync(inputPath).isFile()) throw new Error(`replay input ${inputPath} does not exist or is not a file`);
  const format: InputFormat = options.format ?? (extname(inputPath).toLowerCase() === ".csv" ? "csv" : "jsonl");
  const policy: IngestPolicy = { ...DEFAULT_INGEST_POLICY, ...options.policy };
  const mode = options.mode ?? "replay";
  const chunkBytes = options.chunkBytes ?? 32 * 1024 * 1024;

  let header: CsvColumn[] | null = null;
  let dataStart = 0;
  if (format === "csv") {
    const first = readFirstLine(inputPath);
    if (first.line.trim() === "") throw new Error(`${inputPath}: CSV input needs a header line (ts,device_id,metric,value[,site,line,unit,msg_id,seq,ingest_ts])`);
    header = parseCsvHeader(first.line);
    dataStart = first.next;
  }
  const chunks = planChunks(inputPath, chunkBytes, dataStart);
  const stat = statSync(inputPath);
  const fingerprint = JSON.stringify({ inputPath, size: stat.size, mtimeMs: stat.mtimeMs, format, header, chunkBytes, policy, mode });

  const stateDir = replayStateDir(lakeDir);
  mkdirSync(join(stateDir, "spill"), { recursive: true });
  const threads = options.threads ?? availableParallelism();
  const instance = await DuckDBInstance.create(join(stateDir, "state.duckdb"), {
    threads: String(threads),
    temp_directory: join(stateDir, "spill"),
    preserve_insertion_order: "false",
    // Each chunk commits its own transaction; checkpointing after every one would rewrite the tables each time.
    checkpoint_threshold: "1GB",
  });
  const connection = await instance.connect();
  try {
    const clockMs = await openRun(connection, fingerprint, options.now ?? Date.now());
    const done = new Set((await connection.runAndReadAll(`SELECT chunk FROM chunks`)).getRowObjectsJS().map((r) => Number(r.chunk)));
    const resumed = chunks.filter((c) => done.has(c.index)).length;
    let records = Number((await connection.runAndReadAll(`SELECT coalesce(sum(records), 0) AS n FROM chunks`)).getRowObjectsJS()[0].n);
    let finished = resumed;
    const validateStarted = Date.now();
    options.onProgress?.({ phase: "validate", done: finished, total: chunks.length, records });
    // One connection per core, each validating whole chunks: a chunk's statements run mostly on one thread
    // (it fits in one row group), and appends from concurrent transactions never conflict in DuckDB.
    const pending = chunks.filter((c) => !done.has(c.index));
    const workers = await Promise.all(Array.from({ length: Math.max(1, Math.min(threads, pending.length)) }, () => instance.connect()));
    try {
      await Promise.all(
        workers.map(async (worker) => {
          for (let chunk = pending.shift(); chunk; chunk = pending.shift()) {
            const validated = await validateChunk(worker, inputPath, chunk, format, header, { mode, clockMs, policy });
            records += validated;
            finished += 1;
            options.onProgress?.({ phase: "validate", done: finished, total: chunks.length, records });
          }
        }),
      );
    } finally {
      for (const worker of workers) worker.closeSync();
    }
    const validateMs = Date.now() - validateStarted;
    const published = await publish(connection, lakeDir, policy, mode, format, options.definition ?? DEFAULT_ANALYTICS, options.onProgress);
    return { ...published, stageMs: { ...published.stageMs, validate: validateMs }, lakeDir, chunks: { total: chunks.length, resumed }, elapsedMs: Date.now() - started };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Starts a new run or resumes the one recorded in the state database; returns the run's replay clock. */
async function openRun(connection: DuckDBConnection, fingerprint: string, clockMs: number): Promise<number> {
  for (const statement of STATE_SCHEMA) await connection.run(statement);
  const previous = (await connection.runAndReadAll(`SELECT fingerprint, clock_ms FROM replay_run`)).getRowObjectsJS();
  if (previous.length === 1 && previous[0].fingerprint === fingerprint) return Number(previous[0].clock_ms);
  await connection.run(`BEGIN TRANSACTION`);
  for (const table of ["replay_run", "chunks", "messages", "rejected"]) await connection.run(`DELETE FROM ${table}`);
  await connection.run(`INSERT INTO replay_run VALUES ($1, $2)`, [fingerprint, clockMs]);
  await connection.run(`COMMIT`);
  return clockMs;
}

interface ChunkContext {
  mode: ValidationMode;
  clockMs: number;
  policy: IngestPolicy;
}

/** Message identity for de-duplication: msg_id, else seq, else (CSV rows only) metric and event time. */
function dedupKeySql(format: InputFormat): string {
  const fallback = format === "csv" ? `'csv:' || readings[1].metric || '@' || ts` : "NULL";
  return `CASE WHEN msg_id IS NOT NULL THEN 'id:' || msg_id WHEN seq IS NOT NULL THEN 'seq:' || seq ELSE ${fallback} END`;
}

/**
 * Validates one chunk and commits its verdicts with its journal row. Lines that are not valid UTF-8 cannot be
 * handed to DuckDB as text: the reference validator judges them here and they travel as blank lines.
 */
async function validateChunk(connection: DuckDBConnection, inputPath: string, chunk: InputChunk, format: InputFormat, header: CsvColumn[] | null, context: ChunkContext): Promise<number> {
  const bytes = readChunk(inputPath, chunk);
  const judgedHere: { pos: bigint; verdict: ReturnType<typeof classify> }[] = [];
  let text: string;
  if (isUtf8(bytes)) {
    text = bytes.toString("utf8");
  } else {
    const lines: string[] = [];
    let from = 0;
    for (let index = 1; from <= bytes.length; index++) {
      const nl = bytes.indexOf(0x0a, from);
      const end = nl < 0 ? bytes.length : nl;
      let line = bytes.subarray(from, end);
      while (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      if (isUtf8(line)) {
        lines.push(line.toString("utf8"));
      } else {
        lines.push("");
        const record = format === "csv" ? { format: "csv" as const, line, header: header! } : { format: "jsonl" as const, line };
        judgedHere.push({ pos: (BigInt(chunk.index) << 32n) + BigInt(index), verdict: classify(record, { mode: context.mode, ingestTs: context.clockMs, policy: context.policy }) });
      }
      from = end + 1;
    }
    text = lines.join("\n");
  }
  const options = { mode: context.mode, clockMs: context.clockMs, policy: context.policy };
  const classifySql = format === "csv" ? classifyCsvRowsSql("chunk_lines", header!, options) : classifyJsonLinesSql("chunk_lines", options);
  // The lines table is this connection's scratch space, outside the chunk's transaction.
  const lines = await loadRecordLines(connection, "chunk_lines", text, chunk.index).catch((error: Error) => {
    throw new Error(`reading ${inputPath} bytes ${chunk.start}-${chunk.end} (chunk ${chunk.index}) failed: ${error.message}`);
  });
  await connection.run(`BEGIN TRANSACTION`);
  try {
    await connection.run(`CREATE OR REPLACE TEMP TABLE chunk_verdicts AS ${classifySql}`);
    await connection.run(`INSERT INTO messages SELECT pos, device_id, site, line, received_ts, ts, coalesce(msg_id, CAST(seq AS VARCHAR)), ${dedupKeySql(format)}, readings
      FROM chunk_verdicts WHERE reason IS NULL`);
    await connection.run(`INSERT INTO rejected SELECT pos, received_ts, reason, detail, device_id, site, line, raw_payload FROM chunk_verdicts WHERE reason IS NOT NULL`);
    for (const { pos, verdict } of judgedHere) {
      if (verdict.outcome !== "quarantined") throw new Error(`internal: a line that is not UTF-8 was accepted (chunk ${chunk.index})`);
      await connection.run(`INSERT INTO rejected VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        pos, verdict.received_ts, verdict.reason, verdict.detail, verdict.address?.device_id ?? null, verdict.address?.site ?? null, verdict.address?.line ?? null, verdict.raw_payload,
      ]);
    }
    const records = lines + judgedHere.length;
    await connection.run(`INSERT INTO chunks VALUES ($1, $2, $3, $4)`, [chunk.index, chunk.start, chunk.end, records]);
    await connection.run(`COMMIT`);
    return records;
  } catch (error) {
    await connection.run(`ROLLBACK`);
    throw new Error(`validating ${inputPath} bytes ${chunk.start}-${chunk.end} (chunk ${chunk.index}) failed: ${(error as Error).message}`);
  }
}

const LAKE_RELATIONS: [LakeTable, string][] = [
  [READINGS, "lake_readings"],
  [AGGREGATES, "lake_aggregates"],
  [ANOMALIES, "lake_anomalies"],
  [ALERTS, "lake_alerts"],
  [QUARANTINE, "lake_quarantine"],
];

/**
 * The PARTITION BY of the lateness watermark (see the header): none in live mode; per device in a backfill, and
 * per device and metric for CSV rows (a CSV export sorted by metric must not turn its later metrics late).
 * JSON Lines keep the device alone: reading the readings lists for it costs ~1.5 s per 10 M readings.
 */
function watermarkPartition(mode: ValidationMode, format: InputFormat): string {
  if (mode === "live") return "";
  return format === "csv" ? "PARTITION BY device_id, readings[1].metric " : "PARTITION BY device_id ";
}

/** Stage 2: duplicates, lateness, analytics and the lake, from everything validated. */
async function publish(connection: DuckDBConnection, lakeDir: string, policy: IngestPolicy, mode: ValidationMode, format: InputFormat, definition: AnalyticsDefinition, onProgress?: (p: ReplayProgress) => void): Promise<Omit<ReplayResult, "lakeDir" | "chunks" | "elapsedMs" | "stageMs"> & { stageMs: Omit<ReplayResult["stageMs"], "validate"> }> {
  let mark = Date.now();
  const lap = () => {
    const now = Date.now();
    const ms = now - mark;
    mark = now;
    return ms;
  };
  const window = integerMs(policy.duplicateWindowMs, "duplicateWindowMs");
  const lateness = integerMs(policy.allowedLatenessMs, "allowedLatenessMs");
  // Progress over the steps: de-duplication, aggregates, scoring, anomalies, alerts, then one per lake table.
  const records = Number((await connection.runAndReadAll(`SELECT coalesce(sum(records), 0) AS n FROM chunks`)).getRowObjectsJS()[0].n);
  const steps = 5 + LAKE_RELATIONS.length;
  let stepsDone = 0;
  const advance = () => onProgress?.({ phase: "publish", done: ++stepsDone, total: steps, records });
  onProgress?.({ phase: "publish", done: 0, total: steps, records });
  // Window functions over the narrow columns only; the readings lists join back afterwards. The same order as
  // the Flink job (sql/flink/04-readings.sql): lateness first, against every message before it in arrival order;
  // then duplicates among the on-time messages, each compared with its previous sighting in event-time order.
  // Late messages are kept (flagged), not de-duplicated, as Flink's OVER window would drop them.
  await connection.run(`CREATE OR REPLACE TEMP TABLE kept AS
    WITH timed AS (
      SELECT pos, ts, device_id, dedup_key,
        coalesce(ts <= max(ts) OVER (${watermarkPartition(mode, format)}ORDER BY pos ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) - ${lateness}, false) AS late
      FROM messages
    ), flagged AS (
      SELECT pos, late,
        coalesce(NOT late AND dedup_key IS NOT NULL AND ts - lag(ts) OVER (PARTITION BY device_id, dedup_key, late ORDER BY ts, pos) <= ${window}, false) AS duplicate
      FROM timed
    )
    SELECT pos, late FROM flagged WHERE NOT duplicate`);
  await connection.run(`CREATE OR REPLACE TEMP TABLE lake_readings AS
    SELECT device_id, site, line, r.metric AS metric, r.value AS value, r.unit AS unit,
      make_timestamp(ts * 1000) AS event_ts, make_timestamp(ingest_ts * 1000) AS ingest_ts, msg_id, late
    FROM (SELECT m.*, k.late, unnest(m.readings) AS r FROM messages m JOIN kept k USING (pos))`);
  const dedupeMs = lap();
  advance();
  // Anomalies and alerts read one scoring pass (the per-reading windows are most of the analytics' work).
  const analytics = duckdbAnalyticsPlan(definition, "lake_readings", "replay_scored");
  await connection.run(`CREATE OR REPLACE TEMP TABLE lake_aggregates AS ${analytics.aggregates}`);
  advance();
  for (const statement of analytics.prepare) await connection.run(statement);
  advance();
  await connection.run(`CREATE OR REPLACE TEMP TABLE lake_anomalies AS ${analytics.anomalies}`);
  advance();
  await connection.run(`CREATE OR REPLACE TEMP TABLE lake_alerts AS ${analytics.alerts}`);
  advance();
  for (const statement of analytics.cleanup) await connection.run(statement);
  await connection.run(`CREATE OR REPLACE TEMP VIEW lake_quarantine AS
    SELECT make_timestamp(received_ts * 1000) AS received_ts, reason, detail, 'local' AS source, device_id, site, line, raw_payload FROM rejected`);

  const row = (await connection.runAndReadAll(`SELECT
      (SELECT coalesce(sum(records), 0) FROM chunks) AS input,
      (SELECT count(*) FROM kept) AS accepted,
      (SELECT count(*) FROM rejected) AS quarantined,
      (SELECT count(*) FROM messages) - (SELECT count(*) FROM kept) AS duplicates,
      (SELECT count(*) FILTER (WHERE late) FROM kept) AS late,
      (SELECT count(*) FROM lake_readings) AS readings,
      (SELECT count(*) FILTER (WHERE late) FROM lake_readings) AS late_readings`)).getRowObjectsJS()[0];
  const counts: ReplayCounts = { input: Number(row.input), accepted: Number(row.accepted), quarantined: Number(row.quarantined), duplicates: Number(row.duplicates), late: Number(row.late) };
  const conservation = checkConservation(counts);
  const analyticsMs = lap();

  removeLeftovers(lakeDir);
  const filesWritten: string[] = [];
  for (const [table, relation] of LAKE_RELATIONS) {
    filesWritten.push(...(await publishLakeTable(connection, lakeDir, table, relation)));
    advance();
  }
  const readings = Number(row.readings);
  const written = readings === 0 ? 0 : Number((await connection.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${sqlString(join(lakeDir, READINGS.name, "**", "*.parquet"))})`)).getRowObjectsJS()[0].n);
  if (written !== readings) throw new Error(`readings lake holds ${written} rows but ${readings} were accepted; re-run the replay to republish ${lakeDir}`);

  const writeMs = lap();
  const byReason = Object.fromEntries(Object.keys(QUARANTINE_REASONS).map((r) => [r, 0])) as Record<QuarantineReason, number>;
  for (const r of (await connection.runAndReadAll(`SELECT reason, count(*) AS n FROM rejected GROUP BY reason`)).getRowObjectsJS()) {
    byReason[r.reason as QuarantineReason] = Number(r.n);
  }
  return { counts, byReason, readings: { accepted: readings, late: Number(row.late_readings) }, conservation, filesWritten, stageMs: { dedupe: dedupeMs, analytics: analyticsMs, write: writeMs } };
}

function integerMs(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`ingest policy ${name} must be a non-negative integer of milliseconds, got ${value}`);
  return value;
}
