/**
 * Amending a locked report: a new complete bundle under `amendments/<n>/` that names the version it supersedes
 * (manifest path and SHA-256, when it was generated) and the reason; the locked report is never touched; the
 * same amendment twice writes nothing; amendments chain; there is nothing to amend before a report exists.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { validateAmendReason, writeReport } from "../../reports/amendment";
import { BundleConflictError, LocalBundleWriter } from "../../reports/bundle-writer";
import { ReportData } from "../../reports/model";
import { sampleReport } from "./sample-report";

const sha256 = (b: Buffer) => crypto.createHash("sha256").update(b).digest("hex");
const PREFIX = "reports/2026-11-10/plant-a/";

/** The sample day with one more reading on the first sensor: what a late message changes. */
function withLateReading(extra = 1): ReportData {
  const data = sampleReport();
  const log = data.results.find((r) => r.queryId === "daily-sensor-log")!;
  log.rows[0][5] = String(48 + extra);
  return data;
}

describe("amending a locked report", () => {
  let root: string;
  let writer: LocalBundleWriter;
  const read = (key: string) => fs.readFileSync(writer.pathOf(key));
  const snapshot = () =>
    Object.fromEntries(fs.readdirSync(writer.pathOf(PREFIX)).filter((n) => n !== "amendments").map((n) => [n, read(`${PREFIX}${n}`).toString("base64")]));

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "amend-"));
    writer = new LocalBundleWriter(root);
    expect((await writeReport(writer, sampleReport(), new Date("2026-11-11T01:00:00Z"))).status).toBe("written");
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("without --amend a changed lake is refused, and the message says how to amend", async () => {
    const run = writeReport(writer, withLateReading(), new Date("2026-11-12T09:00:00Z"));
    await expect(run).rejects.toThrow(BundleConflictError);
    await expect(run).rejects.toThrow(/as an amendment that references the locked report \(`iotpipe report --amend "<reason>"`, or the report job's event field "amend"\)/);
  });

  it("writes a complete bundle beside the locked report that references it, and leaves the locked report as it was", async () => {
    const locked = snapshot();
    const lockedManifest = read(`${PREFIX}manifest.json`);
    const result = await writeReport(writer, withLateReading(), new Date("2026-11-12T09:00:00Z"), "  late data from dev-p1 after the gateway outage ");
    expect(result.status).toBe("amended");
    expect(result.prefix).toBe(`${PREFIX}amendments/1/`);
    expect(result.manifestKey).toBe(`${PREFIX}amendments/1/manifest.json`);
    expect(snapshot()).toEqual(locked);

    const manifest = JSON.parse(read(result.manifestKey).toString());
    expect(manifest.generatedAt).toBe("2026-11-12T09:00:00.000Z");
    expect(manifest.amendment).toEqual({
      number: 1,
      reason: "late data from dev-p1 after the gateway outage",
      amends: {
        manifest: "../../manifest.json",
        manifestSha256: sha256(lockedManifest),
        contentSha256: JSON.parse(lockedManifest.toString()).contentSha256,
        generatedAt: "2026-11-11T01:00:00.000Z",
      },
      reportSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // Every file of the amendment is there and matches its manifest; the CSV carries the new figure.
    for (const f of manifest.files) expect(sha256(read(`${result.prefix}${f.name}`))).toBe(f.sha256);
    expect(read(`${result.prefix}daily-sensor-log.csv`).toString()).toContain("dev-p1,pressure,bar,49,");
    const html = read(`${result.prefix}report.html`).toString();
    expect(html).toContain("<title>Compliance report 2026-11-10 (site plant-a), amendment 1</title>");
    expect(html).toContain(`<b>Amendment 1</b> of this report. It supersedes the version locked at <code>../../manifest.json</code> (generated 2026-11-11T01:00:00.000Z, manifest SHA-256 <code>${sha256(lockedManifest)}</code>), which stays as it was. Reason: late data from dev-p1 after the gateway outage`);
  });

  it("the same amendment again writes nothing; a further change is amendment 2, referencing amendment 1", async () => {
    const first = await writeReport(writer, withLateReading(), new Date("2026-11-12T09:00:00Z"), "late data");
    const again = await writeReport(writer, withLateReading(), new Date("2026-11-13T09:00:00Z"), "late data, again");
    expect(again).toMatchObject({ status: "unchanged", manifestKey: first.manifestKey, keys: [] });
    expect(fs.readdirSync(path.join(writer.pathOf(PREFIX), "amendments"))).toEqual(["1"]);

    const second = await writeReport(writer, withLateReading(2), new Date("2026-11-14T09:00:00Z"), "a second late batch");
    expect(second.status).toBe("amended");
    expect(second.manifestKey).toBe(`${PREFIX}amendments/2/manifest.json`);
    expect(second.amendment!.amends).toMatchObject({ manifest: "../1/manifest.json", manifestSha256: sha256(read(first.manifestKey)), generatedAt: "2026-11-12T09:00:00.000Z" });
  });

  it("amending with what the locked report already says writes nothing", async () => {
    const result = await writeReport(writer, sampleReport(), new Date("2026-11-12T09:00:00Z"), "checking");
    expect(result).toMatchObject({ status: "unchanged", manifestKey: `${PREFIX}manifest.json` });
    expect(fs.existsSync(path.join(writer.pathOf(PREFIX), "amendments"))).toBe(false);
  });

  it("there is nothing to amend before the report exists, and a reason is required", async () => {
    const other = { ...sampleReport(), date: "2026-11-09" };
    await expect(writeReport(writer, other, new Date(), "late data")).rejects.toThrow(/there is no report for 2026-11-09 \(plant-a\) at .* to amend; write the report first/);
    expect(fs.existsSync(path.join(root, "2026-11-09"))).toBe(false);
    await expect(writeReport(writer, withLateReading(), new Date(), "   ")).rejects.toThrow(/an amendment needs a reason/);
    expect(() => validateAmendReason("two\nlines")).toThrow(/one line of printable text/);
    expect(() => validateAmendReason("x".repeat(1001))).toThrow(/1001 characters; keep it to 1000/);
    expect(() => validateAmendReason(42)).toThrow(/must be text/);
  });
});
