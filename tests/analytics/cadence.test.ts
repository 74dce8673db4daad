/**
 * The shipped defaults judge readings, not seconds: the same series sampled every second and every five minutes
 * raises the same anomalies on the same readings, with the same severities (data_gap's allowed silence scales with
 * the series' own interval, at least a minute).
 */
import { memoryDuckDb } from "./memory-duckdb";
import { DEFAULT_ANALYTICS } from "../../analytics/definition";
import { duckdbAnalytics } from "../../analytics/duckdb";
import { duckdbColumnDefinitions, READINGS } from "../../lake/tables";

const T0 = Date.UTC(2026, 0, 5);

/** 700 readings of a noisy temperature with a spike, a stuck stretch, a silence and a long excursion. */
function series(): Array<{ index: number; value: number } | null> {
  let seed = 7;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  return Array.from({ length: 700 }, (_, i) => {
    if (i >= 520 && i < 600) return null; // silence: 80 readings missing
    let value = 60 + noise();
    if (i === 450) value += 15; // spike
    if (i >= 470 && i < 510) value = 60.25; // stuck: 40 identical readings
    if (i >= 600 && i < 640) value = 450 + noise(); // 40 readings above the 400 degC limit
    return { index: i, value };
  });
}

const db = memoryDuckDb();

async function analyse(intervalMs: number) {
  const rows = series().filter((r): r is { index: number; value: number } => r !== null);
  await db().run(`CREATE OR REPLACE TABLE input (${duckdbColumnDefinitions(READINGS)})`);
  const values = rows.map((r) => `('dev-1', 'plant-a', 'line-1', 'temperature', ${r.value}, 'degC', epoch_ms(${T0 + r.index * intervalMs}::BIGINT),
    epoch_ms(${T0 + r.index * intervalMs}::BIGINT), 'm${r.index}', FALSE)`);
  await db().run(`INSERT INTO input VALUES ${values.join(",")}`);
  const q = duckdbAnalytics(DEFAULT_ANALYTICS);
  const read = async (sql: string) => (await db().runAndReadAll(sql)).getRowObjectsJS();
  const index = (v: unknown) => ((v as Date).getTime() - T0) / intervalMs;
  const anomalies = (await read(q.anomalies)).map((a) => `${a.rule}@${index(a.event_ts)} ${a.severity}`).sort();
  return { anomalies };
}

describe("the same series at 1 s and at 5 min", () => {
  it("raises the same anomalies on the same readings", async () => {
    const second = await analyse(1000);
    const fiveMinutes = await analyse(300_000);
    for (const rule of ["static_limit", "deviation", "level_shift", "rate_of_change", "flatline", "data_gap"]) {
      expect(second.anomalies.some((a) => a.startsWith(`${rule}@`))).toBe(true);
    }
    expect(fiveMinutes.anomalies).toEqual(second.anomalies);
  });
});
