/**
 * The HTML report for people: the summary first, then what needs attention, the charts, and every query's rows.
 * Self-contained by construction: inline CSS, inline SVG, no scripts, no fonts, no external requests (the
 * Content-Security-Policy forbids them, so the file renders the same from a laptop, an archive or an email).
 * Deterministic: no clock reading, so a re-run over the same data gives byte-identical output.
 */
import { dailyRangeChart, escapeXml, excursionTimeline, formatValue } from "./charts";
import { sensorLimits } from "./limits";
import { QueryResult, ReportData, recordsOf, resultOf } from "./model";
import { COMPLIANCE_QUERIES, queryDescription, querySql } from "./queries";
import { ReportSummary, summarize } from "./summary";

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232a;margin:24px auto;max-width:1100px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #d5dbe1;padding-bottom:4px}
.meta{color:#52606d;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:10px}
.card{border:1px solid #d5dbe1;border-radius:6px;padding:10px 12px;background:#f7f9fb}
.card b{display:block;font-size:22px}.card.alert{border-color:#c62828;background:#fdecea}
ul.attention li{margin:2px 0}
table{border-collapse:collapse;width:100%;font-size:12.5px;margin-top:6px}
th,td{border:1px solid #d5dbe1;padding:3px 6px;text-align:left;white-space:nowrap}th{background:#eef2f6}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.silent td,tr.incomplete td,tr.open td{background:#fff4e5}
.chart{max-width:100%;height:auto;font-size:12px}
.chart .label,.chart .values,.chart .tick{fill:#1d232a}
.chart .axis,.chart .grid{stroke:#c3cbd3;stroke-width:1}
.chart .range{fill:#5b8def}.chart .breached .range{fill:#e57373}
.chart .mean{stroke:#102a43;stroke-width:2}
.chart .limit{stroke:#c62828;stroke-width:2;stroke-dasharray:4 3}
.chart .episode rect{fill:#f0a020}.chart .episode.critical rect{fill:#c62828}.chart .arrow{fill:#52606d}
.empty{color:#52606d;font-style:italic}
.amendment{border:2px solid #b26a00;background:#fff4e5;border-radius:6px;padding:8px 12px;overflow-wrap:anywhere}
footer{margin-top:32px;color:#52606d;font-size:12px}
`;

const NUMERIC = new Set(["bigint", "integer", "double", "decimal", "real", "smallint", "tinyint"]);

function table(result: QueryResult): string {
  if (result.rows.length === 0) return `<p class="empty">No rows.</p>`;
  const numeric = result.columns.map((c) => NUMERIC.has(c.type.replace(/\(.*/, "")));
  const statusIndex = result.columns.findIndex((c) => c.name === "status");
  const head = result.columns.map((c) => `<th>${escapeXml(c.name)}</th>`).join("");
  const body = result.rows
    .map((row) => {
      const status = statusIndex >= 0 ? row[statusIndex] : null;
      const cells = row.map((v, i) => `<td${numeric[i] ? ' class="num"' : ""}>${v === null ? "" : escapeXml(v)}</td>`).join("");
      return `<tr${status ? ` class="${escapeXml(status)}"` : ""}>${cells}</tr>`;
    })
    .join("\n");
  return `<table id="table-${escapeXml(result.queryId)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
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

/** The items a reviewer must look at, in plain words. */
function attentionItems(data: ReportData): string[] {
  const items: string[] = [];
  for (const c of recordsOf(resultOf(data, "data-completeness"))) {
    if (c.status === "silent") items.push(`${c.device_id} ${c.metric} (${c.site}/${c.line}) sent no reading all day.`);
  }
  for (const e of recordsOf(resultOf(data, "excursions"))) {
    const until = e.episode_end === null ? "still open at midnight" : `until ${e.episode_end} (${e.duration_seconds} s)`;
    items.push(`${e.severity} excursion on ${e.device_id} ${e.metric}: from ${e.episode_start} ${until}, peak ${formatValue(e.peak_value)} past limit ${formatValue(e.limit_value)}.`);
  }
  for (const c of recordsOf(resultOf(data, "data-completeness"))) {
    if (c.status === "incomplete") items.push(`${c.device_id} ${c.metric}: ${c.received_readings} of ${c.expected_readings} expected readings (${c.completeness_pct} %).`);
  }
  return items;
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
  const attention = attentionItems(data);
  const sections = COMPLIANCE_QUERIES.map((spec) => {
    const result = resultOf(data, spec.id);
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
<section id="summary"><h2>Summary</h2><div class="cards">${summaryCards(summary)}</div>
${attention.length ? `<h3>Needs attention</h3><ul class="attention">${attention.map((a) => `<li>${escapeXml(a)}</li>`).join("")}</ul>` : `<p>Nothing needs attention.</p>`}
</section>
<section id="charts-ranges"><h2>Daily range of each sensor against its limits</h2>
<p class="meta">Bar: minimum to maximum; dark tick: mean; ${data.staticLimits ? "dashed red: the sensor's static limits (line override, site override, else the metric's default; where one was crossed on the day, the one crossed, from the static-limit anomalies)" : "dashed red: a limit crossed on the day (from static-limit anomalies)"}.</p>
${dailyRangeChart(recordsOf(resultOf(data, "daily-sensor-log")), (r) => (data.staticLimits && r.site && r.line && r.metric ? sensorLimits(data.staticLimits, r.site, r.line, r.metric) : undefined))}
</section>
<section id="charts-timeline"><h2>Excursion timeline</h2>
<p class="meta">Midnight to midnight (UTC); orange: warning, red: critical; arrows: began the day before / still open at midnight.</p>
${excursionTimeline(data.date, recordsOf(resultOf(data, "excursions")))}
</section>
${sections.join("\n")}
<footer>Generated by iotpipe. Every file of this bundle is listed with its SHA-256 in manifest.json, written last; a bundle without a manifest is incomplete.</footer>
</body>
</html>
`;
}
