/**
 * The simulation run: ticks every device of the factory, injects the planned faults, and emits the lines a
 * gateway's spool would hold, in arrival order (so late messages really arrive late and re-sent duplicates
 * really come after their originals). Streams: memory stays flat however long the run.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { envelopeLine, flatLine } from "../contract/replay-line";
import { deviceTopic, METRIC_NAMES, type DeviceMessage } from "../contract/telemetry";
import { buildFactory, DeviceSignal, LineLoad, quantize, unitOf, type DeviceSpec, type FactoryShape, type MetricValues } from "./factory";
import { EXPECTED_RULES, MALFORMED_KINDS, planFaults, type FaultLabel, type PlannedFault, type SignalFaultKind } from "./faults";
import { Rng } from "./prng";

/** Everything that decides the output: same config, same bytes. */
export interface SimulationConfig {
  seed: number;
  /** Start of the run, epoch ms (UTC). Fixed by default so that a seed alone reproduces a run. */
  start: number;
  hours: number;
  shape: FactoryShape;
  cadenceSeconds: number;
  /** Multiplier on the default fault mix; 0 for a clean run. */
  faultRate: number;
}

/** A small factory for a few hours of a Monday: the demo's default. */
export const DEFAULT_SIMULATION: SimulationConfig = {
  seed: 42,
  start: Date.UTC(2026, 10, 2, 6, 0, 0),
  hours: 6,
  shape: { sites: 2, linesPerSite: 2, devicesPerLine: 4 },
  cadenceSeconds: 5,
  faultRate: 1,
};

/** What the ingest path must report for this input if it loses and double-counts nothing. */
export interface ExpectedCounts {
  /** Lines in the messages file (every line is one record that enters the pipeline). */
  lines: number;
  /** Lines that are well-formed, first deliveries: accepted. */
  accepted_messages: number;
  accepted_readings: number;
  /** Re-sent copies of messages already delivered. */
  duplicates: number;
  /** Accepted messages delivered an hour late (beyond any allowed lateness). */
  late_messages: number;
  late_readings: number;
  quarantined: number;
  quarantined_by_reason: Record<string, number>;
}

/** The ground-truth file written next to the messages. */
export interface GroundTruth {
  generator: "iotpipe-simulator";
  format_version: 1;
  config: SimulationConfig;
  start_iso: string;
  end_iso: string;
  devices: DeviceSpec[];
  faults: FaultLabel[];
  expected: ExpectedCounts;
}

export const MESSAGES_FILE = "messages.jsonl";
export const LABELS_FILE = "labels.json";

const HOUR_MS = 3_600_000;
/** How late "late" messages arrive: an hour, far beyond any allowed lateness. */
export const LATE_DELAY_MS = HOUR_MS;
/** Device clocks tick on their own phase and jitter by up to this much (ms). */
const CLOCK_JITTER_MS = 40;

/** Checks a config and says which value is wrong and what is allowed. */
export function validateConfig(config: SimulationConfig): void {
  const problems: string[] = [];
  if (!Number.isInteger(config.seed)) problems.push(`seed must be an integer, got ${config.seed}`);
  if (!(config.hours > 0 && config.hours <= 24 * 31)) problems.push(`hours must be in (0, 744], got ${config.hours}`);
  if (!(Number.isInteger(config.cadenceSeconds) && config.cadenceSeconds >= 1 && config.cadenceSeconds <= 3600)) {
    problems.push(`cadence must be a whole number of seconds in [1, 3600], got ${config.cadenceSeconds}`);
  }
  if (!(config.faultRate >= 0)) problems.push(`fault rate must be >= 0, got ${config.faultRate}`);
  if (!Number.isFinite(config.start)) problems.push(`start must be an epoch ms, got ${config.start}`);
  if (problems.length > 0) throw new Error(`invalid simulation: ${problems.join("; ")}`);
}

interface Pending {
  ingestTs: number;
  order: number;
  text: string;
}

/** Min-heap on (ingest time, emission order): arrival order, stable for equal times. */
class ArrivalQueue {
  private readonly items: Pending[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: Pending): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  peek(): Pending | undefined {
    return this.items[0];
  }

  pop(): Pending | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Pending, b: Pending): boolean {
  return a.ingestTs < b.ingestTs || (a.ingestTs === b.ingestTs && a.order < b.order);
}

/** Per-device state the generator carries from tick to tick. */
interface DeviceRun {
  spec: DeviceSpec;
  topic: string;
  signal: DeviceSignal;
  noise: Rng;
  /** Offset of this device's ticks inside the cadence (ms): devices do not all report on the same ms. */
  phaseMs: number;
  seq: number;
  faults: PlannedFault[];
  /** Values frozen by a stuck sensor, by fault id. */
  frozen: Map<string, number>;
  /** The last messages sent, for re-sending after a reconnect. */
  recent: Array<{ payload: DeviceMessage }>;
}

/** A run in progress: the planned faults with their labels, and a generator of spool lines. */
export interface Simulation {
  truth: GroundTruth;
  totalTicks: number;
  /** Yields spool lines (without newline) in arrival order; calls onTick after every tick. */
  lines(onTick?: (tick: number) => void): Generator<string>;
}

/** Prepares a run: builds the factory, plans the faults, and returns the line generator and the labels. */
export function createSimulation(config: SimulationConfig): Simulation {
  validateConfig(config);
  const devices = buildFactory(config.shape);
  const cadenceMs = config.cadenceSeconds * 1000;
  const totalTicks = Math.floor((config.hours * HOUR_MS) / cadenceMs);
  const plan = planFaults({
    devices,
    totalTicks,
    cadenceSeconds: config.cadenceSeconds,
    faultRate: config.faultRate,
    rng: Rng.derive(config.seed, "faults"),
  });

  const runs: DeviceRun[] = devices.map((spec) => {
    const rng = Rng.derive(config.seed, `device:${spec.deviceId}`);
    return {
      spec,
      topic: deviceTopic(spec.site, spec.line, spec.deviceId),
      signal: new DeviceSignal(spec, rng),
      noise: Rng.derive(config.seed, `delivery:${spec.deviceId}`),
      phaseMs: Math.floor(rng.next() * Math.min(cadenceMs, 5000)),
      seq: 0,
      faults: plan.filter((f) => f.device.deviceId === spec.deviceId),
      frozen: new Map(),
      recent: [],
    };
  });
  const loads = new Map<string, LineLoad>();
  for (const d of devices) {
    const key = `${d.site}/${d.line}`;
    if (!loads.has(key)) loads.set(key, new LineLoad(Rng.derive(config.seed, `line:${key}`)));
  }

  const tickTime = (run: DeviceRun, tick: number) => config.start + tick * cadenceMs + run.phaseMs;
  const labels = plan.map((f) => labelFor(f, tickTime(runs.find((r) => r.spec === f.device)!, f.firstTick), cadenceMs));
  const expected = expectedCounts(plan, devices.length, totalTicks);
  const truth: GroundTruth = {
    generator: "iotpipe-simulator",
    format_version: 1,
    config,
    start_iso: new Date(config.start).toISOString(),
    end_iso: new Date(config.start + totalTicks * cadenceMs).toISOString(),
    devices,
    faults: labels,
    expected,
  };

  function* lines(onTick?: (tick: number) => void): Generator<string> {
    const queue = new ArrivalQueue();
    let order = 0;
    // Well-formed messages travel as flat lines (what the IoT rule writes); text that is not a JSON object
    // travels as an envelope holding the bytes exactly as published.
    const enqueue = (run: DeviceRun, payload: DeviceMessage | string, ingestTs: number) =>
      queue.push({
        ingestTs,
        order: order++,
        text: typeof payload === "string"
          ? envelopeLine(run.topic, payload, ingestTs)
          : flatLine({ site: run.spec.site, line: run.spec.line, deviceId: run.spec.deviceId, ingestTs }, payload),
      });

    for (let tick = 0; tick < totalTicks; tick++) {
      const lineLoads = new Map<string, number>();
      for (const [key, load] of loads) lineLoads.set(key, load.at(config.start + tick * cadenceMs, config.cadenceSeconds));
      for (const run of runs) {
        const nominalTs = tickTime(run, tick);
        const values = run.signal.sample(nominalTs, lineLoads.get(`${run.spec.site}/${run.spec.line}`)!, config.cadenceSeconds);
        const active = run.faults.filter((f) => tick >= f.firstTick && tick < f.firstTick + f.ticks);
        applySignalFaults(run, active, tick, values);
        if (active.some((f) => f.kind === "dropout")) continue;

        const ts = nominalTs + Math.floor(run.noise.next() * CLOCK_JITTER_MS);
        const latency = 30 + Math.floor(-Math.log(1 - run.noise.next()) * 80);
        const seq = run.seq++;
        const payload: DeviceMessage = {
          msg_id: `${run.spec.deviceId}-${seq}`,
          seq,
          ts,
          readings: METRIC_NAMES.map((metric) => ({ metric, value: quantize(metric, values[metric]), unit: unitOf(metric) })),
        };

        const malformed = active.find((f) => f.kind === "malformed");
        if (malformed) {
          enqueue(run, garble(payload, malformed.malformedKind!, run.noise), ts + latency);
          continue;
        }
        const late = active.some((f) => f.kind === "late");
        enqueue(run, payload, ts + latency + (late ? LATE_DELAY_MS : 0));

        const reconnect = active.find((f) => f.kind === "duplicate" && tick === f.firstTick + f.ticks - 1);
        if (reconnect) {
          // The device reconnects and re-sends what it had not seen acknowledged, this message included.
          const resend = [...run.recent.slice(-(reconnect.ticks - 1)), { payload }];
          resend.forEach((m, i) => enqueue(run, m.payload, ts + latency + 500 + i));
        }
        run.recent.push({ payload });
        if (run.recent.length > 32) run.recent.shift();
      }
      const horizon = config.start + (tick + 1) * cadenceMs;
      while (queue.size > 0 && queue.peek()!.ingestTs < horizon) yield queue.pop()!.text;
      onTick?.(tick);
    }
    while (queue.size > 0) yield queue.pop()!.text;
  }

  return { truth, totalTicks, lines };
}

/** Changes this tick's clean values according to the device's active signal faults. */
function applySignalFaults(run: DeviceRun, active: PlannedFault[], tick: number, values: MetricValues): void {
  for (const f of active) {
    if (!f.metric) continue;
    const nominal = run.signal.nominal(f.metric);
    switch (f.kind) {
      case "spike":
        values[f.metric] += f.magnitude * nominal;
        break;
      case "drift":
        values[f.metric] += f.magnitude * nominal * ((tick - f.firstTick + 1) / f.ticks);
        break;
      case "stuck":
        if (!run.frozen.has(f.id)) run.frozen.set(f.id, values[f.metric]);
        values[f.metric] = run.frozen.get(f.id)!;
        break;
      default:
        break;
    }
  }
}

/**
 * What a misbehaving device actually sends. Truncated and NaN payloads are not JSON objects, so they travel
 * as the raw text the broker received.
 */
export function garble(message: DeviceMessage, kind: keyof typeof MALFORMED_KINDS, rng: Rng): DeviceMessage | string {
  switch (kind) {
    case "truncated_json": {
      const text = JSON.stringify(message);
      return text.slice(0, Math.floor(text.length * rng.uniform(0.3, 0.8)));
    }
    case "string_number": {
      const readings = message.readings.map((r, i) => (i === 0 ? { ...r, value: String(r.value) } : r));
      return { ...message, readings } as unknown as DeviceMessage;
    }
    case "nan_text":
      return JSON.stringify(message).replace(/"value":[^,}]+/, '"value":NaN');
    case "overflow_value":
      return JSON.stringify(message).replace(/"value":[^,}]+/, '"value":1e999');
    case "clock_1970":
      // An RTC that lost power restarts at the epoch: same time of day, on 1970-01-01.
      return { ...message, ts: message.ts % (24 * HOUR_MS) };
  }
}

function labelFor(f: PlannedFault, startTs: number, cadenceMs: number): FaultLabel {
  const end = startTs + f.ticks * cadenceMs;
  const base = {
    id: f.id,
    kind: f.kind,
    site: f.device.site,
    line: f.device.line,
    device_id: f.device.deviceId,
    metric: f.metric,
    start: startTs,
    end,
    start_iso: new Date(startTs).toISOString(),
    end_iso: new Date(end).toISOString(),
  };
  const seconds = (f.ticks * cadenceMs) / 1000;
  const span = seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${seconds} s`;
  switch (f.kind) {
    case "spike":
    case "drift":
    case "stuck":
    case "dropout":
      return { ...base, expected_rules: EXPECTED_RULES[f.kind as SignalFaultKind], detail: signalDetail(f, span) };
    case "duplicate":
      return { ...base, expected_rules: [], expected_outcome: "duplicate", messages: f.ticks, detail: `${f.ticks} messages re-sent after a reconnect` };
    case "late":
      return { ...base, expected_rules: [], expected_outcome: "late", messages: f.ticks, detail: `${f.ticks} messages (${span}) delivered ${LATE_DELAY_MS / 60_000} min late` };
    case "malformed":
      return {
        ...base,
        expected_rules: [],
        expected_outcome: "quarantined",
        expected_reason: MALFORMED_KINDS[f.malformedKind!],
        malformed_kind: f.malformedKind,
        messages: 1,
        detail: `one ${f.malformedKind!.replace(/_/g, " ")} message`,
      };
  }
}

function signalDetail(f: PlannedFault, span: string): string {
  const pct = `${Math.round(f.magnitude * 100)} % of nominal`;
  switch (f.kind) {
    case "spike": return `${f.metric} jumps +${pct} for ${span}`;
    case "drift": return `${f.metric} climbs to +${pct} over ${span}`;
    case "stuck": return `${f.metric} sensor stuck at one value for ${span}`;
    default: return `device silent for ${span}`;
  }
}

function expectedCounts(plan: PlannedFault[], deviceCount: number, totalTicks: number): ExpectedCounts {
  const sum = (kind: string) => plan.filter((f) => f.kind === kind).reduce((n, f) => n + f.ticks, 0);
  const sent = deviceCount * totalTicks - sum("dropout");
  const malformed = plan.filter((f) => f.kind === "malformed");
  const byReason: Record<string, number> = {};
  for (const f of malformed) {
    const reason = MALFORMED_KINDS[f.malformedKind!];
    byReason[reason] = (byReason[reason] ?? 0) + f.ticks;
  }
  const accepted = sent - sum("malformed");
  const late = sum("late");
  return {
    lines: sent + sum("duplicate"),
    accepted_messages: accepted,
    accepted_readings: accepted * METRIC_NAMES.length,
    duplicates: sum("duplicate"),
    late_messages: late,
    late_readings: late * METRIC_NAMES.length,
    quarantined: sum("malformed"),
    quarantined_by_reason: byReason,
  };
}

/** Files written by a simulation. */
export interface SimulationOutput {
  messagesPath: string;
  labelsPath: string;
  truth: GroundTruth;
}

/**
 * Runs a simulation into `outDir` (messages.jsonl + labels.json). The messages file is written to a temp
 * name and renamed, so a half-written file is never mistaken for a finished one.
 */
export function writeSimulation(config: SimulationConfig, outDir: string, onProgress?: (done: number, total: number) => void): SimulationOutput {
  const sim = createSimulation(config);
  fs.mkdirSync(outDir, { recursive: true });
  const messagesPath = path.join(outDir, MESSAGES_FILE);
  const labelsPath = path.join(outDir, LABELS_FILE);
  const tmp = `${messagesPath}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, "w");
  try {
    let buffer: string[] = [];
    let size = 0;
    let written = 0;
    for (const line of sim.lines((tick) => onProgress?.(tick + 1, sim.totalTicks))) {
      buffer.push(line);
      size += line.length + 1;
      written++;
      if (size > 1 << 20) {
        fs.writeSync(fd, buffer.join("\n") + "\n");
        buffer = [];
        size = 0;
      }
    }
    if (buffer.length > 0) fs.writeSync(fd, buffer.join("\n") + "\n");
    if (written !== sim.truth.expected.lines) {
      throw new Error(`simulator bug: wrote ${written} lines but the labels expect ${sim.truth.expected.lines}`);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, messagesPath);
  fs.writeFileSync(labelsPath, JSON.stringify(sim.truth, null, 2) + "\n");
  return { messagesPath, labelsPath, truth: sim.truth };
}
