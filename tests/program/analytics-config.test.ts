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
  expect(definition.rules.staticLimit.overrides).toEqual([{ metric: "vibration", site: "plant-a", line: "line-2", high: 12.5, severity: "critical" }]);
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
