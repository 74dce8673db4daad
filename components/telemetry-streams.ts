/**
 * The Kinesis data streams of the pipeline: the raw telemetry stream the IoT rule writes to, and one output stream
 * per analytics result (by default one per lake table), all encrypted with a customer managed key.
 *
 * Capacity is on-demand by default (no sizing to get wrong, pay per use). Provisioned mode, cheaper at a steady,
 * known rate, either sizes every stream from the expected load with `shardsFor` or takes a shard count for each
 * stream (the sizing model's, sizing/capacity.ts, which sizes each output for its own records).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { LAKE_TABLES } from "../lake/tables";
import { EncryptionKey } from "./encryption-key";
import { ArgsCheck } from "./naming";

/** Kinesis write limits per shard. */
export const SHARD_LIMITS = { bytesPerSecond: 1024 * 1024, recordsPerSecond: 1000 } as const;

/**
 * Provisioned streams are sized for 1.5x the configured rate: device fleets reconnect in bursts after an outage
 * (buffered messages arrive at once) and partition keys (device ids) never spread perfectly evenly over shards,
 * so a stream sized for exactly the average load throttles at its first peak.
 */
export const SHARD_HEADROOM = 1.5;

/** Retention bounds Kinesis accepts, in hours (1 day to 365 days). */
export const RETENTION_HOURS = { min: 24, max: 8760 } as const;

/**
 * Shards a provisioned stream needs for `recordsPerSecond` records of `averageRecordBytes` each: the larger of the
 * byte-rate and record-rate requirements, with `headroom`, and at least one shard.
 */
export function shardsFor(recordsPerSecond: number, averageRecordBytes: number, headroom: number = SHARD_HEADROOM): number {
  if (!(recordsPerSecond > 0) || !Number.isFinite(recordsPerSecond)) throw new Error(`shardsFor: recordsPerSecond must be a positive number (got ${recordsPerSecond})`);
  if (!(averageRecordBytes > 0) || !Number.isFinite(averageRecordBytes)) throw new Error(`shardsFor: averageRecordBytes must be a positive number (got ${averageRecordBytes})`);
  if (!(headroom >= 1) || !Number.isFinite(headroom)) throw new Error(`shardsFor: headroom must be at least 1 (got ${headroom})`);
  const byBytes = (recordsPerSecond * averageRecordBytes * headroom) / SHARD_LIMITS.bytesPerSecond;
  const byRecords = (recordsPerSecond * headroom) / SHARD_LIMITS.recordsPerSecond;
  return Math.max(1, Math.ceil(byBytes), Math.ceil(byRecords));
}

/** Provisioned capacity, sized from the load the fleet is expected to send. */
export interface ProvisionedCapacity {
  mode: "PROVISIONED";
  /** Readings per second across the fleet at the expected peak. */
  expectedReadingsPerSecond: number;
  /** Average size of one device message (JSON as published) in bytes. */
  averageMessageBytes: number;
  /** Readings carried per device message on average. Default 1 (the conservative bound). */
  readingsPerMessage?: number;
}

/**
 * Provisioned capacity with the shard count of every stream given (the sizing model's, sizing/capacity.ts): each
 * output stream sized for its own records rather than all like the raw stream.
 */
export interface ShardCountCapacity {
  mode: "PROVISIONED";
  shards: { raw: number; outputs: Record<string, number> };
}

export type StreamCapacity = { mode: "ON_DEMAND" } | ProvisionedCapacity | ShardCountCapacity;

export interface TelemetryStreamsArgs {
  /** CMK for stream encryption. Default: a dedicated `EncryptionKey` is created as a child. */
  kmsKeyArn?: pulumi.Input<string>;
  /** Output streams to create, by result name. Default: one per lake table (readings, aggregates, ...). */
  outputNames?: string[];
  /** How long records stay readable, in hours (24-8760). Default 24: enough to replay a failed day. */
  retentionHours?: number;
  /** On-demand (default) or provisioned with computed shard counts. */
  capacity?: StreamCapacity;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export const TELEMETRY_STREAMS_DEFAULTS = {
  /** Kinesis' included retention: a consumer down for a day loses nothing. */
  retentionHours: 24,
  capacity: { mode: "ON_DEMAND" } as StreamCapacity,
  /** One output stream per lake table. */
  outputNames: LAKE_TABLES.map((t) => t.name),
};

/** The streams' settings and shard counts: `args` over TELEMETRY_STREAMS_DEFAULTS, every problem reported in one error. */
export function resolveTelemetryStreamsArgs(name: string, args: TelemetryStreamsArgs) {
  const d = TELEMETRY_STREAMS_DEFAULTS;
  const check = new ArgsCheck(`TelemetryStreams '${name}'`);
  const retentionPeriod = check.intRange("retentionHours", args.retentionHours ?? d.retentionHours, RETENTION_HOURS.min, RETENTION_HOURS.max);
  const outputNames = args.outputNames ?? d.outputNames;
  checkOutputNames(check, outputNames);
  const capacity = args.capacity ?? d.capacity;
  let shardCounts: { raw: number; output: number } | undefined;
  let shardsByStream: Record<string, number> | undefined;
  if (capacity.mode === "PROVISIONED") {
    if ("shards" in capacity) {
      shardsByStream = givenShards(check, capacity, outputNames);
    } else {
      const counts = provisionedShards(check, capacity);
      shardCounts = counts;
      shardsByStream = counts && Object.fromEntries([["raw", counts.raw], ...outputNames.map((o) => [o, counts.output])]);
    }
  } else {
    check.expect(capacity.mode === "ON_DEMAND", `capacity.mode must be ON_DEMAND or PROVISIONED (got '${(capacity as { mode: string }).mode}')`);
  }
  check.done();
  return { retentionPeriod, outputNames, streamMode: capacity.mode, shardCounts, shardsByStream };
}

export class TelemetryStreams extends pulumi.ComponentResource {
  /** The raw telemetry stream (IoT rule → Flink). */
  readonly raw: aws.kinesis.Stream;
  /** Output streams by result name (Flink → Firehose / alert notifier). */
  readonly outputs: Record<string, aws.kinesis.Stream>;
  /** The key created when no `kmsKeyArn` was given. */
  readonly encryptionKey?: EncryptionKey;
  /** ARN of the key that encrypts every stream: producers need kms:GenerateDataKey, consumers kms:Decrypt. */
  readonly kmsKeyArn: pulumi.Output<string>;
  /** Shards per stream when sized from the expected load (raw and each output); undefined otherwise. */
  readonly shardCounts?: { raw: number; output: number };
  /** Shards of every stream by role (`raw` and each output name) in provisioned mode; undefined on demand. */
  readonly shardsByStream?: Record<string, number>;

  constructor(name: string, args: TelemetryStreamsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("iotpipe:streaming:TelemetryStreams", name, {}, opts);
    const cfg = resolveTelemetryStreamsArgs(name, args);
    const { retentionPeriod, outputNames } = cfg;
    this.shardCounts = cfg.shardCounts;
    this.shardsByStream = cfg.shardsByStream;

    if (args.kmsKeyArn === undefined) {
      this.encryptionKey = new EncryptionKey(`${name}-key`, { description: `iotpipe streams ${name}` }, { parent: this });
    }
    this.kmsKeyArn = pulumi.output(args.kmsKeyArn ?? this.encryptionKey!.arn);

    const stream = (role: string, shardCount: number | undefined) =>
      new aws.kinesis.Stream(
        `${name}-${role}`,
        {
          encryptionType: "KMS",
          kmsKeyId: this.kmsKeyArn,
          retentionPeriod,
          streamModeDetails: { streamMode: cfg.streamMode },
          shardCount,
          // Flink registers enhanced fan-out consumers; destroying a stream must not be blocked by them.
          enforceConsumerDeletion: true,
          tags: args.tags,
        },
        { parent: this },
      );
    this.raw = stream("raw", this.shardsByStream?.raw);
    this.outputs = Object.fromEntries(outputNames.map((output) => [output, stream(output, this.shardsByStream?.[output])]));

    this.registerOutputs({
      rawStreamName: this.raw.name,
      rawStreamArn: this.raw.arn,
      outputStreamNames: Object.fromEntries(Object.entries(this.outputs).map(([k, s]) => [k, s.name])),
      kmsKeyArn: this.kmsKeyArn,
    });
  }
}

function checkOutputNames(check: ArgsCheck, names: string[]): void {
  check.expect(names.length > 0, "outputNames must name at least one output stream");
  for (const n of names) {
    check.expect(/^[a-z][a-z0-9_]*$/.test(n), `output name '${n}' must be snake_case (a-z, 0-9, _), like the lake tables`);
    check.expect(n !== "raw", "output name 'raw' is reserved for the raw telemetry stream");
  }
  const dupes = names.filter((n, i) => names.indexOf(n) !== i);
  check.expect(dupes.length === 0, `output names must be unique; repeated: ${[...new Set(dupes)].join(", ")}`);
}

/**
 * Shard counts in provisioned mode. Raw records are device messages. Output records are at most one per reading
 * and each is smaller than the message it came from, so sizing every output like a stream of `readings/s`
 * records of message size is an upper bound (generous for the low-volume aggregates and alerts, which still
 * need the one-shard minimum). Undefined when a figure is missing or not positive (recorded in `check`).
 */
function provisionedShards(check: ArgsCheck, c: ProvisionedCapacity): { raw: number; output: number } | undefined {
  const positive = (field: string, v: number | undefined) =>
    check.expect(v !== undefined && Number.isFinite(v) && v > 0, `capacity.${field} must be a positive number (got ${v})`) ? (v as number) : undefined;
  const readings = positive("expectedReadingsPerSecond", c.expectedReadingsPerSecond);
  const bytes = positive("averageMessageBytes", c.averageMessageBytes);
  const perMessage = positive("readingsPerMessage", c.readingsPerMessage ?? 1);
  if (readings === undefined || bytes === undefined || perMessage === undefined) return undefined;
  return { raw: shardsFor(readings / perMessage, bytes), output: shardsFor(readings, bytes) };
}

/** Shard counts given per stream: one whole number of at least 1 for the raw stream and for every output, no others. */
function givenShards(check: ArgsCheck, c: ShardCountCapacity, outputNames: string[]): Record<string, number> {
  const count = (stream: string, v: number | undefined) => {
    check.expect(v !== undefined && Number.isInteger(v) && v >= 1, `capacity.shards for '${stream}' must be a whole number of at least 1 (got ${v})`);
    return v as number;
  };
  const unknown = Object.keys(c.shards.outputs).filter((o) => !outputNames.includes(o));
  check.expect(unknown.length === 0, `capacity.shards names streams that do not exist: ${unknown.join(", ")}; outputs are ${outputNames.join(", ")}`);
  return Object.fromEntries([["raw", count("raw", c.shards.raw)], ...outputNames.map((o) => [o, count(o, c.shards.outputs[o])])]);
}
