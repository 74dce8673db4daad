/** Stack analytics: config overrides reach the analytics definition, and the SQL the stack runs follows them. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { flinkSqlDirectory, stackAnalytics } from "../../config/analytics";
import { parseStackConfig } from "../../config/load";
import { flinkSqlFiles } from "../../analytics/flink";
import { DEFAULT_ANALYTICS } from "../../analytics/definition";
import { DEFAULT_INGEST_POLICY } from "../../contract/ingest-policy";

const defaults = parseStackConfig({});
const overridden = parseStackConfig({
  staticLimits: '["temperature=-20..120","vibration@plant-a/line-2=..12.5"]',
  allowedLatenessMs: "120000",
  duplicateWindowMs: "600000",
});

/** A project directory whose committed sql/flink holds the shipped analytics' SQL. */
function projectWithCommittedSql(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-analytics-"));
  fs.mkdirSync(path.join(dir, "sql", "flink"), { recursive: true });
  for (const f of flinkSqlFiles()) fs.writeFileSync(path.join(dir, "sql", "flink", f.name), f.sql);
  return dir;
}

it("the default configuration is the shipped definition and ingest policy", () => {
  expect(stackAnalytics(defaults)).toEqual({ definition: DEFAULT_ANALYTICS, ingestPolicy: DEFAULT_INGEST_POLICY });
});

it("static limits replace a metric's default or override it per site/line; tolerances reach policy and watermark", () => {
  const { definition, ingestPolicy } = stackAnalytics(overridden);
  expect(definition.rules.staticLimit.defaults.temperature).toEqual({ low: -20, high: 120, severity: "critical" });
  expect(definition.rules.staticLimit.defaults.pressure).toEqual(DEFAULT_ANALYTICS.rules.staticLimit.defaults.pressure);
  // The line override's empty low bound keeps the metric default's (it used to become "no low limit").
  const vibrationLow = DEFAULT_ANALYTICS.rules.staticLimit.defaults.vibration.low;
  expect(definition.rules.staticLimit.overrides).toEqual([{ metric: "vibration", site: "plant-a", line: "line-2", low: vibrationLow, high: 12.5, severity: "critical" }]);
  expect(definition.watermarkDelaySeconds).toBe(120);
  expect(ingestPolicy).toEqual({ ...DEFAULT_INGEST_POLICY, allowedLatenessMs: 120000, duplicateWindowMs: 600000 });
});

it("a stack without overrides runs the committed SQL; one with overrides runs SQL generated for it", () => {
  const project = projectWithCommittedSql();
  expect(flinkSqlDirectory(defaults, "dev", project)).toBe(path.join(project, "sql", "flink"));

  const own = flinkSqlDirectory(overridden, "plant", project);
  expect(own).toBe(path.join(project, ".iotpipe", "flink-sql", "plant"));
  const { definition, ingestPolicy } = stackAnalytics(overridden);
  for (const f of flinkSqlFiles(definition, ingestPolicy)) expect(fs.readFileSync(path.join(own, f.name), "utf8")).toBe(f.sql);
  expect(fs.readFileSync(path.join(own, "06-anomalies.sql"), "utf8")).not.toBe(fs.readFileSync(path.join(project, "sql", "flink", "06-anomalies.sql"), "utf8"));

  // Unchanged settings leave the files alone (same mtime); a stale extra file is not kept.
  const mtime = fs.statSync(path.join(own, "06-anomalies.sql")).mtimeMs;
  expect(flinkSqlDirectory(overridden, "plant", project)).toBe(own);
  expect(fs.statSync(path.join(own, "06-anomalies.sql")).mtimeMs).toBe(mtime);
  fs.writeFileSync(path.join(own, "99-stale.sql"), "SELECT 1;");
  flinkSqlDirectory(overridden, "plant", project);
  expect(fs.existsSync(path.join(own, "99-stale.sql"))).toBe(false);
});

describe("aggregate windows and alert hold time from config", () => {
  const slow = parseStackConfig({ aggregateWindowSeconds: "[300]", alertHoldSeconds: "900" });

  it("reach the definition", () => {
    const { definition } = stackAnalytics(slow);
    expect(definition.windowSeconds).toEqual([300]);
    expect(definition.alerts).toEqual({ ...DEFAULT_ANALYTICS.alerts, holdSeconds: 900 });
    expect(definition.rules).toEqual(DEFAULT_ANALYTICS.rules);
  });

  it("generate the stack's own Flink SQL: the session gap and open rule follow the hold, the aggregates the windows", () => {
    const project = projectWithCommittedSql();
    const own = flinkSqlDirectory(slow, "slow", project);
    expect(own).toBe(path.join(project, ".iotpipe", "flink-sql", "slow"));
    const alerts = fs.readFileSync(path.join(own, "07-alerts.sql"), "utf8");
    const shipped = fs.readFileSync(path.join(project, "sql", "flink", "07-alerts.sql"), "utf8");
    // The session gap is the hold less 1 ms (a reading exactly one hold after the last one opens a new episode).
    expect(alerts).toContain("SESSION(event_ts, INTERVAL '0 00:14:59.999' DAY TO SECOND)");
    expect(shipped).toContain("SESSION(event_ts, INTERVAL '0 00:01:59.999' DAY TO SECOND)");
    expect(alerts).toContain("event_ms - pair_first_ms >= CASE MOD(pair_first_packed, 16) WHEN 0 THEN 9E5");
    expect(alerts).not.toContain("1.2E5");
    expect(shipped).toContain(">= CASE MOD(pair_first_packed, 16) WHEN 0 THEN 1.2E5");

    const aggregates = fs.readFileSync(path.join(own, "05-aggregates.sql"), "utf8");
    expect(aggregates).toContain("CAST(300 AS INT) AS window_seconds");
    expect(aggregates).not.toContain("CAST(60 AS INT)");
    expect(aggregates).not.toContain("CAST(3600 AS INT)");
    expect(fs.readFileSync(path.join(project, "sql", "flink", "05-aggregates.sql"), "utf8")).toContain("CAST(3600 AS INT) AS window_seconds");
  });

  it("the defaults written out explicitly still run the committed SQL", () => {
    const project = projectWithCommittedSql();
    const explicit = parseStackConfig({ aggregateWindowSeconds: "[60,3600]", alertHoldSeconds: "120" });
    expect(flinkSqlDirectory(explicit, "dev", project)).toBe(path.join(project, "sql", "flink"));
  });
});
