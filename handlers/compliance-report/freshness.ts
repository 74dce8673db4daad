/**
 * The freshness gate: a report is locked for years, so it waits until the report day is final in the lake before
 * it runs its queries. Final means an aggregate window of the day ends at the next midnight: Flink emits those
 * only once its watermark has passed midnight by the allowed lateness, and Firehose has delivered them. Late data,
 * a lagging job or a slow Firehose delay that; the gate asks again every poll interval until its wait is over and
 * then lets the report go out marked incomplete, saying why, rather than failing it or pretending it is whole.
 */
import { shiftDate } from "../../reports/queries";
import type { Clock } from "./athena";

/** The freshness query reads one partition of one table: it has a short timeout of its own. */
export const FRESHNESS_QUERY_TIMEOUT_SECONDS = 60;

/** Whether the report day was final in the lake when the report ran, and the evidence. */
export interface LakeFreshness {
  complete: boolean;
  /** What the gate saw, in words for the report's reader. */
  detail: string;
  /** How many times the lake was asked. */
  checks: number;
}

/** What one check sees: the end of the day's latest aggregate window (`YYYY-MM-DD HH:MM:SS[.fff]`, UTC), or null. */
export type LatestWindowEnd = () => Promise<string | null>;

/** True when `lastWindowEnd` is at or after the midnight that ends `date` (timestamps as Athena prints them). */
export function dayIsFinal(date: string, lastWindowEnd: string | null): boolean {
  return lastWindowEnd !== null && lastWindowEnd.replace("T", " ") >= `${shiftDate(date, 1)} 00:00:00`;
}

/** Asks `latestWindowEnd` until the day is final or `waitMs` has passed, `pollMs` apart. */
export async function awaitFinalDay(date: string, latestWindowEnd: LatestWindowEnd, waitMs: number, pollMs: number, clock: Clock): Promise<LakeFreshness> {
  const deadline = clock.now() + waitMs;
  for (let checks = 1; ; checks++) {
    const last = await latestWindowEnd();
    if (dayIsFinal(date, last)) return { complete: true, detail: `aggregate windows of ${date} run to midnight (${last})`, checks };
    if (clock.now() + pollMs > deadline) {
      const seen = last === null ? `no aggregate window of ${date} is in the lake` : `the latest aggregate window of ${date} ends at ${last}, not at midnight`;
      return {
        complete: false,
        detail:
          `INCOMPLETE: ${seen}, after ${checks} check(s) over ${Math.round(waitMs / 1000)} s. Readings that arrived late, or a ` +
          `lagging Flink job or Firehose, may be missing from these figures (see the Flink and Firehose alarms).`,
        checks,
      };
    }
    await clock.sleep(pollMs);
  }
}
