/**
 * The cost model: a month of this platform, and of a seed-style design, at list prices (sizing/prices.ts).
 * Usage comes from the sizing model (records, bytes, objects); capacities and fixed-price resources from what the
 * rendered plan deploys (sizing/deployed.ts). Free tiers are not subtracted. A line whose price was not found is
 * kept with its quantity and no dollars, and the total says it is a lower bound.
 */
import type { CapacityPlan } from "./capacity";
import type { DeployedStack } from "./deployed";
import { fleetRates, type FleetShape } from "./fleet";
import { effectivePrices, type EffectivePrices, type PriceOverlay } from "./price-overlay";
import type { PricedRegion, PriceKey, Service } from "./prices";

/** Hours and seconds in the month the bill is for (AWS prices a month as 730 hours). */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3_600;
const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
const GB = 1e9;

/** Assumptions of the storage and query lines, each with the reason for its number. */
export const COST_ASSUMPTIONS = {
  /**
   * Parquet over JSON of the same rows, measured on the demo's lake (`npm run demo`; `du -sb
   * .iotpipe/demo/lake/readings`): 2,758,551 bytes of Parquet for 274,328 readings, 10.1 bytes a reading against
   * the 224-byte JSON record (jsonRecordBytes(READINGS)): 0.045. DuckDB writes one file per day there; Firehose
   * writes one per buffer, smaller files that compress somewhat worse (not measured), hence 0.05.
   */
  parquetFractionOfJson: 0.05,
  /** gzip over the raw archive's JSON lines (base64 payloads compress less than plain JSON). */
  gzipFractionOfRawJson: 0.25,
  /** Month of the lake's life the storage lines describe: a year in, with the lifecycle's tiers filled. */
  storageMonth: 12,
  /** Columns a compliance query reads of a day's readings (Parquet reads only those). */
  reportColumnFraction: 0.5,
  /** Analyst queries a day, each over one day of readings with a third of the columns. */
  analystQueriesPerDay: 20,
  analystColumnFraction: 0.3,
  /** Principals calling KMS per stream (producer, consumer, Firehose, notifier), each about every 5 minutes (Kinesis SSE). */
  kmsPrincipalsPerStream: 4,
  kmsCallsPerPrincipalHour: 12,
  /** Alert notifier: one invocation per alert transition at most, ~200 ms each. Report: one run a day of ~60 s. */
  notifierSeconds: 0.2,
  reportSeconds: 60,
  /** Firehose bills each record rounded up to 5 KB (Direct PUT and Kinesis source alike). */
  firehoseRecordIncrementBytes: 5 * 1024,
  /** Kinesis PUT payload units are 25 KB. */
  kinesisPayloadUnitBytes: 25 * 1024,
  /**
   * JQ processing hours per delivery stream per hour. Every delivery stream extracts its partition key with an
   * inline JQ query (components/parquet-lake.ts), billed per "JQ processing hour"; the pricing pages searched do
   * not say how those hours are counted. Assumed: one hour per delivery stream per hour it runs (the engine
   * counted as busy while the stream flows). Firehose's `JQProcessing.Duration` metric (ms per delivery stream)
   * shows the real figure; a stream far above a few MB/s could be billed more than wall-clock time.
   */
  jqHoursPerDeliveryStreamHour: 1,
  /**
   * Messages whose rule action fails (Kinesis throttling or an access error), each running the rule's error action
   * once. Billed as zero: a healthy pipeline has none, and one that fails steadily is an incident
   * (`operations-rule-failures-ingest`), not a monthly line. Each failure would add one action executed.
   */
  failedRuleDeliveryFraction: 0,
} as const;

/** The seed-style design's per-record work. */
export const SEED_ASSUMPTIONS = {
  /** One Lambda invocation per message behind an HTTP API, 128 MB for 50 ms. */
  lambdaMemoryGb: 0.125,
  lambdaSeconds: 0.05,
  /** One DynamoDB item per reading: ~50 bytes of attributes plus DynamoDB's 100 bytes of per-item overhead. */
  itemBytes: 150,
  /** One application log line per message (~150 B) plus Lambda's START/END/REPORT lines (~300 B). */
  logBytesPerMessage: 450,
} as const;

export interface CostLine {
  service: Service;
  item: string;
  quantity: number;
  unit: string;
  /** Monthly dollars; null when the price was not found. */
  usd: number | null;
  price: PriceKey;
}

export interface CostEstimate {
  region: PricedRegion;
  lines: CostLine[];
  /** Sum of the priced lines. */
  totalUsd: number;
  /** Lines without a price: the total is a lower bound while any remain. */
  unpriced: number;
  /** When a Price List overlay (sizing/price-overlay.ts) was merged over the table: the date it was read. */
  overlayRead?: string;
}

/** The settings of a stack that change its bill beyond capacities. */
export interface BillSettings {
  streamRetentionHours: number;
  rawDataIaDays: number;
  rawDataGlacierDays: number;
  /** 0 keeps data forever. */
  rawDataExpireDays: number;
}

class Bill {
  readonly lines: CostLine[] = [];
  private readonly prices: EffectivePrices;
  constructor(readonly region: PricedRegion, overlay?: PriceOverlay) {
    this.prices = effectivePrices(region, overlay);
  }

  /** Adds a line of `quantity` units at `perUnits` units per price (e.g. 1e6 for a per-million price). */
  add(service: Service, item: string, price: PriceKey, quantity: number, unit: string, perUnits = 1): void {
    const p = this.prices.usd(price);
    this.lines.push({ service, item, quantity, unit, usd: p === null ? null : (quantity / perUnits) * p, price });
  }

  /** A tiered line: `tiers` are [upper bound of the tier in units, price key], the last one open-ended. */
  addTiered(service: Service, item: string, tiers: [number, PriceKey][], quantity: number, unit: string, perUnits: number): void {
    let rest = quantity;
    let floor = 0;
    for (const [ceiling, price] of tiers) {
      const inTier = Math.min(rest, ceiling - floor);
      if (inTier > 0) this.add(service, `${item} (${tierLabel(floor, ceiling, unit)})`, price, inTier, unit, perUnits);
      rest -= inTier;
      floor = ceiling;
      if (rest <= 0) break;
    }
  }

  estimate(): CostEstimate {
    const priced = this.lines.filter((l) => l.usd !== null);
    return {
      region: this.region, lines: this.lines, totalUsd: priced.reduce((s, l) => s + (l.usd as number), 0), unpriced: this.lines.length - priced.length,
      ...(this.prices.overlay && { overlayRead: this.prices.overlay.read }),
    };
  }
}

function tierLabel(floor: number, ceiling: number, unit: string): string {
  const n = (v: number) => v.toLocaleString("en-US");
  if (!Number.isFinite(ceiling)) return `above ${n(floor)} ${unit}`;
  return floor === 0 ? `up to ${n(ceiling)} ${unit}` : `${n(floor)}–${n(ceiling)} ${unit}`;
}

/** Days of a lake object's life spent in each storage class, `ageDays` after the lake started. */
export function tierDays(ageDays: number, s: BillSettings): { standard: number; ia: number; glacier: number } {
  const end = s.rawDataExpireDays > 0 ? Math.min(ageDays, s.rawDataExpireDays) : ageDays;
  const standard = Math.min(end, s.rawDataIaDays);
  const ia = Math.max(0, Math.min(end, s.rawDataGlacierDays) - s.rawDataIaDays);
  const glacier = Math.max(0, end - s.rawDataGlacierDays);
  return { standard, ia, glacier };
}

/** A month of this platform for `plan`'s load, deployed as `deployed`, in `region` (the table's prices, or an overlay's over them). */
export function platformCost(plan: CapacityPlan, deployed: DeployedStack, settings: BillSettings, region: PricedRegion, overlay?: PriceOverlay): CostEstimate {
  const a = COST_ASSUMPTIONS;
  const bill = new Bill(region, overlay);
  const f = plan.fleet;
  const messagesPerMonth = plan.rates.messagesPerSecond * SECONDS_PER_MONTH;
  const perMonth = (recordsPerSecondAtPeak: number) => (recordsPerSecondAtPeak / f.peakFactor) * SECONDS_PER_MONTH;

  // IoT Core: devices stay connected; Basic Ingest carries no messaging charge, but the rules engine still bills
  // every message: its topic addresses the one ingest rule (one rule triggered), which runs its actions (the plan's
  // Kinesis action); the error action runs, and is billed, only for a delivery that failed.
  const rule = deployed.ingestRule;
  bill.add("AWS IoT Core", "connection minutes", "iotConnectionMinutesPerMillion", f.devices * HOURS_PER_MONTH * 60, "minutes", 1e6);
  bill.add("AWS IoT Core", "Basic Ingest messages", "iotBasicIngestMessagesPerMillion", messagesPerMonth, "messages", 1e6);
  bill.add("AWS IoT Core", "rules triggered", "iotRulesTriggeredPerMillion", messagesPerMonth, "rules", 1e6);
  bill.add("AWS IoT Core", `rule actions (${rule.actions} per message)`, "iotActionsExecutedPerMillion", messagesPerMonth * rule.actions, "actions", 1e6);
  if (rule.errorAction) {
    bill.add("AWS IoT Core", "error actions (failed deliveries only)", "iotActionsExecutedPerMillion",
      messagesPerMonth * a.failedRuleDeliveryFraction, "actions", 1e6);
  }

  // Kinesis: every record written, by stream. The Flink job reads the raw stream through its own enhanced fan-out
  // consumer when the plan says so (its runtime property); every other reader polls.
  const streamLoads = [plan.streams.raw, ...Object.values(plan.streams.outputs)];
  const bytesWritten = streamLoads.reduce((s, l) => s + perMonth(l.recordsPerSecond) * l.recordBytes, 0);
  const rawBytes = perMonth(plan.streams.raw.recordsPerSecond) * plan.streams.raw.recordBytes;
  const efo = deployed.flink.enhancedFanOut;
  if (deployed.streamMode === "PROVISIONED") {
    const shards = Object.values(deployed.shards).reduce((s, n) => s + n, 0);
    bill.add("Kinesis Data Streams", `${shards} shards`, "kinesisShardHour", shards * HOURS_PER_MONTH, "shard-hours");
    const payloadUnits = streamLoads.reduce((s, l) => s + perMonth(l.recordsPerSecond) * Math.ceil(l.recordBytes / a.kinesisPayloadUnitBytes), 0);
    bill.add("Kinesis Data Streams", "PUT payload units", "kinesisPutPayloadUnitsPerMillion", payloadUnits, "units", 1e6);
    if (settings.streamRetentionHours > 24) {
      bill.add("Kinesis Data Streams", "retention up to 7 days", "kinesisExtendedRetentionShardHour", shards * HOURS_PER_MONTH, "shard-hours");
    }
    if (efo) {
      const rawShards = rawStreamShards(deployed);
      bill.add("Kinesis Data Streams", `fan-out consumer, ${rawShards} raw shard${rawShards === 1 ? "" : "s"}`, "kinesisEfoConsumerShardHour", rawShards * HOURS_PER_MONTH, "consumer-shard-hours");
      bill.add("Kinesis Data Streams", "fan-out data retrieved", "kinesisEfoGbRetrieved", rawBytes / GB, "GB");
    }
  } else {
    bill.add("Kinesis Data Streams", `${deployed.streamCount} on-demand streams`, "kinesisOnDemandStreamHour", deployed.streamCount * HOURS_PER_MONTH, "stream-hours");
    bill.add("Kinesis Data Streams", "data written", "kinesisOnDemandGbWritten", bytesWritten / GB, "GB");
    // Every stream has one polling reader (a Firehose on each); the raw stream has Flink too, polling unless it fans out.
    bill.add("Kinesis Data Streams", "data read", "kinesisOnDemandGbRead", (bytesWritten + (efo ? 0 : rawBytes)) / GB, "GB");
    if (efo) bill.add("Kinesis Data Streams", "fan-out data read", "kinesisOnDemandEfoGbRead", rawBytes / GB, "GB");
    if (settings.streamRetentionHours > 24) {
      const extraHours = Math.min(settings.streamRetentionHours, 168) - 24;
      bill.add("Kinesis Data Streams", "retention up to 7 days", "kinesisOnDemandExtendedRetentionGbMonth", (bytesWritten / SECONDS_PER_MONTH) * extraHours * 3_600 / GB, "GB-months");
    }
  }
  if (settings.streamRetentionHours > 168) {
    const retainedGb = (bytesWritten / SECONDS_PER_MONTH) * (settings.streamRetentionHours - 168) * 3_600 / GB;
    bill.add("Kinesis Data Streams", "retention beyond 7 days", "kinesisLongTermRetentionGbMonth", retainedGb, "GB-months");
  }

  // Managed Flink: the job's KPUs plus the orchestration KPU, and 50 GB of running storage per job KPU.
  const kpus = Math.ceil(deployed.flink.parallelism / deployed.flink.parallelismPerKpu);
  bill.add("Managed Service for Apache Flink", `${kpus} + 1 KPUs`, "flinkKpuHour", (kpus + 1) * HOURS_PER_MONTH, "KPU-hours");
  bill.add("Managed Service for Apache Flink", "running application storage", "flinkRunningStorageGbMonth", kpus * 50, "GB-months");

  // Firehose: each record billed as at least 5 KB, for every delivery stream (lake tables and the raw archive).
  const billedGb = streamLoads.reduce(
    (s, l) => s + perMonth(l.recordsPerSecond) * Math.ceil(l.recordBytes / a.firehoseRecordIncrementBytes) * a.firehoseRecordIncrementBytes,
    0,
  ) / GB;
  bill.addTiered("Amazon Data Firehose", "ingestion", [
    [500_000, "firehoseIngestGbFirst500Tb"], [2_000_000, "firehoseIngestGbNext1500Tb"], [Infinity, "firehoseIngestGbAbove2Pb"],
  ], billedGb, "GB", 1);
  const lakeLoads = Object.values(plan.streams.outputs);
  const lakeBilledGb = lakeLoads.reduce((s, l) => s + perMonth(l.recordsPerSecond) * a.firehoseRecordIncrementBytes, 0) / GB;
  bill.add("Amazon Data Firehose", "Parquet conversion", "firehoseFormatConversionGb", lakeBilledGb, "GB");
  // Every delivery stream partitions dynamically by day with an inline JQ query (components/parquet-lake.ts):
  // billed per GB processed (the records as written, not rounded up), per object delivered and per JQ hour.
  bill.add("Amazon Data Firehose", "dynamic partitioning", "firehoseDynamicPartitioningGb", bytesWritten / GB, "GB");
  const objectsPerMonth = Object.values(objectsPerDayAt(plan, deployed)).reduce((s, n) => s + n, 0) * DAYS_PER_MONTH;
  bill.add("Amazon Data Firehose", "partitioned objects", "firehoseDynamicPartitioningPer1000Objects", objectsPerMonth, "objects", 1_000);
  bill.add("Amazon Data Firehose", `JQ partition-key parsing, ${deployed.firehose.deliveryStreams} delivery streams`, "firehoseJqProcessingHour",
    deployed.firehose.deliveryStreams * HOURS_PER_MONTH * a.jqHoursPerDeliveryStreamHour, "JQ hours");

  // S3: the lake a year in, by lifecycle tier; one PUT per object Firehose writes.
  const lakeJsonPerDay = lakeLoads.reduce((s, l) => s + (l.recordsPerSecond / f.peakFactor) * l.recordBytes, 0) * 86_400;
  const rawJsonPerDay = (plan.streams.raw.recordsPerSecond / f.peakFactor) * plan.streams.raw.recordBytes * 86_400;
  const storedPerDayGb = (lakeJsonPerDay * a.parquetFractionOfJson + rawJsonPerDay * a.gzipFractionOfRawJson) / GB;
  const days = tierDays(a.storageMonth * DAYS_PER_MONTH, settings);
  bill.add("Amazon S3", `Standard, month ${a.storageMonth}`, "s3StandardGbMonth", storedPerDayGb * days.standard, "GB-months");
  bill.add("Amazon S3", `Standard-IA, month ${a.storageMonth}`, "s3StandardIaGbMonth", storedPerDayGb * days.ia, "GB-months");
  bill.add("Amazon S3", `Glacier Flexible Retrieval, month ${a.storageMonth}`, "s3GlacierFlexibleGbMonth", storedPerDayGb * days.glacier, "GB-months");
  bill.add("Amazon S3", "PUT requests (Firehose objects)", "s3PutPer1000", objectsPerMonth, "requests", 1_000);
  // A year in, every month's objects reach the tiers once each (expiry is free).
  const lakeAgeDays = a.storageMonth * DAYS_PER_MONTH;
  const expiresBefore = (days: number) => settings.rawDataExpireDays > 0 && settings.rawDataExpireDays <= days;
  if (lakeAgeDays > settings.rawDataIaDays && !expiresBefore(settings.rawDataIaDays)) {
    bill.add("Amazon S3", "lifecycle transitions to Standard-IA", "s3TransitionToIaPer1000", objectsPerMonth, "transitions", 1_000);
  }
  if (lakeAgeDays > settings.rawDataGlacierDays && !expiresBefore(settings.rawDataGlacierDays)) {
    bill.add("Amazon S3", "lifecycle transitions to Glacier", "s3TransitionToGlacierPer1000", objectsPerMonth, "transitions", 1_000);
  }

  // Glue and Athena: the daily compliance queries and analysts, each over one day of readings.
  const readingsParquetPerDay = (plan.rates.readingsPerSecond * plan.streams.outputs.readings.recordBytes * 86_400 * a.parquetFractionOfJson);
  const minScan = 10 * 1024 * 1024;
  const reportScan = deployed.counts.namedQueries * Math.max(minScan, readingsParquetPerDay * a.reportColumnFraction);
  const analystScan = a.analystQueriesPerDay * Math.max(minScan, readingsParquetPerDay * a.analystColumnFraction);
  const queriesPerMonth = (deployed.counts.namedQueries + a.analystQueriesPerDay) * DAYS_PER_MONTH;
  bill.add("AWS Glue", `${deployed.counts.glueTables} catalog tables`, "glueCatalogObjectsPer100kMonth", deployed.counts.glueTables, "objects", 100_000);
  bill.add("AWS Glue", "catalog requests (Athena planning)", "glueCatalogRequestsPerMillion", queriesPerMonth * 4, "requests", 1e6);
  bill.add("Amazon Athena", `${deployed.counts.namedQueries} report queries a day`, "athenaTbScanned", (reportScan * DAYS_PER_MONTH) / 1e12, "TB");
  bill.add("Amazon Athena", `${a.analystQueriesPerDay} analyst queries a day`, "athenaTbScanned", (analystScan * DAYS_PER_MONTH) / 1e12, "TB");

  // Lambda: the alert notifier (per transition) and the daily report.
  const alertTransitions = perMonth(plan.streams.outputs.alerts.recordsPerSecond);
  const memoryGb = (name: RegExp, fallback: number) => (Object.entries(deployed.lambdaMemoryMiB).find(([n]) => name.test(n))?.[1] ?? fallback) / 1024;
  bill.add("AWS Lambda", "invocations", "lambdaRequestsPerMillion", alertTransitions + DAYS_PER_MONTH, "requests", 1e6);
  bill.add("AWS Lambda", "compute", "lambdaGbSecond",
    alertTransitions * a.notifierSeconds * memoryGb(/notifier/, 256) + DAYS_PER_MONTH * a.reportSeconds * memoryGb(/report/, 1024), "GB-seconds");

  // CloudWatch, KMS, and the messaging around the pipeline.
  bill.add("Amazon CloudWatch", `${deployed.counts.alarms} alarms`, "cloudwatchAlarmMonth", deployed.counts.alarms, "alarm-months");
  bill.add("Amazon CloudWatch", `${deployed.counts.dashboards} dashboards`, "cloudwatchDashboardMonth", deployed.counts.dashboards, "dashboard-months");
  bill.add("AWS KMS", `${deployed.counts.kmsKeys} keys`, "kmsKeyMonth", deployed.counts.kmsKeys, "key-months");
  bill.add("AWS KMS", "requests", "kmsRequestsPer10k",
    deployed.streamCount * a.kmsPrincipalsPerStream * a.kmsCallsPerPrincipalHour * HOURS_PER_MONTH, "requests", 10_000);
  bill.add("Amazon SNS", "alert and report notifications", "snsPublishesPerMillion", alertTransitions + DAYS_PER_MONTH, "publishes", 1e6);
  bill.add("Amazon SQS", "dead-letter queues (failures only)", "sqsRequestsPerMillion", 0, "requests", 1e6);
  bill.add("Amazon EventBridge Scheduler", "daily report schedule", "schedulerInvocationsPerMillion", DAYS_PER_MONTH, "invocations", 1e6);
  bill.add("AWS IAM", "roles and policies", "iamNoCharge", 0, "");
  return bill.estimate();
}

/** Shards of the deployed raw stream (the one whose logical name ends in `-raw`). */
function rawStreamShards(deployed: DeployedStack): number {
  const raw = Object.entries(deployed.shards).find(([name]) => name.endsWith("-raw"));
  if (!raw) throw new Error(`the plan has no provisioned raw stream among ${Object.keys(deployed.shards).join(", ")}`);
  return raw[1];
}

/** S3 objects each delivery stream writes a day at the deployed buffering. */
function objectsPerDayAt(plan: CapacityPlan, deployed: DeployedStack): Record<string, number> {
  const sizeBytes = deployed.firehose.bufferingSizeMiB * 1024 * 1024;
  return Object.fromEntries(
    Object.entries(plan.firehose.ingestBytesPerSecond).map(([name, bps]) => {
      if (bps <= 0) return [name, 0];
      return [name, Math.ceil(86_400 / Math.min(sizeBytes / bps, deployed.firehose.bufferingIntervalSeconds))];
    }),
  );
}

/**
 * A month of the seed-style design for the same fleet: every message through an HTTP API to a Lambda function,
 * one DynamoDB item per reading (kept for `storageMonth` months), a CloudWatch log line per message. It has no IoT
 * Core, so no rules-engine lines: no rule is triggered and no action executed.
 */
export function seedStyleCost(f: FleetShape, region: PricedRegion, overlay?: PriceOverlay): CostEstimate {
  const s = SEED_ASSUMPTIONS;
  const bill = new Bill(region, overlay);
  const rates = fleetRates(f);
  const messages = rates.messagesPerSecond * SECONDS_PER_MONTH;
  const readings = rates.readingsPerSecond * SECONDS_PER_MONTH;
  bill.addTiered("Amazon API Gateway", "HTTP API requests", [
    [300e6, "apiGatewayHttpPerMillionFirst300M"], [Infinity, "apiGatewayHttpPerMillionAbove300M"],
  ], messages, "requests", 1e6);
  bill.add("AWS Lambda", "invocations", "lambdaRequestsPerMillion", messages, "requests", 1e6);
  bill.add("AWS Lambda", "compute", "lambdaGbSecond", messages * s.lambdaMemoryGb * s.lambdaSeconds, "GB-seconds");
  bill.add("Amazon DynamoDB", "item writes", "dynamodbWriteRequestsPerMillion", readings, "write units", 1e6);
  bill.add("Amazon DynamoDB", `storage, month ${COST_ASSUMPTIONS.storageMonth}`, "dynamodbStorageGbMonth",
    (readings * COST_ASSUMPTIONS.storageMonth * s.itemBytes) / GB, "GB-months");
  bill.add("Amazon CloudWatch", "log lines", "cloudwatchLogsIngestGb", (messages * s.logBytesPerMessage) / GB, "GB");
  return bill.estimate();
}

/** Monthly dollars by service (priced lines), with the count of unpriced lines per service. */
export function byService(estimate: CostEstimate): { service: Service; usd: number; unpriced: number }[] {
  const rows = new Map<Service, { usd: number; unpriced: number }>();
  for (const l of estimate.lines) {
    const row = rows.get(l.service) ?? { usd: 0, unpriced: 0 };
    if (l.usd === null) row.unpriced += 1;
    else row.usd += l.usd;
    rows.set(l.service, row);
  }
  return [...rows.entries()].map(([service, r]) => ({ service, ...r }));
}
