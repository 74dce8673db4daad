/**
 * One run of the compliance report: pick the day, wait (a bounded time) for it to be final in the lake, run every
 * query on Athena, render the bundle, write it to the Object Lock bucket (manifest last, nothing overwritten), tell
 * the operators. Any failure throws, so the invocation fails, EventBridge Scheduler retries it, and the Errors
 * alarm fires: a report is never silently missing or silently partial (a day still not final after the wait is
 * reported and marked incomplete). A scheduled run then writes any day of its lookback that has no report yet
 * (a run skipped by the scheduler, or dead-lettered), as far as the invocation's remaining time allows.
 */
import { AthenaClient } from "@aws-sdk/client-athena";
import type { StaticLimitRule } from "../../analytics/definition";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { bundlePrefix, MANIFEST_NAME } from "../../reports/bundle";
import { ReportWriteResult, validateAmendReason, writeReport } from "../../reports/amendment";
import { BundleWriter } from "../../reports/bundle-writer";
import { AmendmentRecord, QueryResult, ReportData } from "../../reports/model";
import {
  ALL_SITES,
  COMPLIANCE_QUERIES,
  LAKE_FRESHNESS_QUERY,
  QuerySpec,
  ReportParameters,
  SCOPE_QUERY,
  SCOPE_QUERY_TIMEOUT_SECONDS,
  assertReportDate,
  athenaExecutionParameters,
  querySql,
  shiftDate,
  validateParameters,
} from "../../reports/queries";
import { assertReportScope, siteActivity } from "../../reports/scope";
import { ReportSummary, summarize, summaryText } from "../../reports/summary";
import { Clock, realClock, runAthenaQuery } from "./athena";
import { ReportJobConfig } from "./config";
import { awaitFinalDay, FRESHNESS_QUERY_TIMEOUT_SECONDS, LakeFreshness } from "./freshness";
import type { RegistryExport } from "./registry-export";

/** What EventBridge Scheduler sends (the schedule's input), or what an operator sends to re-run a day. */
export interface ReportEvent {
  /** Report day `YYYY-MM-DD`; default: yesterday in REPORT_TIMEZONE (never a UTC day that has not ended). */
  date?: string;
  /** Site id or `*`; default REPORT_SITE. */
  site?: string;
  /** The schedule's `<aws.scheduler.scheduled-time>`: a retried run still reports on the day it was meant for. */
  scheduledTime?: string;
  /**
   * Amend the day's locked report, for this reason: a new bundle under `amendments/<n>/` that references the
   * version it supersedes (reports/amendment.ts). Sent by an operator after reviewing a conflict, never scheduled.
   */
  amend?: string;
}

export interface ReportJobDeps {
  athena: AthenaClient;
  /** Where the bundle is stored: the Object Lock reports bucket (S3BundleWriter) in the Lambda. */
  bundles: BundleWriter;
  /** Tells the operators the report is in: SNS Publish to their topic (SnsPublisher) in the Lambda. */
  notify(subject: string, message: string): Promise<void>;
  logger: Logger;
  metrics: Metrics;
  config: ReportJobConfig;
  clock?: Clock;
  /** The stack's static limits (the package's static-limits.json): the limits that applied, in the daily sensor log. */
  staticLimits?: StaticLimitRule;
  /** Milliseconds left in the invocation (Lambda's context.getRemainingTimeInMillis); bounds the catch-up of missing days. */
  remainingMs?: () => number;
  /** Those its configuration sets (spec-limits.json), drawn on the range chart; absent: only limits crossed. */
  specLimits?: StaticLimitRule;
  /** Writes the day's device_registry snapshot before the queries (registry-export.ts); absent: no export. */
  exportRegistry?: (date: string) => Promise<RegistryExport>;
}

export interface ReportJobResult {
  date: string;
  site: string;
  status: ReportWriteResult["status"];
  manifestKey: string;
  /** The amendment written (an `amend` event), with the version it supersedes. */
  amendment?: AmendmentRecord;
  executionIds: Record<string, string>;
  summary: ReportSummary;
  /** Whether the day was final in the lake (else the report says INCOMPLETE). */
  lakeFreshness: LakeFreshness;
  /** Earlier days of the lookback that had no report and were written by this run. */
  backfilled: string[];
  /** Earlier days still without a report (no time left in this invocation): the next run tries again. */
  stillMissing: string[];
}

type DayReport = Omit<ReportJobResult, "backfilled" | "stillMissing">;

/** The calendar date of an instant in a time zone. */
function dateIn(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/**
 * The day to report on: yesterday in the configured time zone, but never later than the last complete UTC day
 * (partitions are UTC days; east of UTC, local yesterday can still be running in UTC at local midnight).
 */
export function defaultReportDate(instant: Date, timeZone: string): string {
  const localYesterday = shiftDate(dateIn(instant, timeZone), -1);
  const lastCompleteUtcDay = shiftDate(instant.toISOString().slice(0, 10), -1);
  return localYesterday < lastCompleteUtcDay ? localYesterday : lastCompleteUtcDay;
}

/**
 * Runs the queries with at most `concurrency` in flight. After the first failure no new query starts and the
 * ones in flight are told to stop (through the signal); the first failure is what the report fails with.
 */
async function runAll<T>(
  items: readonly QuerySpec[],
  concurrency: number,
  run: (spec: QuerySpec, signal: AbortSignal) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(items.length);
  const abort = new AbortController();
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await run(items[index], abort.signal);
      } catch (error) {
        failure ??= error;
        abort.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== undefined) throw failure;
  return results;
}

export async function runComplianceReport(event: ReportEvent, deps: ReportJobDeps): Promise<ReportJobResult> {
  const { config } = deps;
  const clock = deps.clock ?? realClock;
  const instant = event.scheduledTime ? new Date(event.scheduledTime) : new Date(clock.now());
  if (Number.isNaN(instant.getTime())) throw new Error(`scheduledTime '${event.scheduledTime}' is not an ISO-8601 instant`);
  const date = event.date ?? defaultReportDate(instant, config.REPORT_TIMEZONE);
  assertReportDate(date);
  const site = event.site ?? config.REPORT_SITE;
  if (event.amend !== undefined) validateAmendReason(event.amend);
  const report = await reportDay(date, site, deps, event.amend);
  // An operator's re-run of one day is just that; a scheduled run also catches up what earlier runs left out.
  const { backfilled, stillMissing } = event.date === undefined ? await fillMissingDays(date, site, deps) : { backfilled: [], stillMissing: [] };
  return { ...report, backfilled, stillMissing };
}

/**
 * Days of the lookback before `date` with no report although an earlier day of it has one: the scheduler skipped
 * the run, or its invocation was dead-lettered. (Days before the first report in the lookback are a new stack's
 * history, not gaps.) Each is written oldest first while the invocation still has time for a whole report.
 */
async function fillMissingDays(date: string, site: string, deps: ReportJobDeps): Promise<{ backfilled: string[]; stillMissing: string[] }> {
  const { config, logger, metrics } = deps;
  const days = Array.from({ length: config.LOOKBACK_DAYS }, (_, i) => shiftDate(date, i - config.LOOKBACK_DAYS));
  const reported = await Promise.all(days.map(async (d) => (await deps.bundles.read(`${bundlePrefix(d, site)}${MANIFEST_NAME}`)) !== null));
  const first = reported.indexOf(true);
  const missing = first < 0 ? [] : days.filter((_, i) => i > first && !reported[i]);
  const waves = Math.ceil(COMPLIANCE_QUERIES.length / config.QUERY_CONCURRENCY);
  const reportBudgetMs =
    (waves * config.QUERY_TIMEOUT_SECONDS + FRESHNESS_QUERY_TIMEOUT_SECONDS + config.FRESHNESS_WAIT_SECONDS + 20) * 1000;
  const backfilled: string[] = [];
  const stillMissing: string[] = [];
  for (const day of missing) {
    if (stillMissing.length === 0 && (deps.remainingMs?.() ?? Infinity) > reportBudgetMs) {
      logger.info("writing a missing report", { missingDate: day });
      await reportDay(day, site, deps);
      backfilled.push(day);
    } else {
      stillMissing.push(day);
    }
  }
  if (stillMissing.length > 0) {
    logger.warn("reports still missing; the next scheduled run writes them", { stillMissing });
    metrics.addMetric("ReportsMissing", MetricUnit.Count, stillMissing.length);
    await deps.notify(
      `Compliance reports missing: ${stillMissing.join(", ")}`.slice(0, 100),
      `No report exists for ${stillMissing.join(", ")} (${site === "*" ? "all sites" : `site ${site}`}). The next scheduled run ` +
        `writes them; to write one now, invoke the report function with {"date": "YYYY-MM-DD"}.`,
    );
  }
  return { backfilled, stillMissing };
}

/** One day's report: freshness gate, queries, bundle, notification, metrics. */
async function reportDay(date: string, site: string, deps: ReportJobDeps, amend?: string): Promise<DayReport> {
  const { config, logger, metrics } = deps;
  const clock = deps.clock ?? realClock;
  const parameters: ReportParameters = validateParameters({
    date,
    site,
    lookbackDays: config.LOOKBACK_DAYS,
    minGapSeconds: config.MIN_GAP_SECONDS,
  });
  logger.appendKeys({ reportDate: date, site: parameters.site });
  logger.info("compliance report started", { queries: COMPLIANCE_QUERIES.map((q) => q.id) });

  const settings = {
    workGroup: config.ATHENA_WORKGROUP,
    database: config.GLUE_DATABASE,
    timeoutMs: config.QUERY_TIMEOUT_SECONDS * 1000,
    pollInitialMs: config.POLL_INITIAL_MS,
    pollMaxMs: config.POLL_MAX_MS,
  };
  let scanned = 0;
  if (parameters.site !== ALL_SITES) {
    // A one-site report first checks the lake knows the site: a typo fails here, before any bundle exists.
    const scopeSettings = { ...settings, timeoutMs: Math.min(settings.timeoutMs, SCOPE_QUERY_TIMEOUT_SECONDS * 1000) };
    const scope = await runAthenaQuery(deps.athena, SCOPE_QUERY, querySql(SCOPE_QUERY), athenaExecutionParameters(SCOPE_QUERY, parameters), scopeSettings, clock);
    scanned += scope.dataScannedBytes;
    assertReportScope(parameters, siteActivity(scope.result), "allow");
  }
  const lakeFreshness = await awaitFinalDay(
    date,
    async () => {
      const spec = LAKE_FRESHNESS_QUERY;
      const outcome = await runAthenaQuery(
        deps.athena,
        spec,
        querySql(spec),
        athenaExecutionParameters(spec, parameters),
        { ...settings, timeoutMs: FRESHNESS_QUERY_TIMEOUT_SECONDS * 1000 },
        clock,
      );
      scanned += outcome.dataScannedBytes;
      return outcome.result.rows[0]?.[0] ?? null;
    },
    config.FRESHNESS_WAIT_SECONDS * 1000,
    config.FRESHNESS_POLL_SECONDS * 1000,
    clock,
  );
  if (!lakeFreshness.complete) logger.warn("report day not final in the lake: reporting it as incomplete", { detail: lakeFreshness.detail });
  if (deps.exportRegistry) {
    // Before the queries: the device inventory joins this snapshot. A failure fails the report (a silent device
    // left out of the inventory is a wrong record, not a smaller one).
    const exported = await deps.exportRegistry(date);
    logger.info("device registry exported", { location: exported.location, devices: exported.devices, written: exported.written, skipped: exported.skipped.length });
    if (exported.skipped.length > 0) logger.warn("things left out of the device registry: not fleet devices", { skipped: exported.skipped.slice(0, 20) });
  }

  const results: QueryResult[] = await runAll(COMPLIANCE_QUERIES, config.QUERY_CONCURRENCY, async (spec, signal) => {
    const outcome = await runAthenaQuery(
      deps.athena,
      spec,
      querySql(spec),
      athenaExecutionParameters(spec, parameters),
      { ...settings, signal },
      clock,
    );
    scanned += outcome.dataScannedBytes;
    logger.info("query succeeded", {
      queryId: spec.id,
      executionId: outcome.result.executionId,
      rows: outcome.result.rows.length,
      dataScannedBytes: outcome.dataScannedBytes,
      engineMs: outcome.engineMs,
    });
    return outcome.result;
  });

  const data: ReportData = {
    date,
    site: parameters.site,
    engine: "athena",
    parameters: { lookbackDays: parameters.lookbackDays, minGapSeconds: parameters.minGapSeconds },
    results,
    ...(deps.staticLimits && { staticLimits: deps.staticLimits }),
    lakeFreshness: { complete: lakeFreshness.complete, detail: lakeFreshness.detail },
    ...(deps.specLimits && { specLimits: deps.specLimits }),
  };
  const written = await writeReport(deps.bundles, data, new Date(clock.now()), amend);
  const summary = summarize(data);
  const location = deps.bundles.where(written.prefix);
  logger.info("compliance report stored", { status: written.status, manifestKey: written.manifestKey, amendment: written.amendment });

  const note = { written: "", unchanged: " (re-run, unchanged)", amended: ` (amendment ${written.amendment?.number})` }[written.status];
  const amendedWhy = written.amendment ? `\nAmendment ${written.amendment.number}, superseding ${written.amendment.amends.manifest}: ${written.amendment.reason}` : "";
  await deps.notify(
    `${lakeFreshness.complete ? "" : "INCOMPLETE "}Compliance report ${date} ${parameters.site === "*" ? "all sites" : parameters.site}${note}`.slice(0, 100),
    (lakeFreshness.complete ? "" : `${lakeFreshness.detail}\n`) + summaryText(summary, location) + amendedWhy,
  );

  metrics.addMetric({ written: "ReportsWritten", unchanged: "ReportsUnchanged", amended: "ReportsAmended" }[written.status], MetricUnit.Count, 1);
  if (!lakeFreshness.complete) metrics.addMetric("ReportsIncomplete", MetricUnit.Count, 1);
  metrics.addMetric("DataScannedBytes", MetricUnit.Bytes, scanned);
  metrics.addMetric("Excursions", MetricUnit.Count, summary.excursions);
  metrics.addMetric("SilentSensors", MetricUnit.Count, summary.silentSensors);
  metrics.addMetric("IncompleteSensors", MetricUnit.Count, summary.incompleteSensors);

  return {
    date,
    site: parameters.site,
    status: written.status,
    manifestKey: written.manifestKey,
    ...(written.amendment && { amendment: written.amendment }),
    executionIds: Object.fromEntries(results.map((r) => [r.queryId, r.executionId])),
    summary,
    lakeFreshness,
  };
}
