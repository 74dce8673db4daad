/**
 * The Python environment the Flink tests run the job in: a virtual environment under `.iotpipe/pyflink-venv`
 * (ignored by git) with the pinned PyFlink of `flink-app/requirements-test.txt`. Created on first use — about
 * 720 MB, 100 s on 2 cores — and reused while the requirements file is unchanged (its hash is kept beside it),
 * so `npm test` needs no manual step on a fresh clone. Java comes from the machine (Flink 1.20 runs on 17).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const REPO_ROOT = resolve(__dirname, "../..");
export const PYFLINK_VENV = join(REPO_ROOT, ".iotpipe", "pyflink-venv");
export const PYFLINK_REQUIREMENTS = join(REPO_ROOT, "flink-app", "requirements-test.txt");
const STAMP = join(PYFLINK_VENV, ".requirements.sha256");
/** Held while one test process builds the environment, so a parallel one waits instead of building it too. */
const LOCK = `${PYFLINK_VENV}.lock`;

function run(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
  if (result.error || result.status !== 0) {
    throw new Error(`${what} failed (${command} ${args.join(" ")}): ${result.error?.message ?? result.stderr.slice(-2000)}`);
  }
}

/** The Python the environment is built from: 3.11, the version of Managed Flink's PyFlink runtime. */
function basePython(): string {
  for (const candidate of ["python3.11", "python3"]) {
    const probe = spawnSync(candidate, ["-c", "import sys; print(sys.version_info[:2] == (3, 11))"], { encoding: "utf8" });
    if (probe.status === 0 && probe.stdout.trim() === "True") return candidate;
  }
  throw new Error("the Flink tests need Python 3.11 (python3.11 or python3 on PATH): PyFlink 1.20 runs on 3.8-3.11, Managed Flink on 3.11");
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Path of the environment's Python with the pinned PyFlink installed, building the environment if needed. */
export function ensurePyFlink(): string {
  const python = join(PYFLINK_VENV, "bin", "python");
  const wanted = createHash("sha256").update(readFileSync(PYFLINK_REQUIREMENTS)).digest("hex");
  const ready = () => existsSync(python) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === wanted;
  if (ready()) return python;
  mkdirSync(join(REPO_ROOT, ".iotpipe"), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${LOCK} held for 15 minutes: remove it if no test is installing PyFlink`);
      sleep(2000);
      if (ready()) return python;
    }
  }
  try {
    if (ready()) return python;
    rmSync(PYFLINK_VENV, { recursive: true, force: true });
    run(basePython(), ["-m", "venv", PYFLINK_VENV], "creating the PyFlink virtual environment");
    run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", PYFLINK_REQUIREMENTS], "installing PyFlink");
    writeFileSync(STAMP, wanted);
    return python;
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Whether Java 17 or later is on PATH (Flink 1.20's runtime), with a message naming what is missing. */
export function checkJava(): void {
  const probe = spawnSync("java", ["-version"], { encoding: "utf8" });
  const version = /version "(\d+)/.exec(`${probe.stderr}${probe.stdout}`)?.[1];
  if (probe.error || !version || Number(version) < 17) {
    throw new Error(`the Flink tests need Java 17 (found: ${version ?? "no java on PATH"}); on Debian: apt-get install openjdk-17-jre-headless`);
  }
}
