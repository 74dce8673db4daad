/**
 * An S3 bucket hardened the way every bucket of the platform must be: SSE-KMS with a customer managed key (and
 * S3 Bucket Keys, so KMS is called per bucket-key period rather than per object), all public access blocked,
 * ACLs disabled, versioning, TLS-only bucket policy, lifecycle hygiene and, where data must be immutable,
 * Object Lock with a default retention. Written once, used for the lake, the Athena results and the code bucket.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { EncryptionKey } from "./encryption-key";
import { ArgsCheck, awsContext, policyJson, POLICY_VERSION } from "./naming";
import { denyInsecureTransport } from "./core";

/** Storage tiering for one key prefix: days after creation; each step must come after the previous one. */
export interface PrefixTiering {
  /** Key prefix the rule applies to, e.g. `raw/` or `readings/`. */
  prefix: string;
  /** Move to STANDARD_IA after this many days (S3 requires at least 30). */
  infrequentAccessAfterDays?: number;
  /** Move to GLACIER (Flexible Retrieval) after this many days. */
  glacierAfterDays?: number;
  /** Delete (current versions) after this many days. */
  expireAfterDays?: number;
}

/** Object Lock default retention applied to every new object version. */
export interface ObjectLockRetention {
  /** COMPLIANCE: nobody, not even the root user, can shorten it. GOVERNANCE: privileged users can. */
  mode: "COMPLIANCE" | "GOVERNANCE";
  days: number;
}

export interface HardenedBucketArgs {
  /** CMK for SSE-KMS. Default: a dedicated `EncryptionKey` is created as a child. */
  kmsKeyArn?: pulumi.Input<string>;
  /** Physical bucket name. Default: Pulumi autonaming (`<name>-bucket-<random>`), which never collides. */
  bucketName?: pulumi.Input<string>;
  /**
   * Let `pulumi destroy` delete a non-empty bucket. Default false: data outlives the stack unless asked. Objects
   * under Object Lock retention cannot be deleted by anyone, so destroying a locked bucket still fails.
   */
  forceDestroy?: boolean;
  /** Abort incomplete multipart uploads after this many days (their parts are billed but invisible). Default 7. */
  abortIncompleteUploadsAfterDays?: number;
  /** Delete non-current object versions this many days after they were replaced. Default 90. */
  noncurrentVersionExpirationDays?: number;
  /** Tiering/expiration rules per prefix. Default none. */
  tiering?: PrefixTiering[];
  /**
   * Object Lock default retention. Object Lock can only be switched on when the bucket is created, so setting
   * this later replaces the bucket. Default off.
   */
  objectLock?: ObjectLockRetention;
  /**
   * Deny uploads that ask for a different encryption than SSE-KMS with this bucket's key. Uploads that send no
   * encryption headers still pass and get the default encryption; writers that do send the key header (e.g.
   * Firehose with a KMS setting) must name the key by its ARN. Default true.
   */
  denyOtherEncryption?: boolean;
  /**
   * Use a bucket that already exists instead of creating one. Nothing is created or changed: the component only
   * exposes its name and ARN, and hardening it is the owner's responsibility. Cannot be combined with the
   * options above that would configure the bucket.
   */
  existingBucketName?: string;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export const HARDENED_BUCKET_DEFAULTS = {
  abortIncompleteUploadsAfterDays: 7,
  noncurrentVersionExpirationDays: 90,
  forceDestroy: false,
  denyOtherEncryption: true,
};

/** S3 refuses transitions to STANDARD_IA earlier than 30 days after creation. */
const MIN_DAYS_BEFORE_STANDARD_IA = 30;
/** S3 refuses a GLACIER transition less than 30 days after the rule's STANDARD_IA transition (30-day IA minimum). */
export const MIN_DAYS_IN_STANDARD_IA = 30;
/** S3 Object Lock default retention limit (100 years). */
const MAX_RETENTION_DAYS = 36500;

/** Options that configure a bucket, so they make no sense together with `existingBucketName`. */
const CONFIGURING_OPTIONS = [
  "bucketName", "forceDestroy", "abortIncompleteUploadsAfterDays", "noncurrentVersionExpirationDays", "tiering",
  "objectLock", "denyOtherEncryption", "tags",
] as const;

export class HardenedBucket extends pulumi.ComponentResource {
  /** The bucket, when this component created it (undefined for `existingBucketName`). */
  readonly bucket?: aws.s3.Bucket;
  /** The key created for the bucket when no `kmsKeyArn` was given. */
  readonly encryptionKey?: EncryptionKey;
  readonly encryption?: aws.s3.BucketServerSideEncryptionConfiguration;
  readonly publicAccessBlock?: aws.s3.BucketPublicAccessBlock;
  readonly ownershipControls?: aws.s3.BucketOwnershipControls;
  readonly versioning?: aws.s3.BucketVersioning;
  readonly policy?: aws.s3.BucketPolicy;
  readonly lifecycle?: aws.s3.BucketLifecycleConfiguration;
  readonly objectLockConfiguration?: aws.s3.BucketObjectLockConfiguration;
  /** Physical bucket name. */
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  /** ARN of the key that encrypts new objects (undefined for an existing bucket without `kmsKeyArn`). */
  readonly kmsKeyArn?: pulumi.Output<string>;

  constructor(name: string, args: HardenedBucketArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("iotpipe:storage:HardenedBucket", name, {}, opts);
    const settings = resolveHardenedBucketArgs(name, args);

    if (args.existingBucketName !== undefined) {
      const ctx = awsContext(this);
      this.name = pulumi.output(args.existingBucketName);
      this.arn = pulumi.interpolate`arn:${ctx.partition}:s3:::${args.existingBucketName}`;
      this.kmsKeyArn = args.kmsKeyArn === undefined ? undefined : pulumi.output(args.kmsKeyArn);
      this.registerOutputs({ name: this.name, arn: this.arn });
      return;
    }

    if (args.kmsKeyArn === undefined) {
      this.encryptionKey = new EncryptionKey(`${name}-key`, { description: `iotpipe bucket ${name}` }, { parent: this });
    }
    const keyArn = pulumi.output(args.kmsKeyArn ?? this.encryptionKey!.arn);

    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        bucket: args.bucketName,
        forceDestroy: settings.forceDestroy,
        objectLockEnabled: args.objectLock !== undefined,
        tags: args.tags,
      },
      { parent: this },
    );
    this.bucket = bucket;

    this.encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.bucket,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn }, bucketKeyEnabled: true }],
      },
      { parent: this },
    );
    // S3 rejects concurrent changes to one bucket's configuration ("A conflicting conditional operation is in
    // progress"), so the sub-resources are applied one after another.
    this.ownershipControls = new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this, dependsOn: [this.encryption] },
    );
    this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: bucket.bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this, dependsOn: [this.ownershipControls] },
    );
    this.versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.bucket, versioningConfiguration: { status: "Enabled" } },
      { parent: this, dependsOn: [this.publicAccessBlock] },
    );
    this.policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      { bucket: bucket.bucket, policy: policyJson(bucketPolicy(bucket.arn, keyArn, settings.denyOtherEncryption)) },
      { parent: this, dependsOn: [this.versioning] },
    );
    this.lifecycle = new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      { bucket: bucket.bucket, rules: lifecycleRules(settings) },
      { parent: this, dependsOn: [this.policy] },
    );
    if (args.objectLock) {
      this.objectLockConfiguration = new aws.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        {
          bucket: bucket.bucket,
          objectLockEnabled: "Enabled",
          rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } },
        },
        { parent: this, dependsOn: [this.lifecycle] },
      );
    }

    this.name = bucket.bucket;
    this.arn = bucket.arn;
    this.kmsKeyArn = keyArn;
    this.registerOutputs({ name: this.name, arn: this.arn, kmsKeyArn: this.kmsKeyArn });
  }
}

interface LifecycleSettings {
  forceDestroy: boolean;
  denyOtherEncryption: boolean;
  abortIncompleteUploadsAfterDays: number;
  noncurrentVersionExpirationDays: number;
  tiering: PrefixTiering[];
}

/** The bucket's settings: `args` over HARDENED_BUCKET_DEFAULTS, every problem reported in one error. */
export function resolveHardenedBucketArgs(name: string, args: HardenedBucketArgs): LifecycleSettings {
  const d = HARDENED_BUCKET_DEFAULTS;
  const check = new ArgsCheck(`HardenedBucket '${name}'`);
  if (args.existingBucketName !== undefined) {
    const conflicting = CONFIGURING_OPTIONS.filter((option) => args[option] !== undefined);
    check.expect(
      conflicting.length === 0,
      `existingBucketName references a bucket without changing it; remove ${conflicting.join(", ")} or create a new bucket instead`,
    );
  }
  const settings: LifecycleSettings = {
    forceDestroy: args.forceDestroy ?? d.forceDestroy,
    denyOtherEncryption: args.denyOtherEncryption ?? d.denyOtherEncryption,
    abortIncompleteUploadsAfterDays: check.intRange("abortIncompleteUploadsAfterDays", args.abortIncompleteUploadsAfterDays ?? d.abortIncompleteUploadsAfterDays, 1, 365),
    noncurrentVersionExpirationDays: check.intRange("noncurrentVersionExpirationDays", args.noncurrentVersionExpirationDays ?? d.noncurrentVersionExpirationDays, 1, 36500),
    tiering: args.tiering ?? [],
  };
  if (args.objectLock) {
    check.expect(
      args.objectLock.mode === "COMPLIANCE" || args.objectLock.mode === "GOVERNANCE",
      `objectLock.mode must be COMPLIANCE or GOVERNANCE (got '${args.objectLock.mode}')`,
    );
    check.intRange("objectLock.days", args.objectLock.days, 1, MAX_RETENTION_DAYS);
  }
  const prefixes = new Set<string>();
  for (const [i, rule] of settings.tiering.entries()) {
    const field = `tiering[${i}] (prefix '${rule.prefix}')`;
    if (!check.expect(Boolean(rule.prefix), `tiering[${i}].prefix must be a non-empty key prefix such as 'raw/'`)) continue;
    check.expect(!prefixes.has(rule.prefix), `${field} appears twice`);
    prefixes.add(rule.prefix);
    const steps: [string, number | undefined][] = [
      ["infrequentAccessAfterDays", rule.infrequentAccessAfterDays],
      ["glacierAfterDays", rule.glacierAfterDays],
      ["expireAfterDays", rule.expireAfterDays],
    ];
    check.expect(steps.some(([, days]) => days !== undefined), `${field} sets no transition or expiration`);
    let previous: [string, number] | undefined;
    for (const [step, days] of steps) {
      if (days === undefined) continue;
      check.intRange(`${field}.${step}`, days, 1, 36500);
      if (previous) check.expect(days > previous[1], `${field}.${step} (${days}) must be later than ${previous[0]} (${previous[1]})`);
      previous = [step, days];
    }
    check.expect(
      rule.infrequentAccessAfterDays === undefined || rule.infrequentAccessAfterDays >= MIN_DAYS_BEFORE_STANDARD_IA,
      `${field}.infrequentAccessAfterDays must be at least ${MIN_DAYS_BEFORE_STANDARD_IA} (S3 rule)`,
    );
    check.expect(
      rule.infrequentAccessAfterDays === undefined ||
        rule.glacierAfterDays === undefined ||
        rule.glacierAfterDays - rule.infrequentAccessAfterDays >= MIN_DAYS_IN_STANDARD_IA,
      `${field}.glacierAfterDays (${rule.glacierAfterDays}) must be at least ${MIN_DAYS_IN_STANDARD_IA} days after ` +
        `infrequentAccessAfterDays (${rule.infrequentAccessAfterDays}) (S3 rule)`,
    );
  }
  check.done();
  return settings;
}

export function lifecycleRules(settings: Pick<LifecycleSettings, "abortIncompleteUploadsAfterDays" | "noncurrentVersionExpirationDays" | "tiering">): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  return [
    {
      id: "bucket-hygiene",
      status: "Enabled",
      // An empty prefix selects every object; a rule without any filter is deprecated by the provider.
      filter: { prefix: "" },
      abortIncompleteMultipartUpload: { daysAfterInitiation: settings.abortIncompleteUploadsAfterDays },
      noncurrentVersionExpiration: { noncurrentDays: settings.noncurrentVersionExpirationDays },
    },
    ...settings.tiering.map((rule) => ({
      id: `tiering-${rule.prefix.replace(/\/+$/, "").replace(/[^A-Za-z0-9_-]/g, "-")}`,
      status: "Enabled",
      filter: { prefix: rule.prefix },
      transitions: [
        ...(rule.infrequentAccessAfterDays === undefined ? [] : [{ days: rule.infrequentAccessAfterDays, storageClass: "STANDARD_IA" }]),
        ...(rule.glacierAfterDays === undefined ? [] : [{ days: rule.glacierAfterDays, storageClass: "GLACIER" }]),
      ],
      ...(rule.expireAfterDays === undefined ? {} : { expiration: { days: rule.expireAfterDays } }),
    })),
  ];
}

/**
 * Bucket policy: deny every request not made over TLS 1.2+ (`s3:*` in a Deny statement with `Principal: "*"`
 * is the AWS-documented form: it grants nothing), and optionally deny uploads that request another encryption
 * type or another KMS key. `...IfExists` lets uploads without encryption headers through to default encryption.
 */
export function bucketPolicy(bucketArn: pulumi.Input<string>, keyArn: pulumi.Input<string>, denyOtherEncryption: boolean): pulumi.Output<object> {
  return pulumi.all([bucketArn, keyArn]).apply(([arn, key]) => ({
    Version: POLICY_VERSION,
    Statement: [
      denyInsecureTransport("s3:*", [arn, `${arn}/*`], "DenyInsecureTransport"),
      {
        Sid: "DenyOutdatedTls",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
        Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
      },
      ...(denyOtherEncryption
        ? [
            {
              Sid: "DenyOtherEncryptionTypes",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:PutObject",
              Resource: `${arn}/*`,
              Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
            },
            {
              Sid: "DenyOtherKmsKeys",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:PutObject",
              Resource: `${arn}/*`,
              Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": key } },
            },
          ]
        : []),
    ],
  }));
}
