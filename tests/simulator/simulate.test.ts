import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deviceMessageSchema, parseDeviceTopic, type DeviceMessage } from "../../contract/telemetry";
import { createSimulation, LATE_DELAY_MS, writeSimulation, type SimulationConfig } from "../../simulator/simulate";
import { classify } from "../../contract/validation";
import { MALFORMED_KINDS } from "../../simulator/faults";

/** A replay line read back: flat lines carry the message inline, envelopes carry the published text. */
interface SpoolLine {
  topic: string;
  ingest_ts: number;
  payload: DeviceMessage | string;
}

function parseLine(text: string): SpoolLine {
  const { topic, ingest_ts, payload, ...message } = JSON.parse(text);
  return { topic, ingest_ts, payload: payload ?? (message as DeviceMessage) };
}
import type { FaultLabel } from "../../simulator/faults";

/** Small enough to run in well under a second; the fault rate is raised so every kind appears. */
const SMALL: SimulationConfig = {
  seed: 7,
  start: Date.UTC(2026, 10, 2, 6),
  hours: 3,
  shape: { sites: 1, linesPerSite: 2, devicesPerLine: 3 },
  cadenceSeconds: 10,
  faultRate: 3,
};

function run(config: SimulationConfig) {
  const sim = createSimulation(config);
  const text = [...sim.lines()];
  return { truth: sim.truth, text, lines: text.map(parseLine) };
}

const small = run(SMALL);

function deviceLines(deviceId: string): SpoolLine[] {
  return small.lines.filter((l) => parseDeviceTopic(l.topic)?.deviceId === deviceId);
}

function tsOf(line: SpoolLine): number | null {
  return typeof line.payload === "string" ? null : line.payload.ts;
}

function faultsOf(kind: FaultLabel["kind"]): FaultLabel[] {
  return small.truth.faults.filter((f) => f.kind === kind);
}

describe("simulator determinism", () => {
  test("the same seed writes identical lines and labels", () => {
    const again = run(SMALL);
    expect(again.text).toEqual(small.text);
    expect(again.truth).toEqual(small.truth);
  });

  test("another seed writes different lines and different faults", () => {
    const other = run({ ...SMALL, seed: 8 });
    expect(other.text).not.toEqual(small.text);
    expect(other.truth.faults.map((f) => [f.device_id, f.start])).not.toEqual(small.truth.faults.map((f) => [f.device_id, f.start]));
  });

  test("writeSimulation writes the same bytes as the generator, plus the labels file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-sim-"));
    try {
      const out = writeSimulation(SMALL, dir);
      expect(fs.readFileSync(out.messagesPath, "utf8")).toBe(small.text.join("\n") + "\n");
      expect(JSON.parse(fs.readFileSync(out.labelsPath, "utf8"))).toEqual(JSON.parse(JSON.stringify(small.truth)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bad configuration is refused with the offending value", () => {
    expect(() => createSimulation({ ...SMALL, hours: 0 })).toThrow(/hours must be in \(0, 744\], got 0/);
    expect(() => createSimulation({ ...SMALL, cadenceSeconds: 0.5 })).toThrow(/cadence/);
    expect(() => createSimulation({ ...SMALL, shape: { ...SMALL.shape, sites: 0 } })).toThrow(/sites must be a positive integer/);
  });
});

describe("simulated stream", () => {
  test("lines are in arrival order and exactly the malformed ones break the contract", () => {
    const outOfOrder = small.lines.filter((l, i) => i > 0 && l.ingest_ts < small.lines[i - 1].ingest_ts);
    expect(outOfOrder).toEqual([]);
    expect(small.lines.filter((l) => parseDeviceTopic(l.topic) === null)).toEqual([]);
    const broken = small.lines.filter(
      (l) => typeof l.payload === "string" || !deviceMessageSchema.safeParse(l.payload).success || l.payload.ts < SMALL.start - 60_000,
    );
    expect(broken.length).toBe(small.truth.expected.quarantined);
  });

  test("the contract's validator gives every line the outcome and reason the labels expect", () => {
    const reasons: Record<string, number> = {};
    let accepted = 0;
    for (const line of small.text) {
      const verdict = classify({ format: "jsonl", line }, { mode: "replay", ingestTs: SMALL.start });
      if (verdict.outcome === "accepted") accepted++;
      else reasons[verdict.reason] = (reasons[verdict.reason] ?? 0) + 1;
    }
    // The validator does not de-duplicate (the engine does), so re-sent copies are accepted here.
    expect(accepted).toBe(small.truth.expected.accepted_messages + small.truth.expected.duplicates);
    expect(reasons).toEqual(small.truth.expected.quarantined_by_reason);
    for (const f of faultsOf("malformed")) expect(f.expected_reason).toBe(MALFORMED_KINDS[f.malformed_kind!]);
  });

  test("the expected counts match the lines actually written", () => {
    const e = small.truth.expected;
    expect(small.lines.length).toBe(e.lines);
    const seen = new Set<string>();
    let duplicates = 0;
    let late = 0;
    for (const line of small.lines) {
      if (typeof line.payload === "string") continue;
      const key = `${line.topic}#${line.payload.msg_id}`;
      if (seen.has(key)) duplicates++;
      else if (line.payload.ts >= SMALL.start && line.ingest_ts - line.payload.ts >= LATE_DELAY_MS) late++;
      seen.add(key);
    }
    expect(duplicates).toBe(e.duplicates);
    expect(late).toBe(e.late_messages);
    expect(e.accepted_messages + e.duplicates + e.quarantined).toBe(e.lines);
    expect(e.accepted_readings).toBe(4 * e.accepted_messages);
  });

  test("every fault kind is injected when the rate asks for it", () => {
    const kinds = new Set(small.truth.faults.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(["drift", "dropout", "duplicate", "late", "malformed", "spike", "stuck"]);
    const malformedKinds = new Set(faultsOf("malformed").map((f) => f.malformed_kind));
    expect([...malformedKinds].sort()).toEqual(Object.keys(MALFORMED_KINDS).sort());
  });

  test("faults never overlap on one device and fall after the warm-up", () => {
    const byDevice = new Map<string, FaultLabel[]>();
    for (const f of small.truth.faults) byDevice.set(f.device_id, [...(byDevice.get(f.device_id) ?? []), f]);
    for (const list of byDevice.values()) {
      list.sort((a, b) => a.start - b.start);
      for (let i = 1; i < list.length; i++) expect(list[i].start).toBeGreaterThanOrEqual(list[i - 1].end);
    }
    for (const f of small.truth.faults) expect(f.start).toBeGreaterThanOrEqual(SMALL.start + 30 * 60_000);
  });
});

describe("each labelled fault is really in the data", () => {
  const valueAt = (msg: DeviceMessage, metric: string) => msg.readings.find((r) => r.metric === metric)!.value;
  const onTime = (deviceId: string) =>
    deviceLines(deviceId).filter((l): l is SpoolLine & { payload: DeviceMessage } => typeof l.payload !== "string" && deviceMessageSchema.safeParse(l.payload).success);

  test("spikes stand far above the device's own recent values", () => {
    for (const f of faultsOf("spike")) {
      const msgs = onTime(f.device_id).map((l) => l.payload);
      const inside = msgs.filter((m) => m.ts >= f.start && m.ts < f.end).map((m) => valueAt(m, f.metric!));
      const before = msgs.filter((m) => m.ts >= f.start - 10 * 60_000 && m.ts < f.start).map((m) => valueAt(m, f.metric!));
      expect(inside.length).toBeGreaterThan(0);
      const max = Math.max(...before);
      const spread = max - Math.min(...before);
      for (const v of inside) expect(v - max).toBeGreaterThan(2 * spread);
    }
  });

  test("drifts end well above where they started", () => {
    for (const f of faultsOf("drift")) {
      const msgs = onTime(f.device_id).map((l) => l.payload);
      const mean = (from: number, to: number) => {
        const v = msgs.filter((m) => m.ts >= from && m.ts < to).map((m) => valueAt(m, f.metric!));
        return v.reduce((a, b) => a + b, 0) / v.length;
      };
      const start = mean(f.start - 5 * 60_000, f.start);
      const end = mean(f.end - 5 * 60_000, f.end);
      expect(end - start).toBeGreaterThan(0.2 * Math.abs(start));
    }
  });

  test("stuck sensors repeat one exact value for the whole span", () => {
    for (const f of faultsOf("stuck")) {
      const values = onTime(f.device_id).map((l) => l.payload).filter((m) => m.ts >= f.start && m.ts < f.end).map((m) => valueAt(m, f.metric!));
      expect(values.length).toBe(Math.round((f.end - f.start) / (SMALL.cadenceSeconds * 1000)));
      expect(new Set(values).size).toBe(1);
    }
  });

  test("dropouts are silences: no message from the device inside the span", () => {
    for (const f of faultsOf("dropout")) {
      const inside = deviceLines(f.device_id).filter((l) => {
        const ts = tsOf(l);
        return ts !== null && ts >= f.start && ts < f.end;
      });
      expect(inside).toEqual([]);
      expect(deviceLines(f.device_id).some((l) => (tsOf(l) ?? 0) >= f.end)).toBe(true);
    }
  });

  test("duplicates are byte-identical re-sends that arrive after their originals", () => {
    for (const f of faultsOf("duplicate")) {
      const lines = deviceLines(f.device_id).filter((l) => typeof l.payload !== "string" && l.payload.ts >= f.start && l.payload.ts < f.end);
      expect(lines.length).toBe(2 * f.messages!);
      const first = new Map<string, SpoolLine>();
      for (const l of lines) {
        const msg = l.payload as DeviceMessage;
        const original = first.get(msg.msg_id!);
        if (!original) first.set(msg.msg_id!, l);
        else {
          expect(JSON.stringify(l.payload)).toBe(JSON.stringify(original.payload));
          expect(l.ingest_ts).toBeGreaterThan(original.ingest_ts);
        }
      }
      expect(first.size).toBe(f.messages);
    }
  });

  test("late messages arrive an hour after their event time, behind newer messages", () => {
    for (const f of faultsOf("late")) {
      const lines = deviceLines(f.device_id).filter((l) => typeof l.payload !== "string" && l.payload.ts >= f.start && l.payload.ts < f.end);
      expect(lines.length).toBe(f.messages);
      for (const l of lines) expect(l.ingest_ts - (l.payload as DeviceMessage).ts).toBeGreaterThanOrEqual(LATE_DELAY_MS);
      const firstLate = small.lines.indexOf(lines[0]);
      const newer = small.lines.slice(0, firstLate).filter((l) => typeof l.payload !== "string" && l.payload.ts > f.end);
      expect(newer.length).toBeGreaterThan(0);
    }
  });

  test("malformed messages are malformed the way their label says", () => {
    for (const f of faultsOf("malformed")) {
      const line = deviceLines(f.device_id).find((l) => Math.abs(l.ingest_ts - f.start) < 2_000 && (typeof l.payload === "string" || !deviceMessageSchema.safeParse(l.payload).success || l.payload.ts < SMALL.start));
      expect(line).toBeDefined();
      const payload = line!.payload;
      switch (f.malformed_kind) {
        case "truncated_json":
          expect(typeof payload).toBe("string");
          expect(() => JSON.parse(payload as string)).toThrow();
          break;
        case "nan_text":
          expect(payload as string).toMatch(/"value":NaN/);
          expect(() => JSON.parse(payload as string)).toThrow();
          break;
        case "overflow_value":
          expect(JSON.parse(payload as string).readings[0].value).toBe(Infinity);
          break;
        case "string_number":
          expect(typeof (payload as DeviceMessage).readings[0].value).toBe("string");
          expect(deviceMessageSchema.safeParse(payload).success).toBe(false);
          break;
        case "clock_1970":
          expect((payload as DeviceMessage).ts).toBeLessThan(24 * 3_600_000);
          break;
        default:
          throw new Error(`unexpected malformed kind ${f.malformed_kind}`);
      }
    }
  });
});

describe("signal realism", () => {
  test("current and temperature move together with the line load (thermal lag included)", () => {
    const day = run({ ...SMALL, hours: 24, cadenceSeconds: 60, faultRate: 0, shape: { sites: 1, linesPerSite: 1, devicesPerLine: 1 } });
    const msgs = day.lines.map((l) => l.payload as DeviceMessage);
    const series = (metric: string) => msgs.map((m) => m.readings.find((r) => r.metric === metric)!.value);
    const corr = (a: number[], b: number[]) => {
      const ma = a.reduce((x, y) => x + y) / a.length;
      const mb = b.reduce((x, y) => x + y) / b.length;
      let num = 0, da = 0, db = 0;
      for (let i = 0; i < a.length; i++) {
        num += (a[i] - ma) * (b[i] - mb);
        da += (a[i] - ma) ** 2;
        db += (b[i] - mb) ** 2;
      }
      return num / Math.sqrt(da * db);
    };
    expect(corr(series("current"), series("temperature"))).toBeGreaterThan(0.5);
    expect(day.truth.faults).toEqual([]);
    expect(day.truth.expected.duplicates + day.truth.expected.quarantined).toBe(0);
  });
});
