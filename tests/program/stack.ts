/**
 * Program-level test helpers: renders a stack once through the offline plan (the same path as `npm run plan`)
 * and answers the questions the wiring tests ask: which resource, which ARN, what a role may do.
 */
import { renderPlan, type Plan, type PlanResource } from "../../plan/render";
import { MOCK_ACCOUNT, mockArn } from "../../plan/mocks";
import { readStackConfig } from "../../config/stack-file";

/** One Allow grant: an action on a resource, with the statement's condition (if any). */
export interface Grant {
  action: string;
  resource: string;
  condition?: Record<string, Record<string, unknown>>;
}

export class RenderedStack {
  readonly region: string;

  constructor(readonly plan: Plan) {
    this.region = readStackConfig(plan.stack)["aws:region"];
  }

  get resources(): PlanResource[] {
    return this.plan.resources;
  }

  ofType(type: string, name?: string | RegExp): PlanResource[] {
    return this.resources.filter((r) => r.type === type && (name === undefined || (typeof name === "string" ? r.name === name : name.test(r.name))));
  }

  /** Exactly one resource of a type (and name); fails with what was found. */
  one(type: string, name?: string | RegExp): PlanResource {
    const found = this.ofType(type, name);
    if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
    return found[0];
  }

  /** Children of a component. */
  childrenOf(parent: string): PlanResource[] {
    return this.resources.filter((r) => r.parent === parent);
  }

  /** The ARN the mocks gave a resource (what every other resource's inputs reference). */
  arn(resource: PlanResource): string {
    if (resource.type === "aws:kms/key:Key") return `arn:aws:kms:${this.region}:${MOCK_ACCOUNT}:key/${resource.name}-key-id`;
    return mockArn(resource.type, resource.inputs.name ?? resource.inputs.bucket ?? resource.name, this.region);
  }

  /** Every Allow grant of a role: its inline policies and every RolePolicy attached to it. */
  grantsOf(roleName: string): Grant[] {
    const role = this.one("aws:iam/role:Role", roleName);
    const documents = [
      ...(role.inputs.inlinePolicies ?? []).map((p: any) => p.policy),
      ...this.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === `${roleName}-id` || p.inputs.role === roleName).map((p) => p.inputs.policy),
    ];
    const attached = this.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === roleName || a.inputs.role === `${roleName}-id`);
    if (attached.length > 0) throw new Error(`role ${roleName} has managed policies attached (${attached.map((a) => a.inputs.policyArn).join(", ")}); grants cannot be checked offline`);
    const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [String(v)]);
    return documents.flatMap((doc: string) =>
      JSON.parse(doc).Statement.filter((s: any) => s.Effect === "Allow").flatMap((s: any) =>
        list(s.Action).flatMap((action) => list(s.Resource).map((resource) => ({ action, resource, ...(s.Condition && { condition: s.Condition }) }))),
      ),
    );
  }

  /** A role's grants as sorted `action resource` lines, for exact comparisons. */
  grantLines(roleName: string): string[] {
    return [...new Set(this.grantsOf(roleName).map((g) => `${g.action} ${g.resource}`))].sort();
  }
}

/** Renders a stack (once per jest file: the mocks and the program's modules are per module registry). */
export async function renderStack(stack: string, program?: string): Promise<RenderedStack> {
  return new RenderedStack(await renderPlan(stack, { program }));
}

/** `actions` × `resources` as sorted `action resource` lines. */
export function lines(actions: string[], resources: string[]): string[] {
  return actions.flatMap((a) => resources.map((r) => `${a} ${r}`));
}
