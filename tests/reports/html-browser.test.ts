/**
 * The HTML report in a real browser (Debian chromium, headless, no network): it loads without a console error
 * or a blocked request, both SVG charts have drawn content, and the screenshot is not blank. On a busy day
 * (120 excursions, 64 sensors, long device ids) the page never scrolls sideways at 1,400 or 1,024 px, and the
 * timeline's hour axis stays in view while its rows scroll. IOTPIPE_SCREENSHOT_DIR=<dir> keeps the screenshots.
 * Chromium is a hard requirement here (.ci/run installs it): without it this test fails, it is never skipped.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chromium, Browser } from "playwright-core";
import { renderHtml } from "../../reports/html";
import { busyReport, sampleReport } from "./sample-report";

const CHROMIUM = "/usr/bin/chromium";

describe("HTML report in headless Chromium", () => {
  let browser: Browser;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });
  afterAll(async () => browser?.close());

  it("renders offline with no console errors, drawn charts and a non-blank screenshot", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-html-"));
    const file = path.join(dir, "report.html");
    fs.writeFileSync(file, renderHtml(sampleReport()));
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));

    await page.goto(`file://${file}`, { waitUntil: "load" });
    expect(await page.title()).toBe("Compliance report 2026-11-10 (site plant-a)");

    const charts = await page.$$eval("svg.chart", (svgs) =>
      svgs.map((svg) => {
        const box = (svg as unknown as { getBBox(): { width: number; height: number } }).getBBox();
        return { id: svg.id, shapes: svg.querySelectorAll("rect, line, path").length, width: box.width, height: box.height };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual(["daily-range-chart", "excursion-timeline"]);
    for (const chart of charts) {
      expect(chart.shapes).toBeGreaterThan(5);
      expect(chart.width).toBeGreaterThan(100);
      expect(chart.height).toBeGreaterThan(50);
    }

    const screenshot = await page.screenshot({ fullPage: false });
    // Pixel statistics computed by the browser itself from the PNG (no image library needed).
    const analysis = await browser.newPage();
    const stats = await analysis.evaluate(async (png) => {
      // Runs in the page: the DOM globals exist there (the test's TypeScript config has no DOM types).
      const dom = globalThis as any;
      const img = new dom.Image();
      img.src = `data:image/png;base64,${png}`;
      await img.decode();
      const canvas = dom.document.createElement("canvas");
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext("2d");
      ctx.drawImage(img, 0, 0);
      const { data } = ctx.getImageData(0, 0, img.width, img.height);
      let sum = 0;
      let sumSq = 0;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        const grey = (data[i] + data[i + 1] + data[i + 2]) / 3;
        sum += grey;
        sumSq += grey * grey;
        if (i % 64 === 0) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      }
      const n = data.length / 4;
      return { variance: sumSq / n - (sum / n) ** 2, colours: colours.size, width: img.width };
    }, screenshot.toString("base64"));
    expect(stats.width).toBe(1200);
    expect(stats.variance).toBeGreaterThan(100);
    expect(stats.colours).toBeGreaterThan(20);

    expect(problems).toEqual([]);
    expect(requests.filter((u) => !u.startsWith("file://"))).toEqual([]);
    await page.close();
    await analysis.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe.each([1400, 1024])("a busy day at %i px", (width) => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-busy-"));
      fs.writeFileSync(path.join(dir, "report.html"), renderHtml(busyReport()));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("never scrolls sideways: wide tables scroll in their own box, charts fit the column", async () => {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto(`file://${path.join(dir, "report.html")}`, { waitUntil: "load" });
      const layout = await page.evaluate(() => {
        const doc = (globalThis as any).document;
        const boxes = [...doc.querySelectorAll("body > *, section > *, svg.chart")].map((e: any) => e.getBoundingClientRect().right);
        return { scrollWidth: doc.documentElement.scrollWidth, clientWidth: doc.documentElement.clientWidth, right: Math.max(...boxes) };
      });
      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
      expect(layout.right).toBeLessThanOrEqual(layout.clientWidth);
      // The attention list is grouped and capped, not one bullet per episode.
      expect(await page.$$eval(".attention li", (items) => items.length)).toBeLessThanOrEqual(4 * 8);
      if (process.env.IOTPIPE_SCREENSHOT_DIR) await page.screenshot({ path: path.join(process.env.IOTPIPE_SCREENSHOT_DIR, `busy-${width}.png`), fullPage: true });
      await page.close();
    });

    it("keeps the timeline's hour axis in view while its rows scroll", async () => {
      const page = await browser.newPage({ viewport: { width, height: 700 } });
      await page.goto(`file://${path.join(dir, "report.html")}`, { waitUntil: "load" });
      const timeline = (await page.$("#excursion-timeline"))!;
      const box = (await timeline.boundingBox())!;
      expect(box.height).toBeGreaterThan(1000); // taller than the 700 px window: the rows do scroll
      await page.evaluate((y) => (globalThis as any).window.scrollTo(0, y), box.y + box.height / 2);
      const axis = (await (await page.$(".timeline-axis"))!.boundingBox())!;
      expect(Math.abs(axis.y)).toBeLessThan(1);
      expect(await page.$eval(".timeline-axis", (e) => e.textContent)).toContain("12:00");
      if (process.env.IOTPIPE_SCREENSHOT_DIR) await page.screenshot({ path: path.join(process.env.IOTPIPE_SCREENSHOT_DIR, `timeline-scrolled-${width}.png`) });
      await page.close();
    });
  });
});
