/**
 * The platform's security rules as plain functions over `(type, inputs)`, so the same code checks a real
 * `pulumi preview` (through the CrossGuard pack in policy/index.ts) and the offline plan's records (plan/ and
 * the tests). This module never constructs a `PolicyPack`: doing so starts the analyzer server.
 *
 * Per-resource rules look at one resource; stack rules join resources that only make sense together (a bucket
 * and its encryption configuration, public access block, bucket policy and Object Lock configuration).
 */
import type { Policies, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";

/** A resource as the plan records it (and as CrossGuard shows it: `props` are the inputs). */
export interface PlannedResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  /** Logical name of the parent component, if any. */
  parent?: string;
}

/** What the rules need to know about the stack they judge. */
export interface PolicyContext {
  /** prod requires COMPLIANCE-mode Object Lock on report buckets; other environments accept GOVERNANCE. */
  environment: "dev" | "staging" | "prod";
}

export interface Violation {
  rule: string;
  type: string;
  name: string;
  message: string;
}

export interface ResourceRule {
  name: string;
  description: string;
  /** Problems with one resource (empty when compliant or when the rule does not apply to its type). */
  check(resource: PlannedResource, context: PolicyContext): string[];
}

export interface StackRule {
  name: string;
  description: string;
  check(resources: PlannedResource[], context: PolicyContext): { resource: PlannedResource; message: string }[];
}

export const TYPES = {
  bucket: "aws:s3/bucket:Bucket",
  bucketV2: "aws:s3/bucketV2:BucketV2",
  bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  bucketEncryptionV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  bucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  bucketObjectLock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  bucketObjectLockV2: "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
  kinesisStream: "aws:kinesis/stream:Stream",
  firehose: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
  snsTopic: "aws:sns/topic:Topic",
  snsTopicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  sqsQueue: "aws:sqs/queue:Queue",
  sqsQueuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  kmsKey: "aws:kms/key:Key",
  iamRole: "aws:iam/role:Role",
  iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
  iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
  iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  iamRolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  iotPolicy: "aws:iot/policy:Policy",
  athenaWorkgroup: "aws:athena/workgroup:Workgroup",
  lambdaPermission: "aws:lambda/permission:Permission",
  dynamodbTable: "aws:dynamodb/table:Table",
} as const;

const BUCKET_TYPES: string[] = [TYPES.bucket, TYPES.bucketV2];

// ---------------------------------------------------------------------------------------------------------
// Policy documents

/** A policy statement with Action/Resource normalized to arrays. */
export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string[];
  NotAction: string[];
  Resource: string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Identity policies say what a principal may do; resource policies say who may use a resource. */
type DocumentKind = "identity" | "resource" | "trust" | "iot";

interface PolicyDocument {
  /** Where the document sits, for messages: `policy`, `inlinePolicies[0] (name)`. */
  where: string;
  kind: DocumentKind;
  statements: Statement[];
}

const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Parses a policy (JSON string or object); undefined when absent or not yet known (preview of an unknown). */
export function parseStatements(policy: unknown): Statement[] | undefined {
  if (policy === undefined || policy === null || policy === "") return undefined;
  let doc: any = policy;
  if (typeof policy === "string") {
    try {
      doc = JSON.parse(policy);
    } catch {
      return undefined;
    }
  }
  if (!doc || typeof doc !== "object") return undefined;
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  return statements.map((s: any) => ({
    ...s,
    Effect: String(s.Effect),
    Action: list(s.Action),
    NotAction: list(s.NotAction),
    Resource: list(s.Resource),
  }));
}

/** Every policy document a resource carries, with its kind. */
export function policyDocuments(resource: PlannedResource): PolicyDocument[] {
  const docs: PolicyDocument[] = [];
  const add = (where: string, kind: DocumentKind, policy: unknown) => {
    const statements = parseStatements(policy);
    if (statements) docs.push({ where, kind, statements });
  };
  const { inputs } = resource;
  switch (resource.type) {
    case TYPES.iamRole:
      add("assumeRolePolicy", "trust", inputs.assumeRolePolicy);
      (inputs.inlinePolicies ?? []).forEach((p: any, i: number) => add(`inlinePolicies[${i}] (${p?.name ?? "unnamed"})`, "identity", p?.policy));
      break;
    case TYPES.iamRolePolicy:
    case TYPES.iamPolicy:
    case TYPES.iamUserPolicy:
    case TYPES.iamGroupPolicy:
      add("policy", "identity", inputs.policy);
      break;
    case TYPES.kmsKey:
    case TYPES.bucketPolicy:
    case TYPES.snsTopicPolicy:
    case TYPES.sqsQueuePolicy:
    case TYPES.snsTopic:
    case TYPES.sqsQueue:
      add("policy", "resource", inputs.policy);
      break;
    case TYPES.iotPolicy:
      add("policy", "iot", inputs.policy);
      break;
  }
  return docs;
}

const isWildcardAction = (a: string) => a === "*" || a === "*:*";
const isServiceWildcard = (a: string) => /^[a-z0-9-]+:\*$/i.test(a);

// ---------------------------------------------------------------------------------------------------------
// Per-resource rules

const noWildcardAllow: ResourceRule = {
  name: "no-wildcard-allow",
  description: "No Allow statement grants every action, and identity policies grant no `<service>:*` on every resource",
  check(resource) {
    const problems: string[] = [];
    for (const doc of policyDocuments(resource)) {
      for (const s of doc.statements.filter((st) => st.Effect === "Allow")) {
        const label = `${doc.where}${s.Sid ? ` statement ${s.Sid}` : ""}`;
        if (s.NotAction.length > 0) problems.push(`${label}: Allow with NotAction grants everything else`);
        const everyResource = s.Resource.includes("*");
        if (s.Action.some(isWildcardAction) && (everyResource || doc.kind === "resource" || doc.kind === "iot")) {
          problems.push(`${label}: allows action "*" on ${everyResource ? 'resource "*"' : s.Resource.join(", ")}`);
        }
        // In a resource policy, Resource "*" means the resource itself (a key policy's own key); in an identity
        // policy it means everything in the account.
        if (doc.kind === "identity" && everyResource) {
          const broad = s.Action.filter(isServiceWildcard);
          if (broad.length > 0) problems.push(`${label}: allows ${broad.join(", ")} on resource "*"`);
        }
      }
    }
    return problems;
  },
};

const noBroadManagedPolicies: ResourceRule = {
  name: "no-broad-managed-policies",
  description: "Roles carry no AWS managed administrator, power-user or *FullAccess policy",
  check(resource) {
    if (resource.type !== TYPES.iamRolePolicyAttachment) return [];
    const arn = String(resource.inputs.policyArn ?? "");
    return /:iam::aws:policy\/(.*\/)?(AdministratorAccess|PowerUserAccess|[A-Za-z0-9]*FullAccess[A-Za-z0-9]*)$/.test(arn)
      ? [`attaches the broad managed policy ${arn}`]
      : [];
  },
};

/** A principal that means "anyone". */
function isPublicPrincipal(principal: unknown): boolean {
  if (principal === "*") return true;
  if (principal && typeof principal === "object") {
    return Object.values(principal as Record<string, unknown>).some((v) => list(v).includes("*"));
  }
  return false;
}

const noPublicPrincipal: ResourceRule = {
  name: "no-public-principal",
  description: 'No policy allows Principal "*" without a condition; no Lambda permission for principal "*"',
  check(resource) {
    const problems: string[] = [];
    for (const doc of policyDocuments(resource)) {
      for (const s of doc.statements) {
        if (s.Effect === "Allow" && isPublicPrincipal(s.Principal) && (!s.Condition || Object.keys(s.Condition).length === 0)) {
          problems.push(`${doc.where}${s.Sid ? ` statement ${s.Sid}` : ""}: allows Principal "*" without a condition`);
        }
      }
    }
    if (resource.type === TYPES.lambdaPermission && resource.inputs.principal === "*") {
      problems.push('grants invoke to principal "*"');
    }
    return problems;
  },
};

/** A KMS key reference that is a customer managed key, not an AWS managed `alias/aws/...` key. */
function isCustomerKey(ref: unknown): boolean {
  return typeof ref === "string" && ref.length > 0 && !/alias\/aws\//.test(ref);
}

const encryptionAtRest: ResourceRule = {
  name: "kms-encryption-at-rest",
  description: "Streams, topics, queues, log groups, DynamoDB tables and Firehose destinations are encrypted with a customer managed KMS key",
  check(resource) {
    const i = resource.inputs;
    switch (resource.type) {
      case TYPES.kinesisStream:
        return i.encryptionType === "KMS" && isCustomerKey(i.kmsKeyId) ? [] : ["Kinesis stream must set encryptionType KMS with a customer managed kmsKeyId"];
      case TYPES.snsTopic:
        return isCustomerKey(i.kmsMasterKeyId) ? [] : ["SNS topic must set kmsMasterKeyId to a customer managed key"];
      case TYPES.sqsQueue:
        return isCustomerKey(i.kmsMasterKeyId)
          ? []
          : [`SQS queue must set kmsMasterKeyId to a customer managed key${i.sqsManagedSseEnabled ? " (SQS-managed SSE is not enough)" : ""}`];
      case TYPES.logGroup:
        return isCustomerKey(i.kmsKeyId) ? [] : ["log group must set kmsKeyId to a customer managed key"];
      case TYPES.dynamodbTable:
        return i.serverSideEncryption?.enabled === true && isCustomerKey(i.serverSideEncryption?.kmsKeyArn)
          ? []
          : ["DynamoDB table must enable serverSideEncryption with a customer managed kmsKeyArn"];
      case TYPES.firehose: {
        const s3 = i.extendedS3Configuration;
        if (!s3) return [];
        return isCustomerKey(s3.kmsKeyArn) ? [] : ["Firehose S3 destination must set extendedS3Configuration.kmsKeyArn"];
      }
      default:
        return [];
    }
  },
};

const keyRotation: ResourceRule = {
  name: "kms-key-rotation",
  description: "Customer managed KMS keys rotate",
  check(resource) {
    if (resource.type !== TYPES.kmsKey) return [];
    const symmetric = (resource.inputs.customerMasterKeySpec ?? resource.inputs.keySpec ?? "SYMMETRIC_DEFAULT") === "SYMMETRIC_DEFAULT";
    return symmetric && resource.inputs.enableKeyRotation !== true ? ["KMS key must set enableKeyRotation: true"] : [];
  },
};

const athenaWorkgroup: ResourceRule = {
  name: "athena-workgroup-enforced-encrypted",
  description: "Athena workgroups enforce their configuration and encrypt query results with SSE_KMS and a customer key",
  check(resource) {
    if (resource.type !== TYPES.athenaWorkgroup) return [];
    const c = resource.inputs.configuration ?? {};
    const encryption = c.resultConfiguration?.encryptionConfiguration;
    const problems: string[] = [];
    if (c.enforceWorkgroupConfiguration !== true) problems.push("workgroup must set configuration.enforceWorkgroupConfiguration: true");
    if (encryption?.encryptionOption !== "SSE_KMS" || !isCustomerKey(encryption?.kmsKeyArn)) {
      problems.push("workgroup must encrypt results with encryptionOption SSE_KMS and a customer managed kmsKeyArn");
    }
    if (!(Number(c.bytesScannedCutoffPerQuery) >= 10 * 1024 * 1024)) problems.push("workgroup must set bytesScannedCutoffPerQuery (at least 10 MB)");
    return problems;
  },
};

const THING_NAME = "${iot:Connection.Thing.ThingName}";
const CONFINED_IOT_ACTIONS = ["iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive", "iot:RetainPublish"];

/**
 * The fleet provisioning MQTT API (`$aws/certificates/create[-from-csr]/<format>[/accepted|/rejected]`,
 * `$aws/provisioning-templates/<template>/provision/<format>[/…]`): the only topics a claim certificate may use.
 */
const PROVISIONING_TOPIC = /:topic(?:filter)?\/\$aws\/(?:certificates\/create(?:-from-csr)?|provisioning-templates\/[0-9A-Za-z_-]+\/provision)\/(?:json|cbor)(?:\/(?:accepted|rejected))?$/;

/**
 * A claim certificate's policy: it connects before any thing exists (so its client id cannot be the thing name)
 * and may publish, subscribe and receive on the provisioning API's exact topics only, nothing else.
 */
function isClaimPolicy(statements: Statement[]): boolean {
  const allowed = statements.filter((s) => s.Effect === "Allow");
  const topics = allowed.filter((s) => !s.Action.every((a) => a === "iot:Connect"));
  return (
    topics.length > 0 &&
    topics.every((s) => s.Action.every((a) => ["iot:Publish", "iot:Subscribe", "iot:Receive"].includes(a)) && s.Resource.every((r) => PROVISIONING_TOPIC.test(r))) &&
    allowed.filter((s) => s.Action.includes("iot:Connect")).every((s) => s.Action.length === 1)
  );
}

const iotDeviceConfinement: ResourceRule = {
  name: "iot-device-policy-confined",
  description: "IoT policies confine each device to its own client id and topics with the thing-name policy variable (a claim certificate's policy to the fleet provisioning topics); no wildcard grants",
  check(resource) {
    if (resource.type !== TYPES.iotPolicy) return [];
    const problems: string[] = [];
    for (const doc of policyDocuments(resource)) {
      if (isClaimPolicy(doc.statements)) continue;
      for (const s of doc.statements.filter((st) => st.Effect === "Allow")) {
        const label = s.Sid ? `statement ${s.Sid}` : "statement";
        const wildcard = s.Action.filter((a) => a === "*" || a === "iot:*");
        if (wildcard.length > 0) problems.push(`${label}: allows ${wildcard.join(", ")}`);
        if (!s.Action.some((a) => CONFINED_IOT_ACTIONS.includes(a) || a === "iot:*" || a === "*")) continue;
        for (const r of s.Resource) {
          if (!r.includes(THING_NAME)) problems.push(`${label}: resource ${r} is not confined by ${THING_NAME}`);
          else if (r.slice(r.indexOf(THING_NAME) + THING_NAME.length).includes("*")) {
            problems.push(`${label}: resource ${r} has a wildcard after the thing name (a device could use other topics)`);
          }
        }
        if (s.Action.includes("iot:Connect")) {
          const attached = s.Condition?.Bool?.["iot:Connection.Thing.IsAttached"];
          if (!list(attached).includes("true")) problems.push(`${label}: iot:Connect must require iot:Connection.Thing.IsAttached = true`);
        }
      }
    }
    return problems;
  },
};

export const RESOURCE_RULES: ResourceRule[] = [
  noWildcardAllow,
  noBroadManagedPolicies,
  noPublicPrincipal,
  encryptionAtRest,
  keyRotation,
  athenaWorkgroup,
  iotDeviceConfinement,
];

// ---------------------------------------------------------------------------------------------------------
// Stack rules: buckets and their configuration resources

/** The physical name sub-resources use to point at a bucket (autonamed buckets: the mock's logical name). */
function bucketKey(bucket: PlannedResource): string {
  return String(bucket.inputs.bucket ?? bucket.name);
}

interface BucketView {
  bucket: PlannedResource;
  encryption: PlannedResource[];
  publicAccessBlocks: PlannedResource[];
  policies: PlannedResource[];
  objectLock: PlannedResource[];
}

/** Each bucket with the configuration resources that name it. */
export function bucketViews(resources: PlannedResource[]): BucketView[] {
  const of = (types: string[], key: string) => resources.filter((r) => types.includes(r.type) && String(r.inputs.bucket) === key);
  return resources
    .filter((r) => BUCKET_TYPES.includes(r.type))
    .map((bucket) => {
      const key = bucketKey(bucket);
      return {
        bucket,
        encryption: of([TYPES.bucketEncryption, TYPES.bucketEncryptionV2], key),
        publicAccessBlocks: of([TYPES.bucketPublicAccessBlock], key),
        policies: of([TYPES.bucketPolicy], key),
        objectLock: of([TYPES.bucketObjectLock, TYPES.bucketObjectLockV2], key),
      };
    });
}

const bucketEncryption: StackRule = {
  name: "bucket-sse-kms",
  description: "Every bucket has default encryption SSE-KMS with a customer managed key",
  check(resources) {
    return bucketViews(resources).flatMap((view) => {
      const rules = [
        ...view.encryption.flatMap((e) => e.inputs.rules ?? []),
        ...(view.bucket.inputs.serverSideEncryptionConfiguration?.rule ? [view.bucket.inputs.serverSideEncryptionConfiguration.rule] : []),
      ];
      const kms = rules.some((r: any) => {
        const d = r?.applyServerSideEncryptionByDefault;
        return (d?.sseAlgorithm === "aws:kms" || d?.sseAlgorithm === "aws:kms:dsse") && isCustomerKey(d?.kmsMasterKeyId);
      });
      return kms ? [] : [{ resource: view.bucket, message: "bucket has no SSE-KMS default encryption with a customer managed key" }];
    });
  },
};

const bucketPublicAccess: StackRule = {
  name: "bucket-public-access-blocked",
  description: "Every bucket has a public access block with all four settings true",
  check(resources) {
    const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
    return bucketViews(resources).flatMap((view) => {
      const complete = view.publicAccessBlocks.some((pab) => flags.every((f) => pab.inputs[f] === true));
      if (complete) return [];
      const missing = view.publicAccessBlocks.length === 0 ? "no public access block" : `public access block without all of ${flags.join(", ")}`;
      return [{ resource: view.bucket, message: `bucket has ${missing}` }];
    });
  },
};

/** True when a statement denies requests that do not use TLS. */
function deniesInsecureTransport(s: Statement): boolean {
  const secure = s.Condition?.Bool?.["aws:SecureTransport"];
  return s.Effect === "Deny" && isPublicPrincipal(s.Principal) && list(secure).includes("false") && s.Action.some((a) => a === "s3:*" || a === "*");
}

const bucketTlsOnly: StackRule = {
  name: "bucket-tls-only",
  description: "Every bucket's policy denies requests with aws:SecureTransport = false",
  check(resources) {
    return bucketViews(resources).flatMap((view) => {
      const ok = view.policies.some((p) => (parseStatements(p.inputs.policy) ?? []).some(deniesInsecureTransport));
      return ok ? [] : [{ resource: view.bucket, message: "bucket policy does not deny non-TLS requests (aws:SecureTransport = false)" }];
    });
  },
};

/** Report buckets hold compliance records; recognized by name or a `purpose: reports` tag. */
export function isReportsBucket(bucket: PlannedResource): boolean {
  const tags = bucket.inputs.tags ?? {};
  return /report/i.test(bucket.name) || /report/i.test(String(bucket.inputs.bucket ?? "")) || /report/i.test(String(tags.purpose ?? ""));
}

const reportsObjectLock: StackRule = {
  name: "reports-object-lock",
  description: "Report buckets have Object Lock with a default retention (COMPLIANCE mode in prod)",
  check(resources, context) {
    return bucketViews(resources)
      .filter((view) => isReportsBucket(view.bucket))
      .flatMap((view) => {
        if (view.bucket.inputs.objectLockEnabled !== true) return [{ resource: view.bucket, message: "report bucket must be created with objectLockEnabled: true" }];
        const retention = view.objectLock.map((o) => o.inputs.rule?.defaultRetention).find((r) => r && (r.days || r.years));
        if (!retention) return [{ resource: view.bucket, message: "report bucket has no Object Lock default retention" }];
        if (context.environment === "prod" && retention.mode !== "COMPLIANCE") {
          return [{ resource: view.bucket, message: `report bucket Object Lock mode is ${retention.mode}; prod requires COMPLIANCE` }];
        }
        return [];
      });
  },
};

export const STACK_RULES: StackRule[] = [bucketEncryption, bucketPublicAccess, bucketTlsOnly, reportsObjectLock];

// ---------------------------------------------------------------------------------------------------------
// Running the rules

/** Every per-resource violation of one resource. */
export function validateResource(resource: PlannedResource, context: PolicyContext): Violation[] {
  return RESOURCE_RULES.flatMap((rule) =>
    rule.check(resource, context).map((message) => ({ rule: rule.name, type: resource.type, name: resource.name, message })),
  );
}

/** Every violation in a stack: the per-resource rules on each resource, then the stack rules. */
export function validateStack(resources: PlannedResource[], context: PolicyContext): Violation[] {
  return [
    ...resources.flatMap((r) => validateResource(r, context)),
    ...STACK_RULES.flatMap((rule) =>
      rule.check(resources, context).map(({ resource, message }) => ({ rule: rule.name, type: resource.type, name: resource.name, message })),
    ),
  ];
}

/** The policy context from the pack's config (`environment`), strictest when not configured. */
function contextFrom(config: Record<string, unknown> | undefined): PolicyContext {
  const environment = config?.environment;
  return { environment: environment === "dev" || environment === "staging" ? environment : "prod" };
}

/** The rules as CrossGuard policies (mandatory), for policy/index.ts; tests call their validate functions directly. */
export const policies: Policies = [
  ...RESOURCE_RULES.map((rule) => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory" as const,
    configSchema: { properties: { environment: { type: "string" as const, enum: ["dev", "staging", "prod"] } } },
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
      const resource = { type: args.type, name: args.name, inputs: args.props };
      for (const message of rule.check(resource, contextFrom(args.getConfig<Record<string, unknown>>()))) reportViolation(message);
    },
  })),
  ...STACK_RULES.map((rule) => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory" as const,
    configSchema: { properties: { environment: { type: "string" as const, enum: ["dev", "staging", "prod"] } } },
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
      const resources = args.resources.map((r) => ({ type: r.type, name: r.name, inputs: r.props, parent: r.parent?.name }));
      for (const { resource, message } of rule.check(resources, contextFrom(args.getConfig<Record<string, unknown>>()))) {
        const urn = args.resources.find((r) => r.type === resource.type && r.name === resource.name)?.urn;
        reportViolation(message, urn);
      }
    },
  })),
];
