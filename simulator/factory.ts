/**
 * The simulated factory: sites → lines → devices, and the physics-flavoured signal each device reports.
 *
 * The model is simple but has the structure real plant data has, because that structure is what makes
 * anomaly detection hard: a shared line load that follows the shifts, current and temperature that move
 * together with it (temperature with a thermal lag), an ambient daily cycle, slow sensor drift, and noise.
 * A detector that alerts on the daily cycle or on a load change is a bad detector; the demo shows that.
 */
import { METRICS, type MetricName, METRIC_NAMES } from "../contract/telemetry";
import { Rng } from "./prng";

/** How big the factory is. */
export interface FactoryShape {
  sites: number;
  linesPerSite: number;
  devicesPerLine: number;
}

/** The machine a device is mounted on; it decides the operating point of every metric. */
export type MachineKind = "pump" | "press" | "motor" | "compressor";

/** Nominal operating point of each metric at 100 % line load, and its measurement noise (one sd). */
interface MetricProfile {
  nominal: number;
  noise: number;
}

const MACHINE_PROFILES: Record<MachineKind, Record<MetricName, MetricProfile>> = {
  pump: {
    temperature: { nominal: 55, noise: 0.3 },
    vibration: { nominal: 3.5, noise: 0.15 },
    pressure: { nominal: 6.0, noise: 0.05 },
    current: { nominal: 25, noise: 0.4 },
  },
  press: {
    temperature: { nominal: 48, noise: 0.3 },
    vibration: { nominal: 6.0, noise: 0.3 },
    pressure: { nominal: 160, noise: 1.0 },
    current: { nominal: 60, noise: 0.8 },
  },
  motor: {
    temperature: { nominal: 65, noise: 0.3 },
    vibration: { nominal: 2.5, noise: 0.1 },
    pressure: { nominal: 1.5, noise: 0.02 },
    current: { nominal: 32, noise: 0.5 },
  },
  compressor: {
    temperature: { nominal: 72, noise: 0.4 },
    vibration: { nominal: 4.5, noise: 0.2 },
    pressure: { nominal: 8.0, noise: 0.06 },
    current: { nominal: 45, noise: 0.6 },
  },
};

const MACHINE_ORDER: MachineKind[] = ["pump", "press", "motor", "compressor"];

/** One device: where it is (topic levels) and what it is mounted on. */
export interface DeviceSpec {
  site: string;
  line: string;
  deviceId: string;
  machine: MachineKind;
}

/** Site ids plant-a, plant-b, ...; line ids line-1, ...; device ids `<site letter><line>-<machine><nn>`. */
export function buildFactory(shape: FactoryShape): DeviceSpec[] {
  for (const [name, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`factory ${name} must be a positive integer, got ${value}`);
  }
  if (shape.sites > 26) throw new Error(`at most 26 sites (plant-a .. plant-z), got ${shape.sites}`);
  const devices: DeviceSpec[] = [];
  for (let s = 0; s < shape.sites; s++) {
    const letter = String.fromCharCode(97 + s);
    for (let l = 1; l <= shape.linesPerSite; l++) {
      for (let d = 1; d <= shape.devicesPerLine; d++) {
        const machine = MACHINE_ORDER[(d - 1) % MACHINE_ORDER.length];
        devices.push({
          site: `plant-${letter}`,
          line: `line-${l}`,
          deviceId: `${letter}${l}-${machine}${String(d).padStart(2, "0")}`,
          machine,
        });
      }
    }
  }
  return devices;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Line load in [0, 1]: two shifts (06:00-22:00 busy, night shift lighter) smoothed by a cosine, plus the
 * line's own slow wander. Devices of one line share it, which correlates their current and temperature.
 */
export class LineLoad {
  private wander = 0;

  constructor(private readonly rng: Rng) {}

  /** Advances the load to time `ts` (epoch ms) after `dtSeconds` and returns it. */
  at(ts: number, dtSeconds: number): number {
    const hourOfDay = (((ts % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
    const shift = 0.62 + 0.22 * Math.cos((2 * Math.PI * (hourOfDay - 14)) / 24);
    // Ornstein-Uhlenbeck wander: mean-reverting over ~30 minutes, so it never drifts away for good.
    const theta = dtSeconds / 1800;
    this.wander += -theta * this.wander + 0.04 * Math.sqrt(theta) * this.rng.normal();
    return Math.min(1, Math.max(0.05, shift + this.wander));
  }
}

/** Ambient temperature around the plant: 4 degC daily swing, warmest at 15:00 UTC. */
function ambientOffset(ts: number): number {
  const hourOfDay = (((ts % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  return 4 * Math.cos((2 * Math.PI * (hourOfDay - 15)) / 24);
}

/** Clean (fault-free) values of one device's four metrics. */
export type MetricValues = Record<MetricName, number>;

/**
 * One device's signal generator. Stateful: temperature follows the load with a thermal lag, and every
 * sensor has a slowly wandering calibration offset (drift within spec, not a fault).
 */
export class DeviceSignal {
  private readonly profile: Record<MetricName, MetricProfile>;
  /** Per-device spread around the machine's nominal point (no two pumps are identical). */
  private readonly scale: MetricValues;
  private readonly calibration: MetricValues = { temperature: 0, vibration: 0, pressure: 0, current: 0 };
  private thermalLoad: number | null = null;

  constructor(readonly device: DeviceSpec, private readonly rng: Rng) {
    this.profile = MACHINE_PROFILES[device.machine];
    this.scale = {
      temperature: rng.uniform(0.92, 1.08),
      vibration: rng.uniform(0.85, 1.15),
      pressure: rng.uniform(0.95, 1.05),
      current: rng.uniform(0.9, 1.1),
    };
  }

  /** The device's readings at `ts` given its line's load. */
  sample(ts: number, load: number, dtSeconds: number): MetricValues {
    // Thermal lag: the housing follows the load with a ~10 minute time constant.
    const alpha = 1 - Math.exp(-dtSeconds / 600);
    this.thermalLoad = this.thermalLoad === null ? load : this.thermalLoad + alpha * (load - this.thermalLoad);
    for (const metric of METRIC_NAMES) {
      // Calibration drift: a mean-reverting walk of at most a few noise sds over hours.
      const theta = dtSeconds / (4 * 3600);
      const sd = this.profile[metric].noise;
      this.calibration[metric] += -theta * this.calibration[metric] + 1.5 * sd * Math.sqrt(theta) * this.rng.normal();
    }
    const p = this.profile;
    const s = this.scale;
    const current = p.current.nominal * s.current * (0.45 + 0.55 * load) + this.rng.normal(0, p.current.noise);
    const temperature =
      p.temperature.nominal * s.temperature * (0.8 + 0.2 * this.thermalLoad) +
      0.5 * ambientOffset(ts) +
      this.rng.normal(0, p.temperature.noise);
    const vibration = p.vibration.nominal * s.vibration * (0.7 + 0.3 * load) * Math.exp(this.rng.normal(0, p.vibration.noise / p.vibration.nominal));
    const pressure = p.pressure.nominal * s.pressure * (0.9 + 0.1 * load) + this.rng.normal(0, p.pressure.noise);
    const values: MetricValues = {
      temperature: temperature + this.calibration.temperature,
      vibration: Math.max(0, vibration + this.calibration.vibration),
      pressure: pressure + this.calibration.pressure,
      current: Math.max(0, current + this.calibration.current),
    };
    return values;
  }

  /** Measurement noise (one sd) of a metric on this device: faults are sized relative to it. */
  noise(metric: MetricName): number {
    return this.profile[metric].noise;
  }

  /** Operating level of a metric at full load on this device, to size faults in the metric's own scale. */
  nominal(metric: MetricName): number {
    return this.profile[metric].nominal * this.scale[metric];
  }
}

/** Rounds a value the way a device's firmware would report it (resolution per metric's unit). */
export function quantize(metric: MetricName, value: number): number {
  const decimals = metric === "pressure" || metric === "vibration" ? 3 : 2;
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** The unit each metric is reported in (the contract's catalog). */
export function unitOf(metric: MetricName): string {
  return METRICS[metric].unit;
}
