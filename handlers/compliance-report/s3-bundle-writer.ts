/**
 * Bundles in the Object Lock (compliance mode) reports bucket. The bucket's default retention locks every new
 * object, so no retention is set per request (and the function needs no s3:PutObjectRetention). Each PutObject
 * is conditional (`If-None-Match: *`: 412 if the key exists, so nothing is replaced) and carries its SHA-256,
 * which S3 verifies on arrival: Object Lock uploads must carry a checksum, and this one matches the manifest.
 *
 * Plain signed REST calls (handlers/shared/aws-rest.ts), not the S3 SDK client: two operations do not justify
 * ~290 KiB of bundle and its cold-start cost. Addressing follows the SDK: virtual-hosted
 * `https://<bucket>.s3.<region>.<suffix>/<key>`, path-style for a bucket name with dots (TLS wildcard
 * certificates cover one label) and behind an endpoint override (`AWS_ENDPOINT_URL_S3`).
 */
import * as crypto from "crypto";
import { BundleWriter } from "../../reports/bundle-writer";
import { AwsRestClient, AwsRestOptions, describeFailure, discardBody, dnsSuffix, encodePathSegment } from "../shared/aws-rest";

export interface S3BundleWriterOptions extends AwsRestOptions {
  /** Conditional-write conflicts (409) are retried this many times: a concurrent writer finishes within a moment. */
  conflictRetries?: number;
  /** The n-th conflict retry waits n times this long. */
  conflictBackoffMs?: number;
}

/** Bucket names that can be a DNS label under the S3 host (no dots: see the file comment). */
const VIRTUAL_HOSTABLE_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export class S3BundleWriter implements BundleWriter {
  private readonly s3: AwsRestClient;
  private readonly conflictRetries: number;
  private readonly conflictBackoffMs: number;

  constructor(
    private readonly bucket: string,
    options: S3BundleWriterOptions = {},
  ) {
    this.s3 = new AwsRestClient("s3", options);
    this.conflictRetries = options.conflictRetries ?? 3;
    this.conflictBackoffMs = options.conflictBackoffMs ?? 200;
  }

  where(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** The object's URL; keys are encoded per segment, so `/` stays the separator S3 expects. */
  objectUrl(key: string): string {
    const segments = key.split("/");
    // WHATWG URLs resolve "." and ".." (even percent-encoded), which would silently address another key.
    if (segments.some((s) => s === "." || s === "..")) throw new Error(`S3 key '${key}' has a '.' or '..' segment`);
    const path = segments.map(encodePathSegment).join("/");
    const override = this.s3.endpointOverride;
    if (override) return `${override}/${encodePathSegment(this.bucket)}/${path}`;
    const region = this.s3.region;
    const host = `s3.${region}.${dnsSuffix(region)}`;
    return VIRTUAL_HOSTABLE_BUCKET.test(this.bucket) ? `https://${this.bucket}.${host}/${path}` : `https://${host}/${this.bucket}/${path}`;
  }

  async read(key: string): Promise<Buffer | null> {
    const where = this.where(key);
    const response = await this.send(`reading ${where}`, key, { method: "GET" });
    if (response.status === 404) {
      await discardBody(response);
      return null;
    }
    if (!response.ok) {
      const failure = await describeFailure(response);
      // S3 hides whether a key exists from a caller without s3:ListBucket: a missing manifest reads as AccessDenied.
      if (/^HTTP 403 AccessDenied\b/.test(failure)) {
        throw new Error(
          `reading ${where} was denied (${failure}): the role needs s3:GetObject on that key and s3:ListBucket on ` +
            `bucket ${this.bucket} with no s3:prefix condition (without ListBucket, S3 answers 403 instead of 404 ` +
            `for a key that does not exist yet)`,
        );
      }
      throw new Error(`reading ${where} failed: ${failure}`);
    }
    return Buffer.from(await response.arrayBuffer());
  }

  async createIfAbsent(key: string, body: Buffer, contentType: string): Promise<boolean> {
    const where = this.where(key);
    const digest = crypto.createHash("sha256").update(body).digest();
    const headers = {
      "content-type": contentType,
      "if-none-match": "*",
      "x-amz-checksum-sha256": digest.toString("base64"),
      "x-amz-sdk-checksum-algorithm": "SHA256",
      // The same hash as the payload hash SigV4 signs: the signature covers the body, not just the headers.
      "x-amz-content-sha256": digest.toString("hex"),
    };
    for (let attempt = 0; ; attempt++) {
      const response = await this.send(`writing ${where}`, key, { method: "PUT", headers, body });
      if (response.ok) {
        await discardBody(response);
        return true;
      }
      if (response.status === 412) {
        await discardBody(response);
        return false;
      }
      if (response.status === 409 && attempt < this.conflictRetries) {
        await discardBody(response);
        await new Promise((resolve) => setTimeout(resolve, this.conflictBackoffMs * (attempt + 1)));
        continue;
      }
      throw new Error(`writing ${where} failed: ${await describeFailure(response)}`);
    }
  }

  /** One signed request; a network failure (after the client's retries) names the operation and the object. */
  private async send(operation: string, key: string, init: RequestInit): Promise<Response> {
    try {
      return await this.s3.fetch(this.objectUrl(key), init);
    } catch (error) {
      throw new Error(`${operation} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
