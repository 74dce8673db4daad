/**
 * Injected faults and their ground-truth labels.
 *
 * Two families. Signal faults change what a sensor reports (spike, drift, stuck, dropout): the analytics
 * should raise an alert for each, and the demo scores recall and detection delay against these labels.
 * Delivery faults change how a message travels (duplicate after a reconnect, an hour late, malformed): no
 * alert is expected, but the conservation line must account for every one of them exactly.
 */
import type { MetricName } from "../contract/telemetry";
import type { QuarantineReason } from "../contract/ingest-policy";
import type { RuleName } from "../analytics/definition";
import type { DeviceSpec } from "./factory";
import type { Rng } from "./prng";

export const SIGNAL_FAULT_KINDS = ["spike", "drift", "stuck", "dropout"] as const;
export const DELIVERY_FAULT_KINDS = ["duplicate", "late", "malformed"] as const;
export type SignalFaultKind = (typeof SIGNAL_FAULT_KINDS)[number];
export type DeliveryFaultKind = (typeof DELIVERY_FAULT_KINDS)[number];
export type FaultKind = SignalFaultKind | DeliveryFaultKind;

/** The ways a device garbles a message, with the quarantine reason the ingest path must give each. */
export const MALFORMED_KINDS = {
  truncated_json: "unparseable",
  string_number: "schema",
  // NaN is not JSON (RFC 8259): the payload is unparseable text, not a non-finite number.
  nan_text: "unparseable",
  // 1e999 is valid JSON that overflows to Infinity.
  overflow_value: "non_finite",
  clock_1970: "timestamp_out_of_range",
} as const satisfies Record<string, QuarantineReason>;
export type MalformedKind = keyof typeof MALFORMED_KINDS;
const MALFORMED_ORDER = Object.keys(MALFORMED_KINDS) as MalformedKind[];

/** Anomaly rules (the lake's `anomalies.rule` values) that should catch each signal fault. */
export const EXPECTED_RULES: Record<SignalFaultKind, RuleName[]> = {
  spike: ["deviation", "rate_of_change", "static_limit"],
  drift: ["level_shift", "deviation", "static_limit"],
  stuck: ["flatline"],
  dropout: ["data_gap"],
};

/** One injected fault, as written to the labels file (times are epoch ms, `end` exclusive). */
export interface FaultLabel {
  id: string;
  kind: FaultKind;
  site: string;
  line: string;
  device_id: string;
  /** The metric affected; null when the whole device is affected (dropout, delivery faults). */
  metric: MetricName | null;
  start: number;
  end: number;
  start_iso: string;
  end_iso: string;
  /** Rules expected to fire (any one counts as detected); empty for delivery faults. */
  expected_rules: string[];
  /** Delivery faults: what the ingest path must do with the affected messages. */
  expected_outcome?: "duplicate" | "late" | "quarantined";
  /** Malformed messages: the quarantine reason expected. */
  expected_reason?: QuarantineReason;
  malformed_kind?: MalformedKind;
  /** Delivery faults: how many messages (lines) are affected. */
  messages?: number;
  /** What was done, for people: "vibration +4.1 mm/s for 10 s". */
  detail: string;
}

/** How many faults of each kind per 100 device-hours (at least one of each kind when the rate is > 0). */
export const DEFAULT_FAULT_MIX: Record<FaultKind, number> = {
  spike: 4,
  drift: 3,
  stuck: 3,
  dropout: 2,
  duplicate: 2,
  late: 2,
  malformed: 10,
};

/** A planned fault before its label is finished (magnitudes are sized by the generator). */
export interface PlannedFault {
  id: string;
  kind: FaultKind;
  device: DeviceSpec;
  metric: MetricName | null;
  /** Tick index of the first affected tick and number of affected ticks. */
  firstTick: number;
  ticks: number;
  /** Signed magnitude as a fraction of the metric's nominal level (spike, drift). */
  magnitude: number;
  malformedKind?: MalformedKind;
}

export interface FaultPlanInput {
  devices: DeviceSpec[];
  totalTicks: number;
  cadenceSeconds: number;
  /** Multiplies DEFAULT_FAULT_MIX; 0 plans no faults. */
  faultRate: number;
  rng: Rng;
}

const MINUTE = 60;

/**
 * Places faults on devices and times. Faults never overlap on one device (with a settling gap), never fall
 * in the warm-up (the trailing baselines need history) and end well before the run does, so each fault's
 * detection can be judged on its own.
 */
export function planFaults(input: FaultPlanInput): PlannedFault[] {
  const { devices, totalTicks, cadenceSeconds, faultRate, rng } = input;
  if (faultRate <= 0) return [];
  const ticksFor = (seconds: number) => Math.max(1, Math.round(seconds / cadenceSeconds));
  const runSeconds = totalTicks * cadenceSeconds;
  const warmupTicks = ticksFor(Math.max(30 * MINUTE, 0.2 * runSeconds));
  const tailTicks = ticksFor(15 * MINUTE);
  const gapTicks = ticksFor(20 * MINUTE);
  const deviceHours = (devices.length * runSeconds) / 3600;

  const busy = new Map<string, Array<[number, number]>>();
  const planned: PlannedFault[] = [];
  const kinds = Object.keys(DEFAULT_FAULT_MIX) as FaultKind[];
  for (const kind of kinds) {
    const count = Math.max(1, Math.round((DEFAULT_FAULT_MIX[kind] * faultRate * deviceHours) / 100));
    for (let n = 0; n < count; n++) {
      const ticks = ticksFor(durationSeconds(kind, rng, cadenceSeconds));
      const lastStart = totalTicks - tailTicks - ticks;
      if (lastStart <= warmupTicks) continue;
      for (let attempt = 0; attempt < 40; attempt++) {
        const device = rng.pick(devices);
        const firstTick = rng.int(warmupTicks, lastStart);
        const taken = busy.get(device.deviceId) ?? [];
        const clash = taken.some(([a, b]) => firstTick < b + gapTicks && a < firstTick + ticks + gapTicks);
        if (clash) continue;
        taken.push([firstTick, firstTick + ticks]);
        busy.set(device.deviceId, taken);
        planned.push({
          id: "",
          kind,
          device,
          metric: metricFor(kind, rng),
          firstTick,
          ticks,
          magnitude: magnitudeFor(kind, rng),
          malformedKind: kind === "malformed" ? MALFORMED_ORDER[n % MALFORMED_ORDER.length] : undefined,
        });
        break;
      }
    }
  }
  planned.sort((a, b) => a.firstTick - b.firstTick || a.device.deviceId.localeCompare(b.device.deviceId));
  planned.forEach((f, i) => (f.id = `f${String(i + 1).padStart(2, "0")}`));
  return planned;
}

/** Fault durations chosen from what plants see: knocks last seconds, bearing wear an hour, outages minutes. */
function durationSeconds(kind: FaultKind, rng: Rng, cadenceSeconds: number): number {
  switch (kind) {
    case "spike": return cadenceSeconds * rng.int(1, 3);
    case "drift": return rng.int(40, 80) * MINUTE;
    case "stuck": return rng.int(20, 40) * MINUTE;
    case "dropout": return rng.int(10, 25) * MINUTE;
    // Re-sent after a reconnect: the last 5-20 messages the device was not sure had arrived.
    case "duplicate": return cadenceSeconds * rng.int(5, 20);
    // Buffered during a network outage and delivered an hour late; short enough not to look like a gap.
    case "late": return rng.int(2, 4) * MINUTE;
    case "malformed": return cadenceSeconds;
  }
}

function metricFor(kind: FaultKind, rng: Rng): MetricName | null {
  switch (kind) {
    case "spike": return rng.pick(["vibration", "current", "pressure", "temperature"] as const);
    // Overheating and bearing wear: the two slow failures maintenance teams watch for.
    case "drift": return rng.pick(["temperature", "vibration"] as const);
    case "stuck": return rng.pick(["temperature", "vibration", "pressure", "current"] as const);
    default: return null;
  }
}

/** Fraction of the metric's nominal level: spikes jump 60-120 %, drifts climb 30-50 % over their span. */
function magnitudeFor(kind: FaultKind, rng: Rng): number {
  switch (kind) {
    case "spike": return rng.uniform(0.6, 1.2);
    case "drift": return rng.uniform(0.3, 0.5);
    default: return 0;
  }
}
