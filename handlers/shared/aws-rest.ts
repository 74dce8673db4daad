/**
 * Signed calls to AWS HTTP APIs without an SDK client, for the simple requests a Lambda makes besides its main
 * work (S3 PutObject/GetObject, SNS Publish). aws4fetch signs them with SigV4 over WebCrypto and sends them with
 * the global fetch: a few KiB, where the S3 client alone bundles to ~290 KiB (its schema serde and REST-XML
 * protocol) and costs its share of every cold start.
 *
 * What the SDK did that this does not: endpoint rule sets. Endpoints here are the standard regional ones
 * (`amazonaws.com`, `amazonaws.com.cn` for `cn-*` regions). Any other partition, a FIPS or dual-stack endpoint, a
 * VPC endpoint or a local stand-in is reached through the SDK's own override variables, which are honoured the
 * same way: `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`.
 *
 * Credentials come from the environment on every request (Lambda sets the execution role's there), like the
 * SDK clients of the same bundle (handlers/lambda-credentials.ts).
 */
import { AwsClient } from "aws4fetch";
import { missingCredentialsError } from "../lambda-credentials";

export type AwsEnvironment = Readonly<Record<string, string | undefined>>;

export interface AwsRestOptions {
  /** Where credentials, region and endpoint overrides are read; default `process.env`. */
  env?: AwsEnvironment;
  /** Retries after a 5xx, a 429 (throttling) or a network failure; default 3 (four attempts in all). */
  retries?: number;
  /** Upper bound of the first wait before a retry; doubles per retry, full jitter. Default 100 ms. */
  retryBaseMs?: number;
}

/** The service names as they appear in SigV4 scopes (lower case) and in the endpoint variables (upper case). */
export type AwsRestService = "s3" | "sns" | "iot";

const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_BASE_MS = 100;

export function regionOf(env: AwsEnvironment): string {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) throw new Error("AWS_REGION is not set (Lambda sets it; set it when running elsewhere)");
  return region;
}

/** DNS suffix of a region's standard endpoints: the China regions have their own, the rest use the commercial one. */
export function dnsSuffix(region: string): string {
  return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/** `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`, without a trailing slash; undefined when neither is set. */
export function endpointOverride(env: AwsEnvironment, service: AwsRestService): string | undefined {
  const name = `AWS_ENDPOINT_URL_${service.toUpperCase()}`;
  const value = env[name] || env.AWS_ENDPOINT_URL;
  if (!value) return undefined;
  if (!/^https?:\/\/[^/]/.test(value)) throw new Error(`${env[name] ? name : "AWS_ENDPOINT_URL"} '${value}' is not an http(s) URL`);
  return value.replace(/\/+$/, "");
}

/** One path segment, percent-encoded as SigV4 and S3 expect (RFC 3986 unreserved characters stay as they are). */
export function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function credentialsOf(env: AwsEnvironment): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw missingCredentialsError();
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function xmlText(xml: string, element: string): string | undefined {
  const match = new RegExp(`<${element}>([^<]*)</${element}>`).exec(xml);
  return match?.[1].replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => XML_ENTITIES[name]);
}

/** The `<Code>` and `<Message>` of an AWS XML error body (S3's `<Error>`, SNS's `<ErrorResponse>`). */
export function awsXmlError(xml: string): { code?: string; message?: string } {
  return { code: xmlText(xml, "Code"), message: xmlText(xml, "Message") };
}

/** A failed response as one line: `HTTP 409 ConditionalRequestConflict: <AWS's message>`. Consumes the body. */
export async function describeFailure(response: Response): Promise<string> {
  const body = await response.text().catch(() => "");
  const { code, message } = awsXmlError(body);
  if (code || message) return `HTTP ${response.status} ${code ?? "(no code)"}: ${message ?? "(no message)"}`;
  const text = body.trim().slice(0, 200);
  return `HTTP ${response.status} ${response.statusText}${text ? `: ${text}` : ""}`.trimEnd();
}

/** Reads and drops a body nobody needs, so the connection goes back to the pool. */
export async function discardBody(response: Response): Promise<void> {
  await response.arrayBuffer().catch(() => undefined);
}

/** fetch's own message is just "fetch failed"; the reason (ECONNRESET, ENOTFOUND...) is in its cause. */
function networkFailure(error: unknown): string {
  const reason = ((error as Error).cause as Error | undefined)?.message;
  return `${(error as Error).message}${reason ? ` (${reason})` : ""}`;
}

const isRetryableStatus = (status: number) => status >= 500 || status === 429;

/** Signs and sends requests to one service; retries what is worth retrying, returns every other response as is. */
export class AwsRestClient {
  readonly env: AwsEnvironment;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  /** Derived signing keys (one per day, region and service), shared across requests as aws4fetch allows. */
  private readonly signingKeys = new Map<string, ArrayBuffer>();

  constructor(
    readonly service: AwsRestService,
    options: AwsRestOptions = {},
  ) {
    this.env = options.env ?? process.env;
    this.retries = options.retries ?? DEFAULT_RETRIES;
    this.retryBaseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  }

  get region(): string {
    return regionOf(this.env);
  }

  /** The endpoint override for this service, if any (see the file comment). */
  get endpointOverride(): string | undefined {
    return endpointOverride(this.env, this.service);
  }

  /**
   * Sends the request signed for this service and region (both passed explicitly: the host may be a stand-in).
   * A 5xx or 429 response and a network failure are retried with exponential backoff; the last response is
   * returned whatever its status, and the last network error is thrown.
   */
  async fetch(url: string, init: RequestInit): Promise<Response> {
    const client = new AwsClient({
      ...credentialsOf(this.env),
      service: this.service,
      region: this.region,
      cache: this.signingKeys,
      retries: 0, // retried below, network failures included
    });
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.retries;
      try {
        const response = await client.fetch(url, init);
        if (last || !isRetryableStatus(response.status)) return response;
        await discardBody(response);
      } catch (error) {
        if (last) throw new Error(networkFailure(error), { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * this.retryBaseMs * 2 ** attempt));
    }
  }
}
