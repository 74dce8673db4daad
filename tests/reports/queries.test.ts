/**
 * The compliance SQL: it parses as Trino, its placeholders match the registry, and on DuckDB over a crafted lake
 * it returns exactly the figures worked out by hand (a day with a gap, an excursion spanning midnight, a silent
 * sensor, another site, data after the report day that must not be read).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DuckDBConnection } from "@duckdb/node-api";
import * as fc from "fast-check";
import { identifier } from "../../contract/telemetry";
import {
  ATHENA_QUERIES,
  COMPLIANCE_QUERIES,
  SITE_ID_PATTERN,
  ReportParameters,
  SCOPE_QUERY,
  athenaExecutionParameters,
  queryDescription,
  querySql,
  sqlDirectory,
} from "../../reports/queries";
import { openLocalLake, runLocalQuery, trinoToDuckDb } from "../../local/report-lake";
import { athenaDouble } from "../../reports/model";
import type { RegistrySnapshotRow } from "../../reports/registry-snapshot";
import { writeLake } from "./lake-fixture";
import { REPORT_DAY, complianceLake } from "./compliance-fixture";
import { loadTrinoParser } from "./trino-parser";

/** `?` placeholders outside comments and string literals. */
function placeholders(sql: string): number {
  const code = sql.replace(/--[^\n]*/g, "").replace(/'(?:[^']|'')*'/g, "''");
  return (code.match(/\?/g) ?? []).length;
}

describe("sql/athena files", () => {
  const files = fs.readdirSync(sqlDirectory()).filter((f) => f.endsWith(".sql")).sort();

  it("every file is in the registry and every registry entry has a file", () => {
    expect(ATHENA_QUERIES.map((q) => q.file).sort()).toEqual(files);
  });

  it("the lookback comes from the aggregates: no query reads more than the report day of readings", () => {
    // 8 days of readings with window functions would not finish within the query timeout at fleet volume.
    for (const spec of ATHENA_QUERIES) {
      const sql = querySql(spec).replace(/--[^\n]*/g, "");
      for (const scan of sql.match(/FROM readings\b[\s\S]*?WHERE ([^\n]*)/g) ?? []) expect({ spec: spec.id, scan }).toEqual({ spec: spec.id, scan: expect.stringMatching(/WHERE dt = \?/) });
    }
    for (const id of ["data-completeness", "device-inventory"]) {
      expect(querySql(ATHENA_QUERIES.find((q) => q.id === id)!)).toMatch(/FROM aggregates\s+WHERE dt BETWEEN \? AND \?/);
    }
  });

  it("every file parses as Trino SQL with zero errors", () => {
    const parser = loadTrinoParser();
    for (const file of files) {
      const errors = parser.validate(fs.readFileSync(path.join(sqlDirectory(), file), "utf8"));
      expect({ file, errors }).toEqual({ file, errors: [] });
    }
    // The parser does reject broken SQL, so a pass above means something.
    expect(parser.validate("SELECT FROM readings WHERE").length).toBeGreaterThan(0);
  });

  it.each(ATHENA_QUERIES.map((q) => [q.id, q] as const))("%s: header, placeholders and partition filter", (_id, spec) => {
    const sql = querySql(spec);
    expect(queryDescription(sql).length).toBeGreaterThan(40);
    const paramsLine = sql.split("\n").find((l) => l.startsWith("-- params:"));
    expect(paramsLine).toBeDefined();
    expect(placeholders(sql)).toBe(spec.params.length);
    // Athena counts every ? of the text: none may hide in a comment or a literal.
    expect((sql.match(/\?/g) ?? []).length).toBe(spec.params.length);
    // Every table read is filtered on its partition column.
    const scans = sql.match(/FROM (readings|anomalies|alerts|aggregates|quarantine)\b[\s\S]*?WHERE ([^\n]*)/g) ?? [];
    expect(scans.length).toBeGreaterThan(0);
    for (const scan of scans) expect(scan).toMatch(/WHERE dt (=|BETWEEN) \?/);
    expect(sql).not.toMatch(/SELECT \*/i);
  });
});

describe("parameters", () => {
  const base: ReportParameters = { date: REPORT_DAY, site: "plant-a", lookbackDays: 7, minGapSeconds: 3600 };

  it("are rendered as Athena literals in placeholder order", () => {
    const excursions = COMPLIANCE_QUERIES.find((q) => q.id === "excursions")!;
    expect(athenaExecutionParameters(excursions, base)).toEqual(["'2026-11-03'", "'2026-11-10'", "'plant-a'", "'2026-11-10'", "'2026-11-10'"]);
    const gaps = COMPLIANCE_QUERIES.find((q) => q.id === "data-gaps")!;
    expect(athenaExecutionParameters(gaps, { ...base, site: "*" })).toEqual(["'2026-11-10'", "'*'", "3600"]);
  });

  it("accept exactly the site ids the telemetry contract accepts", () => {
    const samples = ["plant-a", "P1", "a.b:c_d-e", "-a", "a b", "a/b", "a+b", "", "x".repeat(128), "x".repeat(129), "é", "a'b"];
    for (const s of samples) expect([s, SITE_ID_PATTERN.test(s)]).toEqual([s, identifier.safeParse(s).success]);
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."aZ09._:-/ +'é*".split("")), maxLength: 140 }), (s) => SITE_ID_PATTERN.test(s) === identifier.safeParse(s).success),
    );
  });

  it("reject values that are not a date, a site id or sane numbers", () => {
    const spec = COMPLIANCE_QUERIES[0];
    expect(() => athenaExecutionParameters(spec, { ...base, date: "2026-02-30" })).toThrow(/not a calendar day/);
    expect(() => athenaExecutionParameters(spec, { ...base, site: "x' OR '1'='1" })).toThrow(/not a valid site id/);
    expect(() => athenaExecutionParameters(spec, { ...base, lookbackDays: 0 })).toThrow(/lookbackDays/);
    expect(() => athenaExecutionParameters(spec, { ...base, minGapSeconds: 1.5 })).toThrow(/minGapSeconds/);
  });
});

describe("Trino shim for DuckDB", () => {
  it("rewrites date_diff to date_sub (whole units elapsed) and leaves the rest", () => {
    expect(trinoToDuckDb("SELECT date_diff('second', a, b), DATE_DIFF ('day', c, d) FROM t")).toBe(
      "SELECT date_sub('second', a, b), date_sub('day', c, d) FROM t",
    );
  });

  it("formats doubles as Athena does", () => {
    expect([athenaDouble(21), athenaDouble(34.962), athenaDouble(15000000), athenaDouble(0.0001), athenaDouble(0)]).toEqual([
      "21.0", "34.962", "1.5E7", "1.0E-4", "0.0",
    ]);
  });
});

describe("compliance queries on DuckDB over a crafted lake", () => {
  let lakeDir: string;
  let connection: DuckDBConnection;
  const plantA: ReportParameters = { date: REPORT_DAY, site: "plant-a", lookbackDays: 7, minGapSeconds: 3600 };

  beforeAll(async () => {
    lakeDir = fs.mkdtempSync(path.join(os.tmpdir(), "compliance-lake-"));
    await writeLake(lakeDir, complianceLake());
    connection = await openLocalLake(lakeDir);
  });
  afterAll(() => {
    connection.closeSync();
    fs.rmSync(lakeDir, { recursive: true, force: true });
  });

  const run = async (id: string, p: ReportParameters = plantA) => {
    const result = await runLocalQuery(connection, COMPLIANCE_QUERIES.find((q) => q.id === id)!, p);
    return { columns: result.columns.map((c) => c.name), rows: result.rows };
  };

  it("daily sensor log: min, max, mean, counts, first/last reading and limits crossed", async () => {
    const { columns, rows } = await run("daily-sensor-log");
    expect(columns).toEqual([
      "site", "line", "device_id", "metric", "unit", "sample_count", "late_count", "min_value", "max_value", "avg_value",
      "first_reading_at", "first_value", "last_reading_at", "last_value", "lower_limit", "upper_limit",
    ]);
    expect(rows).toEqual([
      ["plant-a", "line-1", "dev-p1", "pressure", "bar", "48", "1", "5.0", "12.5", "5.156", "2026-11-10 00:00:00.000", "5.0", "2026-11-10 23:30:00.000", "5.0", null, "10.0"],
      ["plant-a", "line-1", "dev-t1", "temperature", "degC", "21", "0", "21.0", "91.2", "34.962", "2026-11-10 00:00:00.000", "91.2", "2026-11-10 23:00:00.000", "43.0", null, "80.0"],
      ["plant-a", "line-2", "dev-v1", "vibration", "mm/s", "24", "0", "2.0", "11.0", "2.667", "2026-11-10 00:00:00.000", "2.0", "2026-11-10 23:00:00.000", "11.0", null, null],
    ]);
  });

  it("excursions: the episode spanning midnight with its full duration, the open one, not the old or future ones", async () => {
    const { columns, rows } = await run("excursions");
    expect(columns).toEqual([
      "site", "line", "device_id", "metric", "rule", "severity", "episode_start", "episode_end", "status", "duration_seconds",
      "peak_value", "limit_value", "anomaly_count",
    ]);
    expect(rows).toEqual([
      ["plant-a", "line-1", "dev-t1", "temperature", "static_limit", "critical", "2026-11-09 23:30:00.000", "2026-11-10 00:45:00.000", "cleared", "4500", "91.2", "80.0", "4"],
      ["plant-a", "line-1", "dev-p1", "pressure", "static_limit", "warning", "2026-11-10 14:00:00.000", "2026-11-10 14:20:00.000", "cleared", "1200", "12.5", "10.0", "1"],
      ["plant-a", "line-2", "dev-v1", "vibration", "deviation", "warning", "2026-11-10 22:00:00.000", null, "open", null, "9.0", "7.5", "1"],
    ]);
  });

  it("excursions: the day before reports the midnight episode as still open (nothing after the day is read)", async () => {
    const { rows } = await run("excursions", { ...plantA, date: "2026-11-09" });
    expect(rows).toEqual([
      ["plant-a", "line-1", "dev-t1", "temperature", "static_limit", "warning", "2026-11-09 23:30:00.000", null, "open", null, "85.5", "80.0", "1"],
    ]);
  });

  it("excursions for every site include the other site's episode", async () => {
    const { rows } = await run("excursions", { ...plantA, site: "*" });
    expect(rows.map((r) => `${r[2]} ${r[6]} ${r[9]}`)).toEqual([
      "dev-t1 2026-11-09 23:30:00.000 4500",
      "dev-b1 2026-11-10 03:00:00.000 600",
      "dev-p1 2026-11-10 14:00:00.000 1200",
      "dev-v1 2026-11-10 22:00:00.000 null",
    ]);
  });

  it("data completeness: expected from cadence, the gap day incomplete, the silent sensor flagged", async () => {
    const { columns, rows } = await run("data-completeness");
    expect(columns).toEqual([
      "site", "line", "device_id", "metric", "typical_interval_seconds", "expected_readings", "received_readings", "completeness_pct", "status",
    ]);
    expect(rows).toEqual([
      ["plant-a", "line-1", "dev-p1", "pressure", "1800.0", "48", "48", "100.0", "complete"],
      ["plant-a", "line-1", "dev-t1", "temperature", "3600.0", "24", "21", "87.5", "incomplete"],
      ["plant-a", "line-2", "dev-s1", "temperature", "3600.0", "24", "0", "0.0", "silent"],
      ["plant-a", "line-2", "dev-v1", "vibration", "3600.0", "24", "24", "100.0", "complete"],
    ]);
  });

  it("data gaps: only gaps longer than the threshold, clipped to the day", async () => {
    expect((await run("data-gaps")).rows).toEqual([
      ["plant-a", "line-1", "dev-t1", "temperature", "2026-11-10 09:00:00.000", "2026-11-10 13:00:00.000", "14400"],
    ]);
    // The next day dev-t1 stops at 05:00: the rest of that day is one gap up to midnight.
    expect((await run("data-gaps", { ...plantA, date: "2026-11-11" })).rows).toEqual([
      ["plant-a", "line-1", "dev-t1", "temperature", "2026-11-11 05:00:00.000", "2026-11-12 00:00:00.000", "68400"],
    ]);
    // A lower threshold catches the hourly sensors' last hour to midnight as well.
    const finer = await run("data-gaps", { ...plantA, minGapSeconds: 3599 });
    expect(finer.rows.filter((r) => r[5] === "2026-11-11 00:00:00.000").map((r) => r[2])).toEqual(["dev-t1", "dev-v1"]);
  });

  it("anomaly summary per site, line, metric and rule", async () => {
    expect((await run("anomaly-summary")).rows).toEqual([
      ["plant-a", "line-1", "pressure", "static_limit", "1", "1", "0", "1", "1.25", "2026-11-10 14:00:00.000", "2026-11-10 14:00:00.000"],
      ["plant-a", "line-1", "temperature", "static_limit", "1", "1", "1", "0", "1.14", "2026-11-10 00:00:00.000", "2026-11-10 00:00:00.000"],
      ["plant-a", "line-2", "vibration", "deviation", "2", "1", "1", "1", "1.467", "2026-11-10 22:00:00.000", "2026-11-10 23:00:00.000"],
    ]);
  });

  it("device inventory: last seen, readings on the day, alerts open at midnight", async () => {
    const { columns, rows } = await run("device-inventory");
    expect(columns).toEqual(["site", "line", "device_id", "metrics", "last_seen_at", "readings_on_day", "open_alerts", "status", "model", "serial", "registered_at"]);
    expect(rows).toEqual([
      ["plant-a", "line-1", "dev-p1", "1", "2026-11-10 23:30:00.000", "48", "0", "reporting", null, null, null],
      ["plant-a", "line-1", "dev-t1", "1", "2026-11-10 23:00:00.000", "21", "0", "reporting", null, null, null],
      ["plant-a", "line-2", "dev-s1", "1", "2026-11-09 23:00:00.000", "0", "0", "silent", null, null, null],
      ["plant-a", "line-2", "dev-v1", "1", "2026-11-10 23:00:00.000", "24", "1", "reporting", null, null, null],
    ]);
  });

  it("device inventory with the registry: registered devices that never reported are silent, later ones not listed", async () => {
    const at = (iso: string) => Date.parse(iso);
    const registered: RegistrySnapshotRow[] = [
      // Reported on the day: registry columns join its row.
      { device_id: "dev-t1", site: "plant-a", line: "line-1", model: "TX-1", serial: "SN-T1", registered_at: at("2026-11-01T08:00:00Z") },
      // Registered, never sent a reading: silent, no metrics, never seen.
      { device_id: "dev-new1", site: "plant-a", line: "line-2", model: "PX-200", serial: "SN-N1", registered_at: at("2026-11-10T23:59:59.999Z") },
      // Registered before the cloud kept registration times (first snapshot): still listed.
      { device_id: "dev-old1", site: "plant-a", line: "line-1", model: "PX-100", serial: "SN-O1", registered_at: null },
      // Registered the day after the report day: not part of that day's fleet.
      { device_id: "dev-later", site: "plant-a", line: "line-1", model: "PX-200", serial: "SN-L1", registered_at: at("2026-11-11T00:00:00Z") },
      // Another site: out of a plant-a report's scope.
      { device_id: "dev-b9", site: "plant-b", line: "line-1", model: "PX-200", serial: "SN-B9", registered_at: at("2026-11-01T00:00:00Z") },
    ];
    const withRegistry = await openLocalLake(lakeDir, { dt: REPORT_DAY, devices: registered });
    // A snapshot of another day is not this day's registry.
    const otherDay = await openLocalLake(lakeDir, { dt: "2026-11-09", devices: registered });
    try {
      const spec = COMPLIANCE_QUERIES.find((q) => q.id === "device-inventory")!;
      const { rows } = await runLocalQuery(withRegistry, spec, plantA);
      expect(rows).toEqual([
        ["plant-a", "line-1", "dev-old1", "0", null, "0", "0", "silent", "PX-100", "SN-O1", null],
        ["plant-a", "line-1", "dev-p1", "1", "2026-11-10 23:30:00.000", "48", "0", "reporting", null, null, null],
        ["plant-a", "line-1", "dev-t1", "1", "2026-11-10 23:00:00.000", "21", "0", "reporting", "TX-1", "SN-T1", "2026-11-01 08:00:00.000"],
        ["plant-a", "line-2", "dev-new1", "0", null, "0", "0", "silent", "PX-200", "SN-N1", "2026-11-10 23:59:59.999"],
        ["plant-a", "line-2", "dev-s1", "1", "2026-11-09 23:00:00.000", "0", "0", "silent", null, null, null],
        ["plant-a", "line-2", "dev-v1", "1", "2026-11-10 23:00:00.000", "24", "1", "reporting", null, null, null],
      ]);
      const all = (await runLocalQuery(withRegistry, spec, { ...plantA, site: "*" })).rows.map((r) => r[2]);
      expect(all).toContain("dev-b9");
      expect(all).not.toContain("dev-later");
      expect((await runLocalQuery(otherDay, spec, plantA)).rows.map((r) => r[2])).toEqual(["dev-p1", "dev-t1", "dev-s1", "dev-v1"]);
    } finally {
      withRegistry.closeSync();
      otherDay.closeSync();
    }
  });

  it("report scope: the sites with readings in the report's window, with their first and last day", async () => {
    const scope = await runLocalQuery(connection, SCOPE_QUERY, plantA);
    expect(scope.columns.map((c) => c.name)).toEqual(["site", "first_day", "last_day", "readings"]);
    // dev-s1 from the 8th; the 11th is after the report day and never read. The scope reads the aggregates, which
    // leave out the one late reading of plant-a (237 readings, 236 on time).
    expect(scope.rows).toEqual([
      ["plant-a", "2026-11-08", "2026-11-10", "236"],
      ["plant-b", "2026-11-10", "2026-11-10", "24"],
    ]);
    expect((await runLocalQuery(connection, SCOPE_QUERY, { ...plantA, date: "2026-11-09", lookbackDays: 1 })).rows).toEqual([
      ["plant-a", "2026-11-08", "2026-11-09", "144"],
    ]);
  });

  it("an empty lake gives empty results, not errors", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "empty-lake-"));
    const conn = await openLocalLake(empty);
    for (const spec of COMPLIANCE_QUERIES) expect((await runLocalQuery(conn, spec, plantA)).rows).toEqual([]);
    conn.closeSync();
    fs.rmSync(empty, { recursive: true, force: true });
  });
});
