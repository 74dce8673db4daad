/**
 * A report bundle: one CSV per query, the HTML report and a JSON manifest with the SHA-256 of every file.
 * Rendered the same way for Athena and DuckDB results. The files are deterministic functions of the data; the
 * manifest adds when and how they were produced, and a content hash over the files that decides whether a
 * re-run produced the same report.
 */
import * as crypto from "crypto";
import { version as generatorVersion } from "../package.json";
import { toCsv } from "./csv";
import { renderHtml } from "./html";
import { LIMITS_FILLED_QUERY, writtenResult } from "./limits";
import { AmendmentRecord, ReportData, resultOf } from "./model";
import { COMPLIANCE_QUERIES, querySql } from "./queries";

export const MANIFEST_NAME = "manifest.json";
export const BUNDLE_FORMAT = "iotpipe-compliance-bundle/1";
/** What the manifest says about the daily sensor log's limit columns when the renderer filled them. */
const FILLED_LIMITS_NOTE =
  "lower_limit, upper_limit: the limit crossed on the day (the SQL's value, from static-limit anomalies), else the static limit " +
  "that applied to the sensor under the analytics' configuration (line override, site override, else the metric's default); empty where none applies";

/** The folder of a report's amendments: `reports/<date>/<site>/amendments/<n>/`. */
export const AMENDMENTS_FOLDER = "amendments";

export interface BundleFile {
  name: string;
  contentType: string;
  body: Buffer;
  sha256: string;
}

export interface BundleManifest {
  format: string;
  date: string;
  site: string;
  engine: ReportData["engine"];
  generator: { name: string; version: string };
  generatedAt: string;
  parameters: ReportData["parameters"];
  /** The freshness gate's verdict, when the engine checked it (the cloud job). */
  lakeFreshness?: ReportData["lakeFreshness"];
  queries: Array<{
    id: string;
    sqlFile: string;
    sqlSha256: string;
    executionId: string;
    rows: number;
    csv: string;
    /** Columns the renderer filled in beyond the SQL's result, and from what. */
    filled?: string;
  }>;
  files: Array<{ name: string; contentType: string; bytes: number; sha256: string }>;
  /** SHA-256 over the sorted `name sha256` lines of the files: equal exactly when the report says the same. */
  contentSha256: string;
  /** Present when this bundle amends a locked report: which version it supersedes, and why. */
  amendment?: AmendmentRecord;
}

export interface Bundle {
  /** Key prefix, e.g. `reports/2026-11-10/plant-a/`. */
  prefix: string;
  files: BundleFile[];
  manifest: BundleManifest;
}

const sha256 = (data: Buffer | string) => crypto.createHash("sha256").update(data).digest("hex");

/** Where every bundle key starts: the reports bucket's prefix (the IAM policy's), the local reports folder itself. */
export const BUNDLE_ROOT = "reports/";

/** `reports/<date>/<site|all>/`: one fixed place per day and scope, so a re-run lands on the same keys. */
export function bundlePrefix(date: string, site: string): string {
  if (site === "all") throw new Error("site id 'all' is reserved for the all-sites report folder; rename the site");
  return `${BUNDLE_ROOT}${date}/${site === "*" ? "all" : site}/`;
}

function file(name: string, contentType: string, text: string): BundleFile {
  const body = Buffer.from(text, "utf8");
  return { name, contentType, body, sha256: sha256(body) };
}

/** The content hash of a set of files (order-independent). */
export function contentHash(files: Array<{ name: string; sha256: string }>): string {
  return sha256(files.map((f) => `${f.name} ${f.sha256}`).sort().join("\n"));
}

/** Renders the bundle for one report. `now` is only recorded in the manifest. */
export function renderBundle(data: ReportData, now: Date = new Date()): Bundle {
  const files = [
    ...COMPLIANCE_QUERIES.map((spec) => file(`${spec.id}.csv`, "text/csv; charset=utf-8", toCsv(writtenResult(data, spec.id)))),
    file("report.html", "text/html; charset=utf-8", renderHtml(data)),
  ];
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    date: data.date,
    site: data.site,
    engine: data.engine,
    generator: { name: "iotpipe", version: generatorVersion },
    generatedAt: now.toISOString(),
    parameters: data.parameters,
    ...(data.lakeFreshness && { lakeFreshness: data.lakeFreshness }),
    queries: COMPLIANCE_QUERIES.map((spec) => {
      const result = resultOf(data, spec.id);
      return {
        id: spec.id,
        sqlFile: `sql/athena/${spec.file}`,
        sqlSha256: sha256(querySql(spec)),
        executionId: result.executionId,
        rows: result.rows.length,
        csv: `${spec.id}.csv`,
        ...(spec.id === LIMITS_FILLED_QUERY && data.staticLimits && { filled: FILLED_LIMITS_NOTE }),
      };
    }),
    files: files.map((f) => ({ name: f.name, contentType: f.contentType, bytes: f.body.length, sha256: f.sha256 })),
    contentSha256: contentHash(files),
    ...(data.amendment && { amendment: data.amendment }),
  };
  const prefix = bundlePrefix(data.date, data.site) + (data.amendment ? `${AMENDMENTS_FOLDER}/${data.amendment.number}/` : "");
  return { prefix, files, manifest };
}

/** The manifest as the bytes written last. */
export function manifestFile(bundle: Bundle): BundleFile {
  return file(MANIFEST_NAME, "application/json", `${JSON.stringify(bundle.manifest, null, 2)}\n`);
}
