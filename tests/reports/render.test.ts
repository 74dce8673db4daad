/**
 * The bundle renderer and the local writer: CSV quoting and formula safety, a deterministic HTML report, a
 * manifest whose hashes match the files, and the write protocol (manifest last, no overwrite, idempotent re-run,
 * loud conflict) on the local filesystem.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { csvField, toCsv } from "../../reports/csv";
import { renderHtml } from "../../reports/html";
import { Bundle, bundlePrefix, contentHash, renderBundle } from "../../reports/bundle";
import { BundleConflictError, BundleWriter, LocalBundleWriter, writeBundle } from "../../reports/bundle-writer";
import { summarize, summaryText } from "../../reports/summary";
import { sampleReport } from "./sample-report";

const sha256 = (b: Buffer | string) => crypto.createHash("sha256").update(b).digest("hex");

describe("CSV", () => {
  it("quotes per RFC 4180 and ends lines with CRLF", () => {
    const csv = toCsv({
      queryId: "q",
      executionId: "e",
      columns: [{ name: "a", type: "varchar" }, { name: "b", type: "double" }],
      rows: [["x,y", "1.5"], ['say "hi"', null], ["two\nlines", "-5.0"]],
    });
    expect(csv).toBe('a,b\r\n"x,y",1.5\r\n"say ""hi""",\r\n"two\nlines",-5.0\r\n');
  });

  it("neutralises cells that a spreadsheet would run as a formula, but not plain numbers", () => {
    expect(csvField("=HYPERLINK(\"http://x\")")).toBe("\"'=HYPERLINK(\"\"http://x\"\")\"");
    expect(csvField("+1+2")).toBe("'+1+2");
    expect(csvField("-2+3")).toBe("'-2+3");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField("\tcmd")).toBe("'\tcmd");
    expect(csvField("-5.25")).toBe("-5.25");
    expect(csvField("-1.0E-4")).toBe("-1.0E-4");
    expect(csvField("plant-a")).toBe("plant-a");
  });
});

describe("HTML report", () => {
  const html = renderHtml(sampleReport());

  it("puts the summary first and names what needs attention", () => {
    expect(html.indexOf('id="summary"')).toBeLessThan(html.indexOf('id="charts-ranges"'));
    expect(html.indexOf('id="charts-ranges"')).toBeLessThan(html.indexOf('id="section-daily-sensor-log"'));
    expect(html).toContain("dev-s1 temperature (plant-a/line-2) sent no reading all day.");
    expect(html).toContain("critical excursion on dev-t1 temperature: from 2026-11-09 23:30:00.000 until 2026-11-10 00:45:00.000 (4500 s)");
  });

  it("is self-contained: no scripts, no external resources, a CSP that forbids them", () => {
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=|href=/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it("draws one range row per sensor with its limits, and one timeline bar per episode", () => {
    const ranges = html.slice(html.indexOf('id="daily-range-chart"'), html.indexOf("</svg>", html.indexOf('id="daily-range-chart"')));
    expect(ranges.match(/<rect class="range"/g)).toHaveLength(3);
    expect(ranges.match(/<line class="limit"/g)).toHaveLength(2);
    expect(ranges.match(/class="sensor breached"/g)).toHaveLength(2);
    const timeline = html.slice(html.indexOf('id="excursion-timeline"'), html.indexOf("</svg>", html.indexOf('id="excursion-timeline"')));
    expect(timeline.match(/<g class="episode/g)).toHaveLength(3);
    expect(timeline.match(/class="arrow"/g)).toHaveLength(2);
  });

  it("writes values as people read them and keeps long timeline labels inside their column", () => {
    const data = sampleReport();
    const excursions = data.results.find((r) => r.queryId === "excursions")!;
    excursions.rows[0][2] = "compressor-line-7-station-04";
    excursions.rows[0][10] = "91.23456789";
    excursions.rows[0][11] = "34.60363903890583";
    const page = renderHtml(data);
    expect(page).toContain("critical excursion on compressor-line-7-station-04 temperature: from 2026-11-09 23:30:00.000 until 2026-11-10 00:45:00.000 (4500 s), peak 91.23 past limit 34.6.");
    const timeline = page.slice(page.indexOf('id="excursion-timeline"'), page.indexOf("</svg>", page.indexOf('id="excursion-timeline"')));
    // The whole label stays readable as the text's tooltip; what is drawn fits the 250 px label column.
    expect(timeline).toContain("<title>compressor-line-7-station-04 · temperature · static_limit</title>compressor-line-7-station-04 · te…</text>");
    for (const [, drawn] of timeline.matchAll(/<\/title>([^<]*)<\/text>/g)) expect(drawn.length).toBeLessThanOrEqual(34);
  });

  it("draws the limits a sensor is judged against when it crossed none, with a line override beating the default", () => {
    const data = sampleReport();
    const log = data.results.find((r) => r.queryId === "daily-sensor-log")!;
    const col = (name: string) => log.columns.findIndex((c) => c.name === name);
    const quiet = log.rows.find((row) => row[col("upper_limit")] === null && row[col("lower_limit")] === null)!;
    const [site, line, metric] = [quiet[col("site")]!, quiet[col("line")]!, quiet[col("metric")]!];
    const chart = (page: string) => page.slice(page.indexOf('id="daily-range-chart"'), page.indexOf("</svg>", page.indexOf('id="daily-range-chart"')));
    const before = chart(renderHtml(data)).match(/<line class="limit"/g)?.length ?? 0;
    data.staticLimits = {
      enabled: true,
      defaults: { [metric]: { low: -1000, high: 1000, severity: "critical" } },
      overrides: [{ site, line, metric, low: -50, high: 250, severity: "critical" }],
    };
    const ranges = chart(renderHtml(data));
    expect(ranges).toContain("<title>Lower limit -50</title>");
    expect(ranges).toContain("<title>Upper limit 250</title>");
    expect(ranges).not.toContain("limit 1000</title>");
    expect(ranges.match(/<line class="limit"/g)!.length).toBeGreaterThanOrEqual(before + 2);
  });

  it("says what the dashed limit lines are: crossed limits only without the stack's, its static limits with them", () => {
    const data = sampleReport();
    const caption = (page: string) => /<section id="charts-ranges">[\s\S]*?<p class="meta">([^<]*)<\/p>/.exec(page)![1];
    expect(caption(renderHtml(data))).toContain("dashed red: a limit crossed on the day");
    data.staticLimits = { enabled: true, defaults: { temperature: { low: 0, high: 100, severity: "critical" } }, overrides: [] };
    const withLimits = caption(renderHtml(data));
    expect(withLimits).not.toContain("dashed red: a limit crossed on the day");
    expect(withLimits).toContain("dashed red: the sensor's static limits");
  });

  it("escapes data (a device id cannot inject markup)", () => {
    const data = sampleReport();
    data.results[0].rows[0][2] = "<img src=x onerror=alert(1)>";
    const escaped = renderHtml(data);
    expect(escaped).not.toContain("<img");
    expect(escaped).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("is deterministic (a re-run over the same data is byte-identical)", () => {
    expect(renderHtml(sampleReport())).toBe(html);
  });
});

describe("bundle and manifest", () => {
  it("keys every file under reports/<date>/<site|all>/ and hashes each one", () => {
    const bundle = renderBundle(sampleReport(), new Date("2026-11-11T01:00:00Z"));
    expect(bundle.prefix).toBe("reports/2026-11-10/plant-a/");
    expect(bundlePrefix("2026-11-10", "*")).toBe("reports/2026-11-10/all/");
    expect(bundle.files.map((f) => f.name)).toEqual([
      "daily-sensor-log.csv", "excursions.csv", "data-completeness.csv", "data-gaps.csv", "anomaly-summary.csv",
      "device-inventory.csv", "report.html",
    ]);
    for (const f of bundle.files) expect(bundle.manifest.files.find((m) => m.name === f.name)!.sha256).toBe(sha256(f.body));
    expect(bundle.manifest).toMatchObject({
      format: "iotpipe-compliance-bundle/1",
      date: "2026-11-10",
      site: "plant-a",
      engine: "duckdb",
      generator: { name: "iotpipe", version: require("../../package.json").version },
      generatedAt: "2026-11-11T01:00:00.000Z",
      parameters: { lookbackDays: 7, minGapSeconds: 3600 },
    });
    expect(bundle.manifest.queries.map((q) => [q.id, q.executionId, q.rows])).toEqual([
      ["daily-sensor-log", "duckdb:daily-sensor-log", 3],
      ["excursions", "duckdb:excursions", 3],
      ["data-completeness", "duckdb:data-completeness", 4],
      ["data-gaps", "duckdb:data-gaps", 1],
      ["anomaly-summary", "duckdb:anomaly-summary", 3],
      ["device-inventory", "duckdb:device-inventory", 4],
    ]);
    expect(bundle.manifest.contentSha256).toBe(contentHash(bundle.manifest.files));
    // The time of the run is not content: a later re-run has the same content hash.
    expect(renderBundle(sampleReport(), new Date("2026-12-01T00:00:00Z")).manifest.contentSha256).toBe(bundle.manifest.contentSha256);
  });

  it("summarises the day for SNS and the CLI", () => {
    const summary = summarize(sampleReport());
    expect(summary).toEqual({
      date: "2026-11-10", site: "plant-a", sensorsReporting: 3, readings: 93, excursions: 3, excursionsOpenAtMidnight: 1,
      criticalExcursions: 1, incompleteSensors: 1, silentSensors: 1, gaps: 1, gapHours: 4, anomalies: 4, criticalAnomalies: 2,
      devices: 4, openAlerts: 1,
    });
    expect(summaryText(summary, "s3://b/reports/2026-11-10/plant-a/")).toContain("Excursions: 3 (1 critical, 1 still open at midnight).");
  });
});

describe("writing a bundle to the local filesystem", () => {
  let root: string;
  let bundle: Bundle;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-out-"));
    bundle = renderBundle(sampleReport());
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("writes every file then the manifest, and a re-run is a no-op", async () => {
    const writer = new LocalBundleWriter(root);
    const first = await writeBundle(writer, bundle);
    expect(first.status).toBe("written");
    const dir = path.join(root, bundle.prefix);
    expect(fs.readdirSync(dir).sort()).toEqual([...bundle.files.map((f) => f.name), "manifest.json"].sort());
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
    for (const f of manifest.files) expect(sha256(fs.readFileSync(path.join(dir, f.name)))).toBe(f.sha256);
    const mtime = fs.statSync(path.join(dir, "manifest.json")).mtimeMs;
    const again = await writeBundle(writer, renderBundle(sampleReport()));
    expect(again.status).toBe("unchanged");
    expect(fs.statSync(path.join(dir, "manifest.json")).mtimeMs).toBe(mtime);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("refuses loudly to replace a report with different content", async () => {
    const writer = new LocalBundleWriter(root);
    await writeBundle(writer, bundle);
    const changed = sampleReport();
    changed.results[0].rows[0][5] = "49";
    const before = fs.readFileSync(path.join(root, bundle.prefix, "daily-sensor-log.csv"));
    await expect(writeBundle(writer, renderBundle(changed))).rejects.toThrow(BundleConflictError);
    await expect(writeBundle(writer, renderBundle(changed))).rejects.toThrow(/already locked .* not overwritten/);
    expect(fs.readFileSync(path.join(root, bundle.prefix, "daily-sensor-log.csv"))).toEqual(before);
  });

  it("completes a partial bundle with identical files, and refuses one with different files (no manifest)", async () => {
    const writer = new LocalBundleWriter(root);
    const dir = path.join(root, bundle.prefix);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, bundle.files[0].name), bundle.files[0].body);
    expect((await writeBundle(writer, bundle)).status).toBe("written");

    const other = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-partial-"));
    const otherDir = path.join(other, bundle.prefix);
    fs.mkdirSync(otherDir, { recursive: true });
    fs.writeFileSync(path.join(otherDir, "excursions.csv"), "tampered\r\n");
    await expect(writeBundle(new LocalBundleWriter(other), bundle)).rejects.toThrow(/excursions.csv already exists with different content/);
    expect(fs.existsSync(path.join(otherDir, "manifest.json"))).toBe(false);
    fs.rmSync(other, { recursive: true, force: true });
  });

  it("never marks a bundle complete when a file write fails", async () => {
    const local: BundleWriter = new LocalBundleWriter(root);
    const failing: BundleWriter = {
      location: local.location,
      read: (key) => local.read(key),
      createIfAbsent: async (key, body, type) => {
        if (key.endsWith("report.html")) throw new Error("disk full");
        return local.createIfAbsent(key, body, type);
      },
    };
    await expect(writeBundle(failing, bundle)).rejects.toThrow("disk full");
    expect(fs.existsSync(path.join(root, bundle.prefix, "manifest.json"))).toBe(false);
  });

  it("keeps keys inside the output directory", async () => {
    await expect(new LocalBundleWriter(root).createIfAbsent("../escape.txt", Buffer.from("x"))).rejects.toThrow(/escapes/);
  });
});
