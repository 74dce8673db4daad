/**
 * The HTML report for people: the summary first, then what needs attention, the charts, and every query's rows.
 * Self-contained by construction: inline CSS, inline SVG, no scripts, no fonts, no external requests (the
 * Content-Security-Policy forbids them, so the file renders the same from a laptop, an archive or an email).
 * Deterministic: no clock reading, so a re-run over the same data gives byte-identical output.
 */
import { AttentionGroup, attentionGroups, episodeFinding } from "./attention";
import { dailyRangeChart, escapeXml, excursionTimeline, formatValue } from "./charts";
import { sensorLimits, writtenResult } from "./limits";
import { QueryResult, ReportData, recordsOf, resultOf } from "./model";
import { COMPLIANCE_QUERIES, queryDescription, querySql } from "./queries";
import { ReportSummary, summarize } from "./summary";

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232a;margin:24px auto;max-width:1100px;padding:0 20px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #d5dbe1;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 4px}h4{font-size:14px;margin:12px 0 2px}
.meta{color:#52606d;margin:0 0 12px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.card{border:1px solid #d5dbe1;border-radius:6px;padding:10px 12px;background:#f7f9fb}
.card b{display:block;font-size:22px}.card.alert{border-color:#c62828;background:#fdecea}
.attention h4 .count{display:inline-block;min-width:1.6em;padding:0 6px;margin-left:6px;border-radius:10px;background:#eef2f6;text-align:center;font-size:12.5px}
.attention .critical h4 .count{background:#c62828;color:#fff}.attention .warning h4 .count{background:#f0a020}
.attention ul{margin:2px 0 4px;padding-left:22px}.attention li{margin:2px 0}
.attention .more{margin:0 0 0 22px;color:#52606d}.attention .counted{font-weight:400;color:#52606d;font-size:12.5px}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:12.5px;margin-top:6px}
th,td{border:1px solid #d5dbe1;padding:3px 6px;text-align:left;white-space:nowrap}th{background:#eef2f6;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.silent td,tr.incomplete td,tr.open td{background:#fff4e5}
svg.chart,svg.chart-axis{display:block;max-width:100%;height:auto;font-size:12px}
.chart .label,.chart .values,.chart .tick,.chart-axis .tick{fill:#1d232a}.chart .tick,.chart-axis .tick{fill:#52606d;font-size:11px}
.chart .group-title{font-weight:600;fill:#1d232a}.chart .group-title tspan{font-weight:400}.chart .rule{fill:#52606d;font-size:11px}
.chart .axis,.chart .grid{stroke:#d5dbe1;stroke-width:1}
.chart .range{fill:#5b8def}.chart .breached .range{fill:#e57373}
.chart .mean{stroke:#102a43;stroke-width:2}
.chart .limit{stroke:#c62828;stroke-width:2;stroke-dasharray:4 3}.chart .limit-off{fill:#c62828}
.chart .episode rect.warning{fill:#f0a020}.chart .episode rect.critical{fill:#c62828}.chart .arrow{fill:#52606d}
.timeline-axis{position:sticky;top:0;background:#fff;border-bottom:1px solid #d5dbe1;z-index:1}
.empty{color:#52606d;font-style:italic}
.amendment{border:2px solid #b26a00;background:#fff4e5;border-radius:6px;padding:8px 12px;overflow-wrap:anywhere}
footer{margin-top:32px;color:#52606d;font-size:12px}
`;

const NUMERIC = new Set(["bigint", "integer", "double", "decimal", "real", "smallint", "tinyint"]);
/** Measured values: shown as people read them (4 significant digits), the exact value in the CSV and the tooltip. */
const MEASURED = new Set(["double", "real", "decimal"]);

function cell(value: string | null, type: string): string {
  const base = type.replace(/\(.*/, "");
  if (value === null) return `<td${NUMERIC.has(base) ? ' class="num"' : ""}></td>`;
  if (!MEASURED.has(base)) return `<td${NUMERIC.has(base) ? ' class="num"' : ""}>${escapeXml(value)}</td>`;
  const shown = formatValue(value);
  return `<td class="num"${shown === value ? "" : ` title="${escapeXml(value)}"`}>${escapeXml(shown)}</td>`;
}

function table(result: QueryResult): string {
  if (result.rows.length === 0) return `<p class="empty">No rows.</p>`;
  const statusIndex = result.columns.findIndex((c) => c.name === "status");
  const head = result.columns.map((c) => `<th>${escapeXml(c.name)}</th>`).join("");
  const body = result.rows
    .map((row) => {
      const status = statusIndex >= 0 ? row[statusIndex] : null;
      const cells = row.map((v, i) => cell(v, result.columns[i].type)).join("");
      return `<tr${status ? ` class="${escapeXml(status)}"` : ""}>${cells}</tr>`;
    })
    .join("\n");
  // Wide tables scroll inside their own box: the page itself never scrolls sideways.
  return `<div class="scroll"><table id="table-${escapeXml(result.queryId)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function card(label: string, value: string | number, alert = false): string {
  return `<div class="card${alert ? " alert" : ""}"><b>${escapeXml(String(value))}</b>${escapeXml(label)}</div>`;
}

function summaryCards(s: ReportSummary): string {
  return [
    card("sensors reporting", s.sensorsReporting),
    card("readings", s.readings),
    card("excursions", s.excursions, s.excursions > 0),
    card("critical excursions", s.criticalExcursions, s.criticalExcursions > 0),
    card("sensors incomplete", s.incompleteSensors, s.incompleteSensors > 0),
    card("sensors silent all day", s.silentSensors, s.silentSensors > 0),
    card(`gaps (${s.gapHours} h)`, s.gaps, s.gaps > 0),
    card("anomalies", s.anomalies),
    card("devices", s.devices),
    card("alerts open at midnight", s.openAlerts, s.openAlerts > 0),
  ].join("");
}

/** Lines shown per group of "Needs attention"; the rest are counted and linked. */
export const ATTENTION_LINES = 8;

function attentionGroup(g: AttentionGroup): string {
  const shown = g.lines.slice(0, ATTENTION_LINES);
  const rest = g.lines.length - shown.length;
  const more = rest > 0
    ? `<p class="more">and ${rest} more lines like these: every one in <a href="#section-${g.queryId}">the table below</a> and in <a href="${g.queryId}.csv">${g.queryId}.csv</a>.</p>`
    : "";
  const lines = shown.map((l) => `<li><b>${escapeXml(l.subject)}</b> ${escapeXml(l.text)}</li>`).join("");
  return (
    `<div class="group ${g.id}" id="attention-${g.id}"><h4>${escapeXml(g.title)}<span class="count">${g.count}</span> <span class="counted">${escapeXml(g.counted)}</span></h4>` +
    `<ul>${lines}</ul>${more}</div>`
  );
}

/** "Needs attention": grouped, the worst first, each group capped (reports/attention.ts). */
function attention(data: ReportData): string {
  const groups = attentionGroups(data);
  if (groups.length === 0) return `<p>Nothing needs attention.</p>`;
  return `<div class="attention"><h3>Needs attention</h3>${groups.map(attentionGroup).join("")}</div>`;
}

/** The banner of an amendment: which version it supersedes and why, before anything else on the page. */
function amendmentBanner(data: ReportData): string {
  const a = data.amendment;
  if (!a) return "";
  return (
    `<p class="amendment" id="amendment"><b>Amendment ${a.number}</b> of this report. It supersedes the version locked at ` +
    `<code>${escapeXml(a.amends.manifest)}</code> (generated ${escapeXml(a.amends.generatedAt)}, manifest SHA-256 <code>${escapeXml(a.amends.manifestSha256)}</code>), ` +
    `which stays as it was. Reason: ${escapeXml(a.reason)}</p>`
  );
}

/** Renders the report for one day as a complete HTML document. */
export function renderHtml(data: ReportData): string {
  const summary = summarize(data);
  const scope = data.site === "*" ? "all sites" : `site ${data.site}`;
  const sections = COMPLIANCE_QUERIES.map((spec) => {
    const result = writtenResult(data, spec.id);
    return (
      `<section id="section-${spec.id}"><h2>${escapeXml(spec.title)}</h2>` +
      `<p class="meta">${escapeXml(queryDescription(querySql(spec)))} (${result.rows.length} rows, ${spec.id}.csv)</p>` +
      table(result) +
      `</section>`
    );
  });
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Compliance report ${escapeXml(data.date)} (${escapeXml(scope)})${data.amendment ? `, amendment ${data.amendment.number}` : ""}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Daily compliance report: ${escapeXml(data.date)}${data.amendment ? ` (amendment ${data.amendment.number})` : ""}</h1>
${amendmentBanner(data)}
<p class="meta">${escapeXml(scope)} · UTC day · engine ${escapeXml(data.engine)} · known sensors from the previous ${data.parameters.lookbackDays} days · gaps longer than ${data.parameters.minGapSeconds} s</p>
</header>
${data.lakeFreshness && !data.lakeFreshness.complete ? `<p id="incomplete" class="attention"><strong>${escapeXml(data.lakeFreshness.detail)}</strong></p>\n` : ""}<section id="summary"><h2>Summary</h2><div class="cards">${summaryCards(summary)}</div>
${attention(data)}
</section>
<section id="charts-ranges"><h2>Daily range of each sensor against its limits</h2>
<p class="meta">One scale per metric, fitted to the day's readings. Bar: minimum to maximum; dark tick: mean; dashed red: a limit the sensor crossed on the day, else its specification limit (${data.specLimits ? "the stack's static limits: line override, site override, else the metric's" : "none given here"}; the shipped plausibility ranges, such as −60 to 400 °C, are not drawn); red arrow at the edge: a limit far outside the day's readings; red bar: past a limit. A metric whose sensors read far apart gets one scale per cluster.</p>
${dailyRangeChart(recordsOf(resultOf(data, "daily-sensor-log")), (r) => (data.specLimits && r.site && r.line && r.metric ? sensorLimits(data.specLimits, r.site, r.line, r.metric) : undefined))}
</section>
<section id="charts-timeline"><h2>Excursion timeline</h2>
<p class="meta">Midnight to midnight (UTC), one row per sensor and rule; orange: warning, red: critical; arrows: began the day before / still open at midnight. Hover a bar for what the rule saw.</p>
${excursionTimeline(data.date, recordsOf(resultOf(data, "excursions")), (e) => episodeFinding(e, data.date))}
</section>
${sections.join("\n")}
<footer>Generated by iotpipe. Every file of this bundle is listed with its SHA-256 in manifest.json, written last; a bundle without a manifest is incomplete.</footer>
</body>
</html>
`;
}
