/**
 * The committed Flink SQL, the reviewable copy of what each stack runs: the shipped analytics in sql/flink/ and
 * every stack's (`Pulumi.<stack>.yaml`) in sql/flink/<stack>/, whether or not it overrides anything, so a pull
 * request that changes a stack's analytics shows the SQL its Flink job will run. The program deploys the SQL it
 * generates in memory (config/analytics.ts); the staleness test and a warning at `pulumi preview` hold these files
 * to it.
 *
 * `npm run gen:flink-sql` (this file) rewrites them all, and the Flink judge's contract constants.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { FlinkSqlFile } from "../analytics/flink";
import { flinkSqlFiles } from "../analytics/flink";
import { FLINK_CONTRACT_MODULE, flinkContractModule } from "../analytics/flink-contract";
import { stackAnalytics } from "./analytics";
import { parseStackConfig } from "./load";
import { listStacks, PROJECT_DIR, readProjectKeys } from "./stack-file";

/** Where the shipped analytics' SQL (no stack) or a stack's SQL is committed. */
export function committedFlinkSqlDirectory(projectDir: string, stack?: string): string {
  return stack === undefined ? path.join(projectDir, "sql", "flink") : path.join(projectDir, "sql", "flink", stack);
}

/**
 * How the committed files in `dir` differ from `files`: missing, changed or extra file names; empty when they are
 * exactly the same.
 */
export function flinkSqlDrift(dir: string, files: FlinkSqlFile[]): string[] {
  const committed = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".sql")) : [];
  const wanted = new Set(files.map((f) => f.name));
  return [
    ...files.filter((f) => !committed.includes(f.name)).map((f) => `${f.name} missing`),
    ...files.filter((f) => committed.includes(f.name) && fs.readFileSync(path.join(dir, f.name), "utf8") !== f.sql).map((f) => `${f.name} changed`),
    ...committed.filter((f) => !wanted.has(f)).map((f) => `${f} not generated`),
  ];
}

/**
 * How a stack's committed SQL differs from what it deploys. Only a stack with a `Pulumi.<stack>.yaml` has committed
 * SQL (`npm run gen:flink-sql` writes one folder per stack file): a stack rendered without one — `iotpipe size`
 * pricing a fleet, a test — has nothing to be reviewed against, so it has no drift to warn of.
 */
export function stackSqlDrift(projectDir: string, stack: string, files: FlinkSqlFile[]): string[] {
  if (!listStacks(projectDir).includes(stack)) return [];
  return flinkSqlDrift(committedFlinkSqlDirectory(projectDir, stack), files);
}

/** Writes `files` to `dir`, removing .sql files there that are no longer generated. */
export function writeFlinkSql(dir: string, files: FlinkSqlFile[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const wanted = new Set(files.map((f) => f.name));
  for (const existing of fs.readdirSync(dir)) {
    if (existing.endsWith(".sql") && !wanted.has(existing)) fs.rmSync(path.join(dir, existing));
  }
  for (const f of files) fs.writeFileSync(path.join(dir, f.name), f.sql);
}

/** The stacks sql/flink/ holds SQL for. */
export function committedStackDirectories(projectDir: string): string[] {
  const root = committedFlinkSqlDirectory(projectDir);
  return fs.readdirSync(root).filter((entry) => fs.statSync(path.join(root, entry)).isDirectory()).sort();
}

/** Each stack file's analytics SQL, by stack name. */
export function stacksFlinkSql(projectDir = PROJECT_DIR): Map<string, FlinkSqlFile[]> {
  return new Map(listStacks(projectDir).map((stack) => [stack, stackAnalytics(parseStackConfig(readProjectKeys(stack, projectDir))).flinkSql]));
}

function main(): void {
  const shipped = committedFlinkSqlDirectory(PROJECT_DIR);
  writeFlinkSql(shipped, flinkSqlFiles());
  console.log(`wrote the shipped analytics to ${path.relative(PROJECT_DIR, shipped)}/`);
  const stacks = stacksFlinkSql();
  for (const [stack, files] of stacks) {
    const dir = committedFlinkSqlDirectory(PROJECT_DIR, stack);
    writeFlinkSql(dir, files);
    console.log(`wrote stack ${stack} to ${path.relative(PROJECT_DIR, dir)}/`);
  }
  for (const gone of committedStackDirectories(PROJECT_DIR).filter((s) => !stacks.has(s))) {
    fs.rmSync(committedFlinkSqlDirectory(PROJECT_DIR, gone), { recursive: true });
    console.log(`removed sql/flink/${gone}/: no Pulumi.${gone}.yaml`);
  }
  fs.writeFileSync(path.join(PROJECT_DIR, FLINK_CONTRACT_MODULE), flinkContractModule());
  console.log(`wrote ${FLINK_CONTRACT_MODULE}`);
}

if (require.main === module) main();
