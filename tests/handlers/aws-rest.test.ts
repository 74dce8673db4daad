/**
 * The report Lambda's S3 and SNS calls without SDK clients (handlers/shared/aws-rest.ts, S3BundleWriter,
 * SnsPublisher) and the environment-only credential provider the bundles use instead of the SDK's default chain.
 * S3 and SNS are a loopback stand-in (loopback-aws.ts) that checks every SigV4 signature with the SDK's signer.
 */
import * as crypto from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { S3BundleWriter } from "../../handlers/compliance-report/s3-bundle-writer";
import { defaultProvider } from "../../handlers/lambda-credentials";
import { awsXmlError, endpointOverride } from "../../handlers/shared/aws-rest";
import { SnsPublisher } from "../../handlers/shared/sns-publish";
import { FAKE_CREDENTIALS, LoopbackAws, startLoopbackAws } from "./loopback-aws";

const BUCKET = "iotpipe-reports-bucket";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:iotpipe-operators";
let aws: LoopbackAws;

beforeAll(async () => {
  aws = await startLoopbackAws();
});
afterAll(() => aws.close());
beforeEach(() => aws.reset());

const writer = (options: ConstructorParameters<typeof S3BundleWriter>[1] = {}) =>
  new S3BundleWriter(BUCKET, { env: aws.env, retries: 2, retryBaseMs: 1, conflictBackoffMs: 1, ...options });
const sha256 = (body: Buffer, encoding: "base64" | "hex") => crypto.createHash("sha256").update(body).digest(encoding);

describe("S3BundleWriter over signed REST calls", () => {
  it("creates an object with a conditional, checksummed, signed PUT; a second create finds it (412) and changes nothing", async () => {
    const body = Buffer.from("site,line\nplant-a,line-1\n");
    expect(await writer().createIfAbsent("reports/2026-11-10/plant-a/excursions.csv", body, "text/csv; charset=utf-8")).toBe(true);
    expect(await writer().createIfAbsent("reports/2026-11-10/plant-a/excursions.csv", Buffer.from("other"), "text/csv")).toBe(false);
    expect(aws.objects.get("reports/2026-11-10/plant-a/excursions.csv")).toEqual(body);

    const [put] = aws.puts();
    expect(put).toMatchObject({ bucket: BUCKET, key: "reports/2026-11-10/plant-a/excursions.csv", path: `/${BUCKET}/reports/2026-11-10/plant-a/excursions.csv` });
    expect(put.headers).toMatchObject({
      "if-none-match": "*",
      "x-amz-checksum-sha256": sha256(body, "base64"),
      "x-amz-sdk-checksum-algorithm": "SHA256",
      "x-amz-content-sha256": sha256(body, "hex"), // signed payload, not UNSIGNED-PAYLOAD
      "x-amz-security-token": FAKE_CREDENTIALS.AWS_SESSION_TOKEN,
      "content-type": "text/csv; charset=utf-8",
    });
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(put.headers.authorization))![1].split(";");
    expect(signedHeaders).toEqual(expect.arrayContaining(["host", "if-none-match", "x-amz-checksum-sha256", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"]));
    expect(aws.requests.map((r) => r.signatureProblem)).toEqual([undefined, undefined]);
  });

  it("reads an object back, and a missing key (404) as null", async () => {
    aws.objects.set("reports/a.json", Buffer.from("{}"));
    expect(await writer().read("reports/a.json")).toEqual(Buffer.from("{}"));
    expect(await writer().read("reports/missing.json")).toBeNull();
    expect(aws.requests.map((r) => [r.method, r.key, r.signatureProblem])).toEqual([
      ["GET", "reports/a.json", undefined],
      ["GET", "reports/missing.json", undefined],
    ]);
  });

  it("encodes keys per segment, so unusual characters reach S3 as the same key and the signature still verifies", async () => {
    const key = "reports/2026-11-10/site:a b+c(1)!'*~é/report.html";
    expect(await writer().createIfAbsent(key, Buffer.from("<html>"), "text/html")).toBe(true);
    expect(await writer().read(key)).toEqual(Buffer.from("<html>"));
    expect(aws.requests.map((r) => r.key)).toEqual([key, key]);
    expect(aws.puts()[0].path).toBe(`/${BUCKET}/reports/2026-11-10/site%3Aa%20b%2Bc%281%29%21%27%2A~%C3%A9/report.html`);
    expect(aws.requests.every((r) => r.signatureProblem === undefined)).toBe(true);
  });

  it("retries a conditional-write conflict (409) and then writes", async () => {
    aws.conflicts = 2;
    expect(await writer({ conflictRetries: 3 }).createIfAbsent("k/manifest.json", Buffer.from("{}"), "application/json")).toBe(true);
    expect(aws.puts()).toHaveLength(3);
    expect(aws.objects.has("k/manifest.json")).toBe(true);
  });

  it("fails after the conflict retries, naming the object, the status and S3's code and message", async () => {
    aws.conflicts = 10;
    await expect(writer({ conflictRetries: 3 }).createIfAbsent("k/manifest.json", Buffer.from("{}"), "application/json")).rejects.toThrow(
      `writing s3://${BUCKET}/k/manifest.json failed: HTTP 409 ConditionalRequestConflict: A conflicting operation occurred.`,
    );
    expect(aws.puts()).toHaveLength(4);
    expect(aws.objects.size).toBe(0);
  });

  it("retries a 5xx with backoff, then fails with the status and S3's error", async () => {
    aws.failPuts = /report\.html$/;
    await expect(writer({ retries: 2 }).createIfAbsent("k/report.html", Buffer.from("x"), "text/html")).rejects.toThrow(
      `writing s3://${BUCKET}/k/report.html failed: HTTP 500 InternalError: We encountered an internal error. Please try again.`,
    );
    expect(aws.puts()).toHaveLength(3);
  });

  it("a read that S3 refuses fails with the location and S3's code, not as a missing object", async () => {
    const wrongSecret = new S3BundleWriter(BUCKET, { env: { ...aws.env, AWS_SECRET_ACCESS_KEY: "not-the-secret" }, retries: 0 });
    await expect(wrongSecret.read("reports/a.json")).rejects.toThrow(`reading s3://${BUCKET}/reports/a.json failed: HTTP 403 SignatureDoesNotMatch: signature `);
  });

  it("a network failure names the object and the cause, after the retries", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const offline = new S3BundleWriter(BUCKET, { env: { ...aws.env, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` }, retries: 1, retryBaseMs: 1 });
    await expect(offline.createIfAbsent("k/a.csv", Buffer.from("x"), "text/csv")).rejects.toThrow(
      new RegExp(`^writing s3://${BUCKET}/k/a\\.csv failed: fetch failed \\(.*ECONNREFUSED`),
    );
  });

  it("addresses the bucket like the SDK: virtual-hosted, path-style for dotted names, China's DNS suffix, endpoint override", () => {
    const region = (AWS_REGION: string) => ({ ...FAKE_CREDENTIALS, AWS_REGION });
    expect(new S3BundleWriter("reports-bucket", { env: region("eu-west-1") }).objectUrl("reports/a b.csv")).toBe(
      "https://reports-bucket.s3.eu-west-1.amazonaws.com/reports/a%20b.csv",
    );
    expect(new S3BundleWriter("reports-bucket", { env: region("cn-north-1") }).objectUrl("k")).toBe("https://reports-bucket.s3.cn-north-1.amazonaws.com.cn/k");
    expect(new S3BundleWriter("reports.example.com", { env: region("eu-west-1") }).objectUrl("k")).toBe("https://s3.eu-west-1.amazonaws.com/reports.example.com/k");
    expect(new S3BundleWriter("b-1", { env: { ...region("eu-west-1"), AWS_ENDPOINT_URL_S3: "http://localhost:4566/" } }).objectUrl("k")).toBe("http://localhost:4566/b-1/k");
    expect(new S3BundleWriter("b-1", { env: { ...region("eu-west-1"), AWS_ENDPOINT_URL: "https://s3.example.test" } }).objectUrl("k")).toBe("https://s3.example.test/b-1/k");
    expect(() => new S3BundleWriter("b-1", { env: region("eu-west-1") }).objectUrl("reports/../manifest.json")).toThrow(/'\.' or '\.\.' segment/);
  });

  it("refuses to sign without credentials or a region, saying which variables to set", async () => {
    await expect(new S3BundleWriter(BUCKET, { env: { AWS_REGION: "eu-west-1" } }).read("k")).rejects.toThrow(
      /reading s3:\/\/iotpipe-reports-bucket\/k failed: no AWS credentials in the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
    expect(() => new S3BundleWriter(BUCKET, { env: FAKE_CREDENTIALS }).objectUrl("k")).toThrow(/AWS_REGION is not set/);
    expect(() => endpointOverride({ AWS_ENDPOINT_URL_S3: "localhost:4566" }, "s3")).toThrow(/AWS_ENDPOINT_URL_S3 'localhost:4566' is not an http\(s\) URL/);
  });
});

describe("SnsPublisher", () => {
  it("publishes as a signed form POST with the topic, subject and message", async () => {
    const publisher = new SnsPublisher({ env: aws.env });
    const message = "Compliance report 2026-11-10 plant-a\n3 excursions & 1 silent sensor: <see s3://bucket/reports/>\nünïcode";
    expect(await publisher.publish(TOPIC, "Compliance report 2026-11-10 plant-a", message)).toBe("m-1");
    const [request] = aws.requests;
    expect(request).toMatchObject({ service: "sns", method: "POST", path: "/", signatureProblem: undefined });
    expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded; charset=utf-8");
    expect(request.headers.authorization).toMatch(/Credential=AKIDLOOPBACK\/\d{8}\/eu-west-1\/sns\/aws4_request/);
    expect(Object.fromEntries(aws.published()[0])).toEqual({
      Action: "Publish",
      Version: "2010-03-31",
      TopicArn: TOPIC,
      Subject: "Compliance report 2026-11-10 plant-a",
      Message: message,
    });
  });

  it("sends message attributes as numbered String entries in name order, signed like the rest of the form", async () => {
    const publisher = new SnsPublisher({ env: aws.env });
    const attributes = { state: "open", severity: "critical", site: "werk-müller & co=1+2", device: "press-07", metric: "temperature" };
    expect(await publisher.publish(TOPIC, "[CRITICAL] Alert", "body", attributes)).toBe("m-1");
    expect(await publisher.publish(TOPIC, "[CRITICAL] Alert", "body", { metric: "temperature", device: "press-07", site: "werk-müller & co=1+2", severity: "critical", state: "open" })).toBe("m-2");
    expect(aws.requests.map((r) => r.signatureProblem)).toEqual([undefined, undefined]);
    const [first, second] = aws.published();
    expect([...first]).toEqual([
      ["Action", "Publish"],
      ["Version", "2010-03-31"],
      ["TopicArn", TOPIC],
      ["Subject", "[CRITICAL] Alert"],
      ["Message", "body"],
      ["MessageAttributes.entry.1.Name", "device"],
      ["MessageAttributes.entry.1.Value.DataType", "String"],
      ["MessageAttributes.entry.1.Value.StringValue", "press-07"],
      ["MessageAttributes.entry.2.Name", "metric"],
      ["MessageAttributes.entry.2.Value.DataType", "String"],
      ["MessageAttributes.entry.2.Value.StringValue", "temperature"],
      ["MessageAttributes.entry.3.Name", "severity"],
      ["MessageAttributes.entry.3.Value.DataType", "String"],
      ["MessageAttributes.entry.3.Value.StringValue", "critical"],
      ["MessageAttributes.entry.4.Name", "site"],
      ["MessageAttributes.entry.4.Value.DataType", "String"],
      ["MessageAttributes.entry.4.Value.StringValue", "werk-müller & co=1+2"],
      ["MessageAttributes.entry.5.Name", "state"],
      ["MessageAttributes.entry.5.Value.DataType", "String"],
      ["MessageAttributes.entry.5.Value.StringValue", "open"],
    ]);
    // The same attributes built in another order give the same request body.
    expect(aws.requests[1].body.toString("utf8")).toBe(aws.requests[0].body.toString("utf8"));
    expect([...second]).toEqual([...first]);
  });

  it("throws SNS's error code and message from its XML error", async () => {
    aws.snsError = { status: 400, code: "InvalidParameter", message: "Invalid parameter: Subject" };
    await expect(new SnsPublisher({ env: aws.env }).publish(TOPIC, "s", "m")).rejects.toThrow(
      `publishing to ${TOPIC} failed: HTTP 400 InvalidParameter: Invalid parameter: Subject`,
    );
  });

  it("retries a throttled (429) or failing (5xx) publish, not a client error", async () => {
    aws.snsError = { status: 503, code: "ServiceUnavailable", message: "Service is unavailable" };
    await expect(new SnsPublisher({ env: aws.env, retries: 2, retryBaseMs: 1 }).publish(TOPIC, "s", "m")).rejects.toThrow(/HTTP 503 ServiceUnavailable/);
    expect(aws.requests).toHaveLength(3);
    aws.reset();
    aws.snsError = { status: 429, code: "Throttling", message: "Rate exceeded" };
    await expect(new SnsPublisher({ env: aws.env, retries: 1, retryBaseMs: 1 }).publish(TOPIC, "s", "m")).rejects.toThrow(/HTTP 429 Throttling: Rate exceeded/);
    expect(aws.requests).toHaveLength(2);
    aws.reset();
    aws.snsError = { status: 403, code: "AuthorizationError", message: "not authorized to perform SNS:Publish" };
    await expect(new SnsPublisher({ env: aws.env, retries: 2, retryBaseMs: 1 }).publish(TOPIC, "s", "m")).rejects.toThrow(/HTTP 403 AuthorizationError/);
    expect(aws.requests).toHaveLength(1);
  });

  it("uses the regional endpoint, China's DNS suffix, or the override", () => {
    expect(new SnsPublisher({ env: { AWS_REGION: "eu-west-1" } }).endpoint).toBe("https://sns.eu-west-1.amazonaws.com/");
    expect(new SnsPublisher({ env: { AWS_REGION: "cn-northwest-1" } }).endpoint).toBe("https://sns.cn-northwest-1.amazonaws.com.cn/");
    expect(new SnsPublisher({ env: { AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL_SNS: "http://127.0.0.1:1/", AWS_ENDPOINT_URL: "http://other" } }).endpoint).toBe("http://127.0.0.1:1/");
  });

  it("reads entities in XML errors", () => {
    expect(awsXmlError("<Error><Code>InvalidArgument</Code><Message>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</Message></Error>")).toEqual({
      code: "InvalidArgument",
      message: `a <b> & "c" 'd'`,
    });
  });
});

describe("environment-only credentials (the bundles' stand-in for @aws-sdk/credential-provider-node)", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it("returns the role credentials Lambda puts in the environment", async () => {
    Object.assign(process.env, FAKE_CREDENTIALS);
    await expect(defaultProvider({})()).resolves.toMatchObject({
      accessKeyId: FAKE_CREDENTIALS.AWS_ACCESS_KEY_ID,
      secretAccessKey: FAKE_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      sessionToken: FAKE_CREDENTIALS.AWS_SESSION_TOKEN,
    });
  });

  it("says which variables are missing instead of trying other sources", async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    await expect(defaultProvider()()).rejects.toThrow(
      /no AWS credentials in the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set \(Lambda sets them from the function's execution role/,
    );
  });
});
