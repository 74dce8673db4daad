/**
 * The sizing model: from a fleet's shape to the stack's capacity settings. Kinesis mode and shards for every
 * stream, Flink parallelism and KPUs, Firehose buffering, Lambda concurrency, and the AWS quotas a fleet of this
 * size must have raised. The Pulumi program applies it when the stack states a fleet (config/fleet.ts); `iotpipe
 * size` prints it. Each constant below says where its number comes from, and which ones are assumptions.
 */
import { SHARD_LIMITS, shardsFor } from "../components/telemetry-streams";
import { MAX_BUFFER_MIB, MAX_BUFFER_INTERVAL_SECONDS, MIN_BUFFER_INTERVAL_SECONDS } from "../components/parquet-lake";
import { ALERTS, AGGREGATES, ANOMALIES, LAKE_TABLES, QUARANTINE, READINGS, type LakeColumnType, type LakeTable } from "../lake/tables";
import { fleetRates, type FleetRates, type FleetShape } from "./fleet";

/** What the model assumes about the analytics' output and the job's speed. Defaults in `DEFAULT_ASSUMPTIONS`. */
export interface SizingAssumptions {
  /**
   * Readings per second one KPU (1 vCPU, 4 GB, 50 GB of running storage) processes at parallelism-per-KPU 1.
   * **An assumption, not a measurement or an AWS figure.** AWS documents what a KPU is
   * (https://docs.aws.amazon.com/managed-flink/latest/java/how-resources.html) and how parallelism maps to KPUs
   * (how-scaling.html), but no records per second per KPU: throughput depends on the job. The default is the
   * upper end of the range a managed Flink vendor publishes for jobs with windows, aggregations and UDFs,
   * 1,000–5,000 records/s per unit of 1 CPU and 4 GiB (Alibaba Realtime Compute, "billable items"). This job has
   * not run on Managed Flink here. To measure it: run the stack at a known load (the simulator) with operator
   * metrics on (StreamAnalytics `metricsLevel: "OPERATOR"`; the default APPLICATION level has none), then read the
   * application's CloudWatch metrics (namespace AWS/KinesisAnalytics, metrics-dimensions.html): the source
   * operator's `numRecordsInPerSecond` (messages) × metrics per message, divided by `KPUs`, at a load where
   * `containerCPUUtilization` stays below ~75 %, `backPressuredTimeMsPerSecond` stays near 0 and the raw stream's
   * fan-out lag (`SubscribeToShardEvent.MillisBehindLatest`, the operations-efo-lag-raw alarm) does not grow.
   * Raise the load until one of them gives and pass the last good figure as `--readings-per-kpu`. Flink's
   * autoscaling (on by default) corrects a low guess upward; this only sizes the start and the bill.
   */
  readingsPerKpu: number;
  /** Anomalies per reading: the demo finds 3,441 in 274,328 readings (1.25 %, `npm run demo`). */
  anomalyFraction: number;
  /** Alert transitions (open + cleared) per reading: the demo's ~50 episodes, two transitions each, in 274,328 readings. */
  alertTransitionFraction: number;
  /** Quarantined messages per message: sized for the rate the quarantine alarm tolerates (iotpipe:alarmQuarantineRatePercent). */
  quarantineFraction: number;
  /** Tumbling aggregate windows in seconds (iotpipe:aggregateWindowSeconds). */
  windowSeconds: number[];
  /** The Firehose freshness alarm (iotpipe:alarmFirehoseFreshnessSeconds): the buffer interval must stay well inside it. */
  firehoseFreshnessAlarmSeconds: number;
}

export const DEFAULT_ASSUMPTIONS: SizingAssumptions = {
  readingsPerKpu: 5_000,
  anomalyFraction: 3_441 / 274_328,
  alertTransitionFraction: 100 / 274_328,
  quarantineFraction: 0.05,
  windowSeconds: [60, 3600],
  firehoseFreshnessAlarmSeconds: 900,
};

/** One Kinesis stream's load at the peak and the shards it needs. */
export interface StreamLoad {
  /** Records per second at the fleet's peak. */
  recordsPerSecond: number;
  /** Average record size in bytes (JSON as written). */
  recordBytes: number;
  /** Provisioned shards: `shardsFor` (1 MiB/s and 1,000 records/s per shard, with its headroom). */
  shards: number;
}

/** A quota the fleet touches: its default, what the fleet needs, and whether to ask AWS for more first. */
export interface QuotaCheck {
  service: string;
  quota: string;
  /** The default as AWS documents it (null when the pages searched did not state it: see `defaultText`). */
  defaultValue: number | null;
  defaultText: string;
  needed: number;
  /** raise: ask before deploying; ok: within the default; check: the default was not found or varies by region. */
  verdict: "raise" | "ok" | "check";
  /** Where the default was read. */
  source: string;
}

export interface CapacityPlan {
  fleet: FleetShape;
  rates: FleetRates;
  /** What the sizing assumed (defaults with the stack's and the caller's overrides). */
  assumptions: SizingAssumptions;
  /** Always provisioned for a stated fleet: steady, known telemetry is what provisioned shards are for. */
  streamMode: "PROVISIONED";
  streams: { raw: StreamLoad; outputs: Record<string, StreamLoad> };
  flink: {
    parallelism: number;
    parallelismPerKpu: number;
    /** KPUs running the job (parallelism / parallelism per KPU). */
    kpus: number;
    /** KPUs billed: the job's plus the one orchestration KPU every application pays for. */
    billedKpus: number;
    /** Keyed state the job holds (de-duplication ids, OVER-window references), bytes. */
    stateBytes: number;
  };
  firehose: {
    bufferingSizeMiB: number;
    bufferingIntervalSeconds: number;
    /** Bytes per second each delivery stream ingests (average), by lake table and `raw_messages`. */
    ingestBytesPerSecond: Record<string, number>;
    /** S3 objects each delivery stream writes per day (one per full buffer, or per interval when it does not fill). */
    objectsPerDay: Record<string, number>;
  };
  lambda: { alertNotifierConcurrency: number; reportConcurrency: number };
  quotas: QuotaCheck[];
}

/** Typical JSON value widths by column type: ids of ~12 characters, epoch-millisecond timestamps, 8-digit doubles. */
const JSON_VALUE_BYTES: Record<LakeColumnType, number> = { string: 14, double: 8, bigint: 13, int: 4, boolean: 5, timestamp: 13 };

/** Bytes of one JSON record of a lake table (`"name":value,` per column), with `extraBytes` for variable content. */
export function jsonRecordBytes(table: LakeTable, extraBytes = 0): number {
  return 2 + table.columns.reduce((sum, c) => sum + c.name.length + 4 + JSON_VALUE_BYTES[c.type], 0) + extraBytes;
}

/** The raw stream's record: the IoT rule's `{payload_base64, device_id, site, line, ingest_ts}` around the base64 payload. */
export const RAW_ENVELOPE_BYTES = 110;

export function rawRecordBytes(payloadBytes: number): number {
  return RAW_ENVELOPE_BYTES + 4 * Math.ceil(payloadBytes / 3);
}

/** Flink state per series: the deviation reference of 1,200 readings (analytics/definition.ts) at ~40 bytes each in RocksDB. */
const STATE_BYTES_PER_SERIES = 1_200 * 40;
/** Flink state per remembered message id for de-duplication (iotpipe:duplicateWindowMs), ~60 bytes with its key. */
const STATE_BYTES_PER_MESSAGE_ID = 60;
/** Default de-duplication window (contract/ingest-policy.ts): an hour of message ids. */
const DEDUPE_WINDOW_SECONDS = 3_600;

/**
 * The Firehose buffer interval for a freshness alarm: the largest whole minute at most half the alarm (with
 * dynamic partitioning a record can wait about 1.5 × the interval), within Firehose's 60–900 s. Longer
 * intervals write fewer, larger Parquet files when a table fills the 128 MiB buffer slowly.
 */
export function bufferIntervalFor(freshnessAlarmSeconds: number): number {
  const minutes = Math.floor(freshnessAlarmSeconds / 2 / 60);
  return Math.min(MAX_BUFFER_INTERVAL_SECONDS, Math.max(MIN_BUFFER_INTERVAL_SECONDS, minutes * 60));
}

/** Objects a delivery stream writes per day: one per buffer filled, at least one per interval while data flows. */
export function objectsPerDay(bytesPerSecond: number, bufferingSizeMiB: number, bufferingIntervalSeconds: number): number {
  if (bytesPerSecond <= 0) return 0;
  const fillSeconds = (bufferingSizeMiB * 1024 * 1024) / bytesPerSecond;
  return Math.ceil(86_400 / Math.min(fillSeconds, bufferingIntervalSeconds));
}

/** Flink parallelism for a peak reading rate: one KPU per `readingsPerKpu`, at least 1. */
export function flinkParallelismFor(peakReadingsPerSecond: number, readingsPerKpu: number): number {
  return Math.max(1, Math.ceil(peakReadingsPerSecond / readingsPerKpu));
}

/** Sizes the stack for a fleet; `region`, when given, picks the Region's default quotas where they differ. */
export function sizeFleet(f: FleetShape, assumptions: Partial<SizingAssumptions> = {}, region?: string): CapacityPlan {
  const a = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
  const rates = fleetRates(f);
  const series = f.devices * f.metricsPerMessage;
  const windowsPerSecond = a.windowSeconds.reduce((sum, w) => sum + 1 / w, 0);

  const load = (recordsPerSecond: number, recordBytes: number): StreamLoad => ({
    recordsPerSecond,
    recordBytes,
    // A stream that carries almost nothing still needs its one shard.
    shards: recordsPerSecond > 0 ? shardsFor(recordsPerSecond, recordBytes) : 1,
  });
  const outputRates: Record<string, [number, number]> = {
    [READINGS.name]: [rates.peakReadingsPerSecond, jsonRecordBytes(READINGS)],
    [AGGREGATES.name]: [series * windowsPerSecond * f.peakFactor, jsonRecordBytes(AGGREGATES)],
    [ANOMALIES.name]: [rates.peakReadingsPerSecond * a.anomalyFraction, jsonRecordBytes(ANOMALIES)],
    [ALERTS.name]: [rates.peakReadingsPerSecond * a.alertTransitionFraction, jsonRecordBytes(ALERTS)],
    [QUARANTINE.name]: [rates.peakMessagesPerSecond * a.quarantineFraction, jsonRecordBytes(QUARANTINE, f.payloadBytes)],
  };
  const outputs = Object.fromEntries(LAKE_TABLES.map((t) => [t.name, load(...outputRates[t.name])]));
  const raw = load(rates.peakMessagesPerSecond, rawRecordBytes(f.payloadBytes));

  const parallelism = flinkParallelismFor(rates.peakReadingsPerSecond, a.readingsPerKpu);
  const stateBytes = series * STATE_BYTES_PER_SERIES + rates.messagesPerSecond * DEDUPE_WINDOW_SECONDS * STATE_BYTES_PER_MESSAGE_ID;

  // Firehose sees the average load (peaks pass through the stream's retention), per table and the raw archive.
  const average = (s: StreamLoad) => (s.recordsPerSecond / f.peakFactor) * s.recordBytes;
  const ingestBytesPerSecond: Record<string, number> = {
    ...Object.fromEntries(Object.entries(outputs).map(([name, s]) => [name, average(s)])),
    raw_messages: average(raw),
  };
  const bufferingIntervalSeconds = bufferIntervalFor(a.firehoseFreshnessAlarmSeconds);
  const firehoseObjects = Object.fromEntries(
    Object.entries(ingestBytesPerSecond).map(([name, bps]) => [name, objectsPerDay(bps, MAX_BUFFER_MIB, bufferingIntervalSeconds)]),
  );

  // The notifier reads the alerts stream with one concurrent batch per shard (parallelizationFactor 1).
  const alertNotifierConcurrency = outputs[ALERTS.name].shards;
  const plan: Omit<CapacityPlan, "quotas"> = {
    fleet: f,
    rates,
    assumptions: a,
    streamMode: "PROVISIONED",
    streams: { raw, outputs },
    flink: { parallelism, parallelismPerKpu: 1, kpus: parallelism, billedKpus: parallelism + 1, stateBytes },
    firehose: { bufferingSizeMiB: MAX_BUFFER_MIB, bufferingIntervalSeconds, ingestBytesPerSecond, objectsPerDay: firehoseObjects },
    lambda: { alertNotifierConcurrency, reportConcurrency: 1 },
  };
  return { ...plan, quotas: quotaChecks(plan, region) };
}

/** Total provisioned shards of a plan. */
export function totalShards(plan: Pick<CapacityPlan, "streams">): number {
  return plan.streams.raw.shards + Object.values(plan.streams.outputs).reduce((sum, s) => sum + s.shards, 0);
}

const QUOTA_PAGES = {
  kinesis: "https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html",
  flink: "https://docs.aws.amazon.com/managed-flink/latest/java/how-scaling.html",
  iot: "https://docs.aws.amazon.com/general/latest/gr/iot-core.html#limits_iot",
  lambda: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
} as const;

function verdict(needed: number, defaultValue: number | null): QuotaCheck["verdict"] {
  if (defaultValue === null) return "check";
  return needed > defaultValue ? "raise" : "ok";
}

/**
 * The quotas a fleet of this size meets. Defaults are the ones the AWS pages state (read 2026-12-03 through the
 * project's search of stored pages); where a page gave no number for an account-wide rate, the default is
 * left null and the verdict is "check" rather than a guessed number.
 */
/** Regions whose default provisioned-shard quota is 20,000 per account; every other Region has 1,000 or 6,000. */
export const LARGE_SHARD_QUOTA_REGIONS = ["us-east-1", "us-west-2", "eu-west-1"];

function shardQuota(shards: number, region: string | undefined): QuotaCheck {
  const quota = "Shards per account and Region (provisioned)";
  const base = { service: "Kinesis Data Streams", quota, needed: shards, source: QUOTA_PAGES.kinesis };
  if (region !== undefined && LARGE_SHARD_QUOTA_REGIONS.includes(region)) {
    return { ...base, defaultValue: 20_000, defaultText: `20,000 in ${region} (adjustable)`, verdict: verdict(shards, 20_000) };
  }
  const where = region === undefined ? "in most Regions (20,000 in us-east-1, us-west-2, eu-west-1)" : `in ${region}`;
  return {
    ...base, defaultValue: 1_000, defaultText: `1,000 or 6,000 ${where} (adjustable)`,
    verdict: shards > (region === undefined ? 20_000 : 6_000) ? "raise" : shards > 1_000 ? "check" : "ok",
  };
}

function quotaChecks(plan: Omit<CapacityPlan, "quotas">, region: string | undefined): QuotaCheck[] {
  const peakMessages = plan.rates.peakMessagesPerSecond;
  return [
    shardQuota(totalShards(plan), region),
    {
      service: "Kinesis Data Streams", quota: "Writes per shard (records/s, MiB/s; hard)",
      defaultValue: SHARD_LIMITS.recordsPerSecond, defaultText: "1,000 records/s and 1 MiB/s per shard: the model adds shards instead",
      needed: Math.ceil(plan.streams.raw.recordsPerSecond / plan.streams.raw.shards), verdict: "ok", source: QUOTA_PAGES.kinesis,
    },
    {
      service: "Managed Service for Apache Flink", quota: "KPUs per application",
      defaultValue: 64, defaultText: "64 (adjustable)", needed: plan.flink.kpus, verdict: verdict(plan.flink.kpus, 64), source: QUOTA_PAGES.flink,
    },
    {
      service: "Managed Service for Apache Flink", quota: "Parallelism per application",
      defaultValue: 256, defaultText: "256, i.e. parallelism per KPU × the KPU limit (adjustable)",
      needed: plan.flink.parallelism, verdict: verdict(plan.flink.parallelism, 256), source: QUOTA_PAGES.flink,
    },
    {
      service: "AWS IoT Core", quota: "Concurrent connections per account",
      defaultValue: 500_000, defaultText: "500,000 (adjustable)", needed: plan.fleet.devices, verdict: verdict(plan.fleet.devices, 500_000), source: QUOTA_PAGES.iot,
    },
    {
      service: "AWS IoT Core", quota: "Publishes per second per connection (hard)",
      defaultValue: 100, defaultText: "100 (not adjustable)",
      needed: Math.ceil(plan.fleet.peakFactor / plan.fleet.messageIntervalSeconds), verdict: verdict(plan.fleet.peakFactor / plan.fleet.messageIntervalSeconds, 100), source: QUOTA_PAGES.iot,
    },
    {
      service: "AWS IoT Core", quota: "Inbound publish requests per second per account",
      defaultValue: null, defaultText: "not found in the pages searched; varies by Region: read it in Service Quotas",
      needed: Math.ceil(peakMessages), verdict: "check", source: QUOTA_PAGES.iot,
    },
    {
      service: "AWS IoT Core", quota: "Rule evaluations and actions per second per account",
      defaultValue: null, defaultText: "not found in the pages searched; one rule evaluation and one Kinesis action per message",
      needed: Math.ceil(peakMessages), verdict: "check", source: QUOTA_PAGES.iot,
    },
    {
      service: "AWS Lambda", quota: "Concurrent executions per account and Region",
      defaultValue: null, defaultText: "not verified in the pages searched (commonly 1,000); shared with every other function in the account",
      needed: plan.lambda.alertNotifierConcurrency + plan.lambda.reportConcurrency, verdict: "check", source: QUOTA_PAGES.lambda,
    },
  ];
}
