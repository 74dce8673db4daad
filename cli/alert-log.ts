/**
 * The alert transitions a replay stored in the lake, as lines to print: locally, alerts are printed as well as
 * stored (in the cloud the alert notifier publishes the same open/cleared rows to the operators' SNS topic).
 */
import { ALERTS } from "../lake/tables";
import { queryLakeTable } from "../local/lake-query";
import { formatNumber } from "../reports/charts";

/** One row of the alerts table: an episode opening or clearing. */
export interface AlertTransition {
  state: "open" | "cleared";
  /** Time of the transition, epoch ms (first anomalous reading, or clear time). */
  event_ms: number;
  device_id: string;
  site: string;
  line: string;
  metric: string;
  rule: string;
  severity: string;
  peak_value: number | null;
  limit_value: number | null;
  anomaly_count: number;
}

/** Every transition in `<lakeDir>/alerts`, in time order (an episode's open before its clear); none without the table. */
export async function readAlertTransitions(lakeDir: string): Promise<AlertTransition[]> {
  const rows = await queryLakeTable(
    lakeDir,
    ALERTS.name,
    (from) => `SELECT state, CAST(epoch_ms(event_ts) AS DOUBLE) AS event_ms, device_id, site, line, metric, rule, severity,
              peak_value, limit_value, CAST(anomaly_count AS DOUBLE) AS anomaly_count
         FROM ${from}
        ORDER BY event_ts, device_id, metric, rule, state DESC`,
  );
  return rows.map((row) => ({
    state: row.state === "open" ? "open" : "cleared",
    event_ms: Number(row.event_ms),
    device_id: String(row.device_id),
    site: String(row.site),
    line: String(row.line),
    metric: String(row.metric),
    rule: String(row.rule),
    severity: String(row.severity),
    peak_value: row.peak_value === null ? null : Number(row.peak_value),
    limit_value: row.limit_value === null ? null : Number(row.limit_value),
    anomaly_count: Number(row.anomaly_count),
  }));
}

/** A value as people read it (the report's format), "-" when absent. */
function readable(value: number | null): string {
  return value === null ? "-" : formatNumber(value);
}

/**
 * The transitions in `after` that `before` did not hold: what one replay added to a lake (an append rewrites the
 * date partitions it touches, so rows it only carried over are in both). Compared row by row as a multiset.
 */
export function addedTransitions(before: AlertTransition[], after: AlertTransition[]): AlertTransition[] {
  const key = (t: AlertTransition) => JSON.stringify(t);
  const held = new Map<string, number>();
  for (const t of before) held.set(key(t), (held.get(key(t)) ?? 0) + 1);
  return after.filter((t) => {
    const left = held.get(key(t)) ?? 0;
    if (left === 0) return true;
    held.set(key(t), left - 1);
    return false;
  });
}

/**
 * The summary line and up to `limit` of the transitions a replay added, one per line:
 * `2026-11-22 08:00:50  open     plant-a/line-1/oven-1  temperature  static_limit  critical  peak 460 (limit 400)`.
 * `all` is the whole alerts table after the replay: what is still open is counted over the lake, since a replay
 * that continues a lake may clear an episode an earlier one opened.
 */
export function alertLines(all: AlertTransition[], added: AlertTransition[], where: string, limit = 20): string[] {
  const count = (list: AlertTransition[], state: AlertTransition["state"]) => list.filter((t) => t.state === state).length;
  const opened = count(added, "open");
  const cleared = count(added, "cleared");
  const stillOpen = count(all, "open") - count(all, "cleared");
  const appended = added.length < all.length;
  const head = appended
    ? `  alerts from this replay: ${opened} episode${opened === 1 ? "" : "s"} opened, ${cleared} cleared; ${stillOpen} still open at the end of the lake's data (${all.length} transitions stored in ${where})`
    : `  alerts: ${opened} episode${opened === 1 ? "" : "s"} opened, ${cleared} cleared, ${stillOpen} still open at the end of the input (stored in ${where})`;
  if (added.length === 0) return [head];
  const rows = added.slice(0, limit).map((t) => [
    new Date(t.event_ms).toISOString().replace("T", " ").slice(0, 19),
    t.state,
    `${t.site}/${t.line}/${t.device_id}`,
    t.metric,
    t.rule,
    t.severity,
    // A silence's peak and limit are seconds of silence (analytics/definition.ts DataGapRule).
    t.rule === "data_gap"
      ? `silent ${readable(t.peak_value)} s (allowed ${readable(t.limit_value)} s)`
      : `peak ${readable(t.peak_value)} (limit ${readable(t.limit_value)})${t.state === "cleared" ? `, ${t.anomaly_count} anomalous reading${t.anomaly_count === 1 ? "" : "s"}` : ""}`,
  ]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => `    ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")}`);
  if (added.length > limit) lines.push(`    … ${added.length - limit} more transitions from this replay in ${where}`);
  return [head, ...lines];
}
