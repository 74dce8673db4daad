/**
 * A stack's capacities: from the fleet it states (iotpipe:fleet*) through the sizing model, or from the raw
 * capacity keys as before. The Pulumi program (index.ts) deploys what this returns; `iotpipe size` prices it.
 *
 * Explicit capacities win: with a fleet stated, `flinkParallelism` and `flinkParallelismPerKpu` set to anything
 * but their declared defaults are kept over the model's numbers (Pulumi hands the program declared defaults like
 * any other value, so "set to its default" and "not set" look the same). Streams are provisioned with a fleet:
 * the model gives every stream its own shard count.
 */
import type { StreamCapacity } from "../components/telemetry-streams";
import { sizeFleet, type CapacityPlan, type SizingAssumptions } from "../sizing/capacity";
import { estimatePayloadBytes, fleet, type FleetShape } from "../sizing/fleet";
import { CONFIG_KEYS, type StackConfig } from "./schema";

export interface StackCapacities {
  streams: StreamCapacity;
  flink: { parallelism: number; parallelismPerKpu: number };
  /** The Firehose buffer interval, when the model sets it (else the component's default). */
  firehoseBufferingIntervalSeconds?: number;
  /** The model's plan when the stack states a fleet. */
  sizing?: CapacityPlan;
}

/** True when the stack states its fleet. */
export function statesFleet(config: StackConfig): boolean {
  return config.fleetDevices > 0;
}

/**
 * The fleet a stack describes: its fleet keys, or, without them, the load the raw keys state (each message one
 * reading of `averageMessageBytes`, `expectedReadingsPerSecond` of them a second) so any stack can be priced.
 */
export function stackFleet(config: StackConfig): FleetShape {
  if (statesFleet(config)) {
    return fleet({
      devices: config.fleetDevices,
      metricsPerMessage: config.fleetMetricsPerMessage,
      messageIntervalSeconds: config.fleetMessageIntervalSeconds,
      payloadBytes: config.fleetPayloadBytes > 0 ? config.fleetPayloadBytes : estimatePayloadBytes(config.fleetMetricsPerMessage),
      peakFactor: config.fleetPeakPercent / 100,
    });
  }
  return fleet({ devices: config.expectedReadingsPerSecond, metricsPerMessage: 1, messageIntervalSeconds: 1, payloadBytes: config.averageMessageBytes });
}

/** What the model needs to know of the stack's analytics and alarms. */
export function stackAssumptions(config: StackConfig): Partial<SizingAssumptions> {
  return {
    windowSeconds: config.aggregateWindowSeconds,
    quarantineFraction: config.alarmQuarantineRatePercent / 100,
    firehoseFreshnessAlarmSeconds: config.alarmFirehoseFreshnessSeconds,
  };
}

/** A value from config unless it is the key's declared default, then the model's. */
function explicitOr<K extends "flinkParallelism" | "flinkParallelismPerKpu">(config: StackConfig, key: K, model: number): number {
  return config[key] !== CONFIG_KEYS[key].default ? config[key] : model;
}

/** The capacities to deploy for a stack. */
export function stackCapacities(config: StackConfig, assumptions: Partial<SizingAssumptions> = {}): StackCapacities {
  if (!statesFleet(config)) {
    return {
      streams: config.streamMode === "provisioned"
        ? { mode: "PROVISIONED", expectedReadingsPerSecond: config.expectedReadingsPerSecond, averageMessageBytes: config.averageMessageBytes }
        : { mode: "ON_DEMAND" },
      flink: { parallelism: config.flinkParallelism, parallelismPerKpu: config.flinkParallelismPerKpu },
    };
  }
  const plan = sizeFleet(stackFleet(config), { ...stackAssumptions(config), ...assumptions });
  return {
    streams: {
      mode: "PROVISIONED",
      shards: { raw: plan.streams.raw.shards, outputs: Object.fromEntries(Object.entries(plan.streams.outputs).map(([name, s]) => [name, s.shards])) },
    },
    flink: {
      parallelism: explicitOr(config, "flinkParallelism", plan.flink.parallelism),
      parallelismPerKpu: explicitOr(config, "flinkParallelismPerKpu", plan.flink.parallelismPerKpu),
    },
    firehoseBufferingIntervalSeconds: plan.firehose.bufferingIntervalSeconds,
    sizing: plan,
  };
}
