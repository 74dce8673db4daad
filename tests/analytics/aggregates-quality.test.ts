/**
 * The aggregates' quality column: `valid_count` counts the window's readings inside the metric's plausible range
 * (lake/tables.ts), while `sample_count` and the statistics cover every reading in the window.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { DEFAULT_ANALYTICS } from "../../analytics/definition";
import { duckdbAnalytics } from "../../analytics/duckdb";
import { METRICS } from "../../contract/telemetry";
import { duckdbColumnDefinitions, READINGS } from "../../lake/tables";

const T0 = Date.UTC(2026, 0, 1);

it("valid_count leaves out readings outside the metric's plausible range; the statistics keep them", async () => {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const [low, high] = METRICS.temperature.plausible;
    await conn.run(`CREATE TABLE input (${duckdbColumnDefinitions(READINGS)})`);
    const values = [20, high + 100, 30, low - 1, high];
    await conn.run(`INSERT INTO input VALUES ${values
      .map((v, i) => `('dev-1', 'plant-a', 'line-1', 'temperature', ${v}, 'degC', epoch_ms(${T0 + i * 1000}::BIGINT), epoch_ms(${T0 + i * 1000}::BIGINT), 'm${i}', FALSE)`)
      .join(",")}`);
    const rows = (await conn.runAndReadAll(duckdbAnalytics(DEFAULT_ANALYTICS).aggregates)).getRowObjectsJS();
    const minute = rows.filter((r) => r.window_seconds === 60);
    expect(minute).toHaveLength(1);
    // 20, 30 and the limit itself (inclusive) are valid; one reading above and one below the range are not.
    expect(minute[0]).toMatchObject({ sample_count: 5n, valid_count: 3n, min_value: low - 1, max_value: high + 100 });
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});
