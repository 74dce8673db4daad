/**
 * Crash safety: a replay killed with SIGKILL after some chunks committed, then resumed, ends with the same lake
 * as an uninterrupted replay of the same input — nothing lost, nothing doubled.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LAKE_TABLES } from "../../lake/tables";
import { replay } from "../../local/replay";
import { CLOCK } from "../contract/arbitraries";
import { tableRows } from "./lake-read";

const CHUNK_BYTES = 16 * 1024;
const CHILD = resolve(__dirname, "fixtures/replay-child.ts");

/** Runs the child replay and SIGKILLs it as soon as it reports `killAfter` validated chunks. */
function runAndKill(input: string, lakeDir: string, killAfter: number): Promise<{ killed: boolean; output: string }> {
  return new Promise((done, fail) => {
    // tsx as a loader inside one node process, so SIGKILL hits the replay itself (the tsx CLI would fork it).
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, input, lakeDir, String(CHUNK_BYTES), String(CLOCK)], { stdio: ["ignore", "pipe", "pipe"], cwd: resolve(__dirname, "../..") });
    let output = "";
    child.stdout.on("data", (data: Buffer) => {
      output += data.toString();
      const progress = [...output.matchAll(/^validate (\d+)\/\d+$/gm)].map((m) => Number(m[1]));
      if (progress.some((n) => n >= killAfter)) child.kill("SIGKILL");
    });
    child.stderr.on("data", (data: Buffer) => (output += data.toString()));
    child.on("error", fail);
    child.on("exit", (_code, signal) => done({ killed: signal === "SIGKILL", output }));
  });
}

describe("interrupted replay", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "iotpipe-resume-test-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("resumes after SIGKILL and ends with the lake of an uninterrupted run", async () => {
    const base = Date.UTC(2026, 10, 22, 6);
    const lines: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const ts = base + i * 2000 - (i % 97 === 0 ? 600_000 : 0);
      lines.push(JSON.stringify({ topic: `telemetry/plant-a/line-${i % 2}/dev-${i % 5}`, ingest_ts: base + i * 2000 + 20, msg_id: `m${i}`, ts, readings: [{ metric: "temperature", value: 60 + (i % 13) + (i === 700 ? 900 : 0), unit: "degC" }, { metric: "vibration", value: 2 + (i % 5) / 10 }] }));
      if (i % 50 === 0) lines.push(lines[lines.length - 1]);
      if (i % 211 === 0) lines.push(`{"topic":"telemetry/plant-a/line-0/dev-0","ts":${ts},"readings":[{"metric":"temperature","value":1e999}]}`, "{truncated");
    }
    const input = join(dir, "history.jsonl");
    writeFileSync(input, `${lines.join("\n")}\n`);

    const interrupted = join(dir, "interrupted");
    const first = await runAndKill(input, interrupted, 3);
    expect(first).toMatchObject({ killed: true });
    expect(first.output).not.toMatch(/finished/);

    const resumed = await replay({ inputPath: input, lakeDir: interrupted, chunkBytes: CHUNK_BYTES, now: CLOCK });
    expect(resumed.chunks.resumed).toBeGreaterThanOrEqual(3);
    expect(resumed.chunks.resumed).toBeLessThan(resumed.chunks.total);

    const clean = await replay({ inputPath: input, lakeDir: join(dir, "clean"), chunkBytes: CHUNK_BYTES, now: CLOCK });
    expect(clean.chunks.resumed).toBe(0);
    expect(resumed.counts).toEqual(clean.counts);
    expect(clean.counts).toMatchObject({ input: lines.length, duplicates: 30, quarantined: 16 });
    expect(clean.counts.late).toBeGreaterThan(0);
    for (const table of LAKE_TABLES) {
      const [a, b] = await Promise.all([tableRows(interrupted, table), tableRows(join(dir, "clean"), table)]);
      expect({ table: table.name, rows: a.length }).toEqual({ table: table.name, rows: b.length });
      expect(a).toEqual(b);
    }
  });
});
