/**
 * Select lists of the queries that write lake tables come from the table definition (lake/tables.ts): the table's
 * order whatever order a query gives its expressions in, and an error naming the column when a query gives none for
 * a table column or one for a column the table lacks. The generated queries' outputs are held to the tables by
 * duckdb-analytics.test.ts (DuckDB's result columns) and flink-sql.test.ts (every INSERT into a sink).
 */
import { duckdbDialect, flinkDialect } from "../../analytics/dialect";
import { fromInput, fromInputAll, lakeSelectList } from "../../analytics/lake-select";
import { READINGS } from "../../lake/tables";

describe("lakeSelectList", () => {
  it("writes the table's columns in its order, whatever order the query gives them in", () => {
    const given = { ...fromInputAll(READINGS), late: "FALSE", ingest_ts: "ingest_ms", event_ts: "event_ms" };
    const reversed = Object.fromEntries(Object.entries(given).reverse());
    expect(lakeSelectList(READINGS, reversed, duckdbDialect, "inline")).toBe(`device_id, site, line, metric, "value", unit, event_ms AS event_ts, ingest_ms AS ingest_ts, msg_id, FALSE AS late`);
    expect(lakeSelectList(READINGS, reversed, flinkDialect, "inline")).toBe("device_id, site, line, metric, `value`, unit, event_ms AS event_ts, ingest_ms AS ingest_ts, msg_id, FALSE AS late");
  });

  it("lays computed columns out one per line and keeps carried columns together (lines), comments above their column", () => {
    const outputs = { ...fromInputAll(READINGS), event_ts: { expr: "event_ms", comment: "Epoch milliseconds." }, late: "FALSE" };
    expect(lakeSelectList(READINGS, outputs, duckdbDialect, "lines")).toBe(
      `device_id, site, line, metric, "value", unit,\n    -- Epoch milliseconds.\n    event_ms AS event_ts,\n    ingest_ts, msg_id,\n    FALSE AS late`,
    );
  });

  it("qualifies carried columns and breaks lines where asked (inline)", () => {
    const outputs = { ...fromInputAll(READINGS, "m"), metric: fromInput("r"), value: fromInput("r"), late: { expr: "TRUE", newLine: true } };
    expect(lakeSelectList(READINGS, outputs, flinkDialect, "inline")).toBe("m.device_id, m.site, m.line, r.metric, r.`value`, m.unit, m.event_ts, m.ingest_ts, m.msg_id,\n    TRUE AS late");
  });

  it("refuses a query that leaves a table column out or gives one the table lacks, naming them", () => {
    const { late: _, ...withoutLate } = fromInputAll(READINGS);
    expect(() => lakeSelectList(READINGS, withoutLate, duckdbDialect, "lines")).toThrow(
      "internal: a query writing the readings table gives no expression for late (lake/tables.ts has device_id, site, line, metric, value, unit, event_ts, ingest_ts, msg_id, late)",
    );
    expect(() => lakeSelectList(READINGS, { ...fromInputAll(READINGS), quality: "'good'" }, duckdbDialect, "lines")).toThrow(/gives quality, not columns of the table/);
  });
});
