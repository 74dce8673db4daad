import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { FaultLabel } from "../../simulator/faults";
import { checkDelivery, readAlertEpisodes, scoreDetections, type AlertEpisode } from "../../simulator/scoring";
import type { ExpectedCounts } from "../../simulator/simulate";

const T0 = Date.UTC(2026, 10, 2, 8);
const MIN = 60_000;

function fault(id: string, kind: FaultLabel["kind"], device: string, metric: FaultLabel["metric"], startMin: number, endMin: number, rules: string[] = ["deviation"]): FaultLabel {
  const start = T0 + startMin * MIN;
  const end = T0 + endMin * MIN;
  return {
    id, kind, site: "plant-a", line: "line-1", device_id: device, metric, start, end,
    start_iso: new Date(start).toISOString(), end_iso: new Date(end).toISOString(),
    expected_rules: rules, detail: "",
  };
}

function alert(device: string, metric: string | null, rule: string, atMin: number): AlertEpisode {
  return { device_id: device, site: "plant-a", line: "line-1", metric, rule, episode_start: T0 + atMin * MIN, severity: "warning" };
}

describe("scoreDetections", () => {
  const faults = [
    fault("f1", "spike", "d1", "vibration", 10, 10.1, ["deviation", "rate_of_change"]),
    fault("f2", "drift", "d2", "temperature", 20, 80, ["deviation", "level_shift"]),
    fault("f3", "dropout", "d3", null, 30, 50, ["data_gap"]),
    fault("f4", "stuck", "d4", "pressure", 40, 70, ["flatline"]),
    fault("f5", "late", "d5", null, 60, 63, []),
  ];

  test("matches by device, metric and time, with delays and the rules that fired", () => {
    const card = scoreDetections(faults, [
      alert("d1", "vibration", "deviation", 10),
      alert("d1", "vibration", "rate_of_change", 10.2),
      alert("d2", "temperature", "level_shift", 45),
      alert("d3", "pressure", "data_gap", 50.1),
      alert("d3", "current", "data_gap", 50.1),
    ]);
    expect(card.findings.map((f) => [f.fault.id, f.detected, f.delayMs, f.rules])).toEqual([
      ["f1", true, 0, ["deviation", "rate_of_change"]],
      ["f2", true, 25 * MIN, ["level_shift"]],
      // A dropout alert that opens only as the device resumes: detected, delay = the outage.
      ["f3", true, 20 * MIN + 6_000, ["data_gap"]],
      ["f4", false, null, []],
    ]);
    expect(card.findings.every((f) => !f.detected || f.expectedRuleFired)).toBe(true);
    expect(card).toMatchObject({ detected: 3, total: 4, recall: 0.75, falseAlerts: [], explained: [] });
    expect(card.medianDelayMs).toBe(20 * MIN + 6_000);
  });

  test("an alert on another metric, another device or long after is a false alert", () => {
    const wrongMetric = alert("d1", "pressure", "deviation", 10);
    const wrongDevice = alert("d9", "vibration", "deviation", 10);
    const muchLater = alert("d4", "pressure", "flatline", 70 + 16);
    const card = scoreDetections(faults, [wrongMetric, wrongDevice, muchLater]);
    expect(card.detected).toBe(0);
    expect(card.falseAlerts).toEqual([wrongMetric, wrongDevice, muchLater]);
  });

  test("an alert that only opens when a drift is repaired explains the repair but does not detect the drift", () => {
    const atRepair = alert("d2", "temperature", "rate_of_change", 80);
    const card = scoreDetections(faults, [atRepair]);
    expect(card.findings.find((f) => f.fault.id === "f2")!.detected).toBe(false);
    expect(card.explained).toEqual([{ alert: atRepair, fault: faults[1] }]);
    expect(card.falseAlerts).toEqual([]);
  });

  test("alerts during a delivery fault are explained, not false; an empty fault list has recall 1", () => {
    const gapWhileLate = alert("d5", "temperature", "data_gap", 61);
    const card = scoreDetections(faults, [gapWhileLate]);
    expect(card.explained).toEqual([{ alert: gapWhileLate, fault: faults[4] }]);
    expect(card.falseAlerts).toEqual([]);
    expect(scoreDetections([], [gapWhileLate])).toMatchObject({ recall: 1, total: 0, falseAlerts: [gapWhileLate] });
  });
});

describe("checkDelivery", () => {
  const expected: ExpectedCounts = {
    lines: 110, accepted_messages: 100, accepted_readings: 400, duplicates: 7, late_messages: 5, late_readings: 20,
    quarantined: 3, quarantined_by_reason: { unparseable: 2, schema: 1 },
  };

  test("passes when every figure matches and names each mismatch otherwise", () => {
    const good = {
      counts: { input: 110, accepted: 100, quarantined: 3, duplicates: 7, late: 5 },
      byReason: { unparseable: 2, schema: 1, non_finite: 0 },
      readings: { accepted: 400, late: 20 },
    };
    expect(checkDelivery(expected, good).every((c) => c.ok)).toBe(true);
    const bad = { ...good, counts: { ...good.counts, duplicates: 6, accepted: 101 }, byReason: { unparseable: 1, schema: 1, non_finite: 1 } };
    expect(checkDelivery(expected, bad).filter((c) => !c.ok).map((c) => c.what)).toEqual([
      "accepted messages", "duplicates dropped", "quarantined: non_finite", "quarantined: unparseable",
    ]);
  });
});

describe("readAlertEpisodes", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-scoring-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("a lake without alerts has raised none", async () => {
    expect(await readAlertEpisodes(dir)).toEqual([]);
    fs.mkdirSync(path.join(dir, "alerts"));
    expect(await readAlertEpisodes(dir)).toEqual([]);
  });

  test("reads the opening transitions from the alerts Parquet, in time order", async () => {
    const file = path.join(dir, "alerts", "dt=2026-11-02", "part-0.parquet");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    await connection.run(`COPY (SELECT * FROM (VALUES
        ('d2', 'plant-a', 'line-1', 'temperature', 'level_shift', 'open',    TIMESTAMP '2026-11-02 09:00:00', TIMESTAMP '2026-11-02 09:00:00', 'warning'),
        ('d2', 'plant-a', 'line-1', 'temperature', 'level_shift', 'cleared', TIMESTAMP '2026-11-02 09:05:00', TIMESTAMP '2026-11-02 09:00:00', 'warning'),
        ('d1', 'plant-a', 'line-1', 'vibration',   'deviation',   'open',    TIMESTAMP '2026-11-02 08:10:00', TIMESTAMP '2026-11-02 08:10:00', 'critical')
      ) AS t(device_id, site, line, metric, rule, state, event_ts, episode_start, severity)) TO '${file}' (FORMAT parquet)`);
    connection.closeSync();
    instance.closeSync();
    expect(await readAlertEpisodes(dir)).toEqual([
      alertAt("d1", "vibration", "deviation", Date.UTC(2026, 10, 2, 8, 10), "critical"),
      alertAt("d2", "temperature", "level_shift", Date.UTC(2026, 10, 2, 9, 0), "warning"),
    ]);
  });
});

function alertAt(device: string, metric: string, rule: string, start: number, severity: string): AlertEpisode {
  return { device_id: device, site: "plant-a", line: "line-1", metric, rule, episode_start: start, severity };
}
