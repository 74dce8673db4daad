/**
 * Small shared pieces of the iotpipe components: the account/region/partition every ARN is built from, names
 * that AWS restricts more than Pulumi does, and argument checks that fail with the component and field named.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** Where the stack deploys: the pieces of every ARN the components write into policies. */
export interface AwsContext {
  accountId: pulumi.Output<string>;
  region: pulumi.Output<string>;
  partition: pulumi.Output<string>;
}

/** Looks up account, region and partition once per component (invokes parented so they use its provider). */
export function awsContext(parent: pulumi.Resource): AwsContext {
  return {
    accountId: aws.getCallerIdentityOutput({}, { parent }).accountId,
    region: aws.getRegionOutput({}, { parent }).region,
    partition: aws.getPartitionOutput({}, { parent }).partition,
  };
}

/** A reference to a Kinesis stream: an `aws.kinesis.Stream` fits, and so does a stream made elsewhere. */
export interface StreamRef {
  name: pulumi.Input<string>;
  arn: pulumi.Input<string>;
}

/** A reference to an S3 bucket by physical name and ARN: a `HardenedBucket` fits. */
export interface BucketRef {
  name: pulumi.Input<string>;
  arn: pulumi.Input<string>;
}

/**
 * Turns a Pulumi name into one AWS IoT accepts for rules (`[a-zA-Z0-9_]+`, at most 128 characters): every other
 * character becomes `_`. Distinct Pulumi names can map to the same result (`a-b`, `a.b`); users who need both
 * pass explicit names.
 */
export function iotRuleSafeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 128);
}

/** Node.js Lambda runtimes a function can still be created on (nodejs20.x creation is blocked since 2026-08-31). */
export const LAMBDA_NODE_RUNTIMES = ["nodejs22.x", "nodejs24.x"] as const;
export type LambdaNodeRuntime = (typeof LAMBDA_NODE_RUNTIMES)[number];

/** A component's arguments are invalid: every problem found, each naming its field and what to pass instead. */
export class ComponentArgsError extends Error {
  constructor(
    readonly component: string,
    readonly problems: string[],
  ) {
    super(
      problems.length === 1
        ? `${component}: ${problems[0]}`
        : `${component}: ${problems.length} problems with its arguments:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "ComponentArgsError";
  }
}

/**
 * Collects what is wrong with a component's arguments, so that its one resolve step (`resolve<Component>Args`)
 * reports every problem in one error instead of the first one it met.
 */
export class ArgsCheck {
  private readonly problems: string[] = [];

  /** `where` names the instance: `AlertNotifier 'alerts'`. */
  constructor(readonly where: string) {}

  /** Records `problem`. */
  add(problem: string): void {
    this.problems.push(problem);
  }

  /** Records `problem` unless `ok`; returns `ok`. */
  expect(ok: boolean, problem: string): boolean {
    if (!ok) this.add(problem);
    return ok;
  }

  /** `value`, recording a problem naming `field` unless it is an integer in [min, max]. */
  intRange(field: string, value: number, min: number, max: number): number {
    this.expect(Number.isInteger(value) && value >= min && value <= max, `${field} must be an integer from ${min} to ${max} (got ${value})`);
    return value;
  }

  /** `runtime`, recording a problem unless it is one of LAMBDA_NODE_RUNTIMES. */
  lambdaRuntime(runtime: string): LambdaNodeRuntime {
    this.expect(
      (LAMBDA_NODE_RUNTIMES as readonly string[]).includes(runtime),
      `runtime '${runtime}' must be ${LAMBDA_NODE_RUNTIMES.join(" or ")} (nodejs20.x can no longer be created)`,
    );
    return runtime as LambdaNodeRuntime;
  }

  /** What `check` returns; a check shared with other code that throws has its message recorded instead. */
  attempt<T>(check: () => T): T | undefined {
    try {
      return check();
    } catch (error) {
      this.add(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  }

  /** Throws one ComponentArgsError listing every problem recorded, if there is any. */
  done(): void {
    if (this.problems.length > 0) throw new ComponentArgsError(this.where, this.problems);
  }
}

/** Serialises a policy document whose ARNs are Outputs into the JSON string IAM, KMS and IoT expect. */
export function policyJson(document: pulumi.Input<object>): pulumi.Output<string> {
  return pulumi.output(document).apply((doc) => JSON.stringify(doc));
}

/**
 * The trust policy that lets one AWS service assume a role, limited by `condition` where the service supports the
 * confused-deputy guard (aws:SourceAccount / aws:SourceArn, or Firehose's sts:ExternalId).
 */
export function serviceTrustPolicy(service: string, condition?: pulumi.Input<Record<string, unknown>>): pulumi.Output<string> {
  return policyJson({
    Version: POLICY_VERSION,
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole", ...(condition && { Condition: condition }) }],
  });
}

/** The standard IAM policy document header. */
export const POLICY_VERSION = "2012-10-17";
