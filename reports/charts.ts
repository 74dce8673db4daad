/**
 * Inline SVG charts for the HTML report: drawn here as markup so the report renders offline, in any browser,
 * without scripts. Each chart is a pure function of the query rows.
 */
import type { SensorLimits } from "./limits";
import { ResultRecord } from "./model";

/** Escapes text for HTML/SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Milliseconds since the epoch of an Athena timestamp string (`2026-11-10 00:45:00.000`, UTC). */
export function timestampMs(value: string): number {
  const ms = Date.parse(`${value.replace(" ", "T")}Z`);
  if (Number.isNaN(ms)) throw new Error(`'${value}' is not a timestamp as Athena returns them (YYYY-MM-DD HH:MM:SS.fff)`);
  return ms;
}

const num = (value: string | null): number | null => (value === null || value === "" ? null : Number(value));
/** A measured number as people read it: 4 significant digits, whole numbers from 1000 (the report's and the CLI's format). */
export function formatNumber(value: number): string {
  return Math.abs(value) >= 1000 ? value.toFixed(0) : String(Number(value.toPrecision(4)));
}

/** A measured value as people read it (4 significant digits, whole numbers from 1000); text that is not a number as it is. */
export function formatValue(value: string | null): string {
  const n = num(value);
  return n === null || !Number.isFinite(n) ? String(value ?? "") : formatNumber(n);
}

/** Characters of a 12 px label that fit beside a chart (about 7 px each), the rest cut with an ellipsis. */
function fitLabel(label: string): string {
  const max = Math.floor((LABEL_WIDTH - 12) / 7);
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

const LABEL_WIDTH = 250;
const PLOT_WIDTH = 470;
const VALUE_WIDTH = 200;
const ROW_HEIGHT = 30;
const WIDTH = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;

/**
 * Each sensor's daily range: a bar from minimum to maximum, a tick at the mean, dashed red lines at its limits:
 * the ones it crossed that day (from the anomalies), else the ones it is judged against (`limitsOf`, the
 * stack's static limits). Each row has its own scale, wide enough for its limits (sensors measure different
 * quantities); a row past a limit is red.
 */
export function dailyRangeChart(log: ResultRecord[], limitsOf: (row: ResultRecord) => SensorLimits | undefined = () => undefined): string {
  if (log.length === 0) return `<p class="empty">No readings on this day.</p>`;
  const height = log.length * ROW_HEIGHT + 10;
  const rows = log.map((r, i) => {
    const min = num(r.min_value)!;
    const max = num(r.max_value)!;
    const avg = num(r.avg_value)!;
    const configured = limitsOf(r);
    const lower = num(r.lower_limit) ?? configured?.low ?? null;
    const upper = num(r.upper_limit) ?? configured?.high ?? null;
    const values = [min, max, ...(lower === null ? [] : [lower]), ...(upper === null ? [] : [upper])];
    let lo = Math.min(...values);
    let hi = Math.max(...values);
    const pad = hi > lo ? (hi - lo) * 0.08 : Math.max(Math.abs(hi) * 0.1, 1);
    lo -= pad;
    hi += pad;
    const x = (v: number) => LABEL_WIDTH + ((v - lo) / (hi - lo)) * PLOT_WIDTH;
    const y = 5 + i * ROW_HEIGHT;
    const breached = (upper !== null && max > upper) || (lower !== null && min < lower);
    const label = `${r.device_id} · ${r.metric}`;
    const limitLine = (v: number, side: string) =>
      `<line class="limit" x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${y + 2}" y2="${y + ROW_HEIGHT - 4}">` +
      `<title>${side} limit ${formatNumber(v)}</title></line>`;
    return [
      `<g class="sensor${breached ? " breached" : ""}">`,
      `<text class="label" x="${LABEL_WIDTH - 8}" y="${y + 19}" text-anchor="end">${escapeXml(label)}</text>`,
      `<line class="axis" x1="${LABEL_WIDTH}" x2="${LABEL_WIDTH + PLOT_WIDTH}" y1="${y + 14}" y2="${y + 14}"/>`,
      `<rect class="range" x="${x(min).toFixed(1)}" y="${y + 7}" width="${Math.max(x(max) - x(min), 2).toFixed(1)}" height="14" rx="3">`,
      `<title>${escapeXml(label)}: min ${formatNumber(min)}, mean ${formatNumber(avg)}, max ${formatNumber(max)} ${escapeXml(r.unit ?? "")}</title></rect>`,
      `<line class="mean" x1="${x(avg).toFixed(1)}" x2="${x(avg).toFixed(1)}" y1="${y + 4}" y2="${y + 24}"/>`,
      lower === null ? "" : limitLine(lower, "Lower"),
      upper === null ? "" : limitLine(upper, "Upper"),
      `<text class="values" x="${LABEL_WIDTH + PLOT_WIDTH + 10}" y="${y + 19}">${formatNumber(min)} / ${formatNumber(avg)} / ${formatNumber(max)} ${escapeXml(r.unit ?? "")}</text>`,
      `</g>`,
    ].join("");
  });
  return (
    `<svg class="chart" id="daily-range-chart" role="img" aria-label="Daily range of each sensor against its limits" ` +
    `xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">` +
    rows.join("") +
    `</svg>`
  );
}

const DAY_MS = 86_400_000;

/**
 * The excursion timeline: the report day from midnight to midnight, one row per episode, a bar from its start
 * to its end clipped to the day. An arrow marks an episode that began the day before or was still open at
 * midnight; colour gives the severity.
 */
export function excursionTimeline(date: string, excursions: ResultRecord[]): string {
  if (excursions.length === 0) return `<p class="empty">No excursions on this day.</p>`;
  const dayStart = Date.parse(`${date}T00:00:00Z`);
  const dayEnd = dayStart + DAY_MS;
  const top = 24;
  const height = top + excursions.length * ROW_HEIGHT + 6;
  const width = LABEL_WIDTH + PLOT_WIDTH + 20;
  const x = (ms: number) => LABEL_WIDTH + ((ms - dayStart) / DAY_MS) * PLOT_WIDTH;
  const ticks = Array.from({ length: 9 }, (_, i) => i * 3).map(
    (h) =>
      `<line class="grid" x1="${x(dayStart + h * 3_600_000).toFixed(1)}" x2="${x(dayStart + h * 3_600_000).toFixed(1)}" y1="${top - 4}" y2="${height - 4}"/>` +
      `<text class="tick" x="${x(dayStart + h * 3_600_000).toFixed(1)}" y="${top - 8}" text-anchor="middle">${String(h).padStart(2, "0")}:00</text>`,
  );
  const rows = excursions.map((e, i) => {
    const start = timestampMs(e.episode_start!);
    const end = e.episode_end === null ? dayEnd : timestampMs(e.episode_end);
    const from = Math.max(start, dayStart);
    const to = Math.min(Math.max(end, from), dayEnd);
    const y = top + i * ROW_HEIGHT;
    const label = `${e.device_id} · ${e.metric} · ${e.rule}`;
    const detail = `${label}: ${e.episode_start} to ${e.episode_end ?? "still open at midnight"}, peak ${formatValue(e.peak_value)}, limit ${formatValue(e.limit_value)}`;
    return [
      `<g class="episode ${escapeXml(e.severity ?? "warning")}">`,
      `<text class="label" x="${LABEL_WIDTH - 8}" y="${y + 19}" text-anchor="end"><title>${escapeXml(label)}</title>${escapeXml(fitLabel(label))}</text>`,
      `<rect x="${x(from).toFixed(1)}" y="${y + 6}" width="${Math.max(x(to) - x(from), 3).toFixed(1)}" height="16" rx="2"><title>${escapeXml(detail)}</title></rect>`,
      start < dayStart ? `<path class="arrow" d="M${LABEL_WIDTH - 1} ${y + 14} l7 -6 v12 z"><title>began the day before</title></path>` : "",
      e.episode_end === null ? `<path class="arrow" d="M${LABEL_WIDTH + PLOT_WIDTH + 8} ${y + 14} l-7 -6 v12 z"><title>still open at midnight</title></path>` : "",
      `</g>`,
    ].join("");
  });
  return (
    `<svg class="chart" id="excursion-timeline" role="img" aria-label="Excursion timeline for the day" ` +
    `xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    ticks.join("") +
    rows.join("") +
    `</svg>`
  );
}
