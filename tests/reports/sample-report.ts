/**
 * Report data shaped exactly as the engines return it (strings as Athena's VarCharValue), for renderer, writer
 * and handler tests that should not need a lake. The figures are those of the crafted lake for plant-a.
 */
import { QueryResult, ReportData } from "../../reports/model";

const cols = (spec: string) => spec.split(" ").map((c) => {
  const [name, type] = c.split(":");
  return { name, type };
});

export function sampleReport(): ReportData {
  return {
    date: "2026-11-10",
    site: "plant-a",
    engine: "duckdb",
    parameters: { lookbackDays: 7, minGapSeconds: 3600 },
    results: [
      {
        queryId: "daily-sensor-log",
        executionId: "duckdb:daily-sensor-log",
        columns: cols("site:varchar line:varchar device_id:varchar metric:varchar unit:varchar sample_count:bigint late_count:bigint min_value:double max_value:double avg_value:double first_reading_at:timestamp first_value:double last_reading_at:timestamp last_value:double lower_limit:double upper_limit:double"),
        rows: [
          ["plant-a", "line-1", "dev-p1", "pressure", "bar", "48", "1", "5.0", "12.5", "5.156", "2026-11-10 00:00:00.000", "5.0", "2026-11-10 23:30:00.000", "5.0", null, "10.0"],
          ["plant-a", "line-1", "dev-t1", "temperature", "degC", "21", "0", "21.0", "91.2", "34.962", "2026-11-10 00:00:00.000", "91.2", "2026-11-10 23:00:00.000", "43.0", null, "80.0"],
          ["plant-a", "line-2", "dev-v1", "vibration", "mm/s", "24", "0", "2.0", "11.0", "2.667", "2026-11-10 00:00:00.000", "2.0", "2026-11-10 23:00:00.000", "11.0", null, null],
        ],
      },
      {
        queryId: "excursions",
        executionId: "duckdb:excursions",
        columns: cols("site:varchar line:varchar device_id:varchar metric:varchar rule:varchar severity:varchar episode_start:timestamp episode_end:timestamp status:varchar duration_seconds:bigint peak_value:double limit_value:double anomaly_count:bigint"),
        rows: [
          ["plant-a", "line-1", "dev-t1", "temperature", "static_limit", "critical", "2026-11-09 23:30:00.000", "2026-11-10 00:45:00.000", "cleared", "4500", "91.2", "80.0", "4"],
          ["plant-a", "line-1", "dev-p1", "pressure", "static_limit", "warning", "2026-11-10 14:00:00.000", "2026-11-10 14:20:00.000", "cleared", "1200", "12.5", "10.0", "1"],
          ["plant-a", "line-2", "dev-v1", "vibration", "deviation", "warning", "2026-11-10 22:00:00.000", null, "open", null, "9.0", "7.5", "1"],
        ],
      },
      {
        queryId: "data-completeness",
        executionId: "duckdb:data-completeness",
        columns: cols("site:varchar line:varchar device_id:varchar metric:varchar typical_interval_seconds:double expected_readings:bigint received_readings:bigint completeness_pct:double status:varchar"),
        rows: [
          ["plant-a", "line-1", "dev-p1", "pressure", "1800.0", "48", "48", "100.0", "complete"],
          ["plant-a", "line-1", "dev-t1", "temperature", "3600.0", "24", "21", "87.5", "incomplete"],
          ["plant-a", "line-2", "dev-s1", "temperature", "3600.0", "24", "0", "0.0", "silent"],
          ["plant-a", "line-2", "dev-v1", "vibration", "3600.0", "24", "24", "100.0", "complete"],
        ],
      },
      {
        queryId: "data-gaps",
        executionId: "duckdb:data-gaps",
        columns: cols("site:varchar line:varchar device_id:varchar metric:varchar gap_start:timestamp gap_end:timestamp gap_seconds:bigint"),
        rows: [["plant-a", "line-1", "dev-t1", "temperature", "2026-11-10 09:00:00.000", "2026-11-10 13:00:00.000", "14400"]],
      },
      {
        queryId: "anomaly-summary",
        executionId: "duckdb:anomaly-summary",
        columns: cols("site:varchar line:varchar metric:varchar rule:varchar anomalies:bigint devices:bigint critical:bigint warning:bigint max_score:double first_at:timestamp last_at:timestamp"),
        rows: [
          ["plant-a", "line-1", "pressure", "static_limit", "1", "1", "0", "1", "1.25", "2026-11-10 14:00:00.000", "2026-11-10 14:00:00.000"],
          ["plant-a", "line-1", "temperature", "static_limit", "1", "1", "1", "0", "1.14", "2026-11-10 00:00:00.000", "2026-11-10 00:00:00.000"],
          ["plant-a", "line-2", "vibration", "deviation", "2", "1", "1", "1", "1.467", "2026-11-10 22:00:00.000", "2026-11-10 23:00:00.000"],
        ],
      },
      {
        queryId: "device-inventory",
        executionId: "duckdb:device-inventory",
        columns: cols("site:varchar line:varchar device_id:varchar metrics:bigint last_seen_at:timestamp readings_on_day:bigint open_alerts:bigint"),
        rows: [
          ["plant-a", "line-1", "dev-p1", "1", "2026-11-10 23:30:00.000", "48", "0"],
          ["plant-a", "line-1", "dev-t1", "1", "2026-11-10 23:00:00.000", "21", "0"],
          ["plant-a", "line-2", "dev-s1", "1", "2026-11-09 23:00:00.000", "0", "0"],
          ["plant-a", "line-2", "dev-v1", "1", "2026-11-10 23:00:00.000", "24", "1"],
        ],
      },
    ],
  };
}

/** The scope query's answer for the crafted lake's window up to 2026-11-10: plant-a and plant-b have readings. */
export function sampleScope(): QueryResult {
  return {
    queryId: "report-scope",
    executionId: "duckdb:report-scope",
    columns: cols("site:varchar first_day:varchar last_day:varchar readings:bigint"),
    rows: [
      ["plant-a", "2026-11-08", "2026-11-10", "237"],
      ["plant-b", "2026-11-10", "2026-11-10", "24"],
    ],
  };
}

/**
 * A busy day shaped like the demo's: 16 devices with long ids × 4 metrics on two sites, ~120 excursions of every
 * rule and severity, every sensor incomplete, two silent. For layout tests: many findings, long labels, wide tables.
 */
export function busyReport(): ReportData {
  const data = sampleReport();
  const metrics: Array<[string, string, number]> = [["current", "A", 30], ["pressure", "bar", 7], ["temperature", "degC", 60], ["vibration", "mm/s", 4]];
  const devices = Array.from({ length: 16 }, (_, i) => ({
    site: i < 8 ? "plant-a" : "plant-b",
    line: `line-${(i % 4) + 1}`,
    device: `${["compressor", "press", "motor", "pump"][i % 4]}-station-${String(i).padStart(2, "0")}-north-hall`,
  }));
  const ts = (minute: number) => new Date(Date.parse("2026-11-10T00:00:00Z") + minute * 60_000).toISOString().replace("T", " ").replace("Z", "");
  const set = (id: string, rows: Array<Array<string | null>>) => void (data.results.find((r) => r.queryId === id)!.rows = rows);
  set("daily-sensor-log", devices.flatMap((d, i) =>
    metrics.map(([metric, unit, base]) => {
      const scale = metric === "pressure" && i % 4 === 1 ? 20 : 1; // presses run at ~140 bar, the rest at ~7
      const lo = base * scale * (0.9 + (i % 5) * 0.02);
      const hi = lo * (1.1 + (i % 3) * 0.3);
      return [d.site, d.line, d.device, metric, unit, "4320", "0", String(lo), String(hi), String((lo + hi) / 2), ts(0), String(lo), ts(1439), String(hi), null, null];
    }),
  ));
  const rules: Array<[string, string]> = [["level_shift", "warning"], ["deviation", "critical"], ["data_gap", "warning"], ["flatline", "warning"], ["rate_of_change", "critical"], ["static_limit", "critical"]];
  set("excursions", Array.from({ length: 120 }, (_, k) => {
    const d = devices[k % 16];
    const [rule, severity] = rules[k % rules.length];
    const [metric, , base] = metrics[k % 4];
    const start = 300 + k * 7;
    const seconds = 120 + (k % 9) * 300;
    const limit = rule === "flatline" || rule === "data_gap" ? null : String(base * 1.234567891);
    return [d.site, d.line, d.device, metric, rule, severity, ts(start), ts(start + seconds / 60), "cleared", String(seconds), String(base * 1.5), limit, "12"];
  }));
  set("data-completeness", devices.flatMap((d, i) =>
    metrics.map(([metric]) => {
      const received = i < 2 && metric === "vibration" ? 0 : 4320 - i * 37;
      return [d.site, d.line, d.device, metric, "5.0", "17280", String(received), String(Math.round((received / 17280) * 1000) / 10), received === 0 ? "silent" : "incomplete"];
    }),
  ));
  return data;
}
