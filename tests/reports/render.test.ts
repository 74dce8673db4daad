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
/** A bundle key's folder under a local reports folder (LocalBundleWriter drops the bucket's `reports/`). */
const inFolder = (prefix: string) => prefix.replace(/^reports\//, "");

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

  it("puts the summary first and says per rule what needs attention", () => {
    expect(html.indexOf('id="summary"')).toBeLessThan(html.indexOf('id="charts-ranges"'));
    expect(html.indexOf('id="charts-ranges"')).toBeLessThan(html.indexOf('id="section-daily-sensor-log"'));
    expect(html).toContain("<li><b>dev-s1 temperature (plant-a/line-2)</b> sent no reading all day.</li>");
    expect(html).toContain(
      "<li><b>dev-t1 temperature (plant-a/line-1)</b> static limit: 91.2 above its upper static limit 80 (specification) for 1 h 15 min, from 2026-11-09 23:30:00 to 00:45:00.</li>",
    );
    expect(html).toContain(
      "<li><b>dev-v1 vibration (plant-a/line-2)</b> deviation (far from its recent readings): peak 9 against its statistical band&#39;s edge 7.5 for 2 h, from 22:00:00, still open at midnight.</li>",
    );
  });

  it("is self-contained: no scripts, no external resources, a CSP that forbids them; links only within the bundle", () => {
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=/i);
    for (const [, target] of html.matchAll(/href="([^"]*)"/g)) expect(target).toMatch(/^(#[\w-]+|[\w-]+\.csv)$/);
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
    expect(page).toContain("<b>compressor-line-7-station-04 temperature (plant-a/line-1)</b> static limit: 91.23 above its upper static limit 34.6 (specification)");
    // The excursions table shows the limit as people read it; the exact value stays in the tooltip and the CSV.
    expect(page).toContain(`<td class="num" title="34.60363903890583">34.6</td>`);
    expect(page).not.toContain(">34.60363903890583<");
    expect(renderBundle(data).files.find((f) => f.name === "excursions.csv")!.body.toString()).toContain(",34.60363903890583,");
    const timeline = page.slice(page.indexOf('id="excursion-timeline"'), page.indexOf("</svg>", page.indexOf('id="excursion-timeline"')));
    // The whole label stays readable as the text's tooltip; what is drawn fits the 220 px label column, the metric kept.
    expect(timeline).toContain("<title>compressor-line-7-station-04 · temperature (plant-a/line-1)</title>compressor-lin… · temperature</text>");
    for (const [, drawn] of timeline.matchAll(/<\/title>([^<]*)<\/text>/g)) expect(drawn.length).toBeLessThanOrEqual(29);
  });

  it("names what each rule saw: a gap's span, a stuck value and how long, a value against its static or statistical limit", () => {
    const data = sampleReport();
    const excursions = data.results.find((r) => r.queryId === "excursions")!;
    excursions.rows = [
      ["plant-a", "line-1", "dev-t1", "temperature", "data_gap", "warning", "2026-11-10 09:00:00.000", "2026-11-10 13:00:00.000", "cleared", "14400", "22.0", null, "1"],
      ["plant-a", "line-1", "dev-p1", "pressure", "flatline", "warning", "2026-11-10 14:00:00.000", "2026-11-10 14:31:30.000", "cleared", "1890", "5.0", null, "30"],
      ["plant-a", "line-1", "dev-p1", "pressure", "static_limit", "critical", "2026-11-10 15:00:00.000", "2026-11-10 15:02:00.000", "cleared", "120", "-1.5", "0.0", "2"],
      ["plant-a", "line-2", "dev-v1", "vibration", "level_shift", "warning", "2026-11-10 16:00:00.000", "2026-11-10 16:20:00.000", "cleared", "1200", "4.045", "4.112", "40"],
    ];
    const page = renderHtml(data);
    expect(page).not.toMatch(/past limit \./);
    expect(page).toContain("<b>dev-t1 temperature (plant-a/line-1)</b> data gap: no readings for 4 h, from 09:00:00 to 13:00:00.");
    expect(page).toContain("<b>dev-p1 pressure (plant-a/line-1)</b> flatline: stuck at 5 for 31 min 30 s, from 14:00:00 to 14:31:30.");
    expect(page).toContain("<b>dev-p1 pressure (plant-a/line-1)</b> static limit: -1.5 below its lower static limit 0 (specification) for 2 min, from 15:00:00 to 15:02:00.");
    expect(page).toContain("<b>dev-v1 vibration (plant-a/line-2)</b> level shift (its recent mean shifted): peak 4.045 against its statistical band&#39;s edge 4.112 for 20 min, from 16:00:00 to 16:20:00.");
  });

  it("groups findings per sensor and rule, critical first and longest first, and caps each group with a link to the rest", () => {
    const data = sampleReport();
    const excursions = data.results.find((r) => r.queryId === "excursions")!;
    const episode = (device: string, rule: string, severity: string, startMin: number, seconds: number) => {
      const start = new Date(Date.parse("2026-11-10T06:00:00Z") + startMin * 60_000);
      const end = new Date(start.getTime() + seconds * 1000);
      const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");
      return ["plant-a", "line-1", device, "temperature", rule, severity, ts(start), ts(end), "cleared", String(seconds), "50.0", "40.0", "3"];
    };
    // 12 sensors with one short warning each, one sensor with three (60 min in all), two critical ones.
    excursions.rows = [
      ...Array.from({ length: 12 }, (_, i) => episode(`dev-${String(i).padStart(2, "0")}`, "deviation", "warning", i * 10, 120 + i)),
      episode("dev-long", "level_shift", "warning", 0, 1200),
      episode("dev-long", "level_shift", "warning", 30, 1200),
      episode("dev-long", "level_shift", "warning", 60, 1200),
      episode("dev-hot", "deviation", "critical", 200, 60),
      episode("dev-hotter", "rate_of_change", "critical", 300, 90),
    ];
    const page = renderHtml(data);
    const attention = page.slice(page.indexOf('<div class="attention">'), page.indexOf("</section>", page.indexOf('<div class="attention">')));
    const groups = [...attention.matchAll(/<h4>([^<]*)<span class="count">(\d+)<\/span> <span class="counted">(\w+)<\/span><\/h4>/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    expect(groups).toEqual(["Critical excursions 2 episodes", "Sensors silent all day 1 sensor", "Warning excursions 15 episodes", "Sensors incomplete 1 sensor"]);
    const warnings = attention.slice(attention.indexOf('id="attention-warning"'), attention.indexOf('id="attention-incomplete"'));
    const subjects = [...warnings.matchAll(/<li><b>(dev-[\w-]+)/g)].map((m) => m[1]);
    // Longest first, 8 lines: the sensor with three episodes leads, then the longest single episodes.
    expect(subjects).toEqual(["dev-long", "dev-11", "dev-10", "dev-09", "dev-08", "dev-07", "dev-06", "dev-05"]);
    expect(warnings).toContain("(longest of 3 episodes, 1 h in all).");
    expect(warnings).toContain('and 5 more lines like these: every one in <a href="#section-excursions">the table below</a> and in <a href="excursions.csv">excursions.csv</a>.');
    const critical = attention.slice(attention.indexOf('id="attention-critical"'), attention.indexOf('id="attention-silent"'));
    expect([...critical.matchAll(/<li><b>(dev-[\w-]+)/g)].map((m) => m[1])).toEqual(["dev-hotter", "dev-hot"]);
    expect(critical).not.toContain("more lines");
  });

  it("draws specification limits only where the stack sets them, with a line override beating the default", () => {
    const data = sampleReport();
    const chart = (page: string) => page.slice(page.indexOf('id="daily-range-chart"'), page.indexOf("</svg>", page.indexOf('id="daily-range-chart"')));
    const catalog = { enabled: true, defaults: { vibration: { low: 0, high: 200, severity: "critical" as const } }, overrides: [] };
    // The limits that applied (here a plausibility range) are not specification limits: only the two crossed ones are drawn.
    data.staticLimits = catalog;
    expect(chart(renderHtml(data)).match(/class="limit/g)).toHaveLength(2);
    data.specLimits = {
      enabled: true,
      defaults: { vibration: { low: -1000, high: 1000, severity: "critical" } },
      overrides: [{ site: "plant-a", line: "line-2", metric: "vibration", low: 1, high: 12, severity: "critical" }],
    };
    const ranges = chart(renderHtml(data));
    expect(ranges).toContain("<title>Lower limit 1 (specification)</title>");
    expect(ranges).toContain("<title>Upper limit 12 (specification)</title>");
    expect(ranges).not.toContain("limit 1000");
  });

  it("scales each metric to the day's readings: a far limit is an arrow at the edge, not a squashed bar", () => {
    const data = sampleReport();
    // dev-v1 reads 2 to 11 mm/s against a specified 0..400: drawn as the edge marker, and its bar spans most of the plot.
    data.specLimits = { enabled: true, defaults: { vibration: { low: -1, high: 400, severity: "critical" } }, overrides: [] };
    const page = renderHtml(data);
    const ranges = page.slice(page.indexOf('id="daily-range-chart"'), page.indexOf("</svg>", page.indexOf('id="daily-range-chart"')));
    const vibration = ranges.slice(ranges.indexOf(">vibration (mm/s)"));
    expect(vibration).toContain('<path class="limit-off"');
    expect(vibration).toContain("<title>Upper limit 400 (specification), off the scale</title>");
    // -1 lies within half the day's span (2 to 11) below the data: drawn as a line on the scale.
    expect(vibration).toContain("<title>Lower limit -1 (specification)</title></line>");
    const width = Number(/<rect class="range" x="[\d.]+" y="[\d.]+" width="([\d.]+)"/.exec(vibration)![1]);
    expect(width).toBeGreaterThan(250);
  });

  it("says what the dashed limit lines are", () => {
    const data = sampleReport();
    const caption = (page: string) => /<section id="charts-ranges">[\s\S]*?<p class="meta">([^<]*)<\/p>/.exec(page)![1];
    expect(caption(renderHtml(data))).toContain("else its specification limit (none given here; the shipped plausibility ranges, such as −60 to 400 °C, are not drawn)");
    data.specLimits = { enabled: true, defaults: { temperature: { low: 0, high: 100, severity: "critical" } }, overrides: [] };
    expect(caption(renderHtml(data))).toContain("else its specification limit (the stack's static limits");
  });

  it("fills the daily sensor log's limit columns with the limits that applied, keeping the crossed ones", () => {
    const data = sampleReport();
    data.staticLimits = {
      enabled: true,
      defaults: { pressure: { low: 0, high: 20, severity: "critical" }, temperature: { high: 100, severity: "critical" } },
      overrides: [{ site: "plant-a", line: "line-1", metric: "temperature", low: -20, severity: "critical" }],
    };
    const bundle = renderBundle(data);
    const csv = bundle.files.find((f) => f.name === "daily-sensor-log.csv")!.body.toString().trim().split("\r\n");
    const limits = (device: string) => csv.find((l) => l.includes(`,${device},`))!.split(",").slice(-2);
    expect(limits("dev-p1")).toEqual(["0.0", "10.0"]); // 10 was crossed that day: it stays; the lower one applied
    expect(limits("dev-t1")).toEqual(["-20.0", "80.0"]); // the line override's lower limit (no upper in it: the crossed 80 stays)
    expect(limits("dev-v1")).toEqual(["", ""]); // no limit for vibration
    expect(bundle.manifest.queries.find((q) => q.id === "daily-sensor-log")!.filled).toMatch(/^lower_limit, upper_limit: the limit crossed on the day/);
    expect(bundle.manifest.queries.find((q) => q.id === "excursions")!.filled).toBeUndefined();
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
      devices: 4, silentDevices: 1, openAlerts: 1,
    });
    expect(summaryText(summary, "s3://b/reports/2026-11-10/plant-a/")).toContain("Excursions: 3 (1 critical, 1 still open at midnight).");
    // dev-s1 was seen in the lookback but sent nothing on the day: not counted among the reporting devices.
    expect(summaryText(summary, "s3://b/reports/2026-11-10/plant-a/")).toContain("3 sensors reported 93 readings on 3 devices (1 more silent all day).");
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
    const dir = path.join(root, inFolder(bundle.prefix));
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
    const before = fs.readFileSync(path.join(root, inFolder(bundle.prefix), "daily-sensor-log.csv"));
    await expect(writeBundle(writer, renderBundle(changed))).rejects.toThrow(BundleConflictError);
    await expect(writeBundle(writer, renderBundle(changed))).rejects.toThrow(/already locked .* not overwritten/);
    expect(fs.readFileSync(path.join(root, inFolder(bundle.prefix), "daily-sensor-log.csv"))).toEqual(before);
  });

  it("completes a partial bundle with identical files, and refuses one with different files (no manifest)", async () => {
    const writer = new LocalBundleWriter(root);
    const dir = path.join(root, inFolder(bundle.prefix));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, bundle.files[0].name), bundle.files[0].body);
    expect((await writeBundle(writer, bundle)).status).toBe("written");

    const other = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-partial-"));
    const otherDir = path.join(other, inFolder(bundle.prefix));
    fs.mkdirSync(otherDir, { recursive: true });
    fs.writeFileSync(path.join(otherDir, "excursions.csv"), "tampered\r\n");
    await expect(writeBundle(new LocalBundleWriter(other), bundle)).rejects.toThrow(/excursions.csv already exists with different content/);
    expect(fs.existsSync(path.join(otherDir, "manifest.json"))).toBe(false);
    fs.rmSync(other, { recursive: true, force: true });
  });

  it("never marks a bundle complete when a file write fails", async () => {
    const local: BundleWriter = new LocalBundleWriter(root);
    const failing: BundleWriter = {
      where: (key) => local.where(key),
      read: (key) => local.read(key),
      createIfAbsent: async (key, body, type) => {
        if (key.endsWith("report.html")) throw new Error("disk full");
        return local.createIfAbsent(key, body, type);
      },
    };
    await expect(writeBundle(failing, bundle)).rejects.toThrow("disk full");
    expect(fs.existsSync(path.join(root, inFolder(bundle.prefix), "manifest.json"))).toBe(false);
  });

  it("keeps keys inside the output directory", async () => {
    await expect(new LocalBundleWriter(root).createIfAbsent("reports/../../escape.txt", Buffer.from("x"))).rejects.toThrow(/escapes the reports folder/);
    await expect(new LocalBundleWriter(root).createIfAbsent("elsewhere/x.txt", Buffer.from("x"))).rejects.toThrow(/not under reports\//);
  });

  it("lays keys out as the bucket's reports/ prefix: reports/<date>/<site>/x is <folder>/<date>/<site>/x", () => {
    expect(new LocalBundleWriter(root).pathOf("reports/2026-11-10/plant-a/report.html")).toBe(path.join(root, "2026-11-10", "plant-a", "report.html"));
  });
});
