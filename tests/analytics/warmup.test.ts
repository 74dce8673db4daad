/**
 * The reading from which each statistical rule judges a series, as `iotpipe replay` reports it, checked on the
 * engine: a spike one reading before that is not judged by the rule, the same spike at that reading is.
 */
import { memoryDuckDb } from "./memory-duckdb";
import { type AnalyticsDefinition, DEFAULT_ANALYTICS } from "../../analytics/definition";
import { duckdbAnalytics } from "../../analytics/duckdb";
import { fullyJudgedFrom, statisticalWarmup } from "../../analytics/warmup";
import { warmupLines } from "../../cli/warmup";

const T0 = Date.UTC(2026, 0, 1);
const db = memoryDuckDb();

/** A small definition, so a series warms up in a few dozen readings. */
const small: AnalyticsDefinition = {
  ...DEFAULT_ANALYTICS,
  baseline: { ...DEFAULT_ANALYTICS.baseline, recentRows: 10, referenceRows: 60, minReferenceRows: 20 },
  rules: { ...DEFAULT_ANALYTICS.rules, rateOfChange: { ...DEFAULT_ANALYTICS.rules.rateOfChange, baselineRows: 30, minBaselineRows: 8 } },
};

/** The rules that fire on a 1 Hz series whose `spikeAt`-th reading (1-based) jumps far out of its noise. */
async function rulesOnSpike(spikeAt: number): Promise<string[]> {
  const values = Array.from({ length: spikeAt + 5 }, (_, i) => (i + 1 === spikeAt ? 150 : 20 + ((i * 7) % 11) / 10));
  await db().run(`CREATE OR REPLACE TABLE input AS SELECT 'dev-1' AS device_id, 'plant-a' AS site, 'line-1' AS line, 'temperature' AS metric,
    v AS "value", 'degC' AS unit, make_timestamp((${T0} + i * 1000) * 1000) AS event_ts, make_timestamp((${T0} + i * 1000) * 1000) AS ingest_ts,
    'm' || i AS msg_id, false AS late FROM (SELECT unnest(range(${values.length})) AS i, unnest([${values.join(",")}]::DOUBLE[]) AS v)`);
  const rows = (await db().runAndReadAll(`SELECT DISTINCT rule FROM (${duckdbAnalytics(small).anomalies}) WHERE epoch_ms(event_ts) = ${T0 + (spikeAt - 1) * 1000}`)).getRowObjectsJS();
  return rows.map((r) => String(r.rule)).sort();
}

describe("statistical rules warming up", () => {
  it("reads the counts from the definition", () => {
    expect(statisticalWarmup(small)).toEqual([
      { rule: "deviation", fromReading: 30 },
      { rule: "level_shift", fromReading: 30 },
      { rule: "rate_of_change", fromReading: 10 },
      { rule: "flatline", fromReading: 30 },
    ]);
    expect(fullyJudgedFrom(DEFAULT_ANALYTICS)).toBe(DEFAULT_ANALYTICS.baseline.minReferenceRows + DEFAULT_ANALYTICS.baseline.recentRows);
  });

  it.each(["deviation", "rate_of_change"] as const)("%s judges from exactly that reading on the engine", async (rule) => {
    const from = statisticalWarmup(small).find((r) => r.rule === rule)!.fromReading;
    expect(await rulesOnSpike(from - 1)).not.toContain(rule);
    expect(await rulesOnSpike(from)).toContain(rule);
  });

  it("lists the series still warming up, and says when none is judged yet", () => {
    const lines = warmupLines([{ series: "oven01/temperature", readings: 12 }, { series: "oven02/temperature", readings: 45 }], small);
    expect(lines[0]).toBe("  statistical rules (deviation from reading 30, level_shift from reading 30, rate_of_change from reading 10, flatline from reading 30 of a series): judging 1 series, warming up 1: oven01/temperature 12 of 30");
    expect(warmupLines([{ series: "oven01/temperature", readings: 12 }], small)[1]).toMatch(/no series has enough readings yet/);
    expect(warmupLines([{ series: "oven01/temperature", readings: 400 }], small)).toEqual(["  statistical rules: judging all 1 series (deviation from reading 30, level_shift from reading 30, rate_of_change from reading 10, flatline from reading 30)"]);
  });
});
