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

/** Characters of a 12 px label that fit in `width` px (about 7 px each), the rest cut with an ellipsis. */
function fitLabel(label: string, width: number): string {
  const max = Math.floor((width - 12) / 7);
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

/** "device · metric" that fits in `width` px: the device id is cut first, so the metric always shows. */
function fitSensorLabel(device: string, metric: string, width: number): string {
  const full = `${device} · ${metric}`;
  const max = Math.floor((width - 12) / 7);
  if (full.length <= max) return full;
  return `${fitLabel(device, (max - metric.length - 3) * 7 + 12)} · ${metric}`;
}

/** Every chart is at most this wide: the report's column (1,100 px less its padding), so the page never scrolls sideways. */
export const CHART_WIDTH = 1060;
const LABEL_WIDTH = 220;
const VALUE_WIDTH = 230;
const RANGE_PLOT_WIDTH = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH;
const RANGE_ROW = 24;
const GROUP_HEAD = 36;

/** Round axis ticks (1, 2 or 5 × 10^k apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / count;
  if (!(raw > 0) || !Number.isFinite(raw)) return [lo];
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  // The round step that gives the tick count closest to `count`.
  const step = [1, 2, 5, 10]
    .map((m) => m * magnitude)
    .reduce((best, s) => (Math.abs((hi - lo) / s - count) < Math.abs((hi - lo) / best - count) ? s : best));
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** A limit line or, when it lies far outside the data, its marker at the edge of the scale. */
interface DrawnLimit {
  value: number;
  side: "Lower" | "Upper";
  /** Where it came from, for the tooltip: crossed on the day (static-limit anomalies) or the stack's specification. */
  source: "crossed" | "spec";
}

/**
 * The rows of one metric split where their ranges leave a wide empty band (more than 40 % of the metric's span):
 * a 150 bar line and 7 bar lines each get a scale of their own instead of sharing one that flattens the small ones.
 */
export function scaleGroups(rows: ResultRecord[]): ResultRecord[][] {
  const lo = Math.min(...rows.map((r) => num(r.min_value)!));
  const hi = Math.max(...rows.map((r) => num(r.max_value)!));
  const clusters: ResultRecord[][] = [];
  let top = -Infinity;
  for (const r of [...rows].sort((a, b) => num(a.min_value)! - num(b.min_value)!)) {
    if (clusters.length === 0 || num(r.min_value)! - top > 0.4 * (hi - lo)) clusters.push([]);
    clusters.at(-1)!.push(r);
    top = Math.max(top, num(r.max_value)!);
  }
  return clusters.map((c) => rows.filter((r) => c.includes(r)));
}

/** The limits of one row: those crossed on the day (from the query) and, where none was crossed, its specification. */
function rowLimits(r: ResultRecord, spec: SensorLimits | undefined): DrawnLimit[] {
  const crossedLow = num(r.lower_limit);
  const crossedHigh = num(r.upper_limit);
  const limits: DrawnLimit[] = [];
  const low = crossedLow ?? spec?.low ?? null;
  const high = crossedHigh ?? spec?.high ?? null;
  if (low !== null) limits.push({ value: low, side: "Lower", source: crossedLow !== null ? "crossed" : "spec" });
  if (high !== null) limits.push({ value: high, side: "Upper", source: crossedHigh !== null ? "crossed" : "spec" });
  return limits;
}

/**
 * Each sensor's daily range, grouped by metric (and unit) with one scale per group, fitted to the day's data so
 * that sensors of one quantity can be compared: a bar from minimum to maximum, a tick at the mean, dashed red
 * lines at the sensor's limits (a limit crossed that day, else its specification limit from the stack's
 * configuration: `specOf`). A limit far outside the day's data (more than half the data's span beyond it) is not
 * allowed to squash the scale: it is marked by an arrow at the edge instead. A row past a limit is red.
 */
export function dailyRangeChart(log: ResultRecord[], specOf: (row: ResultRecord) => SensorLimits | undefined = () => undefined): string {
  if (log.length === 0) return `<p class="empty">No readings on this day.</p>`;
  const groups = new Map<string, ResultRecord[]>();
  for (const r of log) {
    const key = `${r.metric ?? ""}\u0000${r.unit ?? ""}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const parts: string[] = [];
  let y = 0;
  const x0 = LABEL_WIDTH;
  const scales = [...groups.values()]
    .sort((a, b) => (a[0].metric ?? "").localeCompare(b[0].metric ?? ""))
    .flatMap((rows) => scaleGroups(rows).map((scaled, _i, all) => ({ rows: scaled, split: all.length > 1 })));
  for (const { rows, split } of scales) {
    const limits = rows.map((r) => rowLimits(r, specOf(r)));
    const dataLo = Math.min(...rows.map((r) => num(r.min_value)!));
    const dataHi = Math.max(...rows.map((r) => num(r.max_value)!));
    const reach = Math.max((dataHi - dataLo) * 0.5, Math.abs(dataHi) * 0.05, 1e-9);
    const near = (v: number) => v >= dataLo - reach && v <= dataHi + reach;
    const shown = limits.flat().filter((l) => near(l.value)).map((l) => l.value);
    let lo = Math.min(dataLo, ...shown);
    let hi = Math.max(dataHi, ...shown);
    const pad = hi > lo ? (hi - lo) * 0.05 : Math.max(Math.abs(hi) * 0.1, 1);
    lo -= pad;
    hi += pad;
    const x = (v: number) => x0 + ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * RANGE_PLOT_WIDTH;
    const unit = rows[0].unit ?? "";
    const head = y + GROUP_HEAD - 8;
    parts.push(
      `<g class="metric-group">`,
      `<text class="group-title" x="0" y="${head}">${escapeXml(rows[0].metric ?? "")}${unit ? ` (${escapeXml(unit)})` : ""}` +
        `${split ? `<tspan class="tick">  ${formatNumber(dataLo)} to ${formatNumber(dataHi)}</tspan>` : ""}</text>`,
      ...niceTicks(lo, hi).map(
        (t) =>
          `<line class="grid" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${head + 4}" y2="${y + GROUP_HEAD + rows.length * RANGE_ROW}"/>` +
          `<text class="tick" x="${x(t).toFixed(1)}" y="${head}" text-anchor="middle">${formatNumber(t)}</text>`,
      ),
      `<text class="tick" x="${x0 + RANGE_PLOT_WIDTH + 10}" y="${head}">min / mean / max</text>`,
    );
    y += GROUP_HEAD;
    rows.forEach((r, i) => {
      const min = num(r.min_value)!;
      const max = num(r.max_value)!;
      const avg = num(r.avg_value)!;
      const breached = limits[i].some((l) => (l.side === "Upper" ? max > l.value : min < l.value));
      const where = `${r.device_id} (${r.site}/${r.line}) ${r.metric}`;
      const limitMark = (l: DrawnLimit) => {
        const title = `<title>${l.side} limit ${formatNumber(l.value)}${l.source === "crossed" ? " (crossed on the day)" : " (specification)"}${near(l.value) ? "" : ", off the scale"}</title>`;
        if (near(l.value)) {
          return `<line class="limit" x1="${x(l.value).toFixed(1)}" x2="${x(l.value).toFixed(1)}" y1="${y + 1}" y2="${y + RANGE_ROW - 1}">${title}</line>`;
        }
        const edge = l.side === "Upper" ? x0 + RANGE_PLOT_WIDTH : x0;
        const d = l.side === "Upper" ? `M${edge - 7} ${y + 6} l7 6 l-7 6 z` : `M${edge + 7} ${y + 6} l-7 6 l7 6 z`;
        return `<path class="limit-off" d="${d}">${title}</path>`;
      };
      parts.push(
        `<g class="sensor${breached ? " breached" : ""}">`,
        `<text class="label" x="${x0 - 8}" y="${y + 16}" text-anchor="end"><title>${escapeXml(where)}</title>${escapeXml(fitLabel(r.device_id ?? "", LABEL_WIDTH))}</text>`,
        `<line class="axis" x1="${x0}" x2="${x0 + RANGE_PLOT_WIDTH}" y1="${y + 12}" y2="${y + 12}"/>`,
        `<rect class="range" x="${x(min).toFixed(1)}" y="${y + 6}" width="${Math.max(x(max) - x(min), 2).toFixed(1)}" height="12" rx="3">`,
        `<title>${escapeXml(where)}: min ${formatNumber(min)}, mean ${formatNumber(avg)}, max ${formatNumber(max)} ${escapeXml(r.unit ?? "")}</title></rect>`,
        `<line class="mean" x1="${x(avg).toFixed(1)}" x2="${x(avg).toFixed(1)}" y1="${y + 3}" y2="${y + 21}"/>`,
        ...limits[i].map(limitMark),
        `<text class="values" x="${x0 + RANGE_PLOT_WIDTH + 10}" y="${y + 16}">${formatNumber(min)} / ${formatNumber(avg)} / ${formatNumber(max)}</text>`,
        `</g>`,
      );
      y += RANGE_ROW;
    });
    parts.push(`</g>`);
    y += 8;
  }
  return (
    `<svg class="chart" id="daily-range-chart" role="img" aria-label="Daily range of each sensor, per metric, against its limits" ` +
    `xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${y}" viewBox="0 0 ${CHART_WIDTH} ${y}">` +
    parts.join("") +
    `</svg>`
  );
}

const DAY_MS = 86_400_000;
const TIMELINE_ROW = 26;
const TIMELINE_PLOT_WIDTH = CHART_WIDTH - LABEL_WIDTH - 30;
const AXIS_HEIGHT = 22;

/** The hour axis of the timeline: 00:00 to 24:00 every 3 hours, labels at `labelY`, grid lines over `grid` (y from, to). */
function hourAxis(dayStart: number, labelY: number, grid?: [number, number]): string {
  const x = (ms: number) => LABEL_WIDTH + ((ms - dayStart) / DAY_MS) * TIMELINE_PLOT_WIDTH;
  return Array.from({ length: 9 }, (_, i) => i * 3)
    .map((h) => {
      const at = x(dayStart + h * 3_600_000).toFixed(1);
      const line = grid ? `<line class="grid" x1="${at}" x2="${at}" y1="${grid[0]}" y2="${grid[1]}"/>` : "";
      return `${line}<text class="tick" x="${at}" y="${labelY}" text-anchor="middle">${String(h).padStart(2, "0")}:00</text>`;
    })
    .join("");
}

/**
 * The excursion timeline: the report day from midnight to midnight, one row per sensor and rule (its episodes as
 * bars clipped to the day, the rule named after the last one), in order of the first episode. The hour axis is
 * drawn above the rows in its own strip that the page keeps in view while the rows scroll (`position: sticky`),
 * and again below them. An arrow marks an episode that began the day before or was still open at midnight;
 * colour gives the severity. `describe` is each bar's tooltip.
 */
export function excursionTimeline(date: string, excursions: ResultRecord[], describe: (e: ResultRecord) => string): string {
  if (excursions.length === 0) return `<p class="empty">No excursions on this day.</p>`;
  const dayStart = Date.parse(`${date}T00:00:00Z`);
  const dayEnd = dayStart + DAY_MS;
  const x = (ms: number) => LABEL_WIDTH + ((ms - dayStart) / DAY_MS) * TIMELINE_PLOT_WIDTH;
  const rowsByKey = new Map<string, ResultRecord[]>();
  for (const e of [...excursions].sort((a, b) => timestampMs(a.episode_start!) - timestampMs(b.episode_start!))) {
    const key = [e.site, e.line, e.device_id, e.metric, e.rule].join("\u0000");
    rowsByKey.set(key, [...(rowsByKey.get(key) ?? []), e]);
  }
  const rows = [...rowsByKey.values()];
  const height = rows.length * TIMELINE_ROW + AXIS_HEIGHT + 4;
  const body = rows.map((episodes, i) => {
    const y = 4 + i * TIMELINE_ROW;
    const first = episodes[0];
    const label = `${first.device_id} · ${first.metric}`;
    const severity = episodes.some((e) => e.severity === "critical") ? "critical" : "warning";
    let lastEnd = 0;
    const bars = episodes.map((e) => {
      const start = timestampMs(e.episode_start!);
      const end = e.episode_end === null ? dayEnd : timestampMs(e.episode_end);
      const from = Math.max(start, dayStart);
      const to = Math.min(Math.max(end, from), dayEnd);
      lastEnd = Math.max(lastEnd, x(to) + 3);
      return [
        `<rect class="${escapeXml(e.severity ?? "warning")}" x="${x(from).toFixed(1)}" y="${y + 5}" width="${Math.max(x(to) - x(from), 3).toFixed(1)}" height="14" rx="2"><title>${escapeXml(`${label} (${first.site}/${first.line}) ${describe(e)}`)}</title></rect>`,
        start < dayStart ? `<path class="arrow" d="M${LABEL_WIDTH - 1} ${y + 12} l7 -6 v12 z"><title>began the day before</title></path>` : "",
        e.episode_end === null ? `<path class="arrow" d="M${LABEL_WIDTH + TIMELINE_PLOT_WIDTH + 9} ${y + 12} l-7 -6 v12 z"><title>still open at midnight</title></path>` : "",
      ].join("");
    });
    const rule = `${(first.rule ?? "").replace(/_/g, " ")}${episodes.length > 1 ? ` ×${episodes.length}` : ""}`;
    // The rule's name beside its last bar, or before its first when the bars reach the end of the day.
    const firstStart = x(Math.max(timestampMs(first.episode_start!), dayStart));
    const ruleAt = lastEnd + 4 + rule.length * 6.5 < LABEL_WIDTH + TIMELINE_PLOT_WIDTH ? `x="${(lastEnd + 4).toFixed(1)}"` : `x="${(firstStart - 4).toFixed(1)}" text-anchor="end"`;
    return [
      `<g class="episode ${severity}">`,
      `<text class="label" x="${LABEL_WIDTH - 8}" y="${y + 16}" text-anchor="end"><title>${escapeXml(`${label} (${first.site}/${first.line})`)}</title>${escapeXml(fitSensorLabel(first.device_id ?? "", first.metric ?? "", LABEL_WIDTH))}</text>`,
      ...bars,
      `<text class="rule" ${ruleAt} y="${y + 16}">${escapeXml(rule)}</text>`,
      `</g>`,
    ].join("");
  });
  const axisTop =
    `<svg class="chart-axis" role="presentation" xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${AXIS_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${AXIS_HEIGHT}">` +
    hourAxis(dayStart, AXIS_HEIGHT - 6) +
    `</svg>`;
  const gridBottom = rows.length * TIMELINE_ROW + 4;
  return (
    `<div class="timeline"><div class="timeline-axis">${axisTop}</div>` +
    `<svg class="chart" id="excursion-timeline" role="img" aria-label="Excursion timeline for the day, one row per sensor and rule" ` +
    `xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}">` +
    hourAxis(dayStart, gridBottom + 14, [0, gridBottom]) +
    body.join("") +
    `</svg></div>`
  );
}
