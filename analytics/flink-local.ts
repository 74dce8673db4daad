/**
 * The Flink job as it runs on one machine for the tests: the very statements of `sql/flink/` (flinkSqlFiles), with
 * only the connectors' WITH (...) clauses changed to files — the raw envelopes from one JSON Lines file (the shape
 * Firehose archives in `raw_messages`), each lake table to a directory of JSON Lines — plus one file of engine
 * settings that make a local run deterministic. `flink-app/main.py` runs the result unchanged.
 */
import { DEFAULT_INGEST_POLICY, type IngestPolicy } from "../contract/ingest-policy";
import { type AnalyticsDefinition, DEFAULT_ANALYTICS } from "./definition";
import { type FlinkConnectors, type FlinkSqlFile, flinkSqlFiles } from "./flink";

/** Where a local run reads and writes. */
export interface LocalFlinkPaths {
  /** JSON Lines of raw envelopes: device_id, site, line, ingest_ts, payload_base64. */
  input: string;
  /** Each sink writes JSON Lines under `<outputDir>/<lake table>/`. */
  outputDir: string;
}

/** The engine settings file: the runner runs files in name order, so it runs before any table is declared. */
export const LOCAL_ENGINE_FILE = "00-local-engine.sql";

/**
 * Engine settings of a local run, none of them about what is computed:
 * - parallelism 1: one source reader, so arrival order is the file's order (the Kinesis shard order);
 * - a watermark after every record that raises it (interval 0: the assigner emits eagerly), so which records are
 *   late is decided by the file alone, not by when a 200 ms timer fired on a busy machine;
 * - Python bundles of one record: the judge's operator holds a watermark back until its bundle is done (up to
 *   1 s or 100 000 records by default), so the lateness check after it would see an older watermark than the
 *   record order implies (found on Flink 1.20: a record exactly at the watermark passed as on time);
 * - checkpoints every second: the file sink publishes its files at checkpoints (and at the end of the input).
 */
const LOCAL_ENGINE_SETTINGS: [string, string][] = [
  ["parallelism.default", "1"],
  ["pipeline.auto-watermark-interval", "0 ms"],
  ["python.fn-execution.bundle.size", "1"],
  ["execution.checkpointing.interval", "1 s"],
];

/** File connectors in place of the Kinesis streams, with the same JSON format options. */
export function localFileConnectors(paths: LocalFlinkPaths): FlinkConnectors {
  return {
    source: [
      ["connector", "filesystem"],
      ["path", paths.input],
      ["format", "json"],
      ["json.ignore-parse-errors", "true"],
      ["json.fail-on-missing-field", "false"],
    ],
    sink: (table) => [
      ["connector", "filesystem"],
      ["path", `${paths.outputDir}/${table.name}`],
      ["format", "json"],
    ],
  };
}

/** Every file of a local run, in execution (name) order: the job's own files and the engine settings. */
export function localFlinkSqlFiles(paths: LocalFlinkPaths, def: AnalyticsDefinition = DEFAULT_ANALYTICS, policy: IngestPolicy = DEFAULT_INGEST_POLICY): FlinkSqlFile[] {
  const settings = [
    "-- Engine settings of a local test run (analytics/flink-local.ts); the job's statements follow unchanged.",
    ...LOCAL_ENGINE_SETTINGS.map(([key, value]) => `SET '${key}' = '${value}';`),
    "",
  ].join("\n");
  return [{ name: LOCAL_ENGINE_FILE, sql: settings }, ...flinkSqlFiles(def, policy, localFileConnectors(paths))].sort((a, b) => a.name.localeCompare(b.name));
}
