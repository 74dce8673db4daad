/** The analytics definition's validator: the shipped defaults are valid, broken ones are refused with reasons. */
import { type AnalyticsDefinition, DEFAULT_ANALYTICS, definitionProblems, validateDefinition } from "../../analytics/definition";
import { duckdbAnalytics } from "../../analytics/duckdb";
import { flinkSqlFiles } from "../../analytics/flink";
import { METRICS } from "../../contract/telemetry";
import { DEFAULT_INGEST_POLICY } from "../../contract/ingest-policy";

const broken = (edit: (d: AnalyticsDefinition) => void) => {
  const def = structuredClone(DEFAULT_ANALYTICS);
  edit(def);
  return def;
};

describe("analytics definition", () => {
  it("ships valid defaults: 1 min and 1 h windows, catalog limits, watermark = allowed lateness", () => {
    expect(definitionProblems(DEFAULT_ANALYTICS)).toEqual([]);
    expect(DEFAULT_ANALYTICS.windowSeconds).toEqual([60, 3600]);
    expect(DEFAULT_ANALYTICS.watermarkDelaySeconds * 1000).toBe(DEFAULT_INGEST_POLICY.allowedLatenessMs);
    for (const [metric, spec] of Object.entries(METRICS)) {
      expect(DEFAULT_ANALYTICS.rules.staticLimit.defaults[metric]).toMatchObject({ low: spec.plausible[0], high: spec.plausible[1] });
    }
  });

  it.each([
    ["a window that does not divide a day", (d: AnalyticsDefinition) => { d.windowSeconds = [7]; }, /divide a day/],
    ["no window", (d: AnalyticsDefinition) => { d.windowSeconds = []; }, /at least one window/],
    ["a limit with low above high", (d: AnalyticsDefinition) => { d.rules.staticLimit.defaults.temperature = { low: 5, high: 1, severity: "critical" }; }, /low 5 must be below high 1/],
    ["an override with a bad site id", (d: AnalyticsDefinition) => { d.rules.staticLimit.overrides = [{ site: "a b", metric: "temperature", high: 1, severity: "warning" }]; }, /not a valid id/],
    ["a repeated override", (d: AnalyticsDefinition) => {
      d.rules.staticLimit.overrides = [{ site: "a", metric: "t", high: 1, severity: "warning" }, { site: "a", metric: "t", high: 2, severity: "warning" }];
    }, /repeats a\/\*\/t/],
    ["a reference shorter than its minimum", (d: AnalyticsDefinition) => { d.baseline.minReferenceRows = d.baseline.referenceRows + 1; }, /minReferenceRows must not exceed/],
    ["a critical score below the threshold", (d: AnalyticsDefinition) => { d.rules.deviation.criticalScore = 0.5; }, /criticalScore must be at least 1/],
    ["a one-reading flatline", (d: AnalyticsDefinition) => { d.rules.flatline.rows = 1; }, /flatline.rows must be at least 2/],
    ["a zero hold time", (d: AnalyticsDefinition) => { d.alerts.holdSeconds = 0; }, /holdSeconds must be a positive integer/],
    ["a confirmation needing more readings than its window", (d: AnalyticsDefinition) => { d.alerts.confirmation = { readings: 5, window: 4 }; }, /confirmation.readings \(5\) must not exceed/],
    ["a fractional confirmation window", (d: AnalyticsDefinition) => { d.alerts.confirmation = { readings: 1, window: 2.5 }; }, /confirmation.window must be a positive integer/],
  ])("refuses %s", (_, edit, message) => {
    const def = broken(edit);
    expect(definitionProblems(def).join("\n")).toMatch(message);
    expect(() => validateDefinition(def)).toThrow(/invalid analytics definition/);
    expect(() => duckdbAnalytics(def)).toThrow(message);
    expect(() => flinkSqlFiles(def)).toThrow(message);
  });

  it("both engines follow the alert confirmation; readings 1 needs no evidence window", () => {
    const flink = (def: AnalyticsDefinition) => flinkSqlFiles(def).map((f) => f.sql).join("\n");
    const confirmed = broken((d) => { d.alerts.confirmation = { readings: 4, window: 12 }; });
    expect(duckdbAnalytics(confirmed).alerts).toContain("evidence_rows >= 4");
    expect(flink(confirmed)).toMatch(/CREATE TEMPORARY VIEW anomaly_evidence AS[^;]*ROWS BETWEEN 11 PRECEDING AND CURRENT ROW\);/);
    expect(flink(confirmed)).toContain("evidence_rows >= 4");
    const every = broken((d) => { d.alerts.confirmation = { readings: 1, window: 1 }; });
    expect(duckdbAnalytics(every).alerts).not.toContain("evidence_rows");
    expect(flink(every)).not.toContain("anomaly_evidence");
  });

  it("both engines follow a changed parameter", () => {
    const def = broken((d) => { d.alerts.holdSeconds = 600; d.windowSeconds = [300]; });
    expect(duckdbAnalytics(def).alerts).toContain(">= CASE MOD(pair_first_packed, 16) WHEN 0 THEN 6E5");
    const flink = flinkSqlFiles(def).map((f) => f.sql).join("\n");
    // Session gap = hold time - 1 ms (Flink merges touching sessions); 600 s = 10 min, 300 s = 5 min.
    expect(flink).toContain("SESSION(event_ts, INTERVAL '0 00:09:59.999' DAY TO SECOND)");
    expect(flink).toContain("DESCRIPTOR(event_ts), INTERVAL '5' MINUTE))");
  });
});
