/**
 * Bundles in the Object Lock (compliance mode) reports bucket. The bucket's default retention locks every new
 * object, so no retention is set per request (and the function needs no s3:PutObjectRetention). Each PutObject
 * is conditional (`If-None-Match: *`: 412 if the key exists, so nothing is replaced) and carries its SHA-256,
 * which S3 verifies on arrival: Object Lock uploads must carry a checksum, and this one matches the manifest.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { BundleWriter } from "./bundle-writer";
import * as crypto from "crypto";

/** Conditional-write conflicts (409) are retried this many times: a concurrent writer finishes within a moment. */
const CONFLICT_RETRIES = 3;

const status = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const name = (error: unknown) => (error as { name?: string }).name;

export class S3BundleWriter implements BundleWriter {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  get location(): string {
    return `s3://${this.bucket}`;
  }

  async read(key: string): Promise<Buffer | null> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await object.Body!.transformToByteArray());
    } catch (error) {
      if (name(error) === "NoSuchKey" || status(error) === 404) return null;
      throw new Error(`reading ${this.location}/${key} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async createIfAbsent(key: string, body: Buffer, contentType: string): Promise<boolean> {
    const checksum = crypto.createHash("sha256").update(body).digest("base64");
    for (let attempt = 0; ; attempt++) {
      try {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: body,
            ContentType: contentType,
            IfNoneMatch: "*",
            ChecksumAlgorithm: "SHA256",
            ChecksumSHA256: checksum,
          }),
        );
        return true;
      } catch (error) {
        if (status(error) === 412 || name(error) === "PreconditionFailed") return false;
        if ((status(error) === 409 || name(error) === "ConditionalRequestConflict") && attempt < CONFLICT_RETRIES) {
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
          continue;
        }
        throw new Error(`writing ${this.location}/${key} failed: ${(error as Error).message}`, { cause: error });
      }
    }
  }
}
