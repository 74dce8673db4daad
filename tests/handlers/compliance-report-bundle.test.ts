/**
 * The deployed artifact, not the source: the compliance-report package (esbuild bundle + SQL files, exactly as
 * the component ships it) runs in a fresh Node process against a loopback stand-in for Athena, S3 and SNS. This
 * proves the bundle loads, finds its SQL beside it, takes its credentials from the environment, and that what
 * goes over the wire is what the protocol relies on: the Athena SDK client's ExecutionParameters, and the signed
 * S3 REST calls' If-None-Match: *, SHA-256 checksum header, manifest last, and SNS's Publish form.
 * One endpoint for all three (AWS_ENDPOINT_URL, the SDK's global override, which the REST calls honour too).
 *
 * The alert-notifier bundle, built the same way, runs the same way against the signature-checking loopback
 * stand-in (loopback-aws.ts): it publishes with no SDK client, no credential chain and no classic zod inside.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { AddressInfo } from "net";
import { bundleHandler } from "../../handlers/bundle";
import { complianceReportPackage } from "../../handlers/compliance-report/package";
import { LoopbackAws, startLoopbackAws } from "./loopback-aws";

interface Put {
  key: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Just enough of Athena (JSON 1.1), S3 (REST) and SNS (query or JSON) for one report run. */
function fakeAws() {
  const objects = new Map<string, Buffer>();
  const puts: Put[] = [];
  const athenaCalls: Array<{ target: string; body: any }> = [];
  const scopeIds = new Set<string>();
  const published: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const target = String(req.headers["x-amz-target"] ?? "");
      if (target.startsWith("AmazonAthena.")) {
        const input = JSON.parse(body.toString() || "{}");
        athenaCalls.push({ target, body: input });
        res.setHeader("content-type", "application/x-amz-json-1.1");
        const op = target.split(".")[1];
        if (op === "StartQueryExecution") {
          const id = `q-${athenaCalls.length}`;
          if (String(input.QueryString).startsWith("-- Report scope")) scopeIds.add(id);
          return res.end(JSON.stringify({ QueryExecutionId: id }));
        }
        if (op === "GetQueryExecution") {
          return res.end(JSON.stringify({ QueryExecution: { QueryExecutionId: input.QueryExecutionId, Status: { State: "SUCCEEDED" }, Statistics: { DataScannedInBytes: 2048 } } }));
        }
        if (op === "GetQueryResults" && scopeIds.has(input.QueryExecutionId)) {
          // The scope check: plant-a has readings in the window.
          const names = ["site", "first_day", "last_day", "readings"];
          const rows = [names, ["plant-a", "2026-11-09", "2026-11-10", "96"]].map((r) => ({ Data: r.map((v) => ({ VarCharValue: v })) }));
          return res.end(JSON.stringify({ ResultSet: { ResultSetMetadata: { ColumnInfo: names.map((n) => ({ Name: n, Type: "varchar" })) }, Rows: rows } }));
        }
        if (op === "GetQueryResults") {
          const header = { Data: [{ VarCharValue: "site" }] };
          return res.end(JSON.stringify({ ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: "site", Type: "varchar" }] }, Rows: [header] } }));
        }
        res.statusCode = 400;
        return res.end(JSON.stringify({ __type: "InvalidRequestException", Message: `unexpected ${op}` }));
      }
      const text = body.toString();
      if (text.includes("Action=Publish") || target.includes("Publish")) {
        published.push(text);
        if (String(req.headers["content-type"]).includes("json")) {
          res.setHeader("content-type", "application/x-amz-json-1.0");
          return res.end(JSON.stringify({ MessageId: "m-1" }));
        }
        res.setHeader("content-type", "text/xml");
        return res.end(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>`);
      }
      const key = decodeURIComponent(new URL(req.url!, "http://x").pathname.replace(/^\/[^/]+\//, ""));
      res.setHeader("content-type", "application/xml");
      if (req.method === "PUT") {
        puts.push({ key, headers: req.headers, body });
        if (req.headers["if-none-match"] === "*" && objects.has(key)) {
          res.statusCode = 412;
          return res.end(`<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`);
        }
        objects.set(key, body);
        res.setHeader("etag", '"e"');
        return res.end();
      }
      if (req.method === "GET" && objects.has(key)) {
        res.setHeader("content-type", "application/octet-stream");
        return res.end(objects.get(key));
      }
      res.statusCode = 404;
      return res.end(`<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${key}</Key></Error>`);
    });
  });
  return { server, objects, puts, athenaCalls, published };
}

/** The report bundle's Lambda environment, every AWS call going to `endpoint`. */
function reportEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDTEST",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_SESSION_TOKEN: "session",
    AWS_ENDPOINT_URL: endpoint,
    AWS_MAX_ATTEMPTS: "1",
    ATHENA_WORKGROUP: "wg",
    GLUE_DATABASE: "lake_db",
    REPORTS_BUCKET: "reports-bucket",
    SNS_TOPIC_ARN: "arn:aws:sns:eu-west-1:123456789012:ops",
    POLL_INITIAL_MS: "5",
    // The stand-in's aggregates are empty: report at once, marked incomplete, instead of waiting for the lake.
    FRESHNESS_WAIT_SECONDS: "0",
  };
}

/**
 * Invokes the bundled handler in a fresh Node process with only PATH, `env` and Powertools' quiet settings in its
 * environment; resolves with its result or rejects with its error.
 */
function invokeBundle(dir: string, env: Record<string, string>, event: object): Promise<any> {
  const script = `require(process.argv[1]).handler(${JSON.stringify(event)}).then(
    (r) => process.stdout.write(JSON.stringify({ ok: r })),
    (e) => process.stdout.write(JSON.stringify({ error: String(e && e.message) })))`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--no-warnings", "-e", script, path.join(dir, "index.js")], {
      env: { PATH: process.env.PATH, ...env, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", () => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`bundle run printed no result; stderr: ${err}`));
      }
    });
  });
}

describe("compliance-report bundle, as deployed", () => {
  let dir: string;
  const aws = fakeAws();
  let endpoint: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-bundle-"));
    for (const [file, content] of Object.entries(complianceReportPackage().files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
    }
    await new Promise<void>((r) => aws.server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(aws.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => aws.server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs the queries, writes the bundle with conditional, checksummed PUTs, manifest last, and is idempotent", async () => {
    const first = await invokeBundle(dir, reportEnvironment(endpoint), { date: "2026-11-10", site: "plant-a" });
    expect(first.error).toBeUndefined();
    expect(first.ok).toMatchObject({ date: "2026-11-10", site: "plant-a", status: "written", manifestKey: "reports/2026-11-10/plant-a/manifest.json" });

    const starts = aws.athenaCalls.filter((c) => c.target === "AmazonAthena.StartQueryExecution").map((c) => c.body);
    // The scope check (the site is in the lake), the freshness check (sql/athena/lake-freshness.sql, packaged beside
    // the handler), then the six compliance queries.
    expect(starts).toHaveLength(8);
    expect(starts[0].QueryString).toMatch(/^-- Report scope/);
    expect(starts[0].ExecutionParameters).toEqual(["'2026-11-03'", "'2026-11-10'"]);
    expect(starts[1].QueryString).toMatch(/^-- Lake freshness/);
    for (const s of starts) {
      expect(s).toMatchObject({ WorkGroup: "wg", QueryExecutionContext: { Catalog: "AwsDataCatalog", Database: "lake_db" } });
      expect(s.QueryString).toMatch(/^-- /);
    }
    for (const s of starts.slice(1)) expect(s.ExecutionParameters).toContain("'plant-a'");

    expect(aws.puts.map((p) => p.key.split("/").pop())).toEqual([
      "daily-sensor-log.csv", "excursions.csv", "data-completeness.csv", "data-gaps.csv", "anomaly-summary.csv", "device-inventory.csv",
      "report.html", "manifest.json",
    ]);
    for (const put of aws.puts) {
      expect(put.key.startsWith("reports/2026-11-10/plant-a/")).toBe(true);
      expect(put.headers["if-none-match"]).toBe("*");
      expect(put.headers["x-amz-checksum-sha256"]).toBe(crypto.createHash("sha256").update(put.body).digest("base64"));
      expect(put.headers["x-amz-sdk-checksum-algorithm"]).toBe("SHA256");
      expect(put.headers["x-amz-security-token"]).toBe("session");
      expect(put.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=[^,]*if-none-match[^,]*, Signature=[0-9a-f]{64}$/);
    }
    expect(aws.published).toHaveLength(1);
    const publish = new URLSearchParams(aws.published[0]);
    expect(publish.get("Action")).toBe("Publish");
    expect(publish.get("TopicArn")).toBe("arn:aws:sns:eu-west-1:123456789012:ops");
    // The stand-in's lake has no aggregate windows, and FRESHNESS_WAIT_SECONDS is 0: reported at once, marked so.
    expect(publish.get("Subject")).toBe("INCOMPLETE Compliance report 2026-11-10 plant-a");
    expect(publish.get("Message")).toContain("s3://reports-bucket/reports/2026-11-10/plant-a/");

    const putsBefore = aws.puts.length;
    const again = await invokeBundle(dir, reportEnvironment(endpoint), { date: "2026-11-10", site: "plant-a" });
    expect(again.ok).toMatchObject({ status: "unchanged" });
    expect(aws.puts.length).toBe(putsBefore);
  });
});

describe("alert-notifier bundle, as deployed", () => {
  const TOPIC = "arn:aws:sns:eu-west-1:123456789012:ops";
  let dir: string;
  let aws: LoopbackAws;
  const bundle = bundleHandler("alert-notifier");

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "notifier-bundle-"));
    fs.writeFileSync(path.join(dir, "index.js"), bundle.code);
    aws = await startLoopbackAws();
  });
  afterAll(async () => {
    await aws.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("publishes each transition with its attributes as a signed Publish, skips a malformed record, fails nothing", async () => {
    const alert = {
      device_id: "press-07", site: "plant-a", line: "line-2", metric: "temperature", rule: "static_limit", state: "open",
      event_ts: Date.UTC(2026, 10, 23, 10, 15), episode_start: Date.UTC(2026, 10, 23, 10, 15), episode_end: null,
      peak_value: 412.34, limit_value: 400, anomaly_count: 3, severity: "critical",
    };
    const kinesis = (seq: string, text: string) => ({ eventID: `shardId-000:${seq}`, kinesis: { data: Buffer.from(text).toString("base64"), sequenceNumber: seq, partitionKey: "press-07" } });
    const result = await invokeBundle(dir, { ...aws.env, ALERTS_TOPIC_ARN: TOPIC }, {
      Records: [kinesis("1", JSON.stringify(alert)), kinesis("2", "{not json"), kinesis("3", JSON.stringify({ ...alert, state: "cleared", episode_end: Date.UTC(2026, 10, 23, 10, 40) }))],
    });
    expect(result).toEqual({ ok: { batchItemFailures: [] } });
    expect(aws.requests.map((r) => [r.service, r.method, r.signatureProblem])).toEqual([
      ["sns", "POST", undefined],
      ["sns", "POST", undefined],
    ]);
    const [opened, cleared] = aws.published().map((form) => Object.fromEntries(form));
    expect(opened).toEqual({
      Action: "Publish",
      Version: "2010-03-31",
      TopicArn: TOPIC,
      Subject: "[CRITICAL] Alert: temperature on plant-a/line-2/press-07",
      Message:
        "OPEN critical alert on plant-a/line-2/press-07: temperature (rule static_limit)\n" +
        "Peak 412.34 against limit 400; 3 anomalous reading(s)\n" +
        "Episode started 2026-11-23T10:15:00Z",
      "MessageAttributes.entry.1.Name": "device",
      "MessageAttributes.entry.1.Value.DataType": "String",
      "MessageAttributes.entry.1.Value.StringValue": "press-07",
      "MessageAttributes.entry.2.Name": "metric",
      "MessageAttributes.entry.2.Value.DataType": "String",
      "MessageAttributes.entry.2.Value.StringValue": "temperature",
      "MessageAttributes.entry.3.Name": "severity",
      "MessageAttributes.entry.3.Value.DataType": "String",
      "MessageAttributes.entry.3.Value.StringValue": "critical",
      "MessageAttributes.entry.4.Name": "site",
      "MessageAttributes.entry.4.Value.DataType": "String",
      "MessageAttributes.entry.4.Value.StringValue": "plant-a",
      "MessageAttributes.entry.5.Name": "state",
      "MessageAttributes.entry.5.Value.DataType": "String",
      "MessageAttributes.entry.5.Value.StringValue": "open",
    });
    expect(cleared).toMatchObject({ Subject: "[CRITICAL] Cleared: temperature on plant-a/line-2/press-07", "MessageAttributes.entry.5.Value.StringValue": "cleared" });
  });

  it("contains no SNS client, no SDK credential chain and no classic zod", () => {
    const inputs = Object.keys(bundle.inputs);
    expect(inputs.filter((f) => /@aws-sdk\/(client-sns|credential-provider-[a-z-]+|nested-clients|token-providers)\//.test(f))).toEqual([]);
    expect(inputs.filter((f) => /node_modules\/zod\/(v4\/classic|v3)\//.test(f))).toEqual([]);
    expect(inputs).toEqual(expect.arrayContaining(["handlers/shared/sns-publish.ts", "node_modules/zod/v4/mini/schemas.js"]));
  });
});

describe("Lambda bundles", () => {
  it.each(["compliance-report", "alert-notifier"])("%s takes credentials from the environment only: no SDK credential chain, no S3 client", (name) => {
    const inputs = Object.keys(bundleHandler(name).inputs);
    expect(inputs).toContain("handlers/lambda-credentials.ts");
    expect(inputs.filter((f) => /@aws-sdk\/(credential-provider-(node|sso|ini|process|web-identity|http|login)|nested-clients|client-s3|token-providers)\//.test(f))).toEqual([]);
  });
});
