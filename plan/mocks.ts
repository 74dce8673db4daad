/**
 * Pulumi mocks shared by the offline plan and the unit tests (tests/pulumi/harness.ts re-exports this module):
 * installs `pulumi.runtime.setMocks` (the official way to run a program without a cloud), records every resource
 * the code registers with its fully resolved inputs and its parent, and answers the invokes the AWS provider
 * makes so nothing waits forever.
 *
 * Call `installMocks()` before importing the program or a component module (jest gives each test file its own
 * module registry, so each file gets a fresh recording).
 */
import * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT = "123456789012";
export const MOCK_REGION = "eu-west-1";
export const MOCK_PARTITION = "aws";

export interface RecordedResource {
  type: string;
  name: string;
  /** Logical name of the parent resource (a component), if any. */
  parent?: string;
  custom: boolean;
  /** True when the resource is protected from deletion (its own `protect` option or inherited from its parent). */
  protect: boolean;
  /** Inputs exactly as the engine would receive them: Outputs resolved, unknowns as undefined. */
  inputs: Record<string, any>;
  /** What the mock returned as the resource's state (inputs plus synthesized ids and ARNs). */
  state: Record<string, any>;
}

/** A plausible ARN for a mocked resource, so wiring tests can check that policies name the right resource. */
export function mockArn(type: string, name: string, region: string = MOCK_REGION): string {
  const r = region;
  const a = MOCK_ACCOUNT;
  switch (type) {
    case "aws:kinesis/stream:Stream": return `arn:aws:kinesis:${r}:${a}:stream/${name}`;
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2": return `arn:aws:s3:::${name}`;
    case "aws:kms/key:Key": return `arn:aws:kms:${r}:${a}:key/${name}-key-id`;
    case "aws:kms/alias:Alias": return `arn:aws:kms:${r}:${a}:${name}`;
    case "aws:iam/role:Role": return `arn:aws:iam::${a}:role/${name}`;
    case "aws:iam/policy:Policy": return `arn:aws:iam::${a}:policy/${name}`;
    case "aws:sns/topic:Topic": return `arn:aws:sns:${r}:${a}:${name}`;
    case "aws:sqs/queue:Queue": return `arn:aws:sqs:${r}:${a}:${name}`;
    case "aws:lambda/function:Function": return `arn:aws:lambda:${r}:${a}:function:${name}`;
    case "aws:cloudwatch/logGroup:LogGroup": return `arn:aws:logs:${r}:${a}:log-group:${name}`;
    case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": return `arn:aws:firehose:${r}:${a}:deliverystream/${name}`;
    case "aws:kinesisanalyticsv2/application:Application": return `arn:aws:kinesisanalytics:${r}:${a}:application/${name}`;
    case "aws:iot/topicRule:TopicRule": return `arn:aws:iot:${r}:${a}:rule/${name}`;
    case "aws:iot/policy:Policy": return `arn:aws:iot:${r}:${a}:policy/${name}`;
    case "aws:glue/catalogDatabase:CatalogDatabase": return `arn:aws:glue:${r}:${a}:database/${name}`;
    case "aws:athena/workgroup:Workgroup": return `arn:aws:athena:${r}:${a}:workgroup/${name}`;
    case "aws:scheduler/schedule:Schedule": return `arn:aws:scheduler:${r}:${a}:schedule/default/${name}`;
    default: return `arn:aws:mock:${r}:${a}:${type.replace(/[^A-Za-z0-9]/g, "-")}/${name}`;
  }
}

/** Physical names and computed attributes a real provider would return for the types this project uses. */
function synthesizedState(type: string, name: string, inputs: Record<string, any>, region: string): Record<string, any> {
  const physicalName = inputs.name ?? inputs.bucket ?? name;
  const state: Record<string, any> = { ...inputs, arn: inputs.arn ?? mockArn(type, physicalName, region), name: physicalName };
  switch (type) {
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2":
      state.bucket = physicalName;
      state.bucketRegionalDomainName = `${physicalName}.s3.${region}.amazonaws.com`;
      break;
    case "aws:kms/key:Key":
      state.keyId = `${name}-key-id`;
      break;
    case "aws:sqs/queue:Queue":
      state.url = `https://sqs.${region}.amazonaws.com/${MOCK_ACCOUNT}/${physicalName}`;
      break;
    case "aws:glue/catalogTable:CatalogTable":
      state.arn = `arn:aws:glue:${region}:${MOCK_ACCOUNT}:table/${inputs.databaseName}/${physicalName}`;
      break;
    case "aws:iot/thingType:ThingType":
    case "aws:iot/thingGroup:ThingGroup":
      state.arn = mockArn(type, physicalName, region);
      break;
  }
  return state;
}

export interface MockOptions {
  project?: string;
  stack?: string;
  /** Stack configuration, keys fully qualified (`iotpipe:retentionHours`, `aws:region`); `aws:region` sets the mock region. */
  config?: Record<string, string>;
  /** The stack's outputs from its last deployment, as the program's self-StackReference reads them; default none. */
  deployedOutputs?: Record<string, unknown>;
}

const STACK_REFERENCE = "pulumi:pulumi:StackReference";

/** Installs the mocks and returns the live list of recorded resources. */
export function installMocks(options: MockOptions = {}): RecordedResource[] {
  const recorded: RecordedResource[] = [];
  let currentParent: string | undefined;
  let currentProtect = false;
  const project = options.project ?? "iotpipe";
  const config = { "aws:region": MOCK_REGION, ...(options.config ?? {}) };
  const region = config["aws:region"];
  pulumi.runtime.setAllConfig(config);
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        // A read of stack outputs, not a cloud resource: answered, not recorded.
        if (args.type === STACK_REFERENCE) return { id: args.name, state: { name: args.name, outputs: options.deployedOutputs ?? {} } };
        const state = args.custom === false ? { ...args.inputs } : synthesizedState(args.type, args.name, args.inputs, region);
        recorded.push({
          type: args.type,
          name: args.name,
          parent: currentParent,
          custom: args.custom !== false,
          protect: currentProtect,
          inputs: args.inputs,
          state,
        });
        return { id: args.custom === false ? undefined : `${args.name}-id`, state };
      },
      call(args) {
        switch (args.token) {
          case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/test`, userId: "AIDTEST" };
          case "aws:index/getRegion:getRegion":
            return { name: region, region, id: region };
          case "aws:index/getPartition:getPartition":
            return { partition: MOCK_PARTITION, dnsSuffix: "amazonaws.com" };
          case "aws:iam/getPolicyDocument:getPolicyDocument":
            return { json: JSON.stringify({ Version: "2012-10-17", Statement: args.inputs.statements ?? [] }) };
          default:
            return args.inputs;
        }
      },
    },
    project,
    options.stack ?? "test",
    false,
    "organization", // what a self-managed backend calls every stack's organization
  );
  // The mocks API does not pass the parent; the mock monitor's request has it. newResource runs synchronously
  // inside registerResource, so the parent captured here belongs to the resource being recorded.
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: any) => {
    const parentUrn: string = req.getParent();
    currentParent = parentUrn ? parentUrn.split("::").pop() : undefined;
    currentProtect = req.getProtect() === true;
    return register(req, callback);
  };
  return recorded;
}

/** Resolves an Output in a test. */
export function resolve<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((done) => pulumi.output(output).apply((v) => done(v as T)));
}

/** Waits until resource registration has gone quiet (every pending newResource has been answered). */
export async function settle(recorded: RecordedResource[]): Promise<void> {
  let stableRounds = 0;
  let last = -1;
  while (stableRounds < 5) {
    await new Promise((r) => setTimeout(r, 10));
    stableRounds = recorded.length === last ? stableRounds + 1 : 0;
    last = recorded.length;
  }
}

/** Resources of one type, optionally only those whose logical name matches. */
export function ofType(recorded: RecordedResource[], type: string, name?: string | RegExp): RecordedResource[] {
  return recorded.filter(
    (r) => r.type === type && (name === undefined || (typeof name === "string" ? r.name === name : name.test(r.name))),
  );
}

/** Exactly one resource of a type (and name); fails with the names found otherwise. */
export function oneOf(recorded: RecordedResource[], type: string, name?: string | RegExp): RecordedResource {
  const found = ofType(recorded, type, name);
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
  }
  return found[0];
}

/** An IAM policy statement in normalized form (arrays everywhere) for assertions. */
export interface PolicyStatement {
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, any>;
  Principal?: any;
  Sid?: string;
}

/** Parses a policy document (string or object) into normalized statements. */
export function statementsOf(policy: string | { Statement: any[] }): PolicyStatement[] {
  const doc = typeof policy === "string" ? JSON.parse(policy) : policy;
  const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return doc.Statement.map((s: any) => ({ ...s, Action: list(s.Action), Resource: list(s.Resource) }));
}
