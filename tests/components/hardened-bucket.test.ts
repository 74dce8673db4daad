/**
 * HardenedBucket under Pulumi mocks. `installMocks()` runs before the component module is loaded with `require`
 * (ES imports would be hoisted above it); the type-only import emits nothing.
 */
import { installMocks, settle, oneOf, ofType, statementsOf, resolve, MOCK_ACCOUNT, MOCK_REGION } from "../pulumi/harness";
import type * as BucketModule from "../../components/hardened-bucket";

const recorded = installMocks();
const { HardenedBucket } = require("../../components/hardened-bucket") as typeof BucketModule;

const KEY = `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/given`;

function childrenOf(parent: string) {
  return recorded.filter((r) => r.parent === parent).map((r) => `${r.type} ${r.name}`).sort();
}

describe("HardenedBucket", () => {
  it("minimal use: own key, SSE-KMS with bucket key, public access blocked, owner enforced, versioned, TLS-only", async () => {
    const b = new HardenedBucket("min");
    expect(await resolve(b.arn)).toBe("arn:aws:s3:::min-bucket");
    await settle(recorded);
    expect(childrenOf("min")).toEqual([
      "aws:s3/bucket:Bucket min-bucket",
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration min-lifecycle",
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls min-ownership",
      "aws:s3/bucketPolicy:BucketPolicy min-policy",
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock min-public-access",
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration min-encryption",
      "aws:s3/bucketVersioning:BucketVersioning min-versioning",
      "iotpipe:security:EncryptionKey min-key",
    ]);
    const bucket = oneOf(recorded, "aws:s3/bucket:Bucket", "min-bucket");
    expect(bucket.inputs.forceDestroy).toBe(false);
    expect(bucket.inputs.objectLockEnabled).toBe(false);
    const ownKey = `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/min-key-key-key-id`;
    expect(await resolve(b.kmsKeyArn!)).toBe(ownKey);
    expect(oneOf(recorded, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "min-encryption").inputs).toEqual({
      bucket: "min-bucket",
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: ownKey }, bucketKeyEnabled: true }],
    });
    expect(oneOf(recorded, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "min-public-access").inputs).toEqual({
      bucket: "min-bucket", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    });
    expect(oneOf(recorded, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "min-ownership").inputs.rule).toEqual({ objectOwnership: "BucketOwnerEnforced" });
    expect(oneOf(recorded, "aws:s3/bucketVersioning:BucketVersioning", "min-versioning").inputs.versioningConfiguration).toEqual({ status: "Enabled" });

    const statements = statementsOf(oneOf(recorded, "aws:s3/bucketPolicy:BucketPolicy", "min-policy").inputs.policy);
    const arn = "arn:aws:s3:::min-bucket";
    expect(statements).toEqual([
      { Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: ["s3:*"], Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
      { Sid: "DenyOutdatedTls", Effect: "Deny", Principal: "*", Action: ["s3:*"], Resource: [arn, `${arn}/*`], Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } } },
      { Sid: "DenyOtherEncryptionTypes", Effect: "Deny", Principal: "*", Action: ["s3:PutObject"], Resource: [`${arn}/*`], Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } } },
      { Sid: "DenyOtherKmsKeys", Effect: "Deny", Principal: "*", Action: ["s3:PutObject"], Resource: [`${arn}/*`], Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": ownKey } } },
    ]);
    // A bucket policy only denies: every grant goes through IAM.
    expect(statements.every((s) => s.Effect === "Deny")).toBe(true);

    expect(oneOf(recorded, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "min-lifecycle").inputs.rules).toEqual([
      {
        id: "bucket-hygiene",
        status: "Enabled",
        filter: { prefix: "" },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        noncurrentVersionExpiration: { noncurrentDays: 90 },
      },
    ]);
    expect(ofType(recorded, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")).toHaveLength(0);
  });

  it("given key, object lock (compliance), tiering per prefix and forceDestroy", async () => {
    new HardenedBucket("lake", {
      kmsKeyArn: KEY,
      bucketName: "acme-lake",
      forceDestroy: true,
      abortIncompleteUploadsAfterDays: 2,
      noncurrentVersionExpirationDays: 30,
      objectLock: { mode: "COMPLIANCE", days: 365 },
      tiering: [
        { prefix: "raw/", infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 400 },
        { prefix: "ingest_errors/", expireAfterDays: 30 },
      ],
    });
    await settle(recorded);
    expect(ofType(recorded, "iotpipe:security:EncryptionKey", /^lake/)).toHaveLength(0);
    const bucket = oneOf(recorded, "aws:s3/bucket:Bucket", "lake-bucket");
    expect(bucket.inputs).toMatchObject({ bucket: "acme-lake", forceDestroy: true, objectLockEnabled: true });
    expect(oneOf(recorded, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "lake-object-lock").inputs).toEqual({
      bucket: "acme-lake",
      objectLockEnabled: "Enabled",
      rule: { defaultRetention: { mode: "COMPLIANCE", days: 365 } },
    });
    const rules = oneOf(recorded, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lake-lifecycle").inputs.rules;
    expect(rules[0]).toMatchObject({ abortIncompleteMultipartUpload: { daysAfterInitiation: 2 }, noncurrentVersionExpiration: { noncurrentDays: 30 } });
    expect(rules.slice(1)).toEqual([
      {
        id: "tiering-raw",
        status: "Enabled",
        filter: { prefix: "raw/" },
        transitions: [{ days: 30, storageClass: "STANDARD_IA" }, { days: 90, storageClass: "GLACIER" }],
        expiration: { days: 400 },
      },
      { id: "tiering-ingest_errors", status: "Enabled", filter: { prefix: "ingest_errors/" }, transitions: [], expiration: { days: 30 } },
    ]);
    const keyDeny = statementsOf(oneOf(recorded, "aws:s3/bucketPolicy:BucketPolicy", "lake-policy").inputs.policy).find((s) => s.Sid === "DenyOtherKmsKeys");
    expect(keyDeny?.Condition).toEqual({ StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY } });
  });

  it("denyOtherEncryption=false keeps only the transport denials", async () => {
    new HardenedBucket("lenient", { kmsKeyArn: KEY, denyOtherEncryption: false });
    await settle(recorded);
    const sids = statementsOf(oneOf(recorded, "aws:s3/bucketPolicy:BucketPolicy", "lenient-policy").inputs.policy).map((s) => s.Sid);
    expect(sids).toEqual(["DenyInsecureTransport", "DenyOutdatedTls"]);
  });

  it("existing bucket: references it, creates and changes nothing", async () => {
    const before = recorded.length;
    const b = new HardenedBucket("ext", { existingBucketName: "legacy-data", kmsKeyArn: KEY });
    expect(await resolve(b.name)).toBe("legacy-data");
    expect(await resolve(b.arn)).toBe("arn:aws:s3:::legacy-data");
    expect(await resolve(b.kmsKeyArn!)).toBe(KEY);
    expect(b.bucket).toBeUndefined();
    await settle(recorded);
    expect(recorded.slice(before).map((r) => r.type)).toEqual(["iotpipe:storage:HardenedBucket"]);
  });

  it("two instances do not collide", async () => {
    new HardenedBucket("twin-a", { kmsKeyArn: KEY });
    new HardenedBucket("twin-b", { kmsKeyArn: KEY });
    await settle(recorded);
    const names = recorded.filter((r) => r.parent === "twin-a" || r.parent === "twin-b").map((r) => `${r.type}/${r.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it("rejects bad arguments with clear errors", () => {
    expect(() => new HardenedBucket("e1", { existingBucketName: "x", objectLock: { mode: "COMPLIANCE", days: 1 } }))
      .toThrow("HardenedBucket 'e1': existingBucketName references a bucket without changing it; remove objectLock or create a new bucket instead");
    expect(() => new HardenedBucket("e2", { objectLock: { mode: "LEGAL" as any, days: 1 } })).toThrow("objectLock.mode must be COMPLIANCE or GOVERNANCE (got 'LEGAL')");
    expect(() => new HardenedBucket("e3", { objectLock: { mode: "GOVERNANCE", days: 0 } })).toThrow("objectLock.days must be an integer from 1 to 36500 (got 0)");
    expect(() => new HardenedBucket("e4", { tiering: [{ prefix: "raw/", infrequentAccessAfterDays: 10 }] })).toThrow("must be at least 30");
    expect(() => new HardenedBucket("e5", { tiering: [{ prefix: "raw/", infrequentAccessAfterDays: 60, glacierAfterDays: 40 }] }))
      .toThrow("tiering[0] (prefix 'raw/').glacierAfterDays (40) must be later than infrequentAccessAfterDays (60)");
    // S3 keeps an object 30 days in Standard-IA before Glacier: a 15-day gap fails PutBucketLifecycleConfiguration.
    expect(() => new HardenedBucket("e5b", { tiering: [{ prefix: "raw/", infrequentAccessAfterDays: 30, glacierAfterDays: 45 }] }))
      .toThrow("tiering[0] (prefix 'raw/').glacierAfterDays (45) must be at least 30 days after infrequentAccessAfterDays (30)");
    expect(() => new HardenedBucket("e5c", { tiering: [{ prefix: "raw/", infrequentAccessAfterDays: 30, glacierAfterDays: 60 }] })).not.toThrow();
    expect(() => new HardenedBucket("e6", { tiering: [{ prefix: "raw/" }] })).toThrow("sets no transition or expiration");
    expect(() => new HardenedBucket("e7", { tiering: [{ prefix: "a/", expireAfterDays: 5 }, { prefix: "a/", expireAfterDays: 6 }] })).toThrow("appears twice");
    expect(() => new HardenedBucket("e8", { abortIncompleteUploadsAfterDays: 0 })).toThrow("abortIncompleteUploadsAfterDays must be an integer from 1 to 365 (got 0)");
  });
});
