/** Stack analytics: config overrides reach the analytics definition, and the SQL the stack runs follows them. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stackAnalytics } from "../../config/analytics";
import { committedFlinkSqlDirectory, committedStackDirectories, flinkSqlDrift, stackSqlDrift, stacksFlinkSql, writeFlinkSql } from "../../config/flink-sql-files";
import { PROJECT_DIR } from "../../config/stack-file";
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

it("the default configuration is the shipped definition and ingest policy", () => {
  expect(stackAnalytics(defaults)).toEqual({
    definition: DEFAULT_ANALYTICS,
    ingestPolicy: DEFAULT_INGEST_POLICY,
    flinkSql: flinkSqlFiles(),
    staticLimits: DEFAULT_ANALYTICS.rules.staticLimit,
  });
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

it("a stack's Flink SQL is the shipped SQL without overrides and its own with them", () => {
  const shipped = flinkSqlFiles();
  expect(stackAnalytics(defaults).flinkSql).toEqual(shipped);
  const { definition, ingestPolicy, flinkSql } = stackAnalytics(overridden);
  expect(flinkSql).toEqual(flinkSqlFiles(definition, ingestPolicy));
  const sql = (files: typeof shipped, name: string) => files.find((f) => f.name === name)!.sql;
  expect(sql(flinkSql, "06-anomalies.sql")).not.toBe(sql(shipped, "06-anomalies.sql"));
});

describe("the committed SQL of every stack", () => {
  it("sql/flink/<stack>/ is exactly what each Pulumi.<stack>.yaml deploys (run `npm run gen:flink-sql` and commit)", () => {
    const stacks = stacksFlinkSql();
    expect([...stacks.keys()]).toEqual(expect.arrayContaining(["dev", "prod"]));
    for (const [stack, files] of stacks) expect({ stack, drift: flinkSqlDrift(committedFlinkSqlDirectory(PROJECT_DIR, stack), files) }).toEqual({ stack, drift: [] });
    expect(committedStackDirectories(PROJECT_DIR)).toEqual([...stacks.keys()].sort());
  });

  it("drift names missing, changed and extra files", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-sql-drift-"));
    const files = [{ name: "01-a.sql", sql: "SELECT 1;" }, { name: "02-b.sql", sql: "SELECT 2;" }];
    expect(flinkSqlDrift(path.join(dir, "none"), files)).toEqual(["01-a.sql missing", "02-b.sql missing"]);
    writeFlinkSql(dir, files);
    expect(flinkSqlDrift(dir, files)).toEqual([]);
    fs.writeFileSync(path.join(dir, "02-b.sql"), "SELECT 3;");
    fs.writeFileSync(path.join(dir, "99-old.sql"), "SELECT 4;");
    expect(flinkSqlDrift(dir, files)).toEqual(["02-b.sql changed", "99-old.sql not generated"]);
    writeFlinkSql(dir, files);
    expect(flinkSqlDrift(dir, files)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a stack is held to its committed SQL only when it has a stack file (iotpipe size renders fleets without one)", () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-sql-stacks-"));
    const files = [{ name: "01-a.sql", sql: "SELECT 1;" }];
    fs.writeFileSync(path.join(project, "Pulumi.staging.yaml"), "config: {}\n");
    expect(stackSqlDrift(project, "staging", files)).toEqual(["01-a.sql missing"]);
    writeFlinkSql(committedFlinkSqlDirectory(project, "staging"), files);
    expect(stackSqlDrift(project, "staging", files)).toEqual([]);
    expect(stackSqlDrift(project, "fleet", files)).toEqual([]);
    fs.rmSync(project, { recursive: true, force: true });
  });
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
    const own = stackAnalytics(slow).flinkSql;
    const file = (files: { name: string; sql: string }[], name: string) => files.find((f) => f.name === name)!.sql;
    const alerts = file(own, "07-alerts.sql");
    const shipped = file(flinkSqlFiles(), "07-alerts.sql");
    // The session gap is the hold less 1 ms (a reading exactly one hold after the last one opens a new episode).
    expect(alerts).toContain("SESSION(event_ts, INTERVAL '0 00:14:59.999' DAY TO SECOND)");
    expect(shipped).toContain("SESSION(event_ts, INTERVAL '0 00:01:59.999' DAY TO SECOND)");
    expect(alerts).toContain("event_ms - pair_first_ms >= CASE MOD(pair_first_packed, 16) WHEN 0 THEN 9E5");
    expect(alerts).not.toContain("1.2E5");
    expect(shipped).toContain(">= CASE MOD(pair_first_packed, 16) WHEN 0 THEN 1.2E5");

    const aggregates = file(own, "05-aggregates.sql");
    expect(aggregates).toContain("CAST(300 AS INT) AS window_seconds");
    expect(aggregates).not.toContain("CAST(60 AS INT)");
    expect(aggregates).not.toContain("CAST(3600 AS INT)");
    expect(file(flinkSqlFiles(), "05-aggregates.sql")).toContain("CAST(3600 AS INT) AS window_seconds");
  });

  it("the defaults written out explicitly run the shipped SQL", () => {
    const explicit = parseStackConfig({ aggregateWindowSeconds: "[60,3600]", alertHoldSeconds: "120" });
    expect(stackAnalytics(explicit).flinkSql).toEqual(flinkSqlFiles());
  });
});
