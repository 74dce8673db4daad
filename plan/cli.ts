/**
 * `npm run plan -- --stack <dev|prod> [--out plan.json]`: renders the Pulumi program offline under mocks with
 * the stack's configuration (Pulumi.yaml defaults + Pulumi.<stack>.yaml), prints the resources it would create
 * (count by type) and runs the security policy over them. Exit code 0 = clean, 1 = policy violations,
 * 2 = the program or its configuration failed. The way to review a change without AWS access.
 */
import * as fs from "fs";
import { Command } from "commander";
import { checkPlan, countByType, policyContextFor, renderPlan, type Plan } from "./render";
import { listStacks } from "../config/stack-file";
import type { Violation } from "../policy/rules";

function summary(plan: Plan): string {
  const rows = countByType(plan);
  const width = Math.max(...rows.map(([type]) => type.length), "type".length);
  const lines = [`${"type".padEnd(width)}  count`, `${"-".repeat(width)}  -----`];
  for (const [type, count] of rows) lines.push(`${type.padEnd(width)}  ${String(count).padStart(5)}`);
  lines.push(`${"total".padEnd(width)}  ${String(plan.resources.length).padStart(5)}`);
  return lines.join("\n");
}

function violationReport(violations: Violation[]): string {
  return violations.map((v) => `  [${v.rule}] ${v.type} ${v.name}: ${v.message}`).join("\n");
}

async function main(): Promise<number> {
  const program = new Command()
    .name("plan")
    .description("Render the Pulumi program offline under mocks and check it against the security policy")
    .requiredOption("-s, --stack <stack>", `stack to render (${listStacks().join(", ")})`)
    .option("-o, --out <file>", "write the plan as JSON: { stack, resources: [{ type, name, parent, inputs }], outputs }")
    .option("-d, --deployed <file>", "a plan.json of what is deployed: its outputs are the stack's previous outputs (e.g. the Flink SQL hash)")
    .parse(process.argv);
  const { stack, out, deployed } = program.opts<{ stack: string; out?: string; deployed?: string }>();

  let plan: Plan;
  try {
    const deployedOutputs = deployed ? (JSON.parse(fs.readFileSync(deployed, "utf8")) as Plan).outputs : undefined;
    plan = await renderPlan(stack, { deployedOutputs });
  } catch (e) {
    console.error(`plan for stack ${stack} failed:\n${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  console.log(`Stack ${stack}: ${plan.resources.length} resources\n`);
  console.log(summary(plan));
  const flink = plan.resources.find((r) => r.type === "aws:kinesisanalyticsv2/application:Application");
  const restore = flink?.inputs.applicationConfiguration?.runConfiguration?.applicationRestoreConfiguration?.applicationRestoreType;
  if (restore === "SKIP_RESTORE_FROM_SNAPSHOT") {
    console.log("\nFlink SQL changed since the deployed plan: the job restarts WITHOUT its state (README, Operations runbook).");
  }
  if (out) {
    fs.writeFileSync(out, `${JSON.stringify(plan, null, 2)}\n`);
    console.log(`\nplan written to ${out}`);
  }

  const violations = checkPlan(plan, policyContextFor(stack));
  if (violations.length > 0) {
    console.error(`\npolicy iotpipe-security: ${violations.length} violation(s)\n${violationReport(violations)}`);
    return 1;
  }
  console.log("\npolicy iotpipe-security: no violations");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
