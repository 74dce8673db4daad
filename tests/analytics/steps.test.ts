/**
 * Analytics steps as data: each window aggregate node rendered as standard SQL (Flink and the DuckDB reference)
 * and as DuckDB's cheaper window functions (the local engine), the cheaper forms equal to the
 * standard ones on a real engine, and every step column's declared reads exactly the columns its SQL reads (DuckDB's
 * binder refuses the column when one is missing; each declared one is needed).
 */
import { memoryDuckDb } from "./memory-duckdb";
import { type AnalyticsDefinition, DEFAULT_ANALYTICS } from "../../analytics/definition";
import { duckdbDialect, flinkDialect } from "../../analytics/dialect";
import { duckdbWindowAggregate, referenceScoringSql } from "../../analytics/duckdb";
import { anomalySteps } from "../../analytics/stages";
import { renderAggregate, renderStepColumn, type StepColumn, type WindowAggregate } from "../../analytics/step";
import { duckdbColumnDefinitions, READINGS } from "../../lake/tables";

const db = memoryDuckDb();

/** One aggregate of each kind, over DuckDB's quoting (the arguments are SQL text the steps already wrote per dialect). */
const KINDS: { name: string; duckdb: WindowAggregate }[] = [
  { name: "count", duckdb: { kind: "count" } },
  { name: "countNonNull", duckdb: { kind: "countNonNull", arg: "step" } },
  { name: "sum", duckdb: { kind: "sum", arg: '"value" * "value"' } },
  { name: "min", duckdb: { kind: "min", arg: '"value"' } },
  { name: "max", duckdb: { kind: "max", arg: '"value"' } },
  { name: "countIf", duckdb: { kind: "countIf", condition: "step = 0 AND NOT stuck" } },
  { name: "countFired", duckdb: { kind: "countFired", flags: ["a_fired", "b_fired"] } },
];

describe("standard rendering (Flink, and the DuckDB reference)", () => {
  const expected: Record<string, string> = {
    count: "COUNT(*) OVER w",
    countNonNull: "COUNT(step) OVER w",
    sum: 'SUM("value" * "value") OVER w',
    min: 'MIN("value") OVER w',
    max: 'MAX("value") OVER w',
    countIf: "SUM(CASE WHEN step = 0 AND NOT stuck THEN 1 ELSE 0 END) OVER w",
    countFired: "SUM(CASE WHEN a_fired OR b_fired THEN 1 ELSE 0 END) OVER w",
  };
  it.each(KINDS)("renders $name in standard SQL", ({ name, duckdb }) => {
    expect(renderAggregate(duckdb, "w")).toEqual(expected[name]);
  });

  it("renders a column with its alias, over the window it is given", () => {
    expect(renderStepColumn({ alias: "run_rows", reads: [], value: { kind: "count" } })).toBe("COUNT(*) OVER w AS run_rows");
    expect(renderStepColumn({ alias: "n", reads: [], value: { kind: "count" } }, "(ORDER BY r)")).toBe("COUNT(*) OVER (ORDER BY r) AS n");
    expect(renderStepColumn({ alias: "stuck", reads: ["run_rows"], value: "run_rows = 30" })).toBe("run_rows = 30 AS stuck");
  });
});

describe("DuckDB's cheaper window functions", () => {
  const cheaper = (aggregate: WindowAggregate, preceding: number | "UNBOUNDED") => duckdbWindowAggregate(aggregate, preceding, "w_x");
  const byKind = Object.fromEntries(KINDS.map((k) => [k.name, k.duckdb]));

  it("counts rows as the row number capped at the frame; unbounded frames keep COUNT(*)", () => {
    expect(cheaper(byKind.count, 1)).toBe("LEAST(row_number() OVER w_x, 2)");
    expect(cheaper(byKind.count, 29)).toBe("LEAST(row_number() OVER w_x, 30)");
    expect(cheaper(byKind.count, "UNBOUNDED")).toBe("COUNT(*) OVER w_x");
  });

  it("takes a two-row frame's extremes from the current and previous rows, and the earliest event time from the first row", () => {
    expect(cheaper(byKind.max, 1)).toBe('GREATEST("value", coalesce(lag("value") OVER w_x, "value"))');
    expect(cheaper(byKind.min, 1)).toBe('LEAST("value", coalesce(lag("value") OVER w_x, "value"))');
    expect(cheaper(byKind.min, 5)).toBe('MIN("value") OVER w_x');
    expect(cheaper(byKind.max, 5)).toBe('MAX("value") OVER w_x');
    expect(cheaper({ kind: "min", arg: "event_ms" }, 1)).toBe("first_value(event_ms) OVER w_x");
    expect(cheaper({ kind: "min", arg: "event_ms" }, 119)).toBe("first_value(event_ms) OVER w_x");
    expect(cheaper({ kind: "min", arg: "event_ms" }, "UNBOUNDED")).toBe("MIN(event_ms) OVER w_x");
  });

  it("sums conditional counts as DOUBLE, typed back to HUGEINT, whatever the frame", () => {
    for (const preceding of [1, 29, "UNBOUNDED"] as const) {
      expect(cheaper(byKind.countIf, preceding)).toBe("CAST(SUM(CASE WHEN step = 0 AND NOT stuck THEN 1E0 ELSE 0E0 END) OVER w_x AS HUGEINT)");
      expect(cheaper(byKind.countFired, preceding)).toBe("CAST(SUM(CASE WHEN a_fired OR b_fired THEN 1E0 ELSE 0E0 END) OVER w_x AS HUGEINT)");
    }
  });

  it("leaves sums and non-null counts standard", () => {
    expect(cheaper(byKind.sum, 1)).toBe('SUM("value" * "value") OVER w_x');
    expect(cheaper(byKind.countNonNull, 1)).toBe("COUNT(step) OVER w_x");
  });

  it("gives exactly the standard aggregate's values on every frame", async () => {
    // Three series with ties in event time, repeated values, missing steps and flags set here and there.
    await db().run(`CREATE TABLE frames AS
      SELECT i % 3 AS series_id, (i // 3) * 1000 + CASE WHEN i % 7 = 0 THEN 0 ELSE i % 5 END AS event_ms, i AS ingest_ms,
        CAST((i * 37) % 11 AS DOUBLE) AS "value", CASE WHEN i % 4 = 0 THEN NULL ELSE CAST(i % 3 AS DOUBLE) END AS step,
        i % 6 = 0 AS stuck, i % 5 = 0 AS a_fired, i % 9 = 0 AS b_fired
      FROM range(300) AS t(i)`);
    for (const { name, duckdb } of [...KINDS, { name: "min event_ms", duckdb: { kind: "min", arg: "event_ms" } as WindowAggregate }]) {
      for (const preceding of [1, 4, "UNBOUNDED"] as const) {
        const window = `PARTITION BY series_id ORDER BY ${duckdbDialect.seriesOrder} ROWS BETWEEN ${preceding} PRECEDING AND CURRENT ROW`;
        const reader = await db().runAndReadAll(`SELECT count(*) AS rows, count(*) FILTER (WHERE standard IS DISTINCT FROM cheaper) AS differing FROM (
          SELECT ${renderAggregate(duckdb, "w")} AS standard, ${duckdbWindowAggregate(duckdb, preceding, "w")} AS cheaper
          FROM frames WINDOW w AS (${window}))`);
        expect({ name, preceding, ...reader.getRowObjectsJS()[0] }).toEqual({ name, preceding, rows: 300n, differing: 0n });
      }
    }
  });
});

describe("what each step column reads", () => {
  const D = DEFAULT_ANALYTICS;
  const definitions: [string, AnalyticsDefinition][] = [
    ["the shipped definition", D],
    ["site and line overrides, spikes judged whatever their size", {
      ...D,
      rules: {
        ...D.rules,
        deviation: { ...D.rules.deviation, newExtremesOnly: false },
        staticLimit: { ...D.rules.staticLimit, overrides: [{ metric: "temperature", site: "plant-a", high: 90, severity: "critical" }, { metric: "temperature", site: "plant-a", line: "line-2", low: 0, high: 80, severity: "critical" }] },
      },
    }],
    ["rules disabled, no static limits, every anomaly alerting", {
      ...D,
      alerts: { ...D.alerts, confirmation: { readings: 1, window: 1 } },
      rules: {
        ...D.rules,
        staticLimit: { enabled: false, defaults: {}, overrides: [] },
        deviation: { ...D.rules.deviation, enabled: false },
        flatline: { ...D.rules.flatline, enabled: false },
        dataGap: { ...D.rules.dataGap, enabled: false },
      },
    }],
  ];

  /** Binds one column over a relation holding only `columns` of the scored readings: null when DuckDB accepts it. */
  async function bindError(column: StepColumn, columns: string[]): Promise<string | null> {
    const projected = [...columns.map((c) => duckdbDialect.id(c)), "series_row AS probe_order"].join(", ");
    try {
      await db().run(`EXPLAIN SELECT ${renderStepColumn(column)} FROM (SELECT ${projected} FROM scored)
        WINDOW w AS (ORDER BY probe_order ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)`);
      return null;
    } catch (error) {
      return (error as Error).message.split("\n")[0];
    }
  }

  it.each(definitions)("declares exactly the columns each reads (%s)", async (_, def) => {
    await db().run(`CREATE OR REPLACE TABLE input (${duckdbColumnDefinitions(READINGS)})`);
    await db().run(`CREATE OR REPLACE TABLE scored AS ${referenceScoringSql(def, "input")}`);
    const problems: string[] = [];
    for (const step of anomalySteps(def, duckdbDialect)) {
      for (const column of step.columns) {
        const missing = await bindError(column, column.reads);
        if (missing !== null) problems.push(`${step.name}.${column.alias} reads more than ${JSON.stringify(column.reads)}: ${missing}`);
        for (const read of column.reads) {
          if ((await bindError(column, column.reads.filter((r) => r !== read))) === null) problems.push(`${step.name}.${column.alias} does not read ${read}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("renders the Flink steps from the same data, with Flink's quoting", () => {
    const flink = anomalySteps(D, flinkDialect);
    const duckdb = anomalySteps(D, duckdbDialect);
    expect(flink.map((s) => s.columns.map((c) => [c.alias, c.reads]))).toEqual(duckdb.map((s) => s.columns.map((c) => [c.alias, c.reads])));
    expect(renderStepColumn(flink[0].columns.find((c) => c.alias === "pair_max")!)).toBe("MAX(`value`) OVER w AS pair_max");
  });
});
