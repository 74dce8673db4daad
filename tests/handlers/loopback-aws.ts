/**
 * A loopback stand-in for the S3 reports bucket and the SNS Publish API, on 127.0.0.1, for the Lambdas' signed
 * REST calls (handlers/shared/aws-rest.ts: the report's S3 and SNS calls, the alert notifier's Publish), and for
 * Athena's JSON API (answered by the test's `athena` function) so the bundled SDK client's requests are checked
 * the same way. It behaves
 * like the real services where the handlers rely on it (If-None-Match: * answers 412 when the key exists, 409
 * conflicts, 5xx, SNS errors on chosen publishes, XML errors) and checks every request's SigV4 signature with the
 * SDK's own signer (@smithy/signature-v4), so a request S3 or SNS would reject for its signature fails here too.
 */
import * as crypto from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import { SignatureV4 } from "@smithy/signature-v4";

export const FAKE_CREDENTIALS = { AWS_ACCESS_KEY_ID: "AKIDLOOPBACK", AWS_SECRET_ACCESS_KEY: "loopback-secret", AWS_SESSION_TOKEN: "loopback-session" };
export const REGION = "eu-west-1";

export interface RecordedRequest {
  service: Service;
  method: string;
  /** The raw request path, as sent. */
  path: string;
  bucket?: string;
  /** Object key, decoded. */
  key?: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Why the signature does not verify; undefined when it does. */
  signatureProblem?: string;
}

/** An SNS XML error response: HTTP status, `<Code>` and `<Message>`. */
export interface SnsError {
  status: number;
  code: string;
  message: string;
}

type Service = "s3" | "sns" | "athena" | "iot";

/** What the `athena` answerer returns: HTTP status (200 unless set) and the JSON body; `delayMs` holds it back. */
export interface AthenaAnswer {
  status?: number;
  body: object;
  delayMs?: number;
}

export interface LoopbackAws {
  url: string;
  /** The bucket's objects by key (one bucket: path-style requests name it, and it is recorded per request). */
  objects: Map<string, Buffer>;
  requests: RecordedRequest[];
  /** Object PUTs in arrival order (retries included). */
  puts(): RecordedRequest[];
  /** The form fields of each SNS Publish. */
  published(): URLSearchParams[];
  /** PUTs of keys matching this answer 500 InternalError (every attempt). */
  failPuts?: RegExp;
  /** GETs of missing keys answer 403 AccessDenied, as S3 does for a caller without s3:ListBucket on the bucket. */
  deniesMissingKeys?: boolean;
  /** The next this-many PUTs answer 409 ConditionalRequestConflict. */
  conflicts: number;
  /** When set, Publish answers this SNS XML error. */
  snsError?: SnsError;
  /** Publish requests by arrival number (1 = the first since reset, retries counted) that answer this error instead. */
  snsErrorsByArrival: Map<number, SnsError>;
  /** Answers Athena JSON 1.1 calls (X-Amz-Target AmazonAthena.<operation>); unset, every call is a 400. */
  athena?: (operation: string, input: any) => AthenaAnswer;
  /** Answers IoT ListThings (`GET /things?…`) with its query; unset, every call is a 400. */
  iot?: (query: URLSearchParams) => AthenaAnswer;
  /** The Athena calls in arrival order: operation and parsed input. */
  athenaCalls(): Array<{ operation: string; input: any }>;
  /** Environment for the code under test: service endpoint overrides, region, fake credentials. */
  env: Record<string, string>;
  reset(): void;
  close(): Promise<void>;
}

/** What the SDK signer hashes (its SourceData). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData) =>
  typeof data === "string" ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/** Node's crypto in the shape the SDK signer expects (its browser-neutral Checksum interface). */
class NodeSha256 {
  private readonly hash: crypto.Hash | crypto.Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret ? crypto.createHmac("sha256", bytes(secret)) : crypto.createHash("sha256");
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/** Re-signs the request with the SDK's signer over the headers it claims to sign; undefined when it matches. */
async function signatureProblem(service: Service, req: http.IncomingMessage, body: Buffer): Promise<string | undefined> {
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    String(req.headers.authorization ?? ""),
  );
  if (!auth) return `no SigV4 Authorization header: ${req.headers.authorization}`;
  const [, keyId, , region, scopeService, signedHeaders, signature] = auth;
  if (keyId !== FAKE_CREDENTIALS.AWS_ACCESS_KEY_ID) return `signed with key ${keyId}`;
  if (region !== REGION || scopeService !== service) return `scope ${region}/${scopeService}, expected ${REGION}/${service}`;
  const amzDate = String(req.headers["x-amz-date"]);
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13)}`);
  const headers = Object.fromEntries(signedHeaders.split(";").map((h) => [h, String(req.headers[h])]));
  const url = new URL(req.url!, "http://loopback");
  const signer = new SignatureV4({
    service,
    region: REGION,
    credentials: { accessKeyId: FAKE_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: FAKE_CREDENTIALS.AWS_SECRET_ACCESS_KEY, sessionToken: FAKE_CREDENTIALS.AWS_SESSION_TOKEN },
    sha256: NodeSha256,
    uriEscapePath: service !== "s3", // S3 signs the path as sent; every other service encodes it once more
    applyChecksum: false, // sign exactly the headers the request lists, nothing added
  });
  const signed = await signer.sign(
    { method: req.method!, protocol: "http:", hostname: url.hostname, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: body.toString("utf8") },
    { signingDate },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1];
  return expected === signature ? undefined : `signature ${signature} does not verify (the SDK's signer computes ${expected})`;
}

const xml = (res: http.ServerResponse, status: number, body: string) => {
  res.statusCode = status;
  res.setHeader("content-type", "application/xml");
  res.end(body);
};

export async function startLoopbackAws(): Promise<LoopbackAws> {
  const aws: LoopbackAws = {
    url: "",
    objects: new Map(),
    requests: [],
    puts: () => aws.requests.filter((r) => r.service === "s3" && r.method === "PUT"),
    published: () => aws.requests.filter((r) => r.service === "sns").map((r) => new URLSearchParams(r.body.toString("utf8"))),
    athenaCalls: () =>
      aws.requests
        .filter((r) => r.service === "athena")
        .map((r) => ({ operation: String(r.headers["x-amz-target"]).replace(/^AmazonAthena\./, ""), input: JSON.parse(r.body.toString("utf8") || "{}") })),
    conflicts: 0,
    snsErrorsByArrival: new Map(),
    env: {},
    reset() {
      aws.objects.clear();
      aws.requests.length = 0;
      aws.failPuts = undefined;
      aws.deniesMissingKeys = undefined;
      aws.conflicts = 0;
      aws.snsError = undefined;
      aws.snsErrorsByArrival.clear();
      aws.athena = undefined;
      aws.iot = undefined;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // fetch keeps its sockets alive
      }),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const path = new URL(req.url!, "http://loopback").pathname;
      // Athena and SNS are POSTed to "/" (Athena names its operation in X-Amz-Target); everything else is a
      // path-style S3 object request: /<bucket>/<key>.
      const target = String(req.headers["x-amz-target"] ?? "");
      const service: Service =
        req.method === "POST" && path === "/" ? (target.startsWith("AmazonAthena.") ? "athena" : "sns") : req.method === "GET" && path === "/things" ? "iot" : "s3";
      const [, bucket, ...key] = path.split("/");
      const recorded: RecordedRequest = {
        service,
        method: req.method!,
        path: req.url!,
        headers: req.headers,
        body,
        signatureProblem: await signatureProblem(service, req, body),
        ...(service === "s3" ? { bucket: decodeURIComponent(bucket), key: key.map(decodeURIComponent).join("/") } : {}),
      };
      aws.requests.push(recorded);
      if (service === "iot") {
        const answer: AthenaAnswer = recorded.signatureProblem
          ? { status: 403, body: { message: recorded.signatureProblem } }
          : (aws.iot?.(new URL(req.url!, "http://loopback").searchParams) ?? { status: 400, body: { message: "the loopback has no answer for ListThings" } });
        res.statusCode = answer.status ?? 200;
        res.setHeader("content-type", "application/json");
        return res.end(JSON.stringify(answer.body));
      }
      if (recorded.signatureProblem && service === "athena") {
        res.statusCode = 403;
        res.setHeader("content-type", "application/x-amz-json-1.1");
        return res.end(JSON.stringify({ __type: "InvalidSignatureException", message: recorded.signatureProblem }));
      }
      if (recorded.signatureProblem) {
        return xml(res, 403, `<Error><Code>SignatureDoesNotMatch</Code><Message>${recorded.signatureProblem}</Message></Error>`);
      }
      if (service === "athena") {
        const operation = target.slice("AmazonAthena.".length);
        const answer: AthenaAnswer = aws.athena?.(operation, JSON.parse(body.toString("utf8") || "{}")) ?? {
          status: 400,
          body: { __type: "InvalidRequestException", Message: `the loopback has no answer for ${operation}` },
        };
        if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
        if (res.destroyed) return; // the client gave up (abort or timeout)
        res.statusCode = answer.status ?? 200;
        res.setHeader("content-type", "application/x-amz-json-1.1");
        return res.end(JSON.stringify(answer.body));
      }
      if (service === "sns") {
        const snsError = aws.snsErrorsByArrival.get(aws.published().length) ?? aws.snsError;
        if (snsError) {
          const { status, code, message } = snsError;
          return xml(res, status, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`);
        }
        return xml(res, 200, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-${aws.published().length}</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>`);
      }
      const objectKey = recorded.key!;
      if (req.method === "PUT") {
        if (aws.failPuts?.test(objectKey)) return xml(res, 500, `<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`);
        if (aws.conflicts > 0) {
          aws.conflicts--;
          return xml(res, 409, `<Error><Code>ConditionalRequestConflict</Code><Message>A conflicting operation occurred.</Message></Error>`);
        }
        if (req.headers["x-amz-checksum-sha256"] !== crypto.createHash("sha256").update(body).digest("base64")) {
          return xml(res, 400, `<Error><Code>BadDigest</Code><Message>The SHA256 you specified did not match the calculated checksum.</Message></Error>`);
        }
        if (req.headers["if-none-match"] === "*" && aws.objects.has(objectKey)) {
          return xml(res, 412, `<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`);
        }
        aws.objects.set(objectKey, body);
        res.setHeader("etag", `"${crypto.createHash("md5").update(body).digest("hex")}"`);
        return res.end();
      }
      if (req.method === "GET" && aws.objects.has(objectKey)) {
        res.setHeader("content-type", "application/octet-stream");
        return res.end(aws.objects.get(objectKey));
      }
      if (aws.deniesMissingKeys) return xml(res, 403, `<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`);
      return xml(res, 404, `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>${objectKey}</Key></Error>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  aws.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  aws.env = { ...FAKE_CREDENTIALS, AWS_REGION: REGION, AWS_ENDPOINT_URL_S3: aws.url, AWS_ENDPOINT_URL_SNS: aws.url, AWS_ENDPOINT_URL_ATHENA: aws.url, AWS_ENDPOINT_URL_IOT: aws.url };
  return aws;
}
