/**
 * How often the series in a lake report, against the alert hold time. An episode clears once its series has
 * been normal for the hold time (a fixed time: the cloud forms episodes with a Flink session window, whose gap
 * must be a constant). A series that reports less often than that never has two anomalous readings within
 * one hold, so each of them opens and clears its own episode; `iotpipe replay` warns about such series.
 */
import { MAX_ALERT_HOLD_SECONDS } from "../analytics/definition";
import { READINGS } from "../lake/tables";
import { queryLakeTable } from "../local/lake-query";

/**
 * Per series (device, site, line, metric): the median interval between its on-time readings, in ms. Late
 * readings are left out, as the rules leave them out. `from` is the readings table as a relation.
 */
export function seriesIntervalsSql(from: string): string {
  return `WITH steps AS (
  SELECT device_id, site, line, metric,
         epoch_ms(event_ts) - lag(epoch_ms(event_ts)) OVER (PARTITION BY device_id, site, line, metric ORDER BY event_ts) AS step_ms
    FROM ${from}
   WHERE NOT late
)
SELECT device_id, site, line, metric, CAST(median(step_ms) AS DOUBLE) AS interval_ms
  FROM steps
 WHERE step_ms IS NOT NULL
 GROUP BY device_id, site, line, metric`;
}

/** The series that report less often than the hold time: how many, and the range of their median intervals. */
export interface SlowSeries {
  count: number;
  minIntervalMs: number;
  maxIntervalMs: number;
}

/** The lake's series whose median interval between readings exceeds `holdSeconds`; null when there are none. */
export async function slowSeries(lakeDir: string, holdSeconds: number): Promise<SlowSeries | null> {
  const [row] = await queryLakeTable(
    lakeDir,
    READINGS.name,
    (from) => `SELECT count(*)::INTEGER AS n, min(interval_ms) AS lo, max(interval_ms) AS hi
         FROM (${seriesIntervalsSql(from)})
        WHERE interval_ms > ${holdSeconds * 1000}`,
  );
  const count = Number(row?.n ?? 0);
  return count === 0 ? null : { count, minIntervalMs: Number(row.lo), maxIntervalMs: Number(row.hi) };
}

/**
 * The warning for series slower than the hold time: "1 series report every ~300 s, longer than the alert hold
 * time (120 s): …". Suggests a hold of twice the slowest interval, at most what the config key accepts.
 */
export function cadenceWarning(slow: SlowSeries, holdSeconds: number): string {
  const lo = Math.round(slow.minIntervalMs / 1000);
  const hi = Math.round(slow.maxIntervalMs / 1000);
  const every = lo === hi ? `~${lo} s` : `~${lo}–${hi} s`;
  const twice = 2 * Math.ceil(slow.maxIntervalMs / 1000);
  return (
    `${slow.count} series report${slow.count === 1 ? "s" : ""} every ${every}, longer than the alert hold time (${holdSeconds} s): ` +
    `each anomalous reading of theirs opens its own episode; set iotpipe:alertHoldSeconds (or --hold-seconds) to ` +
    (twice <= MAX_ALERT_HOLD_SECONDS ? `at least 2 × their interval (${twice} s)` : `its maximum, one day, short of 2 × their interval (${MAX_ALERT_HOLD_SECONDS} s)`)
  );
}
