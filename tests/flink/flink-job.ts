/**
 * Runs the Flink job for real (PyFlink 1.20 mini-cluster, flink-app/main.py unchanged) over the statements the
 * generator writes with file connectors, and reads back what each sink wrote, beside the local engine's lake
 * read the same way: one row object per row, timestamps as epoch milliseconds, as the lake tables name them.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { AnalyticsDefinition } from "../../analytics/definition";
import { localFlinkSqlFiles } from "../../analytics/flink-local";
import { parseDeviceTopic } from "../../contract/telemetry";
import type { IngestPolicy } from "../../contract/ingest-policy";
import { LAKE_TABLES, type LakeTable } from "../../lake/tables";
import { sqlString } from "../../local/sql-string";
import { checkJava, ensurePyFlink, REPO_ROOT } from "./pyflink-env";

export type Row = Record<string, unknown>;

/** One job run: its SQL, properties, and output directory, all under `dir`. */
export interface FlinkCase {
  dir: string;
  sqlDir: string;
  properties: string;
  outputDir: string;
}

/**
 * A simulator or spool line (`{topic, ingest_ts, payload}` or the message inline) as the raw stream carries it:
 * the IoT rule's envelope, device/site/line from the topic and the published bytes as base64. Both engines
 * read this form (the local replay reads `raw_messages` exports), so they see byte-identical input.
 */
export function rawEnvelope(spoolLine: string): string {
  const { topic, ingest_ts, payload, ...message } = JSON.parse(spoolLine) as { topic: string; ingest_ts: number; payload?: string };
  const address = parseDeviceTopic(topic);
  if (!address) throw new Error(`spool line without a device topic (the IoT rule would not route it): ${spoolLine.slice(0, 200)}`);
  const published = payload ?? JSON.stringify(message);
  return JSON.stringify({ device_id: address.deviceId, site: address.site, line: address.line, ingest_ts, payload_base64: Buffer.from(published).toString("base64") });
}

/** Writes a case's SQL (the job's statements with file connectors) and its application properties. */
export function prepareFlinkCase(dir: string, input: string, definition?: AnalyticsDefinition, policy?: IngestPolicy): FlinkCase {
  const sqlDir = join(dir, "sql");
  const outputDir = join(dir, "out");
  mkdirSync(sqlDir, { recursive: true });
  for (const file of localFlinkSqlFiles({ input, outputDir }, definition, policy)) writeFileSync(join(sqlDir, file.name), file.sql);
  const properties = join(dir, "application_properties.json");
  // The property group the runner requires; the file connectors need no property.
  writeFileSync(properties, JSON.stringify([{ PropertyGroupId: "iotpipe", PropertyMap: {} }]));
  return { dir, sqlDir, properties, outputDir };
}

/** Runs the cases one after another in one JVM; returns each job's own seconds and the harness output. */
export function runFlinkJobs(cases: FlinkCase[]): { seconds: number[]; output: string } {
  checkJava();
  const python = ensurePyFlink();
  const result = spawnSync(python, [join(REPO_ROOT, "tests", "flink", "run_local_job.py"), ...cases.flatMap((c) => [c.sqlDir, c.properties])], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: 20 * 60_000,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.error || result.status !== 0) {
    const cause = output.split("\n").filter((l) => /Exception|Error|Caused by/.test(l)).slice(0, 12).join("\n");
    throw new Error(`the Flink job failed (status ${result.status}${result.error ? `, ${result.error.message}` : ""}):\n${cause || output.slice(-4000)}`);
  }
  const seconds = cases.map((c) => Number(new RegExp(`flink job ${c.sqlDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ([\\d.]+) s`).exec(output)?.[1]));
  return { seconds, output };
}

/** Every row a sink wrote (JSON Lines part files; a partition directory `key=value` adds its column). */
export function flinkRows(outputDir: string, table: LakeTable): Row[] {
  const rows: Row[] = [];
  const walk = (dir: string, partition: Row) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        const [key, value] = name.split("=");
        walk(path, value === undefined ? partition : { ...partition, [key]: decodeURIComponent(value) });
      } else if (!name.startsWith(".")) {
        for (const line of readFileSync(path, "utf8").split("\n")) if (line.trim()) rows.push({ ...JSON.parse(line), ...partition });
      } else {
        throw new Error(`${path}: a file the sink never published (in progress at the end of the job)`);
      }
    }
  };
  walk(join(outputDir, table.name), {});
  return rows;
}

/** Every row of a local lake table (the replay's Parquet), timestamps as epoch milliseconds. */
export async function lakeRows(lakeDir: string, table: LakeTable): Promise<Row[]> {
  if (!existsSync(join(lakeDir, table.name))) return [];
  const columns = table.columns.map((c) => (c.type === "timestamp" ? `epoch_ms(${c.name}) AS ${c.name}` : `"${c.name}"`)).join(", ");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const glob = sqlString(join(lakeDir, table.name, "*", "*.parquet"));
    const rows = await connection.runAndReadAll(`SELECT ${columns} FROM read_parquet(${glob})`).then((r) => r.getRowObjectsJS()).catch((e: Error) => {
      if (/No files found/.test(e.message)) return [];
      throw e;
    });
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Both engines' tables, by lake table name. */
export async function bothEngines(flinkOutputDir: string, lakeDir: string): Promise<Record<string, { flink: Row[]; local: Row[] }>> {
  const tables: Record<string, { flink: Row[]; local: Row[] }> = {};
  for (const table of LAKE_TABLES) tables[table.name] = { flink: flinkRows(flinkOutputDir, table), local: await lakeRows(lakeDir, table) };
  return tables;
}
