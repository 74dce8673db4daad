/** `npm run plan` as a user runs it: exit codes, the summary, and the JSON plan file. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../config/stack-file";

function plan(...args: string[]) {
  const run = spawnSync(process.execPath, [path.join(PROJECT_DIR, "node_modules", "tsx", "dist", "cli.mjs"), path.join(PROJECT_DIR, "plan", "cli.ts"), ...args], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    timeout: 50_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

it("renders dev, prints counts by type, writes the plan and passes the policy", () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-plan-")), "plan.json");
  const run = plan("--stack", "dev", "--out", out);
  expect(run.stderr).not.toContain("violation");
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^Stack dev: \d+ resources/);
  expect(run.stdout).toMatch(/aws:kinesis\/stream:Stream\s+6\n/);
  expect(run.stdout).toContain("policy iotpipe-security: no violations");

  const written = JSON.parse(fs.readFileSync(out, "utf8"));
  expect(written.stack).toBe("dev");
  const total = Number(/^Stack dev: (\d+) resources/.exec(run.stdout)![1]);
  expect(written.resources).toHaveLength(total);
  for (const r of written.resources) {
    expect(Object.keys(r).filter((k) => !["type", "name", "parent", "protect", "inputs"].includes(k))).toEqual([]);
    expect(typeof r.type).toBe("string");
    expect(typeof r.name).toBe("string");
  }
  // Inputs are resolved values, not Output placeholders.
  const raw = written.resources.find((r: any) => r.type === "aws:kinesis/stream:Stream" && r.name === "telemetry-raw");
  expect(raw.inputs.kmsKeyId).toMatch(/^arn:aws:kms:eu-west-1:\d{12}:key\//);
});

it("fails with exit code 2 and the known stacks for an unknown stack", () => {
  const run = plan("--stack", "staging");
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/no stack file .*Pulumi\.staging\.yaml; stacks here: dev, prod, scale/);
});
