/**
 * The folder the user ran the command from. `npm run iotpipe -- …` runs the CLI in the repository root (where
 * package.json is) and says where it was called from in INIT_CWD; a path the user types is relative to that
 * folder, not to the repository. The entry point (cli/bin.ts) changes to it before parsing, so every path
 * option of every command — and every path the CLI prints — is relative to the user's folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * INIT_CWD when npm runs this process as a package script (the working directory is then the package's, the
 * folder of npm_package_json), else the working directory: a process started elsewhere — by a script that
 * changed directory, or a program that inherited npm's environment — meant the directory it was started in.
 */
export function callerDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const init = env.INIT_CWD;
  const packageDir = env.npm_package_json ? path.dirname(env.npm_package_json) : undefined;
  const byNpm = packageDir !== undefined && path.resolve(packageDir) === path.resolve(cwd);
  return byNpm && init && path.isAbsolute(init) && fs.existsSync(init) && fs.statSync(init).isDirectory() ? init : cwd;
}

/** A path the user typed, as an absolute path (relative ones against the caller's folder). */
export function fromCaller(p: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return path.resolve(callerDir(env, cwd), p);
}
