/**
 * The compliance-report Lambda against mocked AWS clients (aws-sdk-client-mock): Athena runs and pages, every
 * failure mode fails loudly with the query and execution ids, and the S3 bundle protocol holds (conditional
 * writes, manifest last, idempotent re-run, locked report never replaced).
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
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import * as crypto from "crypto";
import { COMPLIANCE_QUERIES, querySql } from "../../reports/queries";
import { QueryResult } from "../../reports/model";
import { BundleConflictError } from "../../reports/bundle-writer";
import { loadConfig } from "../../handlers/compliance-report/config";
import { defaultReportDate, runComplianceReport, ReportJobDeps } from "../../handlers/compliance-report/job";
import { runAthenaQuery } from "../../handlers/compliance-report/athena";
import { sampleReport } from "../reports/sample-report";

const athenaMock = mockClient(AthenaClient);
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);

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
const specBySql = new Map(COMPLIANCE_QUERIES.map((q) => [querySql(q), q.id]));

interface AthenaScenario {
  /** State sequence per query id (last state repeats); default QUEUED, RUNNING, SUCCEEDED. */
  states?: Record<string, QueryExecutionState[]>;
  reason?: string;
  /** Results per query id; default the sample report's. */
  results?: Record<string, QueryResult>;
}

function fakeAthena(scenario: AthenaScenario = {}) {
  const polls = new Map<string, number>();
  const results = Object.fromEntries(sampleReport().results.map((r) => [r.queryId, r]));
  Object.assign(results, scenario.results ?? {});
  athenaMock.on(StartQueryExecutionCommand).callsFake((input) => {
    const id = specBySql.get(input.QueryString);
    if (!id) throw new Error("unexpected SQL text");
    return { QueryExecutionId: `exec-${id}` };
  });
  athenaMock.on(GetQueryExecutionCommand).callsFake((input) => {
    const id = input.QueryExecutionId.replace(/^exec-/, "");
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
    const result = results[input.QueryExecutionId.replace(/^exec-/, "")];
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

/** An S3 bucket in memory that honours If-None-Match: * like the real one (412 when the key exists). */
function fakeBucket(store = new Map<string, Buffer>(), failOn?: RegExp) {
  s3Mock.on(PutObjectCommand).callsFake((input) => {
    if (failOn?.test(input.Key)) {
      throw new S3ServiceException({ name: "InternalError", $fault: "server", $metadata: { httpStatusCode: 500 }, message: "We encountered an internal error" });
    }
    const body = Buffer.from(input.Body as Buffer);
    if (input.ChecksumSHA256 !== crypto.createHash("sha256").update(body).digest("base64")) throw new Error("bad checksum");
    if (input.IfNoneMatch === "*" && store.has(input.Key)) {
      throw new S3ServiceException({ name: "PreconditionFailed", $fault: "client", $metadata: { httpStatusCode: 412 }, message: "At least one of the pre-conditions you specified did not hold" });
    }
    store.set(input.Key, body);
    return { ETag: '"etag"' };
  });
  s3Mock.on(GetObjectCommand).callsFake((input) => {
    const body = store.get(input.Key);
    if (!body) throw new NoSuchKey({ message: "The specified key does not exist.", $metadata: { httpStatusCode: 404 } });
    return { Body: { transformToByteArray: async () => new Uint8Array(body) } };
  });
  return store;
}

function deps(): ReportJobDeps & { clockMs: () => number } {
  let now = Date.parse("2026-11-11T00:30:00Z");
  return {
    athena: new AthenaClient({ region: "eu-west-1" }),
    s3: new S3Client({ region: "eu-west-1" }),
    sns: new SNSClient({ region: "eu-west-1" }),
    logger: new Logger({ serviceName: "test", logLevel: "SILENT" }),
    metrics: new Metrics({ namespace: "test", serviceName: "test" }),
    config: loadConfig(ENV),
    clock: { now: () => now, sleep: async (ms) => void (now += ms) },
    clockMs: () => now,
  };
}

const PREFIX = "reports/2026-11-10/plant-a/";

beforeEach(() => {
  athenaMock.reset();
  s3Mock.reset();
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: "m-1" });
});

describe("compliance-report handler", () => {
  it("runs every query with bound parameters, writes the bundle manifest last and publishes a summary", async () => {
    fakeAthena();
    const store = fakeBucket();
    const result = await runComplianceReport({ scheduledTime: "2026-11-11T00:30:00Z" }, deps());

    expect(result).toMatchObject({ date: "2026-11-10", site: "plant-a", status: "written", manifestKey: `${PREFIX}manifest.json` });
    expect(result.executionIds["data-gaps"]).toBe("exec-data-gaps");
    const starts = athenaMock.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toHaveLength(6);
    for (const start of starts) {
      expect(start.WorkGroup).toBe("iotpipe-reports");
      expect(start.QueryExecutionContext).toEqual({ Catalog: "AwsDataCatalog", Database: "iotpipe_lake" });
    }
    const gaps = starts.find((s) => specBySql.get(s.QueryString!) === "data-gaps")!;
    expect(gaps.ExecutionParameters).toEqual(["'2026-11-10'", "'plant-a'", "3600"]);
    expect(gaps.QueryString).not.toContain("2026-11-10");

    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key)).toEqual([
      ...["daily-sensor-log", "excursions", "data-completeness", "data-gaps", "anomaly-summary", "device-inventory"].map((id) => `${PREFIX}${id}.csv`),
      `${PREFIX}report.html`,
      `${PREFIX}manifest.json`,
    ]);
    for (const put of puts) {
      expect(put).toMatchObject({ Bucket: "iotpipe-reports-bucket", IfNoneMatch: "*", ChecksumAlgorithm: "SHA256" });
      expect(put.ObjectLockMode).toBeUndefined(); // the bucket's default retention locks it
    }
    const manifest = JSON.parse(store.get(`${PREFIX}manifest.json`)!.toString());
    expect(manifest).toMatchObject({ date: "2026-11-10", site: "plant-a", engine: "athena" });
    expect(manifest.queries.find((q: any) => q.id === "excursions").executionId).toBe("exec-excursions");
    for (const f of manifest.files) {
      expect(crypto.createHash("sha256").update(store.get(`${PREFIX}${f.name}`)!).digest("hex")).toBe(f.sha256);
    }

    const publish = snsMock.commandCalls(PublishCommand)[0].args[0].input;
    expect(publish.TopicArn).toBe(ENV.SNS_TOPIC_ARN);
    expect(publish.Subject).toBe("Compliance report 2026-11-10 plant-a");
    expect(publish.Message).toContain(`s3://iotpipe-reports-bucket/${PREFIX}`);
    expect(publish.Message).toContain("1 silent all day");
  });

  it.each(["FAILED", "CANCELLED"] as const)("fails loudly with the query id and Athena's reason when a query is %s", async (state) => {
    fakeAthena({ states: { excursions: ["RUNNING", state] }, reason: "TABLE_NOT_FOUND: line 1:1: Table awsdatacatalog.iotpipe_lake.alerts does not exist" });
    const store = fakeBucket();
    await expect(runComplianceReport({ date: "2026-11-10" }, deps())).rejects.toThrow(
      `Athena query 'excursions' (execution exec-excursions) ${state}: TABLE_NOT_FOUND: line 1:1: Table awsdatacatalog.iotpipe_lake.alerts does not exist`,
    );
    expect(store.size).toBe(0);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("stops a query that runs past the timeout, backing off between polls, and fails", async () => {
    fakeAthena({ states: { "data-completeness": ["QUEUED", "RUNNING"] } });
    const store = fakeBucket();
    const d = deps();
    const started = d.clockMs();
    await expect(runComplianceReport({ date: "2026-11-10" }, d)).rejects.toThrow(
      /Athena query 'data-completeness' \(execution exec-data-completeness\) still RUNNING after 60 s: stopped/,
    );
    expect(athenaMock.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input.QueryExecutionId)).toEqual(["exec-data-completeness"]);
    // Backoff 500, 1000, 2000, 4000, then 5000 ms steps: far fewer polls than a fixed 500 ms interval.
    const polls = athenaMock.commandCalls(GetQueryExecutionCommand).filter((c) => c.args[0].input.QueryExecutionId === "exec-data-completeness");
    expect(polls.length).toBeLessThan(20);
    expect(d.clockMs() - started).toBeLessThanOrEqual(60_000);
    expect(store.has(`${PREFIX}manifest.json`)).toBe(false);
  });

  it("stops queries still in flight once another query of the report has failed", async () => {
    // excursions fails on its second poll; data-completeness (started alongside it) would run for a long time.
    fakeAthena({ states: { excursions: ["RUNNING", "FAILED"], "data-completeness": ["RUNNING"] }, reason: "boom" });
    fakeBucket();
    await expect(runComplianceReport({ date: "2026-11-10" }, deps())).rejects.toThrow(/'excursions'.*FAILED: boom/);
    expect(athenaMock.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input.QueryExecutionId)).toEqual(["exec-data-completeness"]);
    // Nothing after the failure was started.
    const started = athenaMock.commandCalls(StartQueryExecutionCommand).map((c) => specBySql.get(c.args[0].input.QueryString!));
    expect(started).toEqual(["daily-sensor-log", "excursions", "data-completeness"]);
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
    const store = fakeBucket(new Map(), /report\.html$/);
    await expect(runComplianceReport({ date: "2026-11-10" }, deps())).rejects.toThrow(
      `writing s3://iotpipe-reports-bucket/${PREFIX}report.html failed: We encountered an internal error`,
    );
    expect(store.has(`${PREFIX}manifest.json`)).toBe(false);
    expect(s3Mock.commandCalls(PutObjectCommand).some((c) => c.args[0].input.Key!.endsWith("manifest.json"))).toBe(false);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("completes the partial bundle on the retry, then a re-run is a no-op with the same keys", async () => {
    fakeAthena();
    const store = fakeBucket(new Map(), /report\.html$/);
    await expect(runComplianceReport({ date: "2026-11-10" }, deps())).rejects.toThrow();
    s3Mock.reset();
    fakeBucket(store);
    expect((await runComplianceReport({ date: "2026-11-10" }, deps())).status).toBe("written");
    const keys = [...store.keys()].sort();

    s3Mock.reset();
    fakeBucket(store);
    const rerun = await runComplianceReport({ date: "2026-11-10" }, deps());
    expect(rerun.status).toBe("unchanged");
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect([...store.keys()].sort()).toEqual(keys);
    expect(snsMock.commandCalls(PublishCommand).at(-1)!.args[0].input.Subject).toBe("Compliance report 2026-11-10 plant-a (re-run, unchanged)");
  });

  it("refuses loudly when a locked report for the day says something different", async () => {
    fakeAthena();
    const store = fakeBucket();
    await runComplianceReport({ date: "2026-11-10" }, deps());
    const locked = new Map(store);

    const changed = sampleReport().results.find((r) => r.queryId === "daily-sensor-log")!;
    changed.rows[0][5] = "47";
    athenaMock.reset();
    s3Mock.reset();
    fakeAthena({ results: { "daily-sensor-log": changed } });
    fakeBucket(store);
    const run = runComplianceReport({ date: "2026-11-10" }, deps());
    await expect(run).rejects.toThrow(BundleConflictError);
    await expect(run).rejects.toThrow(/already locked at s3:\/\/iotpipe-reports-bucket\/reports\/2026-11-10\/plant-a\/manifest.json/);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(store).toEqual(locked);
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
  });

  it("the Lambda entry point reads its configuration from the environment", async () => {
    Object.assign(process.env, ENV, { QUERY_TIMEOUT_SECONDS: "5", POLL_INITIAL_MS: "1", POLL_MAX_MS: "2", POWERTOOLS_METRICS_DISABLED: "true", POWERTOOLS_LOG_LEVEL: "SILENT" });
    fakeAthena();
    fakeBucket();
    const { handler } = require("../../handlers/compliance-report/index");
    await expect(handler({ date: "2026-11-10", site: "plant-a" })).resolves.toMatchObject({ status: "written" });
    await expect(handler({ date: "2026-13-01" })).rejects.toThrow(/not a calendar day/);
  });
});
