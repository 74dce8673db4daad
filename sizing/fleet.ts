/**
 * The fleet's shape: what a plant sends, in the terms an operator knows (devices, metrics per message, how often,
 * how big, how bursty). Everything the sizing and cost models compute starts from here.
 */

/** A fleet of devices publishing telemetry on a fixed cadence. */
export interface FleetShape {
  /** Devices publishing. */
  devices: number;
  /** Readings carried by one message (one per metric the device reports). */
  metricsPerMessage: number;
  /** Seconds between two messages of one device. */
  messageIntervalSeconds: number;
  /** Average size of one message as published (JSON bytes); default `estimatePayloadBytes(metricsPerMessage)`. */
  payloadBytes: number;
  /**
   * Peak load as a multiple of the average (1 = steady). Periodic telemetry is steady; reconnect bursts after an
   * outage are what the shard headroom (components/telemetry-streams.ts SHARD_HEADROOM) absorbs on top.
   */
  peakFactor: number;
}

/** The rates a fleet produces. */
export interface FleetRates {
  /** Messages per second on average. */
  messagesPerSecond: number;
  /** Readings per second on average (messages × metrics per message). */
  readingsPerSecond: number;
  /** Messages per second at the peak (average × peak factor). */
  peakMessagesPerSecond: number;
  /** Readings per second at the peak. */
  peakReadingsPerSecond: number;
}

/**
 * Bytes of one published message: the contract's envelope (`{"msg_id":"…","ts":…,"readings":[…]}`, about 48 bytes
 * with an 8-character id) plus about 56 bytes per reading (`{"metric":"temperature","value":71.3,"unit":"degC"},`).
 */
export const PAYLOAD_ENVELOPE_BYTES = 48;
export const PAYLOAD_BYTES_PER_READING = 56;

/** Message size for a number of readings per message, when the fleet does not state one. */
export function estimatePayloadBytes(metricsPerMessage: number): number {
  return PAYLOAD_ENVELOPE_BYTES + PAYLOAD_BYTES_PER_READING * metricsPerMessage;
}

/** IoT Core refuses a message above 128 KiB. */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

/** Checks a fleet; returns one message per problem (empty when the fleet is valid). */
export function fleetProblems(f: FleetShape): string[] {
  const problems: string[] = [];
  const positiveInteger = (name: keyof FleetShape) => {
    if (!Number.isInteger(f[name]) || f[name] < 1) problems.push(`${name} must be a whole number of at least 1 (got ${f[name]})`);
  };
  positiveInteger("devices");
  positiveInteger("metricsPerMessage");
  if (!(f.messageIntervalSeconds > 0) || !Number.isFinite(f.messageIntervalSeconds)) problems.push(`messageIntervalSeconds must be a number above 0 (got ${f.messageIntervalSeconds})`);
  if (!Number.isInteger(f.payloadBytes) || f.payloadBytes < 1 || f.payloadBytes > MAX_PAYLOAD_BYTES) {
    problems.push(`payloadBytes must be a whole number from 1 to ${MAX_PAYLOAD_BYTES} (IoT Core's message limit; got ${f.payloadBytes})`);
  }
  if (!(f.peakFactor >= 1) || !Number.isFinite(f.peakFactor)) problems.push(`peakFactor must be at least 1 (got ${f.peakFactor})`);
  return problems;
}

/** A fleet from its parts, with the payload estimated when not given and the peak factor defaulting to 1; throws when invalid. */
export function fleet(shape: Omit<FleetShape, "payloadBytes" | "peakFactor"> & Partial<Pick<FleetShape, "payloadBytes" | "peakFactor">>): FleetShape {
  const f: FleetShape = { ...shape, payloadBytes: shape.payloadBytes ?? estimatePayloadBytes(shape.metricsPerMessage), peakFactor: shape.peakFactor ?? 1 };
  const problems = fleetProblems(f);
  if (problems.length > 0) throw new Error(`invalid fleet: ${problems.join("; ")}`);
  return f;
}

/** The message and reading rates of a fleet. */
export function fleetRates(f: FleetShape): FleetRates {
  const messagesPerSecond = f.devices / f.messageIntervalSeconds;
  const readingsPerSecond = messagesPerSecond * f.metricsPerMessage;
  return {
    messagesPerSecond,
    readingsPerSecond,
    peakMessagesPerSecond: messagesPerSecond * f.peakFactor,
    peakReadingsPerSecond: readingsPerSecond * f.peakFactor,
  };
}

/** A short description, e.g. `1,000 devices × 4 metrics every 5 s (200 messages/s, 800 readings/s)`. */
export function describeFleet(f: FleetShape): string {
  const r = fleetRates(f);
  const n = (v: number) => v.toLocaleString("en-US", { maximumFractionDigits: 1 });
  const peak = f.peakFactor === 1 ? "" : `, peak ×${f.peakFactor}`;
  return `${n(f.devices)} devices × ${f.metricsPerMessage} metrics every ${n(f.messageIntervalSeconds)} s, ${f.payloadBytes} B per message (${n(r.messagesPerSecond)} messages/s, ${n(r.readingsPerSecond)} readings/s${peak})`;
}
