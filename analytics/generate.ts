/**
 * `npm run gen:flink-sql`: writes the Flink SQL files of the shipped definition to sql/flink/ (and removes
 * stale .sql files there) and the contract constants of the Flink job's message judge to
 * flink-app/contract_constants.py, so the committed files are exactly what the Flink application runs.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { flinkSqlFiles } from "./flink";
import { FLINK_CONTRACT_MODULE, flinkContractModule } from "./flink-contract";

/** Directory of the committed Flink SQL files. */
export const FLINK_SQL_DIR = resolve(__dirname, "../sql/flink");

function main(): void {
  const files = flinkSqlFiles();
  mkdirSync(FLINK_SQL_DIR, { recursive: true });
  const wanted = new Set(files.map((f) => f.name));
  for (const existing of readdirSync(FLINK_SQL_DIR)) {
    if (existing.endsWith(".sql") && !wanted.has(existing)) rmSync(join(FLINK_SQL_DIR, existing));
  }
  for (const f of files) writeFileSync(join(FLINK_SQL_DIR, f.name), f.sql);
  writeFileSync(resolve(__dirname, "..", FLINK_CONTRACT_MODULE), flinkContractModule());
  console.log(`wrote ${FLINK_CONTRACT_MODULE}`);
  console.log(`wrote ${files.length} files to ${FLINK_SQL_DIR}: ${files.map((f) => f.name).join(", ")}`);
}

if (require.main === module) main();
