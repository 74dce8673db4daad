/**
 * One static-limit resolution: the analytics' SQL (the CASE analytics/stages.ts renders, run on DuckDB) and the
 * report (reports/limits.ts) give every sensor of a matrix the same limits, and those are the limits a reader of
 * the config expects: line → site → default → shipped range, an empty bound kept from the next scope, `none`
 * dropping one.
 */
import { memoryDuckDb } from "./memory-duckdb";
import { DEFAULT_ANALYTICS, type AnalyticsDefinition } from "../../analytics/definition";
import { duckdbDialect } from "../../analytics/dialect";
import { staticLimitColumns } from "../../analytics/stages";
import { renderStepColumn } from "../../analytics/step";
import { stackAnalytics } from "../../config/analytics";
import { parseStackConfig } from "../../config/load";
import { sensorLimits } from "../../reports/limits";

const db = memoryDuckDb();
const shipped = DEFAULT_ANALYTICS.rules.staticLimit.defaults;

const { definition } = stackAnalytics(
  parseStackConfig({
    staticLimits: JSON.stringify([
      "temperature=-20..120", // replaces the default
      "temperature@plant-a=..95", // site: keeps the default's low
      "temperature@plant-a/line-2=none..90", // line: no low, on purpose
      "vibration@plant-a/line-3=1..", // line without a site override: keeps the shipped high
      "current@plant-a=0..", // site, partial
      "current@plant-a/line-2=..40", // line over a partial site override: low from the site, 0
      "pressure=..16", // default replacement, partial: keeps the shipped low
    ]),
  }),
);

type Limits = { low?: number; high?: number };

/** The limits the generated SQL gives each sensor, by running the CASE columns over them. */
async function sqlLimits(def: AnalyticsDefinition, sensors: [string, string, string][]): Promise<Limits[]> {
  const rows = sensors.map(([site, line, metric], i) => `('${site}', '${line}', '${metric}', ${i})`);
  const reader = await db().runAndReadAll(
    `SELECT i, ${staticLimitColumns(def, duckdbDialect).map((c) => renderStepColumn(c)).join(", ")} FROM (VALUES ${rows.join(", ")}) AS t(site, line, metric, i) ORDER BY i`,
  );
  return reader.getRowObjects().map((r) => ({
    ...(r.static_low !== null && { low: Number(r.static_low) }),
    ...(r.static_high !== null && { high: Number(r.static_high) }),
  }));
}

const sites = ["plant-a", "plant-b"];
const lines = ["line-1", "line-2", "line-3"];
const metrics = Object.keys(shipped);
const matrix: [string, string, string][] = sites.flatMap((s) => lines.flatMap((l) => metrics.map((m): [string, string, string] => [s, l, m])));

it("the SQL and the report give every sensor of the matrix the same limits", async () => {
  const fromSql = await sqlLimits(definition, matrix);
  const fromReport = matrix.map(([s, l, m]) => sensorLimits(definition.rules.staticLimit, s, l, m) ?? {});
  expect(fromSql).toEqual(fromReport);
});

it.each([
  ["plant-b", "line-1", "temperature", { low: -20, high: 120 }, "the stack's default"],
  ["plant-a", "line-1", "temperature", { low: -20, high: 95 }, "site override, low kept from the default"],
  ["plant-a", "line-2", "temperature", { high: 90 }, "line override with none: no low"],
  ["plant-a", "line-3", "vibration", { low: 1, high: shipped.vibration.high }, "line override, high kept from the shipped range"],
  ["plant-a", "line-1", "current", { low: 0, high: shipped.current.high }, "partial site override"],
  ["plant-a", "line-2", "current", { low: 0, high: 40 }, "line over a partial site override: low from the site"],
  ["plant-b", "line-3", "pressure", { low: shipped.pressure.low, high: 16 }, "partial default replacement keeps the shipped low"],
] as [string, string, string, Limits, string][])("%s/%s %s: %o (%s)", async (site, line, metric, expected) => {
  const [fromSql] = await sqlLimits(definition, [[site, line, metric]]);
  expect(fromSql).toEqual(expected);
  expect(sensorLimits(definition.rules.staticLimit, site, line, metric)).toEqual(expected);
});

it("an override whose inherited bound crosses its own is refused, naming the entry", () => {
  expect(() => stackAnalytics(parseStackConfig({ staticLimits: '["temperature=-20..120","temperature@plant-a/line-2=..-30"]' }))).toThrow(
    "iotpipe:staticLimits 'temperature@plant-a/line-2=..-30': its effective low -20 is not below its effective high -30",
  );
});

it("the report's limits come from the rule only while it is enabled", () => {
  const off = { ...definition.rules.staticLimit, enabled: false };
  expect(sensorLimits(off, "plant-a", "line-1", "temperature")).toBeUndefined();
});
