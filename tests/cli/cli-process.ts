/**
 * The `iotpipe` CLI in its own process, for commands that must run outside jest's CommonJS runtime (the broker:
 * aedes is an ES module), with its output captured as it comes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

export function startCli(args: string[]): CliProcess {
  const child = spawn(TSX, [path.join(ROOT, "cli", "bin.ts"), ...args], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: "0" } });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Polls `predicate` every 50 ms; throws naming `what` after `timeoutMs` (generous: tsx starts slowly on a busy machine). */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
