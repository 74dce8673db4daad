/**
 * A report's scope, checked before the compliance queries run: a report for a site the lake has no readings of
 * (a typo in `--site` or in the job's `site`) would be an empty bundle that looks like an official record of a
 * quiet day. It is refused instead, naming the sites the lake does have. Shared by the cloud job and the CLI.
 */
import { QueryResult, recordsOf } from "./model";
import { ALL_SITES, ReportParameters, shiftDate } from "./queries";

/** One site's readings in the report's window, a row of the scope query (sql/athena/report-scope.sql). */
export interface SiteActivity {
  site: string;
  firstDay: string;
  lastDay: string;
  readings: number;
}

/** The scope query's rows as typed values. */
export function siteActivity(result: QueryResult): SiteActivity[] {
  return recordsOf(result).map((r) => ({ site: r.site ?? "", firstDay: r.first_day ?? "", lastDay: r.last_day ?? "", readings: Number(r.readings ?? 0) }));
}

/** The report was asked for a site (or a window) the lake has no readings for: nothing was written. */
export class ReportScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportScopeError";
  }
}

/** `2026-11-03 to 2026-11-10`: the report's window as people read it. */
export function reportWindow(p: Pick<ReportParameters, "date" | "lookbackDays">): string {
  return `${shiftDate(p.date, -p.lookbackDays)} to ${p.date}`;
}

/** The sites with readings on the report day, then those seen only earlier in the window (with their last day). */
function knownSites(activity: SiteActivity[], date: string): string {
  const onDay = activity.filter((a) => a.lastDay === date).map((a) => a.site);
  const earlier = activity.filter((a) => a.lastDay !== date).map((a) => `${a.site} (last ${a.lastDay})`);
  return [
    `sites with readings on ${date}: ${onDay.length ? onDay.join(", ") : "none"}`,
    ...(earlier.length ? [`earlier in the window only: ${earlier.join(", ")}`] : []),
  ].join("; ");
}

/**
 * Throws ReportScopeError when a one-site report names a site with no readings in the report's window (the report
 * day and its lookback days: the sensors a report knows). A site quiet on the day but seen in the window is a
 * real record (its sensors are reported silent) and passes. `emptyWindow` decides an all-sites report over a
 * window with no readings at all: `refuse` for an interactive run, `allow` for a scheduled one.
 */
export function assertReportScope(p: ReportParameters, activity: SiteActivity[], emptyWindow: "refuse" | "allow"): void {
  const window = reportWindow(p);
  if (p.site === ALL_SITES) {
    if (activity.length === 0 && emptyWindow === "refuse") {
      throw new ReportScopeError(`the lake has no readings from ${window} (the report day and its ${p.lookbackDays} lookback days): the report would be empty`);
    }
    return;
  }
  if (activity.some((a) => a.site === p.site)) return;
  throw new ReportScopeError(
    `site '${p.site}' has no readings in the lake from ${window} (the report day and its ${p.lookbackDays} lookback days), ` +
      `so its report would be empty; ${knownSites(activity, p.date)}`,
  );
}
