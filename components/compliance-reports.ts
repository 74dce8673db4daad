/**
 * ComplianceReports: the scheduled daily compliance report. EventBridge Scheduler invokes the compliance-report
 * Lambda (cron and time zone from stack config); the function runs the `sql/athena` queries in the reports
 * workgroup, writes the bundle (CSV per query, HTML, SHA-256 manifest) to the Object Lock reports bucket and
 * posts a summary to the operators' topic.
 *
 * Failure paths all end in one KMS-encrypted dead-letter queue: Scheduler puts there what it could not deliver
 * after its retry policy, and Lambda (invoked asynchronously by Scheduler) what still failed after its own
 * retries. Alarms on the function's Errors and on the DLQ depth notify the same topic.
 *
 * Every resource it depends on is passed in (workgroup, database, buckets, keys, topic): the program owns them.
 *
 * Minimal use:
 *   new ComplianceReports("compliance", { athenaWorkgroupName, athenaWorkgroupArn, glueDatabaseName,
 *     lakeBucketName, lakeBucketArn, lakeKeyArn, athenaResultsBucketArn, athenaResultsKeyArn,
 *     reportsBucketName, reportsBucketArn, reportsKeyArn, topicArn, topicKeyArn, keyArn })
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { StaticLimitRule } from "../analytics/definition";
import { DEVICE_REGISTRY, LAKE_TABLES } from "../lake/tables";
import { ALL_SITES, COMPLIANCE_QUERIES, SCOPE_QUERY_TIMEOUT_SECONDS, tablesReadByQueries, validateParameters } from "../reports/queries";
import { complianceReportPackage } from "../handlers/compliance-report/package";
import { FRESHNESS_QUERY_TIMEOUT_SECONDS } from "../handlers/compliance-report/freshness";
import { scheduleDstProblem } from "../config/report-schedule";
import { ArgsCheck, awsContext, policyJson, POLICY_VERSION, serviceTrustPolicy, type LambdaNodeRuntime } from "./naming";
import { encryptedFunction, kmsVia, metricAlarm } from "./core";

export interface ComplianceReportsArgs {
  /** Athena workgroup the queries run in (engine v3, enforced result location and encryption). */
  athenaWorkgroupName: pulumi.Input<string>;
  athenaWorkgroupArn: pulumi.Input<string>;
  /** Glue database holding the lake tables (lake/tables.ts names). */
  glueDatabaseName: pulumi.Input<string>;
  /** The Parquet lake: read only, and only the prefixes of the tables the queries read. */
  lakeBucketName: pulumi.Input<string>;
  lakeBucketArn: pulumi.Input<string>;
  lakeKeyArn: pulumi.Input<string>;
  /** Where the workgroup writes query results (Athena writes them with the caller's permissions). */
  athenaResultsBucketArn: pulumi.Input<string>;
  athenaResultsKeyArn: pulumi.Input<string>;
  /** Key prefix of the workgroup's output location. Default `results/` (AthenaAnalytics' `s3://<bucket>/results/`). */
  athenaResultsPrefix?: string;
  /** The Object Lock (COMPLIANCE, default retention) bucket the bundles go to, e.g. a HardenedBucket with objectLock. */
  reportsBucketName: pulumi.Input<string>;
  reportsBucketArn: pulumi.Input<string>;
  reportsKeyArn: pulumi.Input<string>;
  /** The operators' topic: report summaries and alarms. */
  topicArn: pulumi.Input<string>;
  topicKeyArn: pulumi.Input<string>;
  /** CMK for the dead-letter queue, the log group and the function's environment variables (its key policy must allow CloudWatch Logs for this group). */
  keyArn: pulumi.Input<string>;
  /**
   * EventBridge Scheduler expression. Default `cron(30 2 * * ? *)`: 02:30 every day in `scheduleTimezone`. A time
   * the zone skips on its spring-forward day is rejected (Scheduler would skip that day's run silently).
   */
  scheduleExpression?: string;
  /** IANA time zone of the schedule and of "yesterday". Default `UTC`. */
  scheduleTimezone?: string;
  /** Scheduler's retries when it cannot invoke the function. */
  retryPolicy?: { maximumRetryAttempts: number; maximumEventAgeInSeconds: number };
  /** Lambda's retries of a failed report run (asynchronous invocation, 0-2). Default 2. */
  functionRetryAttempts?: number;
  /** One site id, or `*` for one report over every site. Default `*`. */
  site?: string;
  /** Days that define known sensors and their cadence. Default 7. */
  lookbackDays?: number;
  /** Gaps longer than this are listed. Default 900 s. */
  minGapSeconds?: number;
  /** A query still running after this is stopped and the run fails. Default 300 s. */
  queryTimeoutSeconds?: number;
  /** Queries in flight at once. Default 3. */
  queryConcurrency?: number;
  /**
   * How long a run waits for its day to be final in the lake (an aggregate window ends at midnight) before it
   * reports the day marked incomplete. Default 180 s, asked every `freshnessPollSeconds` (default 60 s).
   */
  freshnessWaitSeconds?: number;
  freshnessPollSeconds?: number;
  logRetentionDays?: number;
  memoryMiB?: number;
  timeoutSeconds?: number;
  /** Lambda runtime (nodejs20.x can no longer be created). */
  runtime?: LambdaNodeRuntime;
  /** The static limits the analytics judge against (the stack's), drawn on the report's range chart. */
  staticLimits?: StaticLimitRule;
  /** Function package; default: the handler bundled now plus the SQL files (and `staticLimits`). */
  code?: pulumi.asset.Archive;
  /**
   * Export the AWS IoT registry (things with their site, line, model and serial attributes) into the lake's
   * `device_registry` table before each day's queries, so the device inventory lists registered devices that sent
   * nothing. Default true.
   */
  exportDeviceRegistry?: boolean;
  /** Only things of this type are the fleet (DeviceIngest's `thingTypeName`); default every thing with site and line attributes. */
  fleetThingTypeName?: pulumi.Input<string>;
}

/** Defaults, in one place, with the reason for each. */
export const COMPLIANCE_REPORTS_DEFAULTS = {
  /** After midnight in every zone around the plant, with Firehose's buffers (≤ 15 min) long flushed. */
  scheduleExpression: "cron(30 2 * * ? *)",
  scheduleTimezone: "UTC",
  /** Scheduler retries delivery for up to 6 h: a report a few hours late beats a missing one. */
  retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 6 * 3600 },
  /** Lambda's maximum for asynchronous invocations; a re-run is idempotent (same keys, no overwrite). */
  functionRetryAttempts: 2,
  athenaResultsPrefix: "results/",
  site: "*",
  lookbackDays: 7,
  minGapSeconds: 900,
  queryTimeoutSeconds: 300,
  queryConcurrency: 3,
  /** Three more looks at the lake, a minute apart: with the schedule hours after midnight a lag beyond that is an incident. */
  freshnessWaitSeconds: 180,
  freshnessPollSeconds: 60,
  /** Log retention outlives a quarterly audit. */
  logRetentionDays: 400,
  /** Rendering is light; memory also buys CPU for the SHA-256 and HTML of large days. */
  memoryMiB: 512,
  /** Lambda's maximum: two waves of queries at the query timeout plus rendering must fit. */
  timeoutSeconds: 900,
  runtime: "nodejs24.x" as const,
  /** SQS maximum: two weeks to notice, fix and re-run. */
  dlqRetentionSeconds: 14 * 24 * 3600,
  /** The device inventory lists registered devices that sent nothing. */
  exportDeviceRegistry: true,
};

/** Alarm thresholds and why. */
export const COMPLIANCE_REPORT_ALARMS = {
  /** Any failed run: a missing daily record is a compliance finding. One hour covers a run and its retries. */
  errorsPeriodSeconds: 3600,
  errorsThreshold: 0,
  /** Anything in the DLQ is a report that was never produced; check every 5 minutes. */
  dlqPeriodSeconds: 300,
  dlqThreshold: 0,
};

export interface ReportRolePolicyInputs {
  partition: string;
  region: string;
  accountId: string;
  workgroupArn: string;
  databaseName: string;
  /** Lake tables the queries read (Glue tables and S3 prefixes of the same name). */
  tables: string[];
  lakeBucketArn: string;
  lakeKeyArn: string;
  resultsBucketArn: string;
  /** Key prefix of the workgroup's output location, e.g. `results/`. */
  resultsPrefix: string;
  resultsKeyArn: string;
  reportsBucketArn: string;
  reportsKeyArn: string;
  topicArn: string;
  topicKeyArn: string;
  /** The job writes the day's `device_registry` snapshot from IoT ListThings (see ComplianceReportsArgs). */
  exportDeviceRegistry: boolean;
}

/**
 * What the registry export needs: IoT ListThings, which has no resource-level permission (the Service
 * Authorization Reference lists no resource type for it, so `Resource: "*"`; it is read-only and lists thing
 * names, types and attributes), and creating the day's snapshot under `device_registry/`. ListBucket unconditioned,
 * for the same reason as the reports bucket's: reading a snapshot that does not exist yet (the first day, a new
 * day) must be a 404, and S3 checks ListBucket for that GetObject without an s3:prefix.
 */
function registryExportStatements(p: ReportRolePolicyInputs): Record<string, unknown>[] {
  return [
    { Sid: "ListFleetThings", Effect: "Allow", Action: ["iot:ListThings"], Resource: ["*"] },
    { Sid: "WriteRegistrySnapshots", Effect: "Allow", Action: ["s3:PutObject"], Resource: [`${p.lakeBucketArn}/${DEVICE_REGISTRY.name}/*`] },
    { Sid: "ListLakeForRegistrySnapshots", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [p.lakeBucketArn] },
  ];
}

/**
 * What the report function itself does: run queries in its workgroup, read the catalog entries and lake prefixes
 * those queries need, write and read Athena results, create (never delete or re-lock) report objects under
 * `reports/`, publish to the topic (core adds its logs, DLQ and key). Partition projection means Athena needs no
 * glue:GetPartition(s); Object Lock default retention means no s3:PutObjectRetention.
 */
export function reportStatements(p: ReportRolePolicyInputs): Record<string, unknown>[] {
  const via = (service: string) => kmsVia(service, p.region);
  const glue = `arn:${p.partition}:glue:${p.region}:${p.accountId}`;
  return [
      {
        Sid: "RunReportQueries",
        Effect: "Allow",
        Action: ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution"],
        Resource: [p.workgroupArn],
      },
      {
        Sid: "ReadLakeCatalog",
        Effect: "Allow",
        Action: ["glue:GetDatabase", "glue:GetTable"],
        Resource: [`${glue}:catalog`, `${glue}:database/${p.databaseName}`, ...p.tables.map((t) => `${glue}:table/${p.databaseName}/${t}`)],
      },
      {
        Sid: "ReadLakeObjects",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: p.tables.map((t) => `${p.lakeBucketArn}/${t}/*`),
      },
      {
        Sid: "ListLakePrefixes",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [p.lakeBucketArn],
        Condition: { StringLike: { "s3:prefix": p.tables.map((t) => `${t}/*`) } },
      },
      { Sid: "LocateLakeBucket", Effect: "Allow", Action: ["s3:GetBucketLocation"], Resource: [p.lakeBucketArn] },
      {
        Sid: "WriteQueryResults",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        Resource: [`${p.resultsBucketArn}/${p.resultsPrefix}*`],
      },
      {
        Sid: "ListQueryResults",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [p.resultsBucketArn],
        Condition: { StringLike: { "s3:prefix": [`${p.resultsPrefix}*`] } },
      },
      { Sid: "LocateResultsBucket", Effect: "Allow", Action: ["s3:GetBucketLocation"], Resource: [p.resultsBucketArn] },
      {
        Sid: "CreateReports",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:GetObject"],
        Resource: [`${p.reportsBucketArn}/reports/*`],
      },
      {
        // Without ListBucket a missing key reads as 403, not 404, and the idempotency check must tell them apart.
        // S3 checks ListBucket for the GetObject request itself, which carries no s3:prefix: a condition on
        // s3:prefix never matches it, so the grant is unconditioned (the bucket holds nothing but reports).
        Sid: "ListReports",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [p.reportsBucketArn],
      },
      { Sid: "PublishSummary", Effect: "Allow", Action: ["sns:Publish"], Resource: [p.topicArn] },
      ...(p.exportDeviceRegistry ? registryExportStatements(p) : []),
      {
        Sid: "LakeKeyViaS3",
        Effect: "Allow",
        // The registry snapshot is the one object the job writes to the (SSE-KMS) lake.
        Action: p.exportDeviceRegistry ? ["kms:GenerateDataKey", "kms:Decrypt"] : ["kms:Decrypt"],
        Resource: [p.lakeKeyArn],
        Condition: { StringEquals: via("s3") },
      },
      {
        Sid: "ResultsAndReportsKeysViaS3",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: [...new Set([p.resultsKeyArn, p.reportsKeyArn])],
        Condition: { StringEquals: via("s3") },
      },
      { Sid: "TopicKeyViaSns", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: [p.topicKeyArn], Condition: { StringEquals: via("sns") } },
  ];
}

/** The scheduler role's policy: invoke this one function, and dead-letter into this one queue. */
export function schedulerRolePolicy(p: { region: string; functionArn: string; dlqArn: string; dlqKeyArn: string }) {
  return {
    Version: POLICY_VERSION,
    Statement: [
      { Sid: "InvokeReportFunction", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [p.functionArn] },
      { Sid: "DeadLetter", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [p.dlqArn] },
      {
        Sid: "DlqKeyViaSqs",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: [p.dlqKeyArn],
        Condition: { StringEquals: kmsVia("sqs", p.region) },
      },
    ],
  };
}

/** The report job's settings: `args` over COMPLIANCE_REPORTS_DEFAULTS, every problem reported in one error. */
export function resolveComplianceReportsArgs(name: string, args: ComplianceReportsArgs) {
  const d = COMPLIANCE_REPORTS_DEFAULTS;
  const check = new ArgsCheck(`ComplianceReports '${name}'`);
  const cfg = {
    scheduleExpression: args.scheduleExpression ?? d.scheduleExpression,
    scheduleTimezone: args.scheduleTimezone ?? d.scheduleTimezone,
    retryPolicy: args.retryPolicy ?? d.retryPolicy,
    athenaResultsPrefix: args.athenaResultsPrefix ?? d.athenaResultsPrefix,
    functionRetryAttempts: check.intRange("functionRetryAttempts", args.functionRetryAttempts ?? d.functionRetryAttempts, 0, 2),
    site: args.site ?? d.site,
    lookbackDays: args.lookbackDays ?? d.lookbackDays,
    minGapSeconds: args.minGapSeconds ?? d.minGapSeconds,
    queryTimeoutSeconds: check.intRange("queryTimeoutSeconds", args.queryTimeoutSeconds ?? d.queryTimeoutSeconds, 10, 880),
    queryConcurrency: check.intRange("queryConcurrency", args.queryConcurrency ?? d.queryConcurrency, 1, COMPLIANCE_QUERIES.length),
    freshnessWaitSeconds: check.intRange("freshnessWaitSeconds", args.freshnessWaitSeconds ?? d.freshnessWaitSeconds, 0, 600),
    freshnessPollSeconds: check.intRange("freshnessPollSeconds", args.freshnessPollSeconds ?? d.freshnessPollSeconds, 5, 600),
    logRetentionDays: args.logRetentionDays ?? d.logRetentionDays,
    memoryMiB: check.intRange("memoryMiB", args.memoryMiB ?? d.memoryMiB, 128, 10240),
    timeoutSeconds: check.intRange("timeoutSeconds", args.timeoutSeconds ?? d.timeoutSeconds, 30, 900),
    runtime: check.lambdaRuntime(args.runtime ?? d.runtime),
    exportDeviceRegistry: args.exportDeviceRegistry ?? d.exportDeviceRegistry,
    dlqRetentionSeconds: d.dlqRetentionSeconds,
  };
  check.expect(/^([A-Za-z0-9!_.*'()-]+\/)*$/.test(cfg.athenaResultsPrefix), `athenaResultsPrefix '${cfg.athenaResultsPrefix}' must be empty or end with '/'`);
  const scheduleShaped = check.expect(/^cron\(.+\)$|^rate\(.+\)$/.test(cfg.scheduleExpression), `scheduleExpression '${cfg.scheduleExpression}' must be cron(...) or rate(...)`);
  const knownZone = check.expect(isTimeZone(cfg.scheduleTimezone), `scheduleTimezone '${cfg.scheduleTimezone}' is not an IANA time zone`);
  if (scheduleShaped && knownZone) {
    const dst = scheduleDstProblem(cfg.scheduleExpression, cfg.scheduleTimezone, new Date());
    if (dst) check.add(`scheduleExpression ${dst}`);
  }
  check.intRange("retryPolicy.maximumRetryAttempts", cfg.retryPolicy.maximumRetryAttempts, 0, 185);
  check.intRange("retryPolicy.maximumEventAgeInSeconds", cfg.retryPolicy.maximumEventAgeInSeconds, 60, 86400);
  // The same checks the function makes at run time, at deploy time.
  check.attempt(() => validateParameters({ date: "2026-01-01", site: cfg.site, lookbackDays: cfg.lookbackDays, minGapSeconds: cfg.minGapSeconds }));
  const waves = Math.ceil(COMPLIANCE_QUERIES.length / cfg.queryConcurrency);
  // A one-site report first checks the site is in the lake (reports/scope.ts): one short query more. The freshness
  // gate (its wait plus one last check) comes before the queries, in the same invocation.
  const scopeSeconds = cfg.site === ALL_SITES ? 0 : Math.min(cfg.queryTimeoutSeconds, SCOPE_QUERY_TIMEOUT_SECONDS);
  check.expect(
    waves * cfg.queryTimeoutSeconds + scopeSeconds + cfg.freshnessWaitSeconds + FRESHNESS_QUERY_TIMEOUT_SECONDS + 20 <= cfg.timeoutSeconds,
    `${waves} waves of queries at queryTimeoutSeconds ${cfg.queryTimeoutSeconds} after a freshness wait of ` +
      `${cfg.freshnessWaitSeconds} s do not fit in timeoutSeconds ${cfg.timeoutSeconds}; lower the query timeout or the wait, or raise queryConcurrency`,
  );
  check.done();
  return cfg;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export class ComplianceReports extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly functionName: pulumi.Output<string>;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly deadLetterQueue: aws.sqs.Queue;
  readonly dlqUrl: pulumi.Output<string>;
  readonly schedule: aws.scheduler.Schedule;
  readonly scheduleName: pulumi.Output<string>;
  readonly schedulerRole: aws.iam.Role;
  readonly errorsAlarm: aws.cloudwatch.MetricAlarm;
  readonly dlqAlarm: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: ComplianceReportsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iotpipe:reports:ComplianceReports", name, {}, opts);
    const cfg = resolveComplianceReportsArgs(name, args);
    const parent = { parent: this };
    const ctx = awsContext(this);
    const tables = tablesReadByQueries([...LAKE_TABLES, DEVICE_REGISTRY].map((t) => t.name));

    this.schedulerRole = new aws.iam.Role(
      `${name}-scheduler-role`,
      {
        description: "EventBridge Scheduler: invoke the compliance report function",
        // Only schedules of this account may use the role (confused-deputy guard).
        assumeRolePolicy: serviceTrustPolicy("scheduler.amazonaws.com", { StringEquals: { "aws:SourceAccount": ctx.accountId } }),
      },
      parent,
    );
    const built = encryptedFunction(
      name,
      {
        description: "Daily compliance report: Athena queries → CSV/HTML/manifest bundle in the Object Lock bucket",
        roleDescription: "Compliance report: Athena queries over the lake to the Object Lock reports bucket, summary to SNS",
        keyArn: args.keyArn,
        code: args.code ?? packaged(args.staticLimits),
        runtime: cfg.runtime,
        timeoutSeconds: cfg.timeoutSeconds,
        memoryMiB: cfg.memoryMiB,
        logRetentionDays: cfg.logRetentionDays,
        serviceName: "compliance-report",
        environment: {
          ATHENA_WORKGROUP: args.athenaWorkgroupName,
          GLUE_DATABASE: args.glueDatabaseName,
          REPORTS_BUCKET: args.reportsBucketName,
          SNS_TOPIC_ARN: args.topicArn,
          REPORT_TIMEZONE: cfg.scheduleTimezone,
          REPORT_SITE: cfg.site,
          LOOKBACK_DAYS: String(cfg.lookbackDays),
          MIN_GAP_SECONDS: String(cfg.minGapSeconds),
          QUERY_TIMEOUT_SECONDS: String(cfg.queryTimeoutSeconds),
          QUERY_CONCURRENCY: String(cfg.queryConcurrency),
          FRESHNESS_WAIT_SECONDS: String(cfg.freshnessWaitSeconds),
          FRESHNESS_POLL_SECONDS: String(cfg.freshnessPollSeconds),
          ...(cfg.exportDeviceRegistry && { LAKE_BUCKET: args.lakeBucketName, FLEET_THING_TYPE: args.fleetThingTypeName ?? "" }),
        },
        statements: pulumi
          .all({
            partition: ctx.partition,
            region: ctx.region,
            accountId: ctx.accountId,
            workgroupArn: args.athenaWorkgroupArn,
            databaseName: args.glueDatabaseName,
            lakeBucketArn: args.lakeBucketArn,
            lakeKeyArn: args.lakeKeyArn,
            resultsBucketArn: args.athenaResultsBucketArn,
            resultsKeyArn: args.athenaResultsKeyArn,
            reportsBucketArn: args.reportsBucketArn,
            reportsKeyArn: args.reportsKeyArn,
            topicArn: args.topicArn,
            topicKeyArn: args.topicKeyArn,
          })
          .apply((p) =>
            reportStatements({
              ...(p as Omit<ReportRolePolicyInputs, "tables" | "resultsPrefix" | "exportDeviceRegistry">),
              tables,
              resultsPrefix: cfg.athenaResultsPrefix,
              exportDeviceRegistry: cfg.exportDeviceRegistry,
            }),
          ),
        // Failed runs land here: the scheduler's (it could not invoke) and the function's own (it failed twice).
        deadLetterQueue: { retentionSeconds: cfg.dlqRetentionSeconds, senderRoleArns: [this.schedulerRole.arn] },
      },
      parent,
    );
    this.function = built.function;
    this.role = built.role;
    this.logGroup = built.logGroup;
    this.deadLetterQueue = built.deadLetterQueue;
    const rolePolicy = built.policy;
    this.functionName = this.function.name;

    // Scheduler invokes Lambda asynchronously: function errors are retried by Lambda, then dead-lettered here.
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-async`,
      {
        functionName: this.function.name,
        maximumRetryAttempts: cfg.functionRetryAttempts,
        maximumEventAgeInSeconds: cfg.retryPolicy.maximumEventAgeInSeconds,
        destinationConfig: { onFailure: { destination: this.deadLetterQueue.arn } },
      },
      { parent: this, dependsOn: [rolePolicy] },
    );

    const schedulerPolicy = new aws.iam.RolePolicy(
      `${name}-scheduler-policy`,
      {
        role: this.schedulerRole.id,
        policy: policyJson(
          pulumi
            .all({ region: ctx.region, functionArn: this.function.arn, dlqArn: this.deadLetterQueue.arn, dlqKeyArn: args.keyArn })
            .apply((p) => schedulerRolePolicy(p as Parameters<typeof schedulerRolePolicy>[0])),
        ),
      },
      parent,
    );

    this.schedule = new aws.scheduler.Schedule(
      `${name}-schedule`,
      {
        description: "Daily compliance report for yesterday",
        scheduleExpression: cfg.scheduleExpression,
        scheduleExpressionTimezone: cfg.scheduleTimezone,
        flexibleTimeWindow: { mode: "OFF" },
        state: "ENABLED",
        target: {
          arn: this.function.arn,
          roleArn: this.schedulerRole.arn,
          // The scheduled time, not the delivery time, decides the day: a retried delivery reports the same day.
          input: JSON.stringify({ scheduledTime: "<aws.scheduler.scheduled-time>" }),
          retryPolicy: {
            maximumRetryAttempts: cfg.retryPolicy.maximumRetryAttempts,
            maximumEventAgeInSeconds: cfg.retryPolicy.maximumEventAgeInSeconds,
          },
          deadLetterConfig: { arn: this.deadLetterQueue.arn },
        },
      },
      { parent: this, dependsOn: [schedulerPolicy] },
    );
    this.scheduleName = this.schedule.name;
    this.dlqUrl = this.deadLetterQueue.url;

    const a = COMPLIANCE_REPORT_ALARMS;
    this.errorsAlarm = metricAlarm(
      `${name}-errors`,
      {
        description: "A compliance report run failed (see the function's logs for the query id and reason)",
        metric: { namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: this.function.name }, statistic: "Sum", period: a.errorsPeriodSeconds },
        evaluationPeriods: 1,
        threshold: a.errorsThreshold,
        treatMissingData: "notBreaching",
      },
      args.topicArn,
      parent,
    );
    this.dlqAlarm = metricAlarm(
      `${name}-dlq-depth`,
      {
        description: "A compliance report was never produced: its invocation is in the dead-letter queue",
        metric: {
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: this.deadLetterQueue.name },
          statistic: "Maximum",
          period: a.dlqPeriodSeconds,
        },
        evaluationPeriods: 1,
        threshold: a.dlqThreshold,
        treatMissingData: "notBreaching",
      },
      args.topicArn,
      parent,
    );

    this.registerOutputs({ functionName: this.functionName, scheduleName: this.scheduleName, dlqUrl: this.dlqUrl });
  }
}

/** The handler bundled from the repository plus the SQL files it runs and the static limits it draws. */
function packaged(staticLimits?: StaticLimitRule): pulumi.asset.Archive {
  const { files } = complianceReportPackage(staticLimits);
  return new pulumi.asset.AssetArchive(
    Object.fromEntries(Object.entries(files).map(([file, content]) => [file, new pulumi.asset.StringAsset(content)])),
  );
}
