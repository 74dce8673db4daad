/**
 * The folder the user ran the command from. `npm run iotpipe -- …` runs the CLI in the repository root (where
 * package.json is) and says where it was called from in INIT_CWD; a path the user types is relative to that
 * folder, not to the repository. The entry point (cli/bin.ts) changes to it before parsing, so every path
 * option of every command — and every path the CLI prints — is relative to the user's folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** INIT_CWD when npm set it to an existing directory, else the process's working directory. */
export function callerDir(env: NodeJS.ProcessEnv = process.env): string {
  const init = env.INIT_CWD;
  return init && path.isAbsolute(init) && fs.existsSync(init) && fs.statSync(init).isDirectory() ? init : process.cwd();
}

/** A path the user typed, as an absolute path (relative ones against the caller's folder). */
export function fromCaller(p: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(callerDir(env), p);
}
