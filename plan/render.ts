/**
 * Renders the Pulumi program for one stack under mocks, with that stack's configuration, and returns every
 * resource it would register (inputs fully resolved) plus the stack outputs: a plan a reviewer can read and
 * the policy rules can judge without an AWS account or the Pulumi CLI.
 */
import * as path from "path";
import { installMocks, resolve, settle, type RecordedResource } from "./mocks";
import { PROJECT_DIR, readProjectKeys, readStackConfig } from "../config/stack-file";
import { namespaceProblems, parseStackConfig } from "../config/load";
import { validateStack, type PolicyContext, type Violation } from "../policy/rules";

export interface PlanResource {
  type: string;
  name: string;
  /** Logical name of the parent component; absent for top-level resources. */
  parent?: string;
  /** Present (true) when `pulumi destroy` would refuse to delete the resource. */
  protect?: true;
  inputs: Record<string, any>;
}

export interface Plan {
  stack: string;
  resources: PlanResource[];
  /** The program's stack outputs, resolved. */
  outputs: Record<string, unknown>;
}

export interface RenderOptions {
  projectDir?: string;
  /** Program module to load; default `<projectDir>/index` (Pulumi.yaml `main`). */
  program?: string;
  /** The stack's outputs from its last deployment (e.g. an earlier plan's `outputs`); default none, a first deployment. */
  deployedOutputs?: Record<string, unknown>;
  /** The full configuration to render with (fully qualified keys), instead of reading Pulumi.<stack>.yaml. */
  config?: Record<string, string>;
}

/** Renders `stack`. Call once per process (or jest test file): the mocks and the program's modules are global. */
export async function renderPlan(stack: string, options: RenderOptions = {}): Promise<Plan> {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const config = options.config ?? readStackConfig(stack, projectDir);
  const recorded = installMocks({ project: "iotpipe", stack, config, deployedOutputs: options.deployedOutputs });

  // An exception inside an apply() surfaces only as an unhandled rejection; a plan that hides one would lie.
  const failures: unknown[] = [];
  const onRejection = (reason: unknown) => failures.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    const program = require(options.program ?? path.join(projectDir, "index"));
    await settle(recorded);
    const outputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(program)) outputs[name] = await resolve(value as any);
    await settle(recorded);
    if (failures.length > 0) {
      const first = failures[0];
      throw new Error(`the program failed while rendering stack ${stack}: ${first instanceof Error ? first.stack ?? first.message : String(first)}`);
    }
    return { stack, resources: recorded.map(toPlanResource), outputs };
  } finally {
    process.off("unhandledRejection", onRejection);
  }
}

function toPlanResource(r: RecordedResource): PlanResource {
  return { type: r.type, name: r.name, ...(r.parent && { parent: r.parent }), ...(r.protect && { protect: true as const }), inputs: r.inputs };
}

/** Resource counts by type, sorted by type. */
export function countByType(plan: Plan): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** Runs the security policy over a plan (the same rules the CrossGuard pack runs on a real preview). */
export function checkPlan(plan: Plan, context: PolicyContext): Violation[] {
  return validateStack(plan.resources, context);
}

/** What the policy needs to know about a stack: its configured environment. */
export function policyContextFor(stack: string, projectDir = PROJECT_DIR): PolicyContext {
  return { environment: parseStackConfig(readProjectKeys(stack, projectDir), namespaceProblems(Object.keys(readStackConfig(stack, projectDir)))).environment };
}
