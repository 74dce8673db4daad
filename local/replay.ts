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
 *     duplicates, late flags, readings, aggregates/anomalies/alerts (analytics/duckdb.ts), quarantine; every
 *     changed partition staged, the swaps committed with the input's ledger row (local/lake-ledger.ts), then
 *     published by rename (local/lake-writer.ts). A run stopped after the commit finishes its swaps when run again.
 *
 * A replay adds to the lake: what it holds is history the new records come after, as if the new file were
 * appended to the earlier ones. Its newest event times are the watermarks the first new records are judged
 * against, its recent message identities are earlier sightings for de-duplication, and each series the input
 * continues is scored after its trailing readings (analytics/duckdb.ts scoringContextRows), with a stored alert
 * episode still open at the first new reading judged again so that it goes on. Aggregate windows, anomalies and
 * alert episodes from that point are recomputed; nothing before it is rewritten. The same input (by content)
 * replayed again changes nothing; `replace` drops the lake's content instead of adding to it.
 *
 * Late: watermark = highest event time of the accepted records before this one in input order minus
 * allowedLatenessMs; a record at or behind it is flagged late (kept, counted, left out of windows by the
 * analytics), as Flink drops a record whose time is not after the watermark.
 * - live mode (a spool of what arrived): one watermark across devices, like the Flink source (the Kinesis raw
 *   source's watermark is per subtask, over every shard it reads, and shards mix devices), input order being
 *   arrival order; event time there is ts bounded by ingest_ts, as the Flink source's event_ts;
 * - replay mode (backfill): one watermark per device, and per device and metric for CSV (one reading a row).
 *   History comes sorted by time, by device or by metric, and readings must not turn late because another
 *   device's (or, in a CSV, another metric's) came first in the file; a series' own out-of-order readings are
 *   still judged. JSON Lines messages carry several metrics each, so they keep one watermark per device.
 * Duplicates, as in the Flink job: among the on-time messages, the same device and message identity (msg_id,
 * else seq; for CSV rows without either, metric and ts) within duplicateWindowMs of event time after its
 * first sighting in event-time order; dropped, counted. Late messages are not de-duplicated (kept, flagged).
 */
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { isUtf8 } from "node:buffer";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { DEFAULT_INGEST_POLICY, QUARANTINE_REASONS, type IngestPolicy, type QuarantineReason } from "../contract/ingest-policy";
import type { CsvColumn } from "../contract/replay-line";
import { classify, type ValidationMode } from "../contract/validation";
import { ALERTS, AGGREGATES, ANOMALIES, QUARANTINE, READINGS, type LakeTable } from "../lake/tables";
import { DEFAULT_ANALYTICS, type AnalyticsDefinition } from "../analytics/definition";
import { duckdbAnalytics, duckdbAnalyticsPlan, scoringContextRows } from "../analytics/duckdb";
import { SERIES_KEY_COLUMNS } from "../analytics/stages";
import { checkConservation, type ReplayCounts } from "./conservation";
import { chunkFirstLines, hashInput, planChunks, readChunk, readFirstLine, type InputChunk } from "./input-chunks";
import { detectInputFormat, readCsvHeader, type InputFormat } from "./input-format";
import { createPriorViews, lakeInventory, priorView, type TableInventory } from "./lake-history";
import { appliedInputs, finishPendingSwaps, LEDGER_SCHEMA, recordApplied, settingsFingerprint, type AppliedInput, type AppliedSummary } from "./lake-ledger";
import { lakeColumnsSql, listFiles, newStagingRoot, partitionValueSql, removeLeftovers, stagePartitions, type PartitionSwap } from "./lake-writer";
import { lockHolder, ReplayInputError } from "./replay-errors";
import { sqlString } from "./sql-string";
import { classifyCsvRowsSql, classifyJsonLinesSql, loadRecordLines } from "./validation-sql";

export type { InputFormat } from "./input-format";

/** What `replace` drops, told before anything is dropped. */
export interface ReplaceNotice {
  lakeDir: string;
  /** The inputs the lake holds (as recorded by earlier replays; a lake from before the ledger lists none). */
  inputs: AppliedInput[];
  tables: TableInventory[];
}

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
  /** Lake root; the replay adds to its readings, aggregates, anomalies, alerts and quarantine tables. */
  lakeDir: string;
  /** Default: from the extension (.csv, .jsonl/.ndjson/.json), else from the content (local/input-format.ts). */
  format?: InputFormat;
  /**
   * Drop everything the lake holds and publish this input alone (default: add to the lake). Nothing is dropped
   * before the replay commits; `onReplace` hears first what will be.
   */
  replace?: boolean;
  onReplace?: (notice: ReplaceNotice) => void;
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
  /** The first quarantined record of the input (its reason and detail), null when none was. */
  firstRejected: { reason: string; detail: string | null } | null;
  /** Set when the lake already held this input (same content): nothing was done; the counts are that run's. */
  alreadyApplied: AppliedInput | null;
  /**
   * Set when the input is an input the lake holds that has grown since (same first bytes): only the lines after
   * those were replayed, and this is the earlier input.
   */
  continued: AppliedInput | null;
  /** How the input was read, and what decided it (the --format option, the extension, or the content). */
  format: { format: InputFormat; from: "option" | "extension" | "content" };
  /** Set when `replace` dropped the lake's content: what was dropped. */
  replaced: ReplaceNotice | null;
  /** Inputs the lake held before this one (0 for a new lake, a replacement or a lake from before the ledger). */
  priorInputs: number;
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

/** Replays `inputPath` into `lakeDir`, adding to what the lake holds; resumes an interrupted replay. Throws if conservation fails. */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const started = Date.now();
  const inputPath = resolve(options.inputPath);
  const lakeDir = resolve(options.lakeDir);
  checkInputFile(inputPath);
  checkLakeDir(lakeDir);
  const detected = options.format ? { format: options.format, from: "option" as const } : detectInputFormat(inputPath);
  const format: InputFormat = detected.format;
  const policy: IngestPolicy = { ...DEFAULT_INGEST_POLICY, ...options.policy };
  const mode = options.mode ?? "replay";
  const definition = options.definition ?? DEFAULT_ANALYTICS;
  const chunkBytes = options.chunkBytes ?? 32 * 1024 * 1024;

  let header: CsvColumn[] | null = null;
  let headerEnd = 0;
  if (format === "csv") {
    const first = readFirstLine(inputPath);
    header = readCsvHeader(inputPath, first.line);
    headerEnd = first.next;
  }
  const settings = settingsFingerprint({ definition, policy, mode });
  const size = statSync(inputPath).size;

  const stateDir = prepareStateDir(lakeDir);
  const threads = options.threads ?? availableParallelism();
  const instance = await DuckDBInstance.create(join(stateDir, "state.duckdb"), {
    threads: String(threads),
    temp_directory: join(stateDir, "spill"),
    preserve_insertion_order: "false",
    // Each chunk commits its own transaction; checkpointing after every one would rewrite the tables each time.
    checkpoint_threshold: "1GB",
  }).catch((error: unknown) => {
    const holder = lockHolder(error);
    if (!holder) throw error;
    throw new ReplayInputError("lake_busy", `another replay is writing the lake ${lakeDir}${holder.pid === undefined ? "" : ` (process ${holder.pid})`}`);
  });
  const connection = await instance.connect();
  try {
    for (const statement of [...STATE_SCHEMA, ...LEDGER_SCHEMA]) await connection.run(statement);
    // A replay that committed and was stopped while publishing finishes first: the lake is then whole again.
    await finishPendingSwaps(connection, lakeDir);
    removeLeftovers(lakeDir);
    const ledger = options.replace ? [] : await appliedInputs(connection);
    // The same bytes read as another format are another input (a CSV first replayed as JSON Lines by mistake).
    const sameFormat = ledger.filter((a) => a.format === format);
    const { sha256, prefixes } = await hashInput(inputPath, sameFormat.filter((a) => a.bytes < size).map((a) => a.bytes));
    let replaced: ReplaceNotice | null = null;
    let continued: AppliedInput | null = null;
    if (options.replace) {
      replaced = { lakeDir, inputs: await appliedInputs(connection), tables: await lakeInventory(lakeDir, LAKE_RELATIONS.map(([table]) => table)) };
      options.onReplace?.(replaced);
    } else {
      const same = sameFormat.find((a) => a.sha256 === sha256);
      if (same) return alreadyApplied(same, lakeDir, detected, started);
      const other = ledger.find((a) => a.settings !== settings);
      if (other) {
        throw new ReplayInputError("settings_changed", `${lakeDir} holds ${other.input} judged with other analytics settings (definition, ingest policy or --live); adding ${inputPath} with these would mix two judgements in one lake`);
      }
      // A file that grew since it was replayed (a spool, an export appended to): only its new lines are added.
      continued = sameFormat
        .filter((a) => a.bytes < size && prefixes.get(a.bytes) === a.sha256 && endsWithNewline(inputPath, a.bytes))
        .sort((a, b) => b.bytes - a.bytes)[0] ?? null;
    }
    const dataStart = Math.max(headerEnd, continued?.bytes ?? 0);
    const chunks = planChunks(inputPath, chunkBytes, dataStart);
    const firstLines = await chunkFirstLines(inputPath, chunks);
    const fingerprint = JSON.stringify({ sha256, format, header, dataStart, chunkBytes, policy, mode });

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
            const validated = await validateChunk(worker, inputPath, chunk, format, header, { mode, clockMs, policy, firstLine: firstLines[chunk.index] });
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
    const applied = { sha256, bytes: size, format, input: inputPath, settings, appliedAt: new Date().toISOString() };
    const published = await publish(connection, { lakeDir, inputPath, policy, mode, format, definition, replace: options.replace === true, applied }, options.onProgress);
    return {
      ...published,
      stageMs: { ...published.stageMs, validate: validateMs },
      lakeDir,
      chunks: { total: chunks.length, resumed },
      elapsedMs: Date.now() - started,
      alreadyApplied: null,
      continued,
      format: detected,
      replaced,
      priorInputs: options.replace ? 0 : ledger.length,
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
    // DuckDB's spill files are gone once it closes; their folder goes too. The ledger (state.duckdb) stays: later
    // replays into this lake read which inputs it already holds.
    rmSync(join(stateDir, "spill"), { recursive: true, force: true });
  }
}

/** The result of replaying an input the lake already holds: what it counted then; the lake is unchanged. */
function alreadyApplied(applied: AppliedInput, lakeDir: string, format: ReplayResult["format"], started: number): ReplayResult {
  const { counts, readings } = applied.summary;
  const byReason = Object.fromEntries(Object.keys(QUARANTINE_REASONS).map((r) => [r, applied.summary.byReason[r] ?? 0])) as Record<QuarantineReason, number>;
  return {
    counts, byReason, readings, conservation: checkConservation(counts), lakeDir, filesWritten: [], firstRejected: null, chunks: { total: 0, resumed: 0 },
    stageMs: { validate: 0, dedupe: 0, analytics: 0, write: 0 }, elapsedMs: Date.now() - started, alreadyApplied: applied, continued: null, format, replaced: null, priorInputs: 0,
  };
}

/** Whether the byte before `offset` is a newline (a prefix of whole lines). */
function endsWithNewline(path: string, offset: number): boolean {
  const fd = openSync(path, "r");
  try {
    const byte = Buffer.alloc(1);
    return readSync(fd, byte, 0, 1, offset - 1) === 1 && byte[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

function checkInputFile(inputPath: string): void {
  if (!existsSync(inputPath) || !statSync(inputPath).isFile()) throw new ReplayInputError("input_missing", `replay input ${inputPath} does not exist or is not a file`);
  try {
    accessSync(inputPath, constants.R_OK);
  } catch (error) {
    throw new ReplayInputError("input_unreadable", `replay input ${inputPath} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (statSync(inputPath).size === 0) throw new ReplayInputError("input_empty", `replay input ${inputPath} is empty (0 bytes)`);
}

function checkLakeDir(lakeDir: string): void {
  if (existsSync(lakeDir) && !statSync(lakeDir).isDirectory()) throw new ReplayInputError("lake_not_directory", `the lake ${lakeDir} is a file, not a directory`);
}

/** Creates the journal's directory, or says the lake cannot be written. */
function prepareStateDir(lakeDir: string): string {
  const stateDir = replayStateDir(lakeDir);
  try {
    mkdirSync(join(stateDir, "spill"), { recursive: true });
    accessSync(stateDir, constants.W_OK);
    accessSync(lakeDir, constants.W_OK);
  } catch (error) {
    throw new ReplayInputError("lake_not_writable", `cannot write the lake ${lakeDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return stateDir;
}

/** Starts a new run or resumes the one recorded in the state database; returns the run's replay clock. */
async function openRun(connection: DuckDBConnection, fingerprint: string, clockMs: number): Promise<number> {
  const previous = (await connection.runAndReadAll(`SELECT fingerprint, clock_ms FROM replay_run`)).getRowObjectsJS();
  if (previous.length === 1 && previous[0].fingerprint === fingerprint) return Number(previous[0].clock_ms);
  await connection.run(`BEGIN TRANSACTION`);
  for (const table of ["replay_run", "chunks", "messages", "rejected"]) await connection.run(`DELETE FROM ${table}`);
  await connection.run(`INSERT INTO replay_run VALUES ($1, $2)`, [fingerprint, clockMs]);
  await connection.run(`COMMIT`);
  return clockMs;
}

interface ChunkContext {
  /** Line number of the chunk's first line in the file (quarantine details name the line). */
  firstLine: number;
  mode: ValidationMode;
  clockMs: number;
  policy: IngestPolicy;
}

/** SQL: a quarantine detail prefixed with the file line of its record (`pos` holds the line within its chunk). */
function lineDetail(pos: string, detail: string, firstLine: number): string {
  return `'line ' || (${firstLine} + (${pos} & 4294967295) - 1) || ': ' || coalesce(${detail}, '')`;
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
    await connection.run(`INSERT INTO rejected SELECT pos, received_ts, reason, ${lineDetail("pos", "detail", context.firstLine)}, device_id, site, line, raw_payload FROM chunk_verdicts WHERE reason IS NOT NULL`);
    for (const { pos, verdict } of judgedHere) {
      if (verdict.outcome !== "quarantined") throw new Error(`internal: a line that is not UTF-8 was accepted (chunk ${chunk.index})`);
      await connection.run(`INSERT INTO rejected VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        pos, verdict.received_ts, verdict.reason, `line ${context.firstLine + Number(pos & 0xffffffffn) - 1}: ${verdict.detail}`, verdict.address?.device_id ?? null, verdict.address?.site ?? null, verdict.address?.line ?? null, verdict.raw_payload,
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

/** The lake tables a replay writes, each with the relation of this replay's new rows. */
const LAKE_RELATIONS: [LakeTable, string][] = [
  [READINGS, "new_readings"],
  [AGGREGATES, "new_aggregates"],
  [ANOMALIES, "new_anomalies"],
  [ALERTS, "new_alerts"],
  [QUARANTINE, "new_quarantine"],
];

/**
 * Which stored rows this replay recomputes (alias `p` for the stored row, `c` for its series' row of
 * `series_cut`, null when the replay does not touch the series): aggregates of the windows from the first new
 * reading's on, anomalies and alert episodes from the first reading judged again. Readings and quarantine are
 * only added to.
 */
const RECOMPUTED: Record<string, string | null> = {
  [READINGS.name]: null,
  [AGGREGATES.name]: "c.from_ms IS NOT NULL AND epoch_ms(p.window_start) >= c.from_ms // (p.window_seconds * 1000) * (p.window_seconds * 1000)",
  [ANOMALIES.name]: "c.judge_from_ms IS NOT NULL AND epoch_ms(p.event_ts) >= c.judge_from_ms",
  [ALERTS.name]: "c.judge_from_ms IS NOT NULL AND epoch_ms(p.episode_start) >= c.judge_from_ms",
  [QUARANTINE.name]: null,
};

const sameSeries = (a: string, b: string) => SERIES_KEY_COLUMNS.map((k) => `${a}.${k} = ${b}.${k}`).join(" AND ");

/**
 * The PARTITION BY of the lateness watermark (see the header): none in live mode; per device in a backfill, and
 * per device and metric for CSV rows (a CSV export sorted by metric must not turn its later metrics late).
 * JSON Lines keep the device alone: reading the readings lists for it costs ~1.5 s per 10 M readings.
 */
function watermarkPartition(mode: ValidationMode, format: InputFormat): string {
  if (mode === "live") return "";
  return format === "csv" ? "PARTITION BY wm_device, wm_metric " : "PARTITION BY wm_device ";
}

interface PublishContext {
  lakeDir: string;
  inputPath: string;
  policy: IngestPolicy;
  mode: ValidationMode;
  format: InputFormat;
  definition: AnalyticsDefinition;
  /** Drop what the lake holds instead of adding to it. */
  replace: boolean;
  applied: Omit<AppliedInput, "summary">;
}

/**
 * Stage 2: duplicates, lateness, analytics and the lake, from everything validated plus what the lake already
 * holds (its newest event times, recent message identities, the trailing readings of each series this input
 * continues and the alert episodes still open at its first new reading), published per changed partition.
 */
async function publish(connection: DuckDBConnection, context: PublishContext, onProgress?: (p: ReplayProgress) => void): Promise<Omit<ReplayResult, "lakeDir" | "chunks" | "elapsedMs" | "stageMs" | "alreadyApplied" | "continued" | "replaced" | "priorInputs" | "format"> & { stageMs: Omit<ReplayResult["stageMs"], "validate"> }> {
  const { lakeDir, policy, mode, format, definition, replace } = context;
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

  const tables = LAKE_RELATIONS.map(([table]) => table);
  await createPriorViews(connection, lakeDir, tables);
  // The history new records are judged after: the lake's, unless it is being replaced.
  for (const table of [READINGS, ALERTS]) {
    await connection.run(`CREATE OR REPLACE TEMP VIEW history_${table.name} AS SELECT * FROM ${priorView(table)}${replace ? " WHERE false" : ""}`);
  }
  const live = mode === "live";
  const csv = format === "csv";
  // The newest stored event time per watermark partition: the watermark the first new record is judged against.
  await connection.run(`CREATE OR REPLACE TEMP TABLE prior_marks AS
    SELECT ${live ? "NULL" : "device_id"} AS wm_device, ${csv && !live ? "metric" : "NULL"} AS wm_metric, max(epoch_ms(event_ts)) AS ts
    FROM history_readings GROUP BY ALL HAVING max(epoch_ms(event_ts)) IS NOT NULL`);
  // Identities of stored on-time messages a new one may repeat (the lake keeps msg_id or seq as text in one
  // column, so a numeric one stands for both; CSV rows without either are known by metric and event time).
  await connection.run(`CREATE OR REPLACE TEMP TABLE prior_sightings AS
    WITH recent AS (
      SELECT device_id, metric, msg_id, epoch_ms(event_ts) AS ts FROM history_readings
      WHERE NOT late AND device_id IN (SELECT device_id FROM messages) AND epoch_ms(event_ts) >= (SELECT min(ts) FROM messages) - ${window}
    )
    SELECT device_id, 'id:' || msg_id AS dedup_key, ts FROM recent WHERE msg_id IS NOT NULL
    UNION SELECT device_id, 'seq:' || msg_id, ts FROM recent WHERE regexp_full_match(msg_id, '-?[0-9]+')
    ${csv ? "UNION SELECT device_id, 'csv:' || metric || '@' || ts, ts FROM recent WHERE msg_id IS NULL" : ""}`);
  // Window functions over the narrow columns only; the readings lists join back afterwards. The same order as
  // the Flink job (sql/flink/04-readings.sql): lateness first, against every message before it in arrival order
  // (the lake's history first, at position -1); then duplicates among the on-time messages, each compared with the
  // first sighting in event-time order, a stored one included (what the Flink job's OVER window keeps per message
  // id: a count and the first ts, not the previous message). Late messages are kept (flagged), not de-duplicated,
  // as Flink's OVER window would drop them.
  // Event time (event_ms): in live mode a message's ts but never after its arrival, as the Flink source's event_ts,
  // so one device with a fast clock cannot move the shared watermark past the ingest time and turn every other
  // device's readings late; a backfill judges history against its own clock (one watermark per device anyway).
  const eventMs = mode === "live" ? "least(ts, ingest_ts)" : "ts";
  await connection.run(`CREATE OR REPLACE TEMP TABLE kept AS
    WITH timed AS (
      SELECT pos, ts, event_ms, device_id, dedup_key,
        coalesce(event_ms <= max(event_ms) OVER (${watermarkPartition(mode, format)}ORDER BY pos ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) - ${lateness}, false) AS late
      FROM (
        SELECT pos, ts, ${eventMs} AS event_ms, device_id, dedup_key, device_id AS wm_device, ${csv ? "readings[1].metric" : "NULL"} AS wm_metric FROM messages
        UNION ALL
        SELECT -1, ts, ts, NULL, NULL, wm_device, wm_metric FROM prior_marks
      )
    ), flagged AS (
      SELECT pos, late,
        coalesce(NOT late AND dedup_key IS NOT NULL AND row_number() OVER sightings > 1 AND ts - min(ts) OVER sightings <= ${window}, false) AS duplicate
      FROM (SELECT pos, ts, event_ms, device_id, dedup_key, late FROM timed WHERE pos >= 0 UNION ALL SELECT -1, ts, ts, device_id, dedup_key, false FROM prior_sightings)
      WINDOW sightings AS (PARTITION BY device_id, dedup_key, late ORDER BY event_ms, pos ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    )
    SELECT pos, late FROM flagged WHERE pos >= 0 AND NOT duplicate`);
  await connection.run(`CREATE OR REPLACE TEMP TABLE new_readings AS
    SELECT device_id, site, line, r.metric AS metric, r.value AS value, r.unit AS unit,
      make_timestamp(${eventMs} * 1000) AS event_ts, make_timestamp(ingest_ts * 1000) AS ingest_ts, msg_id, late
    FROM (SELECT m.*, k.late, unnest(m.readings) AS r FROM messages m JOIN kept k USING (pos))`);
  const dedupeMs = lap();
  advance();

  // Per series this input continues: its first new on-time reading, the first reading judged again (the start
  // of a stored alert episode still open then, so the episode goes on), the first aggregate window recomputed.
  const windows = definition.windowSeconds.map((w) => `f.from_ms // ${w * 1000} * ${w * 1000}`);
  await connection.run(`CREATE OR REPLACE TEMP TABLE series_cut AS
    WITH fresh AS (
      SELECT device_id, site, line, metric, min(epoch_ms(event_ts)) AS from_ms FROM new_readings
      WHERE late IS NOT TRUE AND "value" IS NOT NULL AND event_ts IS NOT NULL GROUP BY ALL
    ), continuing AS (
      SELECT f.device_id, f.site, f.line, f.metric, min(epoch_ms(a.episode_start)) AS start_ms
      FROM fresh f JOIN history_alerts a ON ${sameSeries("a", "f")}
      WHERE a.state = 'cleared' AND epoch_ms(a.episode_end) > f.from_ms GROUP BY ALL
    )
    SELECT f.*, least(f.from_ms, coalesce(c.start_ms, f.from_ms)) AS judge_from_ms, least(f.from_ms, ${windows.join(", ")}) AS aggregate_from_ms
    FROM fresh f LEFT JOIN continuing c ON ${sameSeries("c", "f")}`);
  const readingColumns = READINGS.columns.map((c) => `h."${c.name}"`).join(", ");
  // The scoring input: new readings, stored ones judged again, and before them the trailing readings every
  // window of the first judged reading reaches back to (scoringContextRows; all of them for a whole-history frame).
  // Views, not tables: each is read once (by the scoring, by the aggregates); copying every reading into two
  // tables first cost about 1.5 s of CPU per 2 M readings before the analytics began.
  const contextRows = scoringContextRows(definition);
  await connection.run(`CREATE OR REPLACE TEMP VIEW score_input AS
    SELECT ${readingColumns} FROM new_readings h WHERE h.late IS NOT TRUE
    UNION ALL
    SELECT ${readingColumns} FROM history_readings h JOIN series_cut c ON ${sameSeries("h", "c")}
    WHERE h.late IS NOT TRUE AND epoch_ms(h.event_ts) < c.judge_from_ms
    ${contextRows === null ? "" : `QUALIFY row_number() OVER (PARTITION BY h.device_id, h.site, h.line, h.metric ORDER BY h.event_ts DESC, h.ingest_ts DESC, h."value" DESC) <= ${contextRows}`}
    UNION ALL
    SELECT ${readingColumns} FROM history_readings h JOIN series_cut c ON ${sameSeries("h", "c")}
    WHERE h.late IS NOT TRUE AND epoch_ms(h.event_ts) >= c.judge_from_ms`);
  await connection.run(`CREATE OR REPLACE TEMP VIEW aggregate_input AS
    SELECT ${readingColumns} FROM new_readings h
    UNION ALL
    SELECT ${readingColumns} FROM history_readings h JOIN series_cut c ON ${sameSeries("h", "c")} WHERE epoch_ms(h.event_ts) >= c.aggregate_from_ms`);
  await connection.run(`CREATE OR REPLACE TEMP TABLE new_aggregates AS
    SELECT a.* FROM (${duckdbAnalytics(definition, "aggregate_input").aggregates}) a JOIN series_cut c ON ${sameSeries("a", "c")}
    WHERE epoch_ms(a.window_start) >= c.from_ms // (a.window_seconds * 1000) * (a.window_seconds * 1000)`);
  advance();
  // Anomalies and alerts read one scoring pass (the per-reading windows are most of the analytics' work).
  const analytics = duckdbAnalyticsPlan(definition, "score_input", "replay_scored");
  for (const statement of analytics.prepare) await connection.run(statement);
  // The trailing context was scored only so the readings after it are: it is not judged again.
  await connection.run(`DELETE FROM replay_scored s USING series_cut c WHERE ${sameSeries("s", "c")} AND s.event_ms < c.judge_from_ms`);
  advance();
  await connection.run(`CREATE OR REPLACE TEMP TABLE new_anomalies AS ${analytics.anomalies}`);
  advance();
  await connection.run(`CREATE OR REPLACE TEMP TABLE new_alerts AS ${analytics.alerts}`);
  advance();
  for (const statement of analytics.cleanup) await connection.run(statement);
  await connection.run(`CREATE OR REPLACE TEMP VIEW new_quarantine AS
    SELECT make_timestamp(received_ts * 1000) AS received_ts, reason, detail, 'local' AS source, device_id, site, line, raw_payload FROM rejected`);

  const row = (await connection.runAndReadAll(`SELECT
      (SELECT coalesce(sum(records), 0) FROM chunks) AS input,
      (SELECT count(*) FROM kept) AS accepted,
      (SELECT count(*) FROM rejected) AS quarantined,
      (SELECT count(*) FROM messages) - (SELECT count(*) FROM kept) AS duplicates,
      (SELECT count(*) FILTER (WHERE late) FROM kept) AS late,
      (SELECT count(*) FROM new_readings) AS readings,
      (SELECT count(*) FILTER (WHERE late) FROM new_readings) AS late_readings,
      (SELECT count(*) FROM ${priorView(READINGS)}) AS prior_readings`)).getRowObjectsJS()[0];
  const counts: ReplayCounts = { input: Number(row.input), accepted: Number(row.accepted), quarantined: Number(row.quarantined), duplicates: Number(row.duplicates), late: Number(row.late) };
  const conservation = checkConservation(counts);
  const byReason = Object.fromEntries(Object.keys(QUARANTINE_REASONS).map((r) => [r, 0])) as Record<QuarantineReason, number>;
  for (const r of (await connection.runAndReadAll(`SELECT reason, count(*) AS n FROM rejected GROUP BY reason`)).getRowObjectsJS()) {
    byReason[r.reason as QuarantineReason] = Number(r.n);
  }
  refuseEmpty(context, counts);
  const firstRejected = await firstRejection(connection);
  const analyticsMs = lap();

  const stagingRoot = newStagingRoot(lakeDir);
  const swaps: PartitionSwap[] = [];
  for (const [table, relation] of LAKE_RELATIONS) {
    swaps.push(...(await stageTable(connection, stagingRoot, table, relation, replace)));
    advance();
  }
  const readings = Number(row.readings);
  const summary: AppliedSummary = { counts, byReason, readings: { accepted: readings, late: Number(row.late_readings) } };
  // The commit point: the ledger names this input and its swaps, and the journal is done with.
  await connection.run(`BEGIN TRANSACTION`);
  try {
    await recordApplied(connection, { ...context.applied, summary }, stagingRoot, swaps, replace);
    for (const table of ["replay_run", "chunks", "messages", "rejected"]) await connection.run(`DELETE FROM ${table}`);
    await connection.run(`COMMIT`);
  } catch (error) {
    await connection.run(`ROLLBACK`);
    throw error;
  }
  await finishPendingSwaps(connection, lakeDir);
  for (const table of tables) mkdirSync(join(lakeDir, table.name), { recursive: true });

  const expected = (replace ? 0 : Number(row.prior_readings)) + readings;
  const written = Number((await connection.runAndReadAll(`SELECT count(*) AS n FROM (${lakeReadingsCount(lakeDir)})`)).getRowObjectsJS()[0].n);
  if (written !== expected) throw new Error(`readings lake holds ${written} rows but ${expected} were expected; replay with --replace to rebuild ${lakeDir}`);
  const writeMs = lap();
  const filesWritten = swaps.filter((s) => s.action === "replace").flatMap((s) => listFiles(join(lakeDir, s.table, s.partition), lakeDir));
  return { counts, byReason, readings: summary.readings, conservation, filesWritten, firstRejected, stageMs: { dedupe: dedupeMs, analytics: analyticsMs, write: writeMs } };
}

/** Rows of the readings table as published (a relation with one row per reading). */
function lakeReadingsCount(lakeDir: string): string {
  const files = join(lakeDir, READINGS.name, `${READINGS.partitionKey}=*`, "*.parquet");
  return existsSync(join(lakeDir, READINGS.name)) && listFiles(join(lakeDir, READINGS.name), lakeDir).length > 0 ? `SELECT 1 FROM read_parquet(${sqlString(files)})` : `SELECT 1 WHERE false`;
}

/**
 * Stages the partitions of `table` this replay changes: those its new rows fall in and those holding stored
 * rows it recomputes (every stored partition when replacing), each with its full new content.
 */
async function stageTable(connection: DuckDBConnection, stagingRoot: string, table: LakeTable, relation: string, replace: boolean): Promise<PartitionSwap[]> {
  const recomputed = replace ? "true" : (RECOMPUTED[table.name] ?? "false");
  const keyed = table.columns.some((c) => c.name === "metric");
  const join = keyed ? `LEFT JOIN series_cut c ON ${sameSeries("p", "c")}` : "";
  const prior = `${priorView(table)} p ${join}`;
  await connection.run(`CREATE OR REPLACE TEMP TABLE touched AS
    SELECT DISTINCT ${partitionValueSql(table)} AS dt FROM ${relation}
    ${recomputed === "false" ? "" : `UNION SELECT DISTINCT p.dt FROM ${prior} WHERE ${recomputed}`}`);
  const partitions = (await connection.runAndReadAll(`SELECT dt FROM touched ORDER BY dt`)).getRowObjectsJS().map((r) => String(r.dt));
  const columns = table.columns.map((c) => `p."${c.name}"`).join(", ");
  await connection.run(`CREATE OR REPLACE TEMP VIEW next_rows AS
    SELECT ${columns}, p.dt FROM ${prior} WHERE p.dt IN (SELECT dt FROM touched) AND NOT (${recomputed})
    UNION ALL
    SELECT ${lakeColumnsSql(table)}, ${partitionValueSql(table)} AS dt FROM ${relation}`);
  return stagePartitions(connection, stagingRoot, table, "next_rows", partitions);
}

/** The first quarantined record (its line and reason), to show what was read when nothing was accepted. */
async function firstRejection(connection: DuckDBConnection): Promise<{ reason: string; detail: string | null } | null> {
  const rows = (await connection.runAndReadAll(`SELECT reason, detail FROM rejected ORDER BY pos LIMIT 1`)).getRowObjectsJS();
  return rows.length === 0 ? null : { reason: String(rows[0].reason), detail: (rows[0].detail as string | null) ?? null };
}

/** An input without a single record is refused before anything is published (there is nothing to keep). */
function refuseEmpty(context: PublishContext, counts: ReplayCounts): void {
  if (counts.input > 0) return;
  throw new ReplayInputError("input_empty", `read ${context.inputPath} as ${context.format === "csv" ? "CSV" : "JSON Lines"}: it holds no records${context.format === "csv" ? " after the header" : ""}`);
}

function integerMs(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`ingest policy ${name} must be a non-negative integer of milliseconds, got ${value}`);
  return value;
}
