/**
 * The compliance report on one machine: the same SQL files as Athena, run by DuckDB over the local lake, rendered
 * by the same renderer, written through the local BundleWriter with the same keys and the same no-overwrite rules.
 * `iotpipe report --date YYYY-MM-DD --lake <dir> [--out <dir>] [--site S]` calls `runLocalReport`.
 */
import * as path from "path";
import { DEFAULT_ANALYTICS, type StaticLimitRule } from "../analytics/definition";
import { validateAmendReason, writeReport } from "../reports/amendment";
import { LocalBundleWriter } from "../reports/bundle-writer";
import { lakeDays, openLocalLake, runLocalQuery } from "./report-lake";
import { AmendmentRecord, ReportData } from "../reports/model";
import {
  ALL_SITES,
  COMPLIANCE_QUERIES,
  DEFAULT_LOOKBACK_DAYS,
  DEFAULT_MIN_GAP_SECONDS,
  ReportParameters,
  SCOPE_QUERY,
  validateParameters,
} from "../reports/queries";
import { ReportScopeError, SiteActivity, assertReportScope, siteActivity } from "../reports/scope";
import { ReportSummary, summarize } from "../reports/summary";
import type { RegistrySnapshotRow } from "../reports/registry-snapshot";

export interface LocalReportOptions {
  /** Report day, `YYYY-MM-DD` (UTC). */
  date: string;
  /** Lake directory written by the local engine (`<lake>/<table>/dt=YYYY-MM-DD/*.parquet`). */
  lakeDir: string;
  /** The reports folder: bundles go to `<outDir>/<date>/<site|all>/`; default `<lake>/_reports` (DEFAULT_REPORTS_FOLDER). */
  outDir?: string;
  /** One site id; default every site. */
  site?: string;
  /** Days before the report day that define known sensors and their cadence (default 7). */
  lookbackDays?: number;
  /** Gaps longer than this many seconds are listed (default 900). */
  minGapSeconds?: number;
  /** The static limits that applied (a stack's, see `iotpipe report --stack-config`): the sensor log's limits; default the shipped ones. */
  staticLimits?: StaticLimitRule;
  /** Those the stack's configuration sets, drawn on the range chart; default none (only limits crossed are drawn). */
  specLimits?: StaticLimitRule;
  /** Amend the locked report for the day with this reason (reports/amendment.ts) instead of writing it. */
  amendReason?: string;
  /** The registered devices (the `iotpipe devices` registry): the inventory lists those silent on the day; default none. */
  registeredDevices?: readonly RegistrySnapshotRow[];
}

export interface LocalReportResult {
  /** Absolute paths of the bundle's files, manifest last. */
  files: string[];
  manifestPath: string;
  /** Path of the HTML report, the file to open. */
  htmlPath: string;
  /** `written`: a new report; `amended`: an amendment beside the locked one; `unchanged`: that report (or amendment) was already there. */
  status: "written" | "amended" | "unchanged";
  /** The amendment written, with the version it supersedes. */
  amendment?: AmendmentRecord;
  summary: ReportSummary;
}

/**
 * Where reports go when no folder is named: inside the lake the user chose, in a folder no lake table uses
 * (`_` like the replay journal's `_replay`), never beside it in a parent the user did not choose (a lake in /tmp
 * must not write /tmp/reports).
 */
export const DEFAULT_REPORTS_FOLDER = "_reports";

/** `<lake>/_reports`. */
export function defaultReportsFolder(lakeDir: string): string {
  return path.join(path.resolve(lakeDir), DEFAULT_REPORTS_FOLDER);
}

/** Refuses a report for a site (or a window) the lake has no readings for, saying which days the lake does hold. */
function checkScope(lakeDir: string, parameters: ReportParameters, activity: SiteActivity[]): void {
  try {
    assertReportScope(parameters, activity, "refuse");
  } catch (error) {
    if (!(error instanceof ReportScopeError)) throw error;
    const days = lakeDays(lakeDir, "readings");
    const held = days.length === 0 ? "the lake holds no readings at all" : `the lake holds readings for ${days.length === 1 ? days[0] : `${days.length} days, ${days[0]} to ${days.at(-1)}`}`;
    throw new ReportScopeError(`${error.message}; ${held}`);
  }
}

/** Runs every compliance query on the local lake and writes the bundle. Throws on any failure, naming it. */
export async function runLocalReport(options: LocalReportOptions): Promise<LocalReportResult> {
  const parameters: ReportParameters = validateParameters({
    date: options.date,
    site: options.site ?? ALL_SITES,
    lookbackDays: options.lookbackDays ?? DEFAULT_LOOKBACK_DAYS,
    minGapSeconds: options.minGapSeconds ?? DEFAULT_MIN_GAP_SECONDS,
  });
  if (options.amendReason !== undefined) validateAmendReason(options.amendReason);
  const outDir = path.resolve(options.outDir ?? defaultReportsFolder(options.lakeDir));
  const connection = await openLocalLake(options.lakeDir, options.registeredDevices ? { dt: parameters.date, devices: options.registeredDevices } : undefined);
  let data: ReportData;
  try {
    checkScope(options.lakeDir, parameters, siteActivity(await runLocalQuery(connection, SCOPE_QUERY, parameters)));
    const results = [];
    for (const spec of COMPLIANCE_QUERIES) results.push(await runLocalQuery(connection, spec, parameters));
    data = {
      date: parameters.date,
      site: parameters.site,
      engine: "duckdb",
      parameters: { lookbackDays: parameters.lookbackDays, minGapSeconds: parameters.minGapSeconds },
      results,
      staticLimits: options.staticLimits ?? DEFAULT_ANALYTICS.rules.staticLimit,
      ...(options.specLimits && { specLimits: options.specLimits }),
    };
  } finally {
    connection.closeSync();
  }
  const writer = new LocalBundleWriter(outDir);
  const written = await writeReport(writer, data, new Date(), options.amendReason);
  return {
    files: written.keys.map((key) => writer.pathOf(key)),
    manifestPath: writer.pathOf(written.manifestKey),
    htmlPath: writer.pathOf(`${written.prefix}report.html`),
    status: written.status,
    ...(written.amendment && { amendment: written.amendment }),
    summary: summarize(data),
  };
}
