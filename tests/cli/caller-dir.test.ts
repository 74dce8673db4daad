/**
 * `npm run iotpipe -- …` runs the CLI in the repository root with the caller's folder in INIT_CWD: relative paths
 * on the command line (and the paths the CLI prints) are the caller's, for every command.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { callerDir, fromCaller } from "../../cli/caller-dir";

const ROOT = path.resolve(__dirname, "../..");

describe("the caller's folder", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-caller-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is INIT_CWD when npm runs the CLI as the package's script, else the working directory", () => {
    const npm = { INIT_CWD: dir, npm_package_json: path.join(ROOT, "package.json") };
    expect(callerDir(npm, ROOT)).toBe(dir);
    expect(fromCaller("data/lake", npm, ROOT)).toBe(path.join(dir, "data/lake"));
    expect(callerDir({}, ROOT)).toBe(ROOT);
    expect(callerDir({ ...npm, INIT_CWD: path.join(dir, "missing") }, ROOT)).toBe(ROOT);
    // Started from another folder with npm's environment inherited (a script that changed directory): that folder.
    expect(callerDir(npm, os.tmpdir())).toBe(os.tmpdir());
  });

  it("is where relative --out and --input paths go, though the CLI runs in the repository root", () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "cli/bin.ts"), ...args], { cwd: ROOT, env: { ...process.env, INIT_CWD: dir, npm_package_json: path.join(ROOT, "package.json") }, encoding: "utf8" });
    const sim = cli("simulate", "--out", "sim", "--hours", "0.1", "--sites", "1", "--lines", "1", "--devices", "1", "--fault-rate", "0");
    expect(sim.status).toBe(0);
    expect(fs.existsSync(path.join(dir, "sim", "messages.jsonl"))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, "sim"))).toBe(false);
    const replayed = cli("replay", "--input", "sim/messages.jsonl", "--out", "lake");
    expect(replayed.status).toBe(0);
    expect(replayed.stdout).toMatch(/^replayed sim\/messages\.jsonl into lake in /m);
    expect(fs.readdirSync(path.join(dir, "lake", "readings"))).toHaveLength(1);
    const query = cli("sql", "--lake", "lake", "SELECT count(*) AS n FROM readings");
    expect(query.stdout).toMatch(/^288$/m);
  });
});
