/**
 * Per series of a lake: are the statistical rules judging it yet, or still warming up? Printed by
 * `iotpipe replay`, so that a short or slow file whose rules were silently inactive says so.
 */
import type { AnalyticsDefinition } from "../analytics/definition";
import { fullyJudgedFrom, statisticalWarmup } from "../analytics/warmup";
import { READINGS } from "../lake/tables";
import { queryLakeTable } from "../local/lake-query";

export interface SeriesReadings {
  series: string;
  readings: number;
}

/** On-time readings per series (device/metric, site/line when the lake has more than one), fewest first. */
export async function seriesReadings(lakeDir: string): Promise<SeriesReadings[]> {
  const rows = await queryLakeTable(
    lakeDir,
    READINGS.name,
    (from) => `SELECT site, line, device_id, metric, count(*) FILTER (WHERE NOT late)::BIGINT AS n FROM ${from} GROUP BY ALL ORDER BY n, site, line, device_id, metric`,
  );
  const places = new Set(rows.map((r) => `${r.site}/${r.line}`));
  return rows.map((r) => ({ series: `${places.size > 1 ? `${r.site}/${r.line}/` : ""}${r.device_id}/${r.metric}`, readings: Number(r.n) }));
}

const SHOWN = 5;

/** The summary lines: which rule judges from which reading, and the series still short of it. */
export function warmupLines(series: SeriesReadings[], def: AnalyticsDefinition): string[] {
  const rules = statisticalWarmup(def);
  if (rules.length === 0 || series.length === 0) return [];
  const from = fullyJudgedFrom(def);
  const names = rules.map((r) => `${r.rule} from reading ${r.fromReading}`).join(", ");
  const warming = series.filter((s) => s.readings < from);
  if (warming.length === 0) return [`  statistical rules: judging all ${series.length} series (${names})`];
  const listed = warming.slice(0, SHOWN).map((s) => `${s.series} ${s.readings} of ${from}`).join(", ");
  const more = warming.length > SHOWN ? `, and ${warming.length - SHOWN} more` : "";
  const judging = series.length - warming.length;
  return [
    `  statistical rules (${names} of a series): judging ${judging} series, warming up ${warming.length}: ${listed}${more}`,
    ...(judging === 0 ? ["  no series has enough readings yet: only static limits and data gaps judged this data (replay more history into the same lake)"] : []),
  ];
}
