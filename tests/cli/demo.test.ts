/**
 * The demo's promise, checked on a small seeded factory through the very pipeline `npm run demo` runs:
 * simulate → replay (validation, de-duplication, analytics, Parquet lake) → alerts read back from the lake →
 * scored against the simulator's labels. (The MQTT burst is left out: aedes cannot load under jest's
 * CommonJS runtime; tests/cli/broker.test.ts covers the broker in its own process.)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderDemo } from "../../cli/commands/demo";
import { runDemo, type DemoResult } from "../../cli/demo";

const HOURS = 3;
const DEVICES = 4;

let dir: string;
let result: DemoResult;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-demo-"));
  result = await runDemo({
    dir,
    mqtt: false,
    report: true,
    config: {
      seed: 4,
      start: Date.UTC(2026, 10, 2, 6),
      hours: HOURS,
      shape: { sites: 1, linesPerSite: 1, devicesPerLine: DEVICES },
      cadenceSeconds: 5,
      // Four times the default mix so that three hours of four devices carry every fault kind.
      faultRate: 4,
    },
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("demo: detections against the simulator's labels", () => {
  test("every signal fault kind was injected", () => {
    const kinds = new Set(result.scorecard.findings.map((f) => f.fault.kind));
    expect([...kinds].sort()).toEqual(["drift", "dropout", "spike", "stuck"]);
  });

  test("recall of injected faults and false alerts stay within what the shipped analytics achieve", () => {
    const { scorecard } = result;
    // Measured with the analytics in this repository (level_shift included) on seeds 1-4 of this factory:
    // recall 5/5 on each, with 4-11 false alerts over 12 device-hours, all level_shift on the simulated load
    // and calibration wander. The bounds leave room for seed-to-seed variation and fail on a real regression
    // (a rule that stops firing, or one that alerts on normal operation every hour).
    expect(scorecard.recall).toBeGreaterThanOrEqual(0.8);
    expect(scorecard.falseAlerts.length).toBeLessThanOrEqual(1.5 * DEVICES * HOURS);
    for (const finding of scorecard.findings.filter((f) => f.detected)) {
      // A detection opens while the fault lasts (a dropout: when the device speaks again).
      expect(finding.delayMs!).toBeLessThanOrEqual(finding.fault.end - finding.fault.start + 5 * 60_000);
    }
  });

  test("every delivery fault is accounted for exactly: duplicates, late and malformed messages", () => {
    for (const check of result.delivery) expect({ what: check.what, counted: check.actual }).toEqual({ what: check.what, counted: check.expected });
    const { counts } = result.replay;
    expect(counts.input).toBe(counts.accepted + counts.quarantined + counts.duplicates);
    expect(counts.duplicates).toBeGreaterThan(0);
    expect(counts.late).toBeGreaterThan(0);
    expect(counts.quarantined).toBeGreaterThan(0);
  });

  test("the printed summary shows the faults, the conservation line, the lake, the report and what to run next", () => {
    const text = renderDemo(result).join("\n");
    for (const finding of result.scorecard.findings) expect(text).toMatch(new RegExp(`^  ${finding.fault.id}\\s+${finding.fault.kind}\\s+${finding.fault.device_id}`, "m"));
    expect(text).toMatch(/recall \d+\/\d+ = \d+ %/);
    expect(text).toContain(result.replay.conservation);
    expect(text).toMatch(/Lake: .*lake\//);
    expect(text).toMatch(/Compliance report for 2026-11-02, all sites: .*report\.html/);
    expect(text).toMatch(/^Next:\n  open .*report\.html/m);
    expect(fs.existsSync(result.report!.htmlPath)).toBe(true);
    expect(fs.readdirSync(path.join(result.lakeDir, "alerts")).some((d) => d.startsWith("dt="))).toBe(true);
  });
});
