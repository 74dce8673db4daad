/**
 * AthenaAnalytics: where analysts and the compliance report query the lake. An Athena workgroup (engine v3,
 * configuration enforced so no client can switch off result encryption or the scan cutoff, results SSE-KMS with
 * the CMK) and one named query per `sql/athena/*.sql` file, so the reviewed SQL in the repository is exactly what
 * appears in the console.
 *
 * The results bucket is passed in (a HardenedBucket made by the program). Query results are copies of lake data:
 * give that bucket a lifecycle rule that expires `results/` after a few days (HardenedBucket's lifecycle args).
 *
 * Minimal use:
 *   new AthenaAnalytics("athena", { resultsBucketName, resultsKeyArn, databaseName: lake.databaseName })
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ArgsCheck, awsContext } from "./naming";

/** Athena's floor for `BytesScannedCutoffPerQuery`. */
export const MIN_BYTES_SCANNED_CUTOFF = 10 * 1024 * 1024;
/**
 * 10 GiB: a compliance query over months of one site's Parquet scans far less; a query that forgot its `dt`
 * filter and walks the whole lake is cancelled at about $0.05 instead of running up the bill.
 */
export const DEFAULT_BYTES_SCANNED_CUTOFF = 10 * 1024 * 1024 * 1024;
/** The exact engine name Athena's ListEngineVersions returns; pinned so an AUTO upgrade cannot change SQL semantics. */
export const ATHENA_ENGINE_VERSION = "Athena engine version 3";
/** Athena NamedQuery limits. */
const MAX_QUERY_NAME = 128;
const MAX_DESCRIPTION = 1024;
const MAX_QUERY_BYTES = 262144;

/** A named query loaded from one `.sql` file. */
export interface NamedQueryFile {
  /** File name without `.sql`: the named query's name. */
  name: string;
  /** The file's leading comment, one line: what the query answers and for whom. */
  description: string;
  /** The whole file, comment included. */
  sql: string;
  /** Path of the file, for error messages. */
  file: string;
}

/** The leading comment of a SQL file (`-- ...` lines or one `/* ... *\/` block), joined into one line. */
export function leadingComment(sql: string): string {
  const text = sql.replace(/^\uFEFF/, "").trimStart();
  if (text.startsWith("/*")) {
    const end = text.indexOf("*/");
    if (end < 0) return "";
    return text
      .slice(2, end)
      .split("\n")
      .map((l) => l.replace(/^\s*\*?\s?/, "").trim())
      .filter((l) => l.length > 0)
      .join(" ");
  }
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*--\s?(.*)$/.exec(line);
    if (!m) break;
    if (m[1].trim().length > 0) lines.push(m[1].trim());
  }
  return lines.join(" ");
}

/** Strips SQL comments, to check a file has a statement besides its header. */
function withoutComments(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?\*\//g, "").replace(/--.*$/gm, "").trim();
}

/**
 * Loads every `*.sql` file of a directory as a named query, sorted by name. Fails with the file named when a
 * file has no leading comment, no statement, a name Athena refuses, or is too large; fails when the directory
 * is missing or holds no SQL file (an empty workgroup would hide a broken checkout).
 */
export function loadNamedQueries(dir: string): NamedQueryFile[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`Athena query directory '${dir}' does not exist: pass queryDirectory or add sql/athena/*.sql`);
  }
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  if (files.length === 0) {
    throw new Error(`no .sql files in Athena query directory '${dir}': each compliance query must be a .sql file there`);
  }
  return files.map((f) => {
    const file = path.join(dir, f);
    const name = f.slice(0, -".sql".length);
    const sql = fs.readFileSync(file, "utf8");
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.length > MAX_QUERY_NAME) {
      throw new Error(`${file}: the file name becomes the named query's name: use letters, digits, _ . - (at most ${MAX_QUERY_NAME})`);
    }
    const comment = leadingComment(sql);
    if (comment.length === 0) {
      throw new Error(`${file}: start the file with a comment saying what the query answers and for whom (it becomes the description)`);
    }
    if (withoutComments(sql).length === 0) {
      throw new Error(`${file}: no SQL statement after the comment`);
    }
    if (Buffer.byteLength(sql) > MAX_QUERY_BYTES) {
      throw new Error(`${file}: ${Buffer.byteLength(sql)} bytes is over Athena's ${MAX_QUERY_BYTES}-byte named query limit`);
    }
    const description = comment.length > MAX_DESCRIPTION ? `${comment.slice(0, MAX_DESCRIPTION - 1)}…` : comment;
    return { name, description, sql, file };
  });
}

export interface AthenaAnalyticsArgs {
  /** Bucket for query results (a HardenedBucket; expire `results/` with a lifecycle rule). */
  resultsBucketName: pulumi.Input<string>;
  /** CMK that encrypts query results (SSE_KMS). */
  resultsKeyArn: pulumi.Input<string>;
  /** Glue database the named queries run against (ParquetLake's `databaseName`). */
  databaseName: pulumi.Input<string>;
  /** Workgroup name (letters, digits, `.`, `_`, `-`). Default: the component name. */
  workgroupName?: string;
  /** Attach the named queries to this existing workgroup instead of creating one (not with `workgroupName`). */
  existingWorkgroupName?: string;
  /** Per-query scan limit in bytes (at least 10 MiB). */
  bytesScannedCutoffPerQuery?: number;
  /** Directory of the `.sql` files that become named queries. Default: the repository's `sql/athena`. */
  queryDirectory?: string;
  /** Let `pulumi destroy` delete the workgroup even though it holds named queries and history. */
  forceDestroy?: boolean;
}

/** Defaults, in one place. */
export const ATHENA_ANALYTICS_DEFAULTS = {
  bytesScannedCutoffPerQuery: DEFAULT_BYTES_SCANNED_CUTOFF,
  queryDirectory: path.join(__dirname, "..", "sql", "athena"),
  /** Keep query history unless the user opts in to throwing it away. */
  forceDestroy: false,
};

/** The workgroup's settings and the named queries: `args` over ATHENA_ANALYTICS_DEFAULTS, every problem in one error. */
export function resolveAthenaAnalyticsArgs(name: string, args: AthenaAnalyticsArgs) {
  const d = ATHENA_ANALYTICS_DEFAULTS;
  const check = new ArgsCheck(`AthenaAnalytics '${name}'`);
  check.expect(
    args.workgroupName === undefined || args.existingWorkgroupName === undefined,
    "set either workgroupName (create) or existingWorkgroupName (reuse), not both",
  );
  // Scoped by project and stack: workgroup names are per account and region, and two stacks may share both.
  const workgroupName = args.existingWorkgroupName ?? args.workgroupName ?? `${pulumi.getProject()}-${pulumi.getStack()}-${name}`;
  check.expect(/^[A-Za-z0-9._-]{1,128}$/.test(workgroupName), `workgroup name '${workgroupName}' may only hold letters, digits, . _ - (1-128)`);
  const cutoff = args.bytesScannedCutoffPerQuery ?? d.bytesScannedCutoffPerQuery;
  check.expect(
    Number.isInteger(cutoff) && cutoff >= MIN_BYTES_SCANNED_CUTOFF,
    `bytesScannedCutoffPerQuery ${cutoff} must be an integer of at least ${MIN_BYTES_SCANNED_CUTOFF} (10 MiB, Athena's minimum)`,
  );
  const queries = check.attempt(() => loadNamedQueries(args.queryDirectory ?? d.queryDirectory)) ?? [];
  check.done();
  return { workgroupName, cutoff, queries, forceDestroy: args.forceDestroy ?? d.forceDestroy };
}

export class AthenaAnalytics extends pulumi.ComponentResource {
  /** Name of the workgroup every query runs in. */
  readonly workgroupName: pulumi.Output<string>;
  /** The workgroup, when this component created it. */
  readonly workgroup?: aws.athena.Workgroup;
  /** Named query per SQL file name. */
  readonly namedQueries: Record<string, aws.athena.NamedQuery>;
  /** Where results land (`s3://<bucket>/results/`). */
  readonly outputLocation: pulumi.Output<string>;

  constructor(name: string, args: AthenaAnalyticsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iotpipe:analytics:AthenaAnalytics", name, {}, opts);
    const cfg = resolveAthenaAnalyticsArgs(name, args);
    this.outputLocation = pulumi.interpolate`s3://${args.resultsBucketName}/results/`;

    if (args.existingWorkgroupName !== undefined) {
      this.workgroupName = pulumi.output(cfg.workgroupName);
    } else {
      this.workgroup = new aws.athena.Workgroup(
        `${name}-workgroup`,
        {
          name: cfg.workgroupName,
          description: "iotpipe lake queries: engine v3, encrypted results, scan cutoff enforced",
          state: "ENABLED",
          forceDestroy: cfg.forceDestroy,
          configuration: {
            enforceWorkgroupConfiguration: true,
            publishCloudwatchMetricsEnabled: true,
            bytesScannedCutoffPerQuery: cfg.cutoff,
            requesterPaysEnabled: false,
            engineVersion: { selectedEngineVersion: ATHENA_ENGINE_VERSION },
            resultConfiguration: {
              outputLocation: this.outputLocation,
              // Refuse to write results into a bucket of the same name owned by someone else.
              expectedBucketOwner: awsContext(this).accountId,
              encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: args.resultsKeyArn },
            },
          },
        },
        { parent: this },
      );
      this.workgroupName = this.workgroup.name;
    }

    this.namedQueries = {};
    for (const q of cfg.queries) {
      this.namedQueries[q.name] = new aws.athena.NamedQuery(
        `${name}-${q.name}`,
        { name: q.name, description: q.description, query: q.sql, database: args.databaseName, workgroup: this.workgroupName },
        { parent: this },
      );
    }

    this.registerOutputs({
      workgroupName: this.workgroupName,
      outputLocation: this.outputLocation,
      namedQueryNames: cfg.queries.map((q) => q.name),
    });
  }
}
