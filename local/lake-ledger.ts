/**
 * The lake's ledger, kept beside the replay journal in `<lakeDir>/_replay/state.duckdb`: which inputs the lake
 * already holds (by content hash, so a re-run of the same file — under any name — changes nothing), under which
 * analytics settings, and the partition swaps of a replay that committed but may not have finished publishing.
 */
import { createHash } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { ReplayCounts } from "./conservation";
import { applySwap, removeStaging, type PartitionSwap } from "./lake-writer";

export const LEDGER_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS applied_inputs (sha256 VARCHAR NOT NULL, bytes BIGINT NOT NULL, format VARCHAR NOT NULL, input VARCHAR NOT NULL, settings VARCHAR NOT NULL,
     applied_at VARCHAR NOT NULL, summary VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS pending_swaps (staging_root VARCHAR NOT NULL, table_name VARCHAR NOT NULL, part VARCHAR NOT NULL, action VARCHAR NOT NULL)`,
];

/** An input the lake holds. */
export interface AppliedInput {
  sha256: string;
  /** Its size: a later file whose first `bytes` hash to `sha256` is this input grown. */
  bytes: number;
  /** How it was read: the same bytes read as another format are another input. */
  format: "jsonl" | "csv";
  /** The path it was replayed from (informative: identity is the content). */
  input: string;
  /** Fingerprint of the analytics definition, ingest policy and mode it was judged with. */
  settings: string;
  appliedAt: string;
  /** What its replay counted (printed again when the same input is replayed once more). */
  summary: AppliedSummary;
}

export interface AppliedSummary {
  counts: ReplayCounts;
  byReason: Record<string, number>;
  readings: { accepted: number; late: number };
}

/** SHA-256 of a settings object's JSON (key order as written by the one caller). */
export function settingsFingerprint(settings: unknown): string {
  return createHash("sha256").update(JSON.stringify(settings)).digest("hex");
}

/** Every input the lake holds, oldest first. */
export async function appliedInputs(connection: DuckDBConnection): Promise<AppliedInput[]> {
  const rows = (await connection.runAndReadAll(`SELECT * FROM applied_inputs ORDER BY applied_at`)).getRowObjectsJS();
  return rows.map((r) => ({ sha256: String(r.sha256), bytes: Number(r.bytes), format: r.format === "csv" ? "csv" : "jsonl", input: String(r.input), settings: String(r.settings), appliedAt: String(r.applied_at), summary: JSON.parse(String(r.summary)) as AppliedSummary }));
}

/**
 * Records an applied input and the swaps that publish it, in the caller's transaction: once it commits, the
 * replay is decided, and finishPendingSwaps completes it even after a crash.
 */
export async function recordApplied(connection: DuckDBConnection, applied: AppliedInput, stagingRoot: string, swaps: PartitionSwap[], replaceAll: boolean): Promise<void> {
  if (replaceAll) await connection.run(`DELETE FROM applied_inputs`);
  await connection.run(`INSERT INTO applied_inputs VALUES ($1, $2, $3, $4, $5, $6, $7)`, [applied.sha256, applied.bytes, applied.format, applied.input, applied.settings, applied.appliedAt, JSON.stringify(applied.summary)]);
  for (const swap of swaps) await connection.run(`INSERT INTO pending_swaps VALUES ($1, $2, $3, $4)`, [stagingRoot, swap.table, swap.partition, swap.action]);
}

/** Publishes the swaps of a committed replay (this run's, or an interrupted run's), then forgets them. */
export async function finishPendingSwaps(connection: DuckDBConnection, lakeDir: string): Promise<number> {
  const rows = (await connection.runAndReadAll(`SELECT * FROM pending_swaps ORDER BY table_name, part`)).getRowObjectsJS();
  const roots = new Set<string>();
  for (const r of rows) {
    const root = String(r.staging_root);
    roots.add(root);
    applySwap(lakeDir, root, { table: String(r.table_name), partition: String(r.part), action: r.action === "remove" ? "remove" : "replace" });
  }
  await connection.run(`DELETE FROM pending_swaps`);
  for (const root of roots) removeStaging(root);
  return rows.length;
}
