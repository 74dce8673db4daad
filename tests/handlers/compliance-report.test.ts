/**
 * The compliance-report Lambda with Athena mocked (aws-sdk-client-mock) and S3/SNS on a loopback stand-in
 * (loopback-aws.ts: the handler's signed REST calls go over real HTTP, signatures checked): Athena runs and
 * pages, every failure mode fails loudly with the query and execution ids, and the S3 bundle protocol holds
 * (conditional, checksummed writes, manifest last, idempotent re-run, locked report never replaced).
 */
import { mockClient } from "aws-sdk-client-mock";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  QueryExecutionState,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import * as crypto from "crypto";
import { ATHENA_QUERIES, COMPLIANCE_QUERIES, querySql } from "../../reports/queries";
import { ReportScopeError } from "../../reports/scope";
import { QueryResult } from "../../reports/model";
import { BundleConflictError } from "../../reports/bundle-writer";
import { loadConfig } from "../../handlers/compliance-report/config";
import { defaultReportDate, runComplianceReport, ReportJobDeps } from "../../handlers/compliance-report/job";
import { runAthenaQuery } from "../../handlers/compliance-report/athena";
import { S3BundleWriter } from "../../handlers/compliance-report/s3-bundle-writer";
import { exportDeviceRegistry } from "../../handlers/compliance-report/registry-export";
import { IotRestThingLister } from "../../handlers/shared/iot-list-things";
import { SnsPublisher } from "../../handlers/shared/sns-publish";
import { sampleReport, sampleScope } from "../reports/sample-report";
import { LoopbackAws, startLoopbackAws } from "./loopback-aws";

const athenaMock = mockClient(AthenaClient);
let aws: LoopbackAws;

const ENV = {
  ATHENA_WORKGROUP: "iotpipe-reports",
  GLUE_DATABASE: "iotpipe_lake",
  REPORTS_BUCKET: "iotpipe-reports-bucket",
  SNS_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:iotpipe-operators",
  REPORT_TIMEZONE: "Europe/Berlin",
  REPORT_SITE: "plant-a",
  LOOKBACK_DAYS: "7",
  MIN_GAP_SECONDS: "3600",
  QUERY_TIMEOUT_SECONDS: "60",
};

/** Query id from the SQL text Athena received (each spec has its own file). */
const specBySql = new Map(ATHENA_QUERIES.map((q) => [querySql(q), q.id]));

interface AthenaScenario {
  /** State sequence per query id (last state repeats); default QUEUED, RUNNING, SUCCEEDED. */
  states?: Record<string, QueryExecutionState[]>;
  reason?: string;
  /** Results per query id; default the sample report's. */
  results?: Record<string, QueryResult>;
  /** The lake's latest aggregate window end at each freshness check (the last repeats); default: midnight, final. */
  lastWindowEnds?: Array<string | null>;
}

const freshnessResult = (lastWindowEnd: string | null, executionId: string): QueryResult => ({
  queryId: "lake-freshness",
  executionId,
  columns: [{ name: "last_window_end", type: "timestamp" }, { name: "windows", type: "bigint" }],
  rows: [[lastWindowEnd, lastWindowEnd === null ? "0" : "1440"]],
});

function fakeAthena(scenario: AthenaScenario = {}) {
  const polls = new Map<string, number>();
  const results = Object.fromEntries([...sampleReport().results, sampleScope()].map((r) => [r.queryId, r]));
  Object.assign(results, scenario.results ?? {});
  let freshnessChecks = 0;
  athenaMock.on(StartQueryExecutionCommand).callsFake((input) => {
    const id = specBySql.get(input.QueryString);
    if (!id) throw new Error("unexpected SQL text");
    // Each freshness check is its own execution: `exec-lake-freshness#<n>`.
    return { QueryExecutionId: id === "lake-freshness" ? `exec-${id}#${++freshnessChecks}` : `exec-${id}` };
  });
  athenaMock.on(GetQueryExecutionCommand).callsFake((input) => {
    const id = input.QueryExecutionId.replace(/^exec-/, "").replace(/#\d+$/, "");
    const sequence = scenario.states?.[id] ?? ["QUEUED", "RUNNING", "SUCCEEDED"];
    const n = polls.get(id) ?? 0;
    polls.set(id, n + 1);
    const state = sequence[Math.min(n, sequence.length - 1)];
    return {
      QueryExecution: {
        QueryExecutionId: input.QueryExecutionId,
        Status: { State: state, StateChangeReason: state === "FAILED" || state === "CANCELLED" ? scenario.reason : undefined },
        Statistics: { DataScannedInBytes: 1024, EngineExecutionTimeInMillis: 900 },
      },
    };
  });
  athenaMock.on(GetQueryResultsCommand).callsFake((input) => {
    const check = /^exec-lake-freshness#(\d+)$/.exec(input.QueryExecutionId);
    const ends = scenario.lastWindowEnds ?? ["2026-11-11 00:00:00.000"];
    const result = check
      ? freshnessResult(ends[Math.min(Number(check[1]), ends.length) - 1], input.QueryExecutionId)
      : results[input.QueryExecutionId.replace(/^exec-/, "")];
    const all = [result.columns.map((c) => c.name), ...result.rows];
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const end = Math.min(start + (input.MaxResults ?? 1000), all.length);
    return {
      ResultSet: {
        ResultSetMetadata: start === 0 ? { ColumnInfo: result.columns.map((c) => ({ Name: c.name, Type: c.type })) } : undefined,
        Rows: all.slice(start, end).map((row) => ({ Data: row.map((v) => (v === null ? {} : { VarCharValue: v })) })),
      },
      NextToken: end < all.length ? String(end) : undefined,
    };
  });
}

/**
 * The reports bucket on the loopback stand-in (it honours If-None-Match: * like the real one: 412 when the key
 * exists). Objects and recorded requests persist until `aws.reset()`; PUTs of keys matching `failOn` get 500.
 */
function fakeBucket(failOn?: RegExp) {
  aws.failPuts = failOn;
  return aws.objects;
}

/** The writer and publisher the Lambda uses, pointed at the stand-in; one retry, millisecond backoffs. */
const bucketWriter = () => new S3BundleWriter(ENV.REPORTS_BUCKET, { env: aws.env, retries: 1, retryBaseMs: 1, conflictBackoffMs: 1 });
const publisher = () => new SnsPublisher({ env: aws.env, retries: 0 });

function deps(): ReportJobDeps & { clockMs: () => number } {
  let now = Date.parse("2026-11-11T00:30:00Z");
  const sns = publisher();
  return {
    athena: new AthenaClient({ region: "eu-west-1" }),
    bundles: bucketWriter(),
    notify: async (subject, message) => void (await sns.publish(ENV.SNS_TOPIC_ARN, subject, message)),
    logger: new Logger({ serviceName: "test", logLevel: "SILENT" }),
    metrics: new Metrics({ namespace: "test", serviceName: "test" }),
    config: loadConfig(ENV),
    clock: { now: () => now, sleep: async (ms) => void (now += ms) },
    clockMs: () => now,
  };
}

const PREFIX = "reports/2026-11-10/plant-a/";

beforeAll(async () => {
  aws = await startLoopbackAws();
});
afterAll(() => aws.close());

beforeEach(() => {
  athenaMock.reset();
  aws.reset();
});

/** Every request reached the stand-in correctly signed (SigV4, checked with the SDK's signer). */
function expectAllSigned() {
  expect(aws.requests.filter((r) => r.signatureProblem).map((r) => `${r.method} ${r.path}: ${r.signatureProblem}`)).toEqual([]);
}

describe("compliance-report handler", () => {
  it("fills the sensor log with the stack's static limits and draws its specification limits (packaged beside the handler)", async () => {
    const limit = { low: -123.5, high: 123.5, severity: "critical" as const };
    const staticLimits = { enabled: true, defaults: Object.fromEntries(["temperature", "pressure", "vibration", "current"].map((m) => [m, limit])), overrides: [] };
    const html = async (extra: Partial<ReportJobDeps>) => {
      fakeAthena();
      fakeBucket();
      aws.reset();
      await runComplianceReport({ scheduledTime: "2026-11-11T00:30:00Z" }, { ...deps(), ...extra });
      return aws.puts().find((p) => p.key!.endsWith("report.html"))!.body.toString();
    };
    // The limits that applied fill the sensor log; only the specification limits are drawn.
    expect(await html({ staticLimits })).not.toContain("<title>Upper limit 123.5");
    expect(await html({ staticLimits, specLimits: staticLimits })).toContain("<title>Upper limit 123.5 (specification), off the scale</title>");
    expect(await html({})).not.toContain("limit 123.5");
    expect(aws.puts().find((p) => p.key!.endsWith("daily-sensor-log.csv"))!.body.toString()).not.toContain("123.5");
    await html({ staticLimits });
    expect(aws.puts().find((p) => p.key!.endsWith("daily-sensor-log.csv"))!.body.toString()).toContain("dev-v1,vibration,mm/s,24,0,2.0,11.0,2.667,2026-11-10 00:00:00.000,2.0,2026-11-10 23:00:00.000,11.0,-123.5,123.5");
  });

  it("runs every query with bound parameters, writes the bundle manifest last and publishes a summary", async () => {
    fakeAthena();
    const store = fakeBucket();
    const result = await runComplianceReport({ scheduledTime: "2026-11-11T00:30:00Z" }, deps());

    expect(result).toMatchObject({ date: "2026-11-10", site: "plant-a", status: "written", manifestKey: `${PREFIX}manifest.json` });
    expect(result.executionIds["data-gaps"]).toBe("exec-data-gaps");
    const starts = athenaMock.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    // The scope check (is plant-a in the lake?) first, then the six compliance queries.
    expect(starts.map((s) => specBySql.get(s.QueryString!))).toEqual(["report-scope", "lake-freshness", ...COMPLIANCE_QUERIES.map((q) => q.id)]);
    expect(starts[0].ExecutionParameters).toEqual(["'2026-11-03'", "'2026-11-10'"]);
    for (const start of starts) {
      expect(start.WorkGroup).toBe("iotpipe-reports");
      expect(start.QueryExecutionContext).toEqual({ Catalog: "AwsDataCatalog", Database: "iotpipe_lake" });
    }
    const gaps = starts.find((s) => specBySql.get(s.QueryString!) === "data-gaps")!;
    expect(gaps.ExecutionParameters).toEqual(["'2026-11-10'", "'plant-a'", "3600"]);
    expect(gaps.QueryString).not.toContain("2026-11-10");

    const puts = aws.puts();
    expect(puts.map((p) => p.key)).toEqual([
      ...["daily-sensor-log", "excursions", "data-completeness", "data-gaps", "anomaly-summary", "device-inventory"].map((id) => `${PREFIX}${id}.csv`),
      `${PREFIX}report.html`,
      `${PREFIX}manifest.json`,
    ]);
    for (const put of puts) {
      expect(put.bucket).toBe("iotpipe-reports-bucket");
      expect(put.headers).toMatchObject({ "if-none-match": "*", "x-amz-sdk-checksum-algorithm": "SHA256" });
      expect(put.headers["x-amz-checksum-sha256"]).toBe(crypto.createHash("sha256").update(put.body).digest("base64"));
      expect(put.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOOPBACK\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=\S*if-none-match;\S*x-amz-checksum-sha256;\S*, Signature=[0-9a-f]{64}$/);
      expect(put.headers["x-amz-object-lock-mode"]).toBeUndefined(); // the bucket's default retention locks it
    }
    expect(puts.find((p) => p.key!.endsWith("report.html"))!.headers["content-type"]).toMatch(/^text\/html/);
    expectAllSigned();
    const manifest = JSON.parse(store.get(`${PREFIX}manifest.json`)!.toString());
    expect(manifest).toMatchObject({ date: "2026-11-10", site: "plant-a", engine: "athena", lakeFreshness: { complete: true } });
    expect(manifest.queries.find((q: any) => q.id === "excursions").executionId).toBe("exec-excursions");
    for (const f of manifest.files) {
      expect(crypto.createHash("sha256").update(store.get(`${PREFIX}${f.name}`)!).digest("hex")).toBe(f.sha256);
    }

    expect(aws.published()).toHaveLength(1);
    const publish = aws.published()[0];
    expect(publish.get("Action")).toBe("Publish");
    expect(publish.get("Version")).toBe("2010-03-31");
    expect(publish.get("TopicArn")).toBe(ENV.SNS_TOPIC_ARN);
    expect(publish.get("Subject")).toBe("Compliance report 2026-11-10 plant-a");
    expect(publish.get("Message")).toContain(`s3://iotpipe-reports-bucket/${PREFIX}`);
    expect(publish.get("Message")).toContain("1 silent all day");
  });

  it.each(["FAILED", "CANCELLED"] as const)("fails loudly with the query id and Athena's reason when a query is %s", async (state) => {
    fakeAthena({ states: { excursions: ["RUNNING", state] }, reason: "TABLE_NOT_FOUND: line 1:1: Table awsdatacatalog.iotpipe_lake.alerts does not exist" });
    const store = fakeBucket();
    await expect(runComplianceReport({ date: "2026-11-10" }, deps())).rejects.toThrow(
      `Athena query 'excursions' (execution exec-excursions) ${state}: TABLE_NOT_FOUND: line 1:1: Table awsdatacatalog.iotpipe_lake.alerts does not exist`,
    );
    expect(store.size).toBe(0);
    expect(aws.published()).toHaveLength(0);
  });

  it("exports the IoT registry into the lake before the compliance queries, through signed IoT and S3 requests", async () => {
    fakeAthena();
    fakeBucket();
    aws.iot = () => ({ body: { things: [{ thingName: "a1-press01", attributes: { site: "plant-a", line: "line-1", model: "PX-200", serial: "SN-1" } }] } });
    const queriesBeforeExport: string[][] = [];
    const lake = new S3BundleWriter("lake-bucket", { env: aws.env, retries: 1, retryBaseMs: 1, conflictBackoffMs: 1 });
    const exportRegistry = async (date: string) => {
      queriesBeforeExport.push(athenaMock.commandCalls(StartQueryExecutionCommand).map((c) => specBySql.get(c.args[0].input.QueryString!)!));
      return exportDeviceRegistry({ iot: new IotRestThingLister({ env: aws.env, retries: 0 }), store: lake, now: Date.parse("2026-11-11T00:30:00Z") }, date);
    };
    await runComplianceReport({ date: "2026-11-10" }, { ...deps(), exportRegistry });
    // Once, after the scope and freshness checks and before any compliance query (the inventory joins the snapshot).
    expect(queriesBeforeExport).toEqual([["report-scope", "lake-freshness"]]);
    expect(aws.objects.get("device_registry/dt=2026-11-10/registry.json")!.toString("utf8")).toBe(
      '{"device_id":"a1-press01","site":"plant-a","line":"line-1","model":"PX-200","serial":"SN-1","registered_at":null}\n',
    );
    expectAllSigned();
  });

  it("a failed registry export fails the report before any compliance query or write", async () => {
    fakeAthena();
    fakeBucket();
    const exportRegistry = async () => {
      throw new Error("User is not authorized to perform: iot:ListThings");
    };
    await expect(runComplianceReport({ date: "2026-11-10" }, { ...deps(), exportRegistry })).rejects.toThrow(/iot:ListThings/);
    const started = athenaMock.commandCalls(StartQueryExecutionCommand).map((c) => specBySql.get(c.args[0].input.QueryString!));
    expect(started).toEqual(["report-scope", "lake-freshness"]);
    expect(aws.puts()).toEqual([]);
  });

  it("stops a query that runs past the timeout, backing off between polls, and fails", async () => {
    fakeAthena({ states: { "lake-freshness": ["SUCCEEDED"], "data-completeness": ["QUEUED", "RUNNING"] } });
    const store = fakeBucket();
    const d = deps();
    const started = d.clockMs();
    // All sites: no scope check before the queries, so the clock measures the compliance queries alone.
    await expect(runComplianceReport({ date: "2026-11-10", site: "*" }, d)).rejects.toThrow(
      /Athena query 'data-completeness' \(execution exec-data-completeness\) still RUNNING after 60 s: stopped/,
    );
    expect(athenaMock.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input.QueryExecutionId)).toEqual(["exec-data-completeness"]);
    // Backoff 500, 1000, 2000, 4000, then 5000 ms steps: far fewer polls than a fixed 500 ms interval.
    const polls = athenaMock.commandCalls(GetQueryExecutionCommand).filter((c) => c.args[0].input.QueryExecutionId === "exec-data-completeness");
    expect(polls.length).toBeLessThan(20);
    expect(d.clockMs() - started).toBeLessThanOrEqual(60_000);
    expect(store.has("reports/2026-11-10/all/manifest.json")).toBe(false);
  });

  it("stops queries still in flight once another query of the report has failed", async () => {
    // excursions fails on its second poll; data-completeness (started alongside it) would run for a long time.
    fakeAthena({ states: { excursions: ["RUNNING", "FAILED"], "data-completeness": ["RUNNING"] }, reason: "boom" });
    fakeBucket();
    await expect(runComplianceReport({ date: "2026-11-10" }, deps())).rejects.toThrow(/'excursions'.*FAILED: boom/);
    expect(athenaMock.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input.QueryExecutionId)).toEqual(["exec-data-completeness"]);
    // Nothing after the failure was started.
    const started = athenaMock.commandCalls(StartQueryExecutionCommand).map((c) => specBySql.get(c.args[0].input.QueryString!));
    expect(started).toEqual(["report-scope", "lake-freshness", "daily-sensor-log", "excursions", "data-completeness"]);
  });

  it("a query told to stop is stopped in Athena and says why", async () => {
    fakeAthena({ states: { "data-gaps": ["RUNNING"] } });
    const abort = new AbortController();
    abort.abort();
    const spec = COMPLIANCE_QUERIES.find((q) => q.id === "data-gaps")!;
    const settings = { workGroup: "wg", database: "db", timeoutMs: 60_000, pollInitialMs: 10, pollMaxMs: 10, signal: abort.signal };
    await expect(runAthenaQuery(new AthenaClient({ region: "eu-west-1" }), spec, querySql(spec), [], settings, deps().clock)).rejects.toThrow(
      "Athena query 'data-gaps' (execution exec-data-gaps) stopped: another query of the report failed",
    );
    expect(athenaMock.commandCalls(StopQueryExecutionCommand)).toHaveLength(1);
  });

  it("pages through results beyond 1,000 rows (the header only on the first page)", async () => {
    const base = sampleReport().results.find((r) => r.queryId === "data-gaps")!;
    const rows = Array.from({ length: 2500 }, (_, i) => ["plant-a", "line-1", `dev-${i}`, "temperature", "2026-11-10 09:00:00.000", "2026-11-10 13:00:00.000", "14400"]);
    fakeAthena({ results: { "data-gaps": { ...base, rows } } });
    const store = fakeBucket();
    await runComplianceReport({ date: "2026-11-10" }, deps());
    const pages = athenaMock.commandCalls(GetQueryResultsCommand).filter((c) => c.args[0].input.QueryExecutionId === "exec-data-gaps");
    expect(pages.map((p) => p.args[0].input.NextToken)).toEqual([undefined, "1000", "2000"]);
    const csv = store.get(`${PREFIX}data-gaps.csv`)!.toString().trimEnd().split("\r\n");
    expect(csv).toHaveLength(2501);
    expect(csv[0]).toBe("site,line,device_id,metric,gap_start,gap_end,gap_seconds");
    expect(csv[1]).toContain("dev-0,");
    expect(csv[2500]).toContain("dev-2499,");
  });

  it("never writes the manifest when a file write fails", async () => {
    fakeAthena();
    const store = fakeBucket(/report\.html$/);
    await expect(runComplianceReport({ date: "2026-11-10" }, deps())).rejects.toThrow(
      `writing s3://iotpipe-reports-bucket/${PREFIX}report.html failed: HTTP 500 InternalError: We encountered an internal error. Please try again.`,
    );
    expect(store.has(`${PREFIX}manifest.json`)).toBe(false);
    expect(aws.puts().some((p) => p.key!.endsWith("manifest.json"))).toBe(false);
    // The 5xx was retried (once, as configured) before the report failed.
    expect(aws.puts().filter((p) => p.key!.endsWith("report.html"))).toHaveLength(2);
    expect(aws.published()).toHaveLength(0);
  });

  it("fails naming the missing s3:ListBucket when S3 answers 403 for a manifest that does not exist yet", async () => {
    fakeAthena();
    fakeBucket();
    aws.deniesMissingKeys = true;
    const run = runComplianceReport({ date: "2026-11-10" }, deps());
    await expect(run).rejects.toThrow(`reading s3://iotpipe-reports-bucket/${PREFIX}manifest.json was denied (HTTP 403 AccessDenied: Access Denied)`);
    await expect(run).rejects.toThrow("s3:ListBucket on bucket iotpipe-reports-bucket with no s3:prefix condition");
    expect(aws.puts()).toHaveLength(0);
    expect(aws.published()).toHaveLength(0);
  });

  it("waits for the day to be final in the lake, asking once a minute, then reports it complete", async () => {
    fakeAthena({ lastWindowEnds: ["2026-11-10 23:41:00.000", "2026-11-10 23:59:00.000", "2026-11-11 00:00:00.000"] });
    const store = fakeBucket();
    const d = deps();
    const started = d.clockMs();
    const result = await runComplianceReport({ date: "2026-11-10" }, d);
    expect(result.lakeFreshness).toMatchObject({ complete: true, checks: 3 });
    expect(d.clockMs() - started).toBeGreaterThanOrEqual(120_000);
    expect(aws.published().at(-1)!.get("Subject")).toBe("Compliance report 2026-11-10 plant-a");
    expect(store.get(`${PREFIX}report.html`)!.toString()).not.toContain("INCOMPLETE");
  });

  it("after the wait, reports a day that is still not final and says INCOMPLETE in the subject, the report and the manifest", async () => {
    // Freshness checks that answer at once: the gate's own schedule (0, 60, 120, 180 s) decides the count.
    fakeAthena({ lastWindowEnds: ["2026-11-10 23:41:00.000"], states: { "lake-freshness": ["SUCCEEDED"] } });
    const store = fakeBucket();
    const result = await runComplianceReport({ date: "2026-11-10" }, deps());
    const detail =
      "INCOMPLETE: the latest aggregate window of 2026-11-10 ends at 2026-11-10 23:41:00.000, not at midnight, after 4 check(s) over 180 s.";
    expect(result.lakeFreshness.complete).toBe(false);
    expect(result.lakeFreshness.detail).toContain(detail);
    expect(result.status).toBe("written");
    expect(aws.published().at(-1)!.get("Subject")).toBe("INCOMPLETE Compliance report 2026-11-10 plant-a");
    expect(aws.published().at(-1)!.get("Message")).toMatch(/^INCOMPLETE: the latest aggregate window/);
    expect(store.get(`${PREFIX}report.html`)!.toString()).toContain(detail);
    expect(JSON.parse(store.get(`${PREFIX}manifest.json`)!.toString()).lakeFreshness).toEqual({ complete: false, detail: result.lakeFreshness.detail });
  });

  it("a scheduled run also writes an earlier day of its lookback that has no report (a run the scheduler skipped)", async () => {
    fakeAthena();
    const store = fakeBucket();
    for (const date of ["2026-11-05", "2026-11-06"]) await runComplianceReport({ date }, deps());
    // 2026-11-07 was never reported (e.g. its run fell into a DST gap); the run for 2026-11-08 catches up.
    const result = await runComplianceReport({ scheduledTime: "2026-11-09T00:30:00Z" }, deps());
    expect(result).toMatchObject({ date: "2026-11-08", backfilled: ["2026-11-07"], stillMissing: [] });
    expect(store.has("reports/2026-11-07/plant-a/manifest.json")).toBe(true);
    // Days before the first report in the lookback are a new stack's past, not gaps: nothing written for them.
    expect([...store.keys()].filter((k) => k.endsWith("manifest.json")).sort()).toEqual(
      ["2026-11-05", "2026-11-06", "2026-11-07", "2026-11-08"].map((d) => `reports/${d}/plant-a/manifest.json`),
    );
  });

  it("leaves a missing day to the next run when the invocation has no time for it, and says so", async () => {
    fakeAthena();
    const store = fakeBucket();
    await runComplianceReport({ date: "2026-11-05" }, deps());
    const result = await runComplianceReport({ scheduledTime: "2026-11-08T00:30:00Z" }, { ...deps(), remainingMs: () => 300_000 });
    expect(result).toMatchObject({ date: "2026-11-07", backfilled: [], stillMissing: ["2026-11-06"] });
    expect(store.has("reports/2026-11-06/plant-a/manifest.json")).toBe(false);
    expect(aws.published().at(-1)!.get("Subject")).toBe("Compliance reports missing: 2026-11-06");
  });

  it("completes the partial bundle on the retry, then a re-run is a no-op with the same keys", async () => {
    fakeAthena();
    const store = fakeBucket(/report\.html$/);
    await expect(runComplianceReport({ date: "2026-11-10" }, deps())).rejects.toThrow();
    fakeBucket();
    expect((await runComplianceReport({ date: "2026-11-10" }, deps())).status).toBe("written");
    const keys = [...store.keys()].sort();

    aws.requests.length = 0;
    const rerun = await runComplianceReport({ date: "2026-11-10" }, deps());
    expect(rerun.status).toBe("unchanged");
    expect(aws.puts()).toHaveLength(0);
    expect([...store.keys()].sort()).toEqual(keys);
    expect(aws.published().at(-1)!.get("Subject")).toBe("Compliance report 2026-11-10 plant-a (re-run, unchanged)");
  });

  it("refuses loudly when a locked report for the day says something different", async () => {
    fakeAthena();
    const store = fakeBucket();
    await runComplianceReport({ date: "2026-11-10" }, deps());
    const locked = new Map(store);

    const changed = sampleReport().results.find((r) => r.queryId === "daily-sensor-log")!;
    changed.rows[0][5] = "47";
    athenaMock.reset();
    aws.requests.length = 0;
    fakeAthena({ results: { "daily-sensor-log": changed } });
    const run = runComplianceReport({ date: "2026-11-10" }, deps());
    await expect(run).rejects.toThrow(BundleConflictError);
    await expect(run).rejects.toThrow(/already locked at s3:\/\/iotpipe-reports-bucket\/reports\/2026-11-10\/plant-a\/manifest.json/);
    await expect(run).rejects.toThrow(/the report job's event field "amend"/);
    expect(aws.puts()).toHaveLength(0);
    expect(store).toEqual(locked);
  });

  it("an operator's amend event writes an amendment beside the locked report that references it, and tells the operators", async () => {
    fakeAthena();
    const store = fakeBucket();
    await runComplianceReport({ date: "2026-11-10" }, deps());
    const locked = new Map(store);
    const lockedManifest = store.get(`${PREFIX}manifest.json`)!;

    const changed = sampleReport().results.find((r) => r.queryId === "daily-sensor-log")!;
    changed.rows[0][5] = "47";
    athenaMock.reset();
    aws.requests.length = 0;
    fakeAthena({ results: { "daily-sensor-log": changed } });
    const result = await runComplianceReport({ date: "2026-11-10", amend: "late readings from dev-p1 (gateway outage, ticket 4711)" }, deps());
    expect(result).toMatchObject({ status: "amended", manifestKey: `${PREFIX}amendments/1/manifest.json` });
    expect(result.amendment).toMatchObject({
      number: 1,
      reason: "late readings from dev-p1 (gateway outage, ticket 4711)",
      amends: { manifest: "../../manifest.json", manifestSha256: crypto.createHash("sha256").update(lockedManifest).digest("hex") },
    });
    // Only new keys, each create-only and checksummed, manifest last; the locked objects are as they were.
    const puts = aws.puts();
    expect(puts.every((p) => p.key!.startsWith(`${PREFIX}amendments/1/`) && p.headers["if-none-match"] === "*")).toBe(true);
    expect(puts.at(-1)!.key).toBe(`${PREFIX}amendments/1/manifest.json`);
    for (const [key, body] of locked) expect(store.get(key)).toEqual(body);
    expect(JSON.parse(store.get(`${PREFIX}amendments/1/manifest.json`)!.toString()).amendment.reason).toBe("late readings from dev-p1 (gateway outage, ticket 4711)");
    const publish = aws.published().at(-1)!;
    expect(publish.get("Subject")).toBe("Compliance report 2026-11-10 plant-a (amendment 1)");
    expect(publish.get("Message")).toContain(`s3://iotpipe-reports-bucket/${PREFIX}amendments/1/`);
    expect(publish.get("Message")).toContain("Amendment 1, superseding ../../manifest.json: late readings from dev-p1 (gateway outage, ticket 4711)");

    // The same amend event again (a retry) writes nothing.
    aws.requests.length = 0;
    expect((await runComplianceReport({ date: "2026-11-10", amend: "late readings from dev-p1 (gateway outage, ticket 4711)" }, deps())).status).toBe("unchanged");
    expect(aws.puts()).toHaveLength(0);
  });

  it("an amend event without a usable reason fails before any query runs", async () => {
    fakeAthena();
    fakeBucket();
    await expect(runComplianceReport({ date: "2026-11-10", amend: " " }, deps())).rejects.toThrow(/an amendment needs a reason/);
    expect(athenaMock.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });

  it("refuses a site the lake has no readings for, naming the sites it has, before any query or write", async () => {
    fakeAthena();
    fakeBucket();
    const run = runComplianceReport({ date: "2026-11-10", site: "plant-x" }, deps());
    await expect(run).rejects.toThrow(ReportScopeError);
    await expect(run).rejects.toThrow(
      "site 'plant-x' has no readings in the lake from 2026-11-03 to 2026-11-10 (the report day and its 7 lookback days), " +
        "so its report would be empty; sites with readings on 2026-11-10: plant-a, plant-b",
    );
    expect(athenaMock.commandCalls(StartQueryExecutionCommand).map((c) => specBySql.get(c.args[0].input.QueryString!))).toEqual(["report-scope"]);
    expect(aws.puts()).toHaveLength(0);
    expect(aws.published()).toHaveLength(0);
  });

  it("an all-sites report runs no scope query (the schedule writes its record even for a quiet plant)", async () => {
    fakeAthena();
    fakeBucket();
    await expect(runComplianceReport({ date: "2026-11-10", site: "*" }, deps())).resolves.toMatchObject({ status: "written", site: "*" });
    expect(athenaMock.commandCalls(StartQueryExecutionCommand).map((c) => specBySql.get(c.args[0].input.QueryString!))).toEqual(["lake-freshness", ...COMPLIANCE_QUERIES.map((q) => q.id)]);
  });

  it("reports on yesterday in the configured time zone, never on a UTC day still running", () => {
    expect(defaultReportDate(new Date("2026-11-11T00:30:00Z"), "Europe/Berlin")).toBe("2026-11-10");
    expect(defaultReportDate(new Date("2026-11-11T07:30:00Z"), "America/Los_Angeles")).toBe("2026-11-09");
    expect(defaultReportDate(new Date("2026-11-10T15:30:00Z"), "Asia/Tokyo")).toBe("2026-11-09");
  });

  it("rejects a bad configuration naming every problem", () => {
    expect(() => loadConfig({ ...ENV, ATHENA_WORKGROUP: "", REPORT_TIMEZONE: "Mars/Olympus", SNS_TOPIC_ARN: "topic" })).toThrow(
      /ATHENA_WORKGROUP.*SNS_TOPIC_ARN: an SNS topic ARN.*REPORT_TIMEZONE: an IANA time zone/,
    );
    expect(() => loadConfig({ ...ENV, GLUE_DATABASE: undefined, LOOKBACK_DAYS: "0", POLL_MAX_MS: "1.5", QUERY_CONCURRENCY: "three", MIN_GAP_SECONDS: "" })).toThrow(
      "compliance-report configuration is invalid: GLUE_DATABASE: required, not set; LOOKBACK_DAYS: a positive integer, not '0'; " +
        "MIN_GAP_SECONDS: a positive integer, not ''; POLL_MAX_MS: a positive integer, not '1.5'; QUERY_CONCURRENCY: a positive integer, not 'three'",
    );
  });

  it("reads numbers from their text and fills in the defaults", () => {
    const { REPORT_TIMEZONE, REPORT_SITE, LOOKBACK_DAYS, MIN_GAP_SECONDS, QUERY_TIMEOUT_SECONDS, ...rest } = ENV;
    expect(loadConfig({ ...rest, QUERY_TIMEOUT_SECONDS: " 60 " })).toEqual({
      ATHENA_WORKGROUP: ENV.ATHENA_WORKGROUP,
      GLUE_DATABASE: ENV.GLUE_DATABASE,
      REPORTS_BUCKET: ENV.REPORTS_BUCKET,
      SNS_TOPIC_ARN: ENV.SNS_TOPIC_ARN,
      REPORT_TIMEZONE: "UTC",
      REPORT_SITE: "*",
      LOOKBACK_DAYS: 7,
      MIN_GAP_SECONDS: 900,
      QUERY_TIMEOUT_SECONDS: 60,
      POLL_INITIAL_MS: 500,
      POLL_MAX_MS: 5000,
      QUERY_CONCURRENCY: 3,
      FRESHNESS_WAIT_SECONDS: 180,
      FRESHNESS_POLL_SECONDS: 60,
      // No lake bucket: the IoT registry export is off.
      LAKE_BUCKET: "",
      FLEET_THING_TYPE: "",
    });
    void [REPORT_TIMEZONE, REPORT_SITE, LOOKBACK_DAYS, MIN_GAP_SECONDS, QUERY_TIMEOUT_SECONDS];
  });

  it("the Lambda entry point reads its configuration from the environment", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, ENV, aws.env, { QUERY_TIMEOUT_SECONDS: "5", POLL_INITIAL_MS: "1", POLL_MAX_MS: "2", POWERTOOLS_METRICS_DISABLED: "true", POWERTOOLS_LOG_LEVEL: "SILENT" });
    try {
      fakeAthena();
      fakeBucket();
      const { handler } = require("../../handlers/compliance-report/index");
      await expect(handler({ date: "2026-11-10", site: "plant-a" })).resolves.toMatchObject({ status: "written" });
      // The bucket and the topic come from the configuration, through the signed REST calls.
      expect(new Set(aws.puts().map((p) => p.bucket))).toEqual(new Set([ENV.REPORTS_BUCKET]));
      expect(aws.published().map((p) => p.get("TopicArn"))).toEqual([ENV.SNS_TOPIC_ARN]);
      expectAllSigned();
      await expect(handler({ date: "2026-13-01" })).rejects.toThrow(/not a calendar day/);
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });
});
