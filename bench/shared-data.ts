/**
 * Where the benchmark data sets live: `shared/data/<name>` beside the repository (read in place, never copied),
 * found by walking up from this file so a git worktree nested deeper finds it too; `IOTPIPE_BENCH_DATA` overrides.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The directory of one data set (`skab`, `nab`); throws naming where it looked. */
export function sharedDataDir(name: string): string {
  const override = process.env.IOTPIPE_BENCH_DATA;
  if (override) return resolve(override, name);
  const tried: string[] = [];
  for (let dir = resolve(__dirname, ".."); ; dir = dirname(dir)) {
    const candidate = join(dir, "shared", "data", name);
    tried.push(candidate);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`data set '${name}' not found (looked in ${tried.join(", ")}); set IOTPIPE_BENCH_DATA to the folder that holds it`);
}
