/**
 * One run of the compliance report: pick the day, run every query on Athena, render the bundle, write it to the
 * Object Lock bucket (manifest last, nothing overwritten), tell the operators. Any failure throws, so the
 * invocation fails, EventBridge Scheduler retries it, and the Errors alarm fires: a report is never silently
 * missing or silently partial.
 */
import { AthenaClient } from "@aws-sdk/client-athena";
import type { StaticLimitRule } from "../../analytics/definition";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { ReportWriteResult, validateAmendReason, writeReport } from "../../reports/amendment";
import { BundleWriter } from "../../reports/bundle-writer";
import { AmendmentRecord, QueryResult, ReportData } from "../../reports/model";
import {
  ALL_SITES,
  COMPLIANCE_QUERIES,
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
  /** Those its configuration sets (spec-limits.json), drawn on the range chart; absent: only limits crossed. */
  specLimits?: StaticLimitRule;
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
}

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
  const { config, logger, metrics } = deps;
  const clock = deps.clock ?? realClock;
  const instant = event.scheduledTime ? new Date(event.scheduledTime) : new Date(clock.now());
  if (Number.isNaN(instant.getTime())) throw new Error(`scheduledTime '${event.scheduledTime}' is not an ISO-8601 instant`);
  const date = event.date ?? defaultReportDate(instant, config.REPORT_TIMEZONE);
  assertReportDate(date);
  if (event.amend !== undefined) validateAmendReason(event.amend);
  const parameters: ReportParameters = validateParameters({
    date,
    site: event.site ?? config.REPORT_SITE,
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
    ...(deps.specLimits && { specLimits: deps.specLimits }),
  };
  const written = await writeReport(deps.bundles, data, new Date(clock.now()), event.amend);
  const summary = summarize(data);
  const location = deps.bundles.where(written.prefix);
  logger.info("compliance report stored", { status: written.status, manifestKey: written.manifestKey, amendment: written.amendment });

  const note = { written: "", unchanged: " (re-run, unchanged)", amended: ` (amendment ${written.amendment?.number})` }[written.status];
  const amendedWhy = written.amendment ? `\nAmendment ${written.amendment.number}, superseding ${written.amendment.amends.manifest}: ${written.amendment.reason}` : "";
  await deps.notify(
    `Compliance report ${date} ${parameters.site === "*" ? "all sites" : parameters.site}${note}`.slice(0, 100),
    summaryText(summary, location) + amendedWhy,
  );

  metrics.addMetric({ written: "ReportsWritten", unchanged: "ReportsUnchanged", amended: "ReportsAmended" }[written.status], MetricUnit.Count, 1);
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
  };
}
