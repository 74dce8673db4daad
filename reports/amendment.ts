/**
 * Writing a day's report, and amending it. A written report is locked (S3 Object Lock in the cloud, create-only
 * files locally): when the lake later says something different (late data, a corrected device), the report is
 * never replaced. An amendment is a new, complete bundle beside it, under `amendments/<n>/`, whose manifest and
 * HTML name the version it supersedes (its manifest's path and SHA-256, when it was generated) and the reason
 * given. Amendments chain: the n-th references the (n-1)-th, the first the locked report, so the latest word
 * and its whole history are in one folder.
 */
import * as crypto from "crypto";
import { AMENDMENTS_FOLDER, Bundle, BundleManifest, MANIFEST_NAME, renderBundle } from "./bundle";
import { BundleWriter, BundleWriteResult, parseManifest, writeBundle } from "./bundle-writer";
import { AmendmentRecord, ReportData } from "./model";

const MAX_REASON_LENGTH = 1000;

/** The reason for an amendment: required, one paragraph of printable text, at most 1,000 characters. */
export function validateAmendReason(reason: unknown): string {
  if (typeof reason !== "string") throw new Error(`the amendment reason must be text, got ${JSON.stringify(reason)}`);
  const text = reason.trim();
  if (text.length === 0) throw new Error("an amendment needs a reason: say why the locked report is amended (e.g. \"late data from oven-3 after the gateway outage\")");
  if (text.length > MAX_REASON_LENGTH) throw new Error(`the amendment reason is ${text.length} characters; keep it to ${MAX_REASON_LENGTH}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new Error("the amendment reason must be one line of printable text (no control characters or line breaks)");
  return text;
}

export interface ReportWriteResult extends Omit<BundleWriteResult, "status"> {
  /**
   * `written`: a new report; `amended`: an amendment was written beside the locked report; `unchanged`: the
   * report (or its latest amendment) already says exactly this, nothing was written.
   */
  status: "written" | "amended" | "unchanged";
  /** The bundle's folder key (`reports/<date>/<site>/`, or its `amendments/<n>/`). */
  prefix: string;
  amendment?: AmendmentRecord;
}

const sha256 = (data: Buffer) => crypto.createHash("sha256").update(data).digest("hex");

/** The report's bytes under `prefix`, or null. */
async function manifestAt(writer: BundleWriter, prefix: string): Promise<{ key: string; bytes: Buffer; manifest: BundleManifest } | null> {
  const key = `${prefix}${MANIFEST_NAME}`;
  const bytes = await writer.read(key);
  return bytes && { key, bytes, manifest: parseManifest(bytes, key) };
}

/**
 * Writes the day's report. Without `amendReason`: the report itself, once (a re-run with the same content is a
 * no-op; a different one fails with BundleConflictError, see bundle-writer.ts). With it: an amendment to the
 * locked report, or nothing when the latest version already says the same. Amending a report that does not
 * exist fails, so a typo in the date cannot start a history.
 */
export async function writeReport(writer: BundleWriter, data: ReportData, now: Date, amendReason?: string): Promise<ReportWriteResult> {
  const plain = renderBundle(data, now);
  if (amendReason === undefined) {
    const written = await writeBundle(writer, plain);
    return { ...written, prefix: plain.prefix };
  }
  const reason = validateAmendReason(amendReason);
  const original = await manifestAt(writer, plain.prefix);
  if (!original) {
    throw new Error(
      `there is no report for ${data.date} (${data.site === "*" ? "all sites" : data.site}) at ${writer.where(plain.prefix)} to amend; ` +
        `write the report first (without the amendment)`,
    );
  }
  // Follow the chain to the latest version.
  let latest = original;
  let latestFolder = "";
  let number = 1;
  for (;;) {
    const next = await manifestAt(writer, `${plain.prefix}${AMENDMENTS_FOLDER}/${number}/`);
    if (!next) break;
    latest = next;
    latestFolder = `${number}/`;
    number++;
  }
  const said = (m: BundleManifest) => m.amendment?.reportSha256 ?? m.contentSha256;
  if (said(latest.manifest) === plain.manifest.contentSha256) {
    return { status: "unchanged", keys: [], manifestKey: latest.key, prefix: latest.key.slice(0, -MANIFEST_NAME.length) };
  }
  const amendment: AmendmentRecord = {
    number,
    reason,
    amends: {
      manifest: latestFolder ? `../${latestFolder}${MANIFEST_NAME}` : `../../${MANIFEST_NAME}`,
      manifestSha256: sha256(latest.bytes),
      contentSha256: latest.manifest.contentSha256,
      generatedAt: latest.manifest.generatedAt,
    },
    reportSha256: plain.manifest.contentSha256,
  };
  const bundle: Bundle = renderBundle({ ...data, amendment }, now);
  const written = await writeBundle(writer, bundle);
  return { ...written, status: written.status === "written" ? "amended" : "unchanged", prefix: bundle.prefix, amendment };
}
