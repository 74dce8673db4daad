/**
 * Select lists of the queries that write lake tables come from the table definition (lake/tables.ts): the table's
 * order whatever order a query gives its expressions in, and an error naming the column when a query gives none for
 * a table column or one for a column the table lacks. The generated queries' outputs are held to the tables by
 * duckdb-analytics.test.ts (DuckDB's result columns) and flink-sql.test.ts (every INSERT into a sink).
 */
import { duckdbDialect, flinkDialect } from "../../analytics/dialect";
import { fromInput, fromInputAll, lakeSelectList } from "../../analytics/lake-select";
import type { LakeTable } from "../../lake/tables";

const table: LakeTable = {
  name: "example",
  description: "a table for the test",
  partitionKey: "dt",
  partitionSource: "event_ts",
  columns: [
    { name: "device_id", type: "string", comment: "" },
    { name: "metric", type: "string", comment: "" },
    { name: "value", type: "double", comment: "" },
    { name: "event_ts", type: "timestamp", comment: "" },
    { name: "note", type: "string", comment: "" },
  ],
};

describe("lakeSelectList", () => {
  it("writes the table's columns in its order, whatever order the query gives them in", () => {
    const outputs = { note: "'n'", event_ts: "event_ms", value: fromInput(), metric: fromInput(), device_id: fromInput() };
    expect(lakeSelectList(table, outputs, duckdbDialect, "inline")).toBe(`device_id, metric, "value", event_ms AS event_ts, 'n' AS note`);
    expect(lakeSelectList(table, outputs, flinkDialect, "inline")).toBe("device_id, metric, `value`, event_ms AS event_ts, 'n' AS note");
  });

  it("lays computed columns out one per line and keeps carried columns together (lines)", () => {
    const outputs = { ...fromInputAll(table), event_ts: { expr: "event_ms", comment: "Epoch milliseconds." }, note: "'n'" };
    expect(lakeSelectList(table, outputs, duckdbDialect, "lines")).toBe(`device_id, metric, "value",\n    -- Epoch milliseconds.\n    event_ms AS event_ts,\n    'n' AS note`);
  });

  it("qualifies carried columns and breaks lines where asked (inline)", () => {
    const outputs = { ...fromInputAll(table, "s"), metric: fromInput("r"), note: { expr: "'n'", newLine: true } };
    expect(lakeSelectList(table, outputs, flinkDialect, "inline")).toBe("s.device_id, r.metric, s.`value`, s.event_ts,\n    'n' AS note");
  });

  it("refuses a query that leaves a table column out or gives one the table lacks, naming them", () => {
    const { note: _, ...withoutNote } = fromInputAll(table);
    expect(() => lakeSelectList(table, withoutNote, duckdbDialect, "lines")).toThrow(/example table gives no expression for note \(lake\/tables.ts has device_id, metric, value, event_ts, note\)/);
    expect(() => lakeSelectList(table, { ...fromInputAll(table), unit: "'degC'" }, duckdbDialect, "lines")).toThrow(/gives unit, not columns of the table/);
  });
});
