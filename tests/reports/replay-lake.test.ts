/**
 * The compliance report over a lake written by the local engine (local/replay.ts) from known input: one sensor
 * with an excursion from 23:50 to 00:10 across midnight and a 30-minute outage, one sensor silent on the report
 * day. Only the static limit rule is on, so every anomaly and alert is known in advance. Then `runLocalReport`
 * end to end: the bundle on disk, its manifest, its summary, and an idempotent second run.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { replay } from "../../local/replay";
import { DEFAULT_ANALYTICS, AnalyticsDefinition } from "../../analytics/definition";
import { openLocalLake, runLocalQuery } from "../../local/report-lake";
import { COMPLIANCE_QUERIES } from "../../reports/queries";
import { runLocalReport } from "../../local/report";

const DAY = "2026-11-10";

/** Minute readings 2026-11-09 22:00 to 2026-11-10 01:59; t-1 hot (90 degC) 23:50-00:10 and silent 00:30-00:59; t-2 only on the 9th. */
function inputLines(): string[] {
  const lines: string[] = [];
  const start = Date.parse("2026-11-09T22:00:00Z");
  for (let i = 0; i < 240; i++) {
    const ts = start + i * 60_000;
    const iso = new Date(ts).toISOString();
    const day = iso.slice(0, 10);
    const hhmm = iso.slice(11, 16);
    if (day === DAY && hhmm >= "00:30" && hhmm < "01:00") continue;
    const hot = (day === "2026-11-09" && hhmm >= "23:50") || (day === DAY && hhmm <= "00:10");
    const reading = (value: number) => [{ metric: "temperature", value, unit: "degC" }];
    lines.push(JSON.stringify({ topic: "telemetry/plant-r/line-1/t-1", ingest_ts: ts + 500, msg_id: `t1-${i}`, ts, readings: reading(hot ? 90 : 20) }));
    if (day === "2026-11-09") {
      lines.push(JSON.stringify({ topic: "telemetry/plant-r/line-2/t-2", ingest_ts: ts + 500, msg_id: `t2-${i}`, ts, readings: reading(18) }));
    }
  }
  return lines;
}

/** Only the static limit (temperature above 80 degC is critical): nothing else can fire. */
function staticLimitOnly(): AnalyticsDefinition {
  const rules = DEFAULT_ANALYTICS.rules;
  return {
    ...DEFAULT_ANALYTICS,
    rules: {
      staticLimit: { enabled: true, defaults: { temperature: { low: -20, high: 80, severity: "critical" } }, overrides: [] },
      deviation: { ...rules.deviation, enabled: false },
      levelShift: { ...rules.levelShift, enabled: false },
      rateOfChange: { ...rules.rateOfChange, enabled: false },
      flatline: { ...rules.flatline, enabled: false },
      dataGap: { ...rules.dataGap, enabled: false },
    },
  };
}

describe("compliance report over a lake written by the local engine", () => {
  let root: string;
  let lakeDir: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "replay-report-"));
    lakeDir = path.join(root, "lake");
    fs.writeFileSync(path.join(root, "input.jsonl"), inputLines().join("\n") + "\n");
    const result = await replay({ inputPath: path.join(root, "input.jsonl"), lakeDir, definition: staticLimitOnly(), threads: 1 });
    expect(result.counts).toMatchObject({ accepted: 330, quarantined: 0, duplicates: 0, late: 0 });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("gives the figures the input implies", async () => {
    const connection = await openLocalLake(lakeDir);
    const rows: Record<string, Array<Array<string | null>>> = {};
    for (const spec of COMPLIANCE_QUERIES) {
      rows[spec.id] = (await runLocalQuery(connection, spec, { date: DAY, site: "*", lookbackDays: 7, minGapSeconds: 900 })).rows;
    }
    connection.closeSync();
    expect(rows["daily-sensor-log"]).toEqual([
      // 90 readings: 11 at 90 (00:00-00:10), 79 at 20; mean 2570/90.
      ["plant-r", "line-1", "t-1", "temperature", "degC", "90", "0", "20.0", "90.0", "28.556", "2026-11-10 00:00:00.000", "90.0", "2026-11-10 01:59:00.000", "20.0", null, "80.0"],
    ]);
    expect(rows["excursions"]).toEqual([
      // Opened 23:50 the day before, cleared at the last anomaly (00:10) plus the hold of 1-minute data
      // (10 readings = 600 s, the 10-minute step).
      ["plant-r", "line-1", "t-1", "temperature", "static_limit", "critical", "2026-11-09 23:50:00.000", "2026-11-10 00:20:00.000", "cleared", "1800", "90.0", "80.0", "21"],
    ]);
    expect(rows["data-completeness"]).toEqual([
      ["plant-r", "line-1", "t-1", "temperature", "60.0", "1440", "90", "6.3", "incomplete"],
      ["plant-r", "line-2", "t-2", "temperature", "60.0", "1440", "0", "0.0", "silent"],
    ]);
    expect(rows["data-gaps"]).toEqual([
      ["plant-r", "line-1", "t-1", "temperature", "2026-11-10 00:29:00.000", "2026-11-10 01:00:00.000", "1860"],
      ["plant-r", "line-1", "t-1", "temperature", "2026-11-10 01:59:00.000", "2026-11-11 00:00:00.000", "79260"],
    ]);
    expect(rows["anomaly-summary"]).toEqual([
      ["plant-r", "line-1", "temperature", "static_limit", "11", "1", "11", "0", "1.1", "2026-11-10 00:00:00.000", "2026-11-10 00:10:00.000"],
    ]);
    expect(rows["device-inventory"]).toEqual([
      ["plant-r", "line-1", "t-1", "1", "2026-11-10 01:59:00.000", "90", "0", "reporting", null, null, null],
      ["plant-r", "line-2", "t-2", "1", "2026-11-09 23:59:00.000", "0", "0", "silent", null, null, null],
    ]);
  });

  it("runLocalReport writes the bundle inside the lake (<lake>/_reports), manifest last and verifiable, and re-runs as a no-op", async () => {
    const result = await runLocalReport({ date: DAY, lakeDir });
    const dir = path.join(lakeDir, "_reports", DAY, "all");
    expect(result.status).toBe("written");
    expect(result.manifestPath).toBe(path.join(dir, "manifest.json"));
    expect(result.htmlPath).toBe(path.join(dir, "report.html"));
    expect(result.files.at(-1)).toBe(result.manifestPath);
    expect(result.files.map((f) => path.basename(f)).sort()).toEqual(
      [...COMPLIANCE_QUERIES.map((q) => `${q.id}.csv`), "report.html", "manifest.json"].sort(),
    );
    const manifest = JSON.parse(fs.readFileSync(result.manifestPath, "utf8"));
    expect(manifest).toMatchObject({ date: DAY, site: "*", engine: "duckdb", parameters: { lookbackDays: 7, minGapSeconds: 900 } });
    for (const f of manifest.files) {
      expect(crypto.createHash("sha256").update(fs.readFileSync(path.join(dir, f.name))).digest("hex")).toBe(f.sha256);
    }
    expect(result.summary).toMatchObject({ sensorsReporting: 1, readings: 90, excursions: 1, criticalExcursions: 1, silentSensors: 1, incompleteSensors: 1, gaps: 2 });
    expect((await runLocalReport({ date: DAY, lakeDir })).status).toBe("unchanged");
    // A different site scope is another report, in its own folder.
    const plantR = await runLocalReport({ date: DAY, lakeDir, site: "plant-r", outDir: path.join(root, "out") });
    expect(plantR.manifestPath).toBe(path.join(root, "out", DAY, "plant-r", "manifest.json"));
    // Nothing lands beside the lake, in a folder the caller did not name.
    expect(fs.readdirSync(root).sort()).toEqual(["input.jsonl", "lake", "out"]);
  });

  it("fails with a clear message when the lake does not exist", async () => {
    await expect(runLocalReport({ date: DAY, lakeDir: path.join(root, "nope") })).rejects.toThrow(/lake directory .* does not exist/);
  });
});
