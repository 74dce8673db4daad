import type { ResourceValidation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { policies, RESOURCE_RULES, STACK_RULES, TYPES, validateResource, validateStack, type PlannedResource, type PolicyContext } from "../../policy/rules";

const prod: PolicyContext = { environment: "prod" };
const dev: PolicyContext = { environment: "dev" };
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k-1";
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const res = (type: string, inputs: Record<string, any>, name = "r"): PlannedResource => ({ type, name, inputs });
const rulesHit = (r: PlannedResource, ctx = prod) => validateResource(r, ctx).map((v) => v.rule);

/** A bucket with everything the stack rules require. */
function hardenedBucket(name: string, opts: { lock?: "COMPLIANCE" | "GOVERNANCE" } = {}): PlannedResource[] {
  const arn = `arn:aws:s3:::${name}`;
  return [
    res(TYPES.bucket, { objectLockEnabled: opts.lock !== undefined }, name),
    res(TYPES.bucketEncryption, { bucket: name, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY } }] }, `${name}-enc`),
    res(TYPES.bucketPublicAccessBlock, { bucket: name, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, `${name}-pab`),
    res(TYPES.bucketPolicy, {
      bucket: name,
      policy: doc({ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    }, `${name}-policy`),
    ...(opts.lock ? [res(TYPES.bucketObjectLock, { bucket: name, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: opts.lock, days: 2557 } } }, `${name}-lock`)] : []),
  ];
}

describe("no-wildcard-allow", () => {
  it('catches "*" on "*" in an inline role policy, a managed policy and a key policy', () => {
    const star = doc({ Effect: "Allow", Action: "*", Resource: "*" });
    expect(rulesHit(res(TYPES.iamRole, { assumeRolePolicy: doc(), inlinePolicies: [{ name: "all", policy: star }] }))).toContain("no-wildcard-allow");
    expect(rulesHit(res(TYPES.iamPolicy, { policy: star }))).toContain("no-wildcard-allow");
    expect(rulesHit(res(TYPES.iamRolePolicy, { policy: doc({ Effect: "Allow", Action: ["kinesis:*"], Resource: ["*"] }) }))).toContain("no-wildcard-allow");
    expect(rulesHit(res(TYPES.kmsKey, { enableKeyRotation: true, policy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "*", Resource: "*" }) }))).toContain("no-wildcard-allow");
    expect(rulesHit(res(TYPES.iamPolicy, { policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) }))).toContain("no-wildcard-allow");
  });

  it("passes scoped grants, Deny statements and the standard account-root key policy", () => {
    const scoped = doc(
      { Effect: "Allow", Action: ["kinesis:PutRecord", "kinesis:PutRecords"], Resource: "arn:aws:kinesis:eu-west-1:1:stream/raw" },
      { Effect: "Deny", Action: "*", Resource: "*" },
    );
    expect(validateResource(res(TYPES.iamRolePolicy, { policy: scoped }), prod)).toEqual([]);
    const keyPolicy = doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "kms:*", Resource: "*" });
    expect(validateResource(res(TYPES.kmsKey, { enableKeyRotation: true, policy: keyPolicy }), prod)).toEqual([]);
  });
});

describe("no-broad-managed-policies", () => {
  it("catches AdministratorAccess and *FullAccess, passes a narrow managed policy", () => {
    expect(rulesHit(res(TYPES.iamRolePolicyAttachment, { policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }))).toContain("no-broad-managed-policies");
    expect(rulesHit(res(TYPES.iamRolePolicyAttachment, { policyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" }))).toContain("no-broad-managed-policies");
    expect(validateResource(res(TYPES.iamRolePolicyAttachment, { policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" }), prod)).toEqual([]);
  });
});

describe("no-public-principal", () => {
  it('catches Principal "*" Allow without a condition (bucket, topic, trust policy) and public Lambda permissions', () => {
    const open = doc({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" });
    expect(rulesHit(res(TYPES.bucketPolicy, { bucket: "b", policy: open }))).toContain("no-public-principal");
    expect(rulesHit(res(TYPES.snsTopicPolicy, { arn: "t", policy: doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "sns:Publish", Resource: "t" }) }))).toContain("no-public-principal");
    expect(rulesHit(res(TYPES.iamRole, { assumeRolePolicy: doc({ Effect: "Allow", Principal: { AWS: ["*"] }, Action: "sts:AssumeRole" }) }))).toContain("no-public-principal");
    expect(rulesHit(res(TYPES.lambdaPermission, { principal: "*", action: "lambda:InvokeFunction" }))).toContain("no-public-principal");
  });

  it("passes a conditioned service grant", () => {
    const conditioned = doc({
      Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" }, Action: "sns:Publish", Resource: "t",
      Condition: { StringEquals: { "aws:SourceAccount": "1" } },
    });
    expect(validateResource(res(TYPES.snsTopicPolicy, { arn: "t", policy: conditioned }), prod)).toEqual([]);
    expect(validateResource(res(TYPES.lambdaPermission, { principal: "scheduler.amazonaws.com" }), prod)).toEqual([]);
  });
});

describe("kms-encryption-at-rest", () => {
  it.each([
    [TYPES.kinesisStream, { encryptionType: "NONE" }],
    [TYPES.kinesisStream, { encryptionType: "KMS", kmsKeyId: "alias/aws/kinesis" }],
    [TYPES.snsTopic, {}],
    [TYPES.sqsQueue, { sqsManagedSseEnabled: true }],
    [TYPES.logGroup, { retentionInDays: 30 }],
    [TYPES.firehose, { extendedS3Configuration: { bucketArn: "arn:aws:s3:::lake" } }],
  ])("catches %s %j", (type, inputs) => {
    expect(rulesHit(res(type, inputs))).toContain("kms-encryption-at-rest");
  });

  it.each([
    [TYPES.kinesisStream, { encryptionType: "KMS", kmsKeyId: KEY }],
    [TYPES.snsTopic, { kmsMasterKeyId: KEY }],
    [TYPES.sqsQueue, { kmsMasterKeyId: KEY }],
    [TYPES.logGroup, { kmsKeyId: KEY }],
    [TYPES.firehose, { extendedS3Configuration: { bucketArn: "arn:aws:s3:::lake", kmsKeyArn: KEY } }],
  ])("passes %s %j", (type, inputs) => {
    expect(validateResource(res(type, inputs), prod)).toEqual([]);
  });
});

describe("kms-key-rotation", () => {
  it("catches a symmetric key without rotation; asymmetric keys cannot rotate and pass", () => {
    expect(rulesHit(res(TYPES.kmsKey, {}))).toContain("kms-key-rotation");
    expect(validateResource(res(TYPES.kmsKey, { enableKeyRotation: true }), prod)).toEqual([]);
    expect(validateResource(res(TYPES.kmsKey, { customerMasterKeySpec: "RSA_2048" }), prod)).toEqual([]);
  });
});

describe("athena-workgroup-enforced-encrypted", () => {
  const good = {
    configuration: {
      enforceWorkgroupConfiguration: true,
      bytesScannedCutoffPerQuery: 1024 * 1024 * 1024,
      resultConfiguration: { encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: KEY } },
    },
  };
  it("passes an enforced, encrypted, capped workgroup", () => {
    expect(validateResource(res(TYPES.athenaWorkgroup, good), prod)).toEqual([]);
  });
  it.each([
    ["not enforced", { ...good.configuration, enforceWorkgroupConfiguration: false }],
    ["SSE_S3 results", { ...good.configuration, resultConfiguration: { encryptionConfiguration: { encryptionOption: "SSE_S3" } } }],
    ["no cutoff", { ...good.configuration, bytesScannedCutoffPerQuery: undefined }],
  ])("catches %s", (_label, configuration) => {
    expect(rulesHit(res(TYPES.athenaWorkgroup, { configuration }))).toContain("athena-workgroup-enforced-encrypted");
  });
});

describe("iot-device-policy-confined", () => {
  const T = "${iot:Connection.Thing.ThingName}";
  const connect = {
    Effect: "Allow", Action: "iot:Connect", Resource: `arn:aws:iot:eu-west-1:1:client/${T}`,
    Condition: { Bool: { "iot:Connection.Thing.IsAttached": "true" } },
  };
  const publish = { Effect: "Allow", Action: "iot:Publish", Resource: `arn:aws:iot:eu-west-1:1:topic/$aws/rules/ingest/telemetry/plant-a/line-1/${T}` };
  it("passes a policy confined by the thing name", () => {
    expect(validateResource(res(TYPES.iotPolicy, { policy: doc(connect, publish) }), prod)).toEqual([]);
  });
  it.each([
    ["a publish without the variable", [connect, { ...publish, Resource: "arn:aws:iot:eu-west-1:1:topic/telemetry/*" }]],
    ["a wildcard after the thing name", [connect, { ...publish, Resource: `${publish.Resource}/*` }]],
    ["iot:*", [connect, { Effect: "Allow", Action: "iot:*", Resource: `arn:aws:iot:eu-west-1:1:client/${T}` }]],
    ["connect without IsAttached", [{ ...connect, Condition: undefined }, publish]],
    ["connect for any client", [{ ...connect, Resource: "arn:aws:iot:eu-west-1:1:client/*" }, publish]],
  ])("catches %s", (_label, statements) => {
    expect(rulesHit(res(TYPES.iotPolicy, { policy: doc(...statements) }))).toContain("iot-device-policy-confined");
  });
});

describe("stack rules over buckets", () => {
  it("pass a hardened bucket and a COMPLIANCE-locked reports bucket in prod", () => {
    expect(validateStack([...hardenedBucket("lake"), ...hardenedBucket("reports", { lock: "COMPLIANCE" })], prod)).toEqual([]);
  });

  it.each([
    ["bucket-sse-kms", (rs: PlannedResource[]) => rs.filter((r) => r.type !== TYPES.bucketEncryption)],
    ["bucket-sse-kms", (rs: PlannedResource[]) => rs.map((r) => (r.type === TYPES.bucketEncryption ? res(r.type, { bucket: "lake", rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }) : r))],
    ["bucket-public-access-blocked", (rs: PlannedResource[]) => rs.filter((r) => r.type !== TYPES.bucketPublicAccessBlock)],
    ["bucket-public-access-blocked", (rs: PlannedResource[]) => rs.map((r) => (r.type === TYPES.bucketPublicAccessBlock ? res(r.type, { ...r.inputs, restrictPublicBuckets: false }) : r))],
    ["bucket-tls-only", (rs: PlannedResource[]) => rs.filter((r) => r.type !== TYPES.bucketPolicy)],
    ["bucket-tls-only", (rs: PlannedResource[]) => rs.map((r) => (r.type === TYPES.bucketPolicy ? res(r.type, { bucket: "lake", policy: doc({ Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Resource: "*" }) }) : r))],
  ])("%s catches a bucket missing its configuration", (rule, mutate) => {
    const violations = validateStack(mutate(hardenedBucket("lake")), prod);
    expect(violations.map((v) => v.rule)).toContain(rule);
    expect(violations.find((v) => v.rule === rule)?.name).toBe("lake");
  });

  it("does not let one bucket's configuration cover another bucket", () => {
    const other = hardenedBucket("lake").filter((r) => r.type !== TYPES.bucket);
    const violations = validateStack([res(TYPES.bucket, {}, "results"), ...other], prod);
    expect(violations.map((v) => v.rule).sort()).toEqual(["bucket-public-access-blocked", "bucket-sse-kms", "bucket-tls-only"]);
  });

  it("reports buckets need Object Lock, and COMPLIANCE mode in prod", () => {
    const unlocked = hardenedBucket("reports");
    expect(validateStack(unlocked, dev).map((v) => v.message)).toEqual(["report bucket must be created with objectLockEnabled: true"]);
    const noRetention = hardenedBucket("reports", { lock: "COMPLIANCE" }).filter((r) => r.type !== TYPES.bucketObjectLock);
    expect(validateStack(noRetention, prod).map((v) => v.rule)).toEqual(["reports-object-lock"]);
    const governance = hardenedBucket("reports", { lock: "GOVERNANCE" });
    expect(validateStack(governance, prod).map((v) => v.message)).toEqual(["report bucket Object Lock mode is GOVERNANCE; prod requires COMPLIANCE"]);
    expect(validateStack(governance, dev)).toEqual([]);
  });

  it("recognizes a reports bucket by its purpose tag", () => {
    const tagged = hardenedBucket("archive").map((r) => (r.type === TYPES.bucket ? res(r.type, { tags: { purpose: "compliance-reports" } }, "archive") : r));
    expect(validateStack(tagged, dev).map((v) => v.rule)).toEqual(["reports-object-lock"]);
  });
});

describe("the CrossGuard policies wrap the same rules", () => {
  const byName = (name: string) => policies.find((p) => p.name === name)!;

  it("one mandatory policy per rule", () => {
    expect(policies.map((p) => p.name).sort()).toEqual([...RESOURCE_RULES, ...STACK_RULES].map((r) => r.name).sort());
    expect(policies.every((p) => p.enforcementLevel === "mandatory")).toBe(true);
  });

  it("validateResource reports through CrossGuard's callback", async () => {
    const reported: string[] = [];
    const args = { type: TYPES.kinesisStream, name: "raw", urn: "urn:raw", props: { encryptionType: "NONE" }, getConfig: () => ({}) } as unknown as ResourceValidationArgs;
    const validate = (byName("kms-encryption-at-rest") as ResourceValidationPolicy).validateResource as ResourceValidation;
    await validate(args, (m) => reported.push(m));
    expect(reported).toEqual(["Kinesis stream must set encryptionType KMS with a customer managed kmsKeyId"]);
  });

  it("validateStack reads the environment from the pack config and reports the bucket's urn", async () => {
    const resources = hardenedBucket("reports", { lock: "GOVERNANCE" }).map((r) => ({ type: r.type, name: r.name, urn: `urn:${r.name}`, props: r.inputs }));
    const run = async (config: object) => {
      const reported: [string, string | undefined][] = [];
      const args = { resources, getConfig: () => config } as unknown as StackValidationArgs;
      await (byName("reports-object-lock") as StackValidationPolicy).validateStack(args, (m, urn) => reported.push([m, urn]));
      return reported;
    };
    expect(await run({})).toEqual([["report bucket Object Lock mode is GOVERNANCE; prod requires COMPLIANCE", "urn:reports"]]);
    expect(await run({ environment: "dev" })).toEqual([]);
  });
});
