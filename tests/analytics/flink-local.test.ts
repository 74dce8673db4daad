/**
 * The Flink tests run the shipped job, not a copy: the local rendering (analytics/flink-local.ts) must be the
 * committed sql/flink/ statement for statement, except for each table's WITH (...) clause and one file of engine
 * settings before them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { splitStatements } from "../../analytics/flink";
import { LOCAL_ENGINE_FILE, localFlinkSqlFiles } from "../../analytics/flink-local";

const COMMITTED = resolve(__dirname, "../../sql/flink");
const local = localFlinkSqlFiles({ input: "/data/raw.jsonl", outputDir: "/data/out" });

/** A statement with its WITH (...) options left out (the clause closes the statement in every CREATE TABLE). */
function withoutOptions(statement: string): string {
  return statement.replace(/\) WITH \(\n(?:  '(?:[^']|'')*' = '(?:[^']|'')*',?\n)+\)$/, ") WITH (<options>)");
}

it("has the committed files, plus the engine settings file before any table, in the runner's (name) order", () => {
  const committed = readdirSync(COMMITTED).filter((f) => f.endsWith(".sql")).sort();
  expect(local.map((f) => f.name)).toEqual([LOCAL_ENGINE_FILE, ...committed].sort());
  expect(local.findIndex((f) => f.name === LOCAL_ENGINE_FILE)).toBeLessThan(local.findIndex((f) => /CREATE TABLE/.test(f.sql)));
});

it("differs from the committed statements only inside the tables' WITH clauses", () => {
  for (const file of local.filter((f) => f.name !== LOCAL_ENGINE_FILE)) {
    const committed = splitStatements(readFileSync(join(COMMITTED, file.name), "utf8"));
    const rendered = splitStatements(file.sql);
    expect(rendered.map(withoutOptions)).toEqual(committed.map(withoutOptions));
    const changed = rendered.filter((s, i) => s !== committed[i]);
    // Exactly the CREATE TABLE statements change, and only where the connector is named.
    expect(changed.every((s) => /^(?:--[^\n]*\n)*CREATE TABLE /.test(s) && s.includes("'connector' = 'filesystem'"))).toBe(true);
    expect(changed.length).toBe(committed.filter((s) => s.includes("'connector' = 'kinesis'")).length);
  }
});

it("sets only engine options in its own file (parallelism, watermark cadence, Python bundle size, checkpoints), never a table option", () => {
  const settings = splitStatements(local.find((f) => f.name === LOCAL_ENGINE_FILE)!.sql);
  expect(settings.every((s) => /^(?:--[^\n]*\n)*SET '(parallelism\.default|pipeline\.auto-watermark-interval|python\.fn-execution\.bundle\.size|execution\.checkpointing\.interval)' = '[^']+'$/.test(s))).toBe(true);
});
