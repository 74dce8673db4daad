/** The cost model's lines, against arithmetic done by hand with the table's us-east-1 prices. */
import { HOURS_PER_MONTH, platformCost, seedStyleCost, SECONDS_PER_MONTH, tierDays, type BillSettings, type CostEstimate } from "../../sizing/cost";
import { sizeFleet } from "../../sizing/capacity";
import { fleet } from "../../sizing/fleet";
import type { DeployedStack } from "../../sizing/deployed";
import { DEFAULT_STACK } from "./stack-fixture";

const plant = fleet({ devices: 1_000, metricsPerMessage: 4, messageIntervalSeconds: 5 });
const settings: BillSettings = { streamRetentionHours: 24, rawDataIaDays: 30, rawDataGlacierDays: 90, rawDataExpireDays: 0 };
const deployed: DeployedStack = DEFAULT_STACK;
const line = (e: CostEstimate, item: string | RegExp) => {
  const found = e.lines.filter((l) => (typeof item === "string" ? l.item === item : item.test(l.item)));
  if (found.length !== 1) throw new Error(`expected one line ${item}, found ${found.map((l) => l.item).join(", ")}`);
  return found[0];
};

it("counts a month as 730 hours", () => {
  expect(HOURS_PER_MONTH).toBe(730);
  expect(SECONDS_PER_MONTH).toBe(2_628_000);
});

it("ages lake data through the lifecycle tiers", () => {
  expect(tierDays(365, settings)).toEqual({ standard: 30, ia: 60, glacier: 275 });
  expect(tierDays(365, { ...settings, rawDataExpireDays: 180 })).toEqual({ standard: 30, ia: 60, glacier: 90 });
  expect(tierDays(20, settings)).toEqual({ standard: 20, ia: 0, glacier: 0 });
});

describe("this platform, 1,000 devices x 4 metrics every 5 s, us-east-1", () => {
  const bill = platformCost(sizeFleet(plant), deployed, settings, "us-east-1");

  it("bills shard-hours and PUT payload units for every record written", () => {
    expect(line(bill, "7 shards").usd).toBeCloseTo(7 * 730 * 0.015, 6);
    // records/s: 200 raw + 800 readings + 4,000 x (1/60 + 1/3600) aggregates + 800 x 3,441/274,328 anomalies
    // + 800 x 100/274,328 alerts + 200 x 5 % quarantine; each under 25 KB is one unit.
    const recordsPerSecond = 200 + 800 + 4_000 * (1 / 60 + 1 / 3_600) + (800 * 3_441) / 274_328 + (800 * 100) / 274_328 + 10;
    expect(line(bill, "PUT payload units").usd).toBeCloseTo((recordsPerSecond * 2_628_000 / 1e6) * 0.014, 6);
    // Firehose rounds each of the same records up to 5 KB.
    expect(line(bill, /^ingestion/).usd).toBeCloseTo((recordsPerSecond * 2_628_000 * 5_120 / 1e9) * 0.029, 6);
  });

  it("bills Flink's job KPU, the orchestration KPU and 50 GB of running storage", () => {
    expect(line(bill, "1 + 1 KPUs").usd).toBeCloseTo(2 * 730 * 0.11, 6);
    expect(line(bill, "running application storage").usd).toBeCloseTo(50 * 0.1, 6);
  });

  it("bills keys, alarms and KMS requests", () => {
    expect(line(bill, "4 keys").usd).toBe(4);
    expect(line(bill, "41 alarms").usd).toBeCloseTo(4.1, 6);
    // 6 streams x 4 principals x 12 calls an hour x 730 hours, per 10,000.
    expect(line(bill, "requests").usd).toBeCloseTo((6 * 4 * 12 * 730 / 10_000) * 0.03, 6);
  });

  it("charges no messaging for Basic Ingest, bills connection minutes and the rules engine per message", () => {
    expect(line(bill, "Basic Ingest messages").usd).toBe(0);
    // 1,000 devices connected 730 hours: 43.8 million minutes at $0.08 per million.
    expect(line(bill, "connection minutes").usd).toBeCloseTo(43.8 * 0.08, 6);
    // 200 messages/s x 2,628,000 s = 525.6 million messages, each triggering the one ingest rule ($0.15 per
    // million: $78.84) and executing its one Kinesis action ($0.15 per million: $78.84).
    expect(line(bill, "rules triggered")).toMatchObject({ quantity: 525.6e6, usd: expect.closeTo(78.84, 6) });
    expect(line(bill, "rule actions (1 per message)")).toMatchObject({ quantity: 525.6e6, usd: expect.closeTo(78.84, 6) });
    // The S3 error action runs only for a failed delivery: none in a healthy month.
    expect(line(bill, "error actions (failed deliveries only)")).toMatchObject({ quantity: 0, usd: 0 });
    expect(bill.unpriced).toBe(0);
    expect(bill.totalUsd).toBeCloseTo(bill.lines.reduce((s, l) => s + (l.usd ?? 0), 0), 6);
  });

  it("bills every action the ingest rule runs, and no error-action line for a rule without one", () => {
    const twoActions = platformCost(sizeFleet(plant), { ...deployed, ingestRule: { actions: 2, errorAction: false } }, settings, "us-east-1");
    expect(line(twoActions, "rule actions (2 per message)").usd).toBeCloseTo(2 * 525.6 * 0.15, 6);
    expect(twoActions.lines.some((l) => l.item.startsWith("error actions"))).toBe(false);
    expect(twoActions.totalUsd - bill.totalUsd).toBeCloseTo(525.6 * 0.15, 6);
  });

  it("bills Flink's enhanced fan-out consumer per raw shard-hour and per GB it retrieves", () => {
    // One consumer on the raw stream's 1 shard for 730 hours; it retrieves every raw record: 200/s x 474 bytes.
    expect(line(bill, "fan-out consumer, 1 raw shard").usd).toBeCloseTo(730 * 0.015, 6);
    const rawGb = (200 * 474 * 2_628_000) / 1e9; // 249.1344 GB
    expect(line(bill, "fan-out data retrieved")).toMatchObject({ quantity: expect.closeTo(rawGb, 6), usd: expect.closeTo(rawGb * 0.013, 6) });
    // Polling instead: no consumer, nothing billed for reads on provisioned shards.
    const polling = platformCost(sizeFleet(plant), { ...deployed, flink: { ...deployed.flink, enhancedFanOut: false } }, settings, "us-east-1");
    expect(polling.lines.filter((l) => /fan-out/.test(l.item))).toEqual([]);
    expect(bill.totalUsd - polling.totalUsd).toBeCloseTo(730 * 0.015 + rawGb * 0.013, 6);
  });

  it("bills dynamic partitioning per GB processed, per object delivered and per JQ hour", () => {
    // JSON bytes a second across all six streams (see the storage case), as written: no 5 KB rounding here.
    const jsonPerSecond = 200 * 474 + 800 * 224 + 4_000 * (1 / 60 + 1 / 3_600) * 380 + ((800 * 3_441) / 274_328) * 247 + ((800 * 100) / 274_328) * 326 + 10 * 474;
    const gb = (jsonPerSecond * 2_628_000) / 1e9;
    expect(line(bill, "dynamic partitioning").usd).toBeCloseTo(gb * 0.02, 6);
    // Every stream fills less than 128 MiB in 420 s (readings: 179,200 B/s would take 749 s), so each writes one
    // object per interval: ceil(86,400 / 420) = 206 a day, x 6 delivery streams x 730/24 days.
    const objects = 206 * 6 * (730 / 24);
    expect(line(bill, "partitioned objects")).toMatchObject({ quantity: expect.closeTo(objects, 6), usd: expect.closeTo((objects / 1_000) * 0.005, 6) });
    // Assumed one JQ hour per delivery stream per hour: 6 x 730 x $0.07.
    expect(line(bill, "JQ partition-key parsing, 6 delivery streams").usd).toBeCloseTo(6 * 730 * 0.07, 6);
  });

  it("bills the Scheduler's daily report run at the list price (its free 14 million not subtracted)", () => {
    expect(line(bill, "daily report schedule").usd).toBeCloseTo((730 / 24 / 1e6) * 1, 12);
  });

  it("adds seven-day retention per shard-hour when the stack keeps records longer than a day", () => {
    const week = platformCost(sizeFleet(plant), deployed, { ...settings, streamRetentionHours: 168 }, "us-east-1");
    expect(line(week, "retention up to 7 days").usd).toBeCloseTo(7 * 730 * 0.02, 6);
  });

  it("stores a year of the lake by tier: Parquet at 5 % of the JSON, the raw archive gzip at 25 %", () => {
    // JSON bytes a second: readings 800 x 224, aggregates 4,000 x (1/60 + 1/3600) x 380, anomalies and alerts at
    // their fractions of 800 readings (247 and 326 bytes), quarantine 10 x 474; the raw archive 200 x 474.
    const lakeJson = 800 * 224 + 4_000 * (1 / 60 + 1 / 3_600) * 380 + ((800 * 3_441) / 274_328) * 247 + ((800 * 100) / 274_328) * 326 + 10 * 474;
    const perDayGb = ((lakeJson * 0.05 + 200 * 474 * 0.25) * 86_400) / 1e9;
    // Month 12 with IA after 30 days and Glacier after 90: 30 days Standard, 60 IA, the rest (365 - 90) Glacier.
    expect(line(bill, "Standard, month 12").quantity).toBeCloseTo(perDayGb * 30, 6);
    expect(line(bill, "Standard-IA, month 12").usd).toBeCloseTo(perDayGb * 60 * 0.0125, 6);
    expect(line(bill, "Glacier Flexible Retrieval, month 12").quantity).toBeCloseTo(perDayGb * (365 - 90), 6);
  });

  it("bills lifecycle transitions once per object a year in, and the tiers by age", () => {
    const transitions = line(bill, "lifecycle transitions to Standard-IA");
    expect(line(bill, "lifecycle transitions to Glacier").quantity).toBe(transitions.quantity);
    expect(transitions.usd).toBeCloseTo((transitions.quantity / 1_000) * 0.01, 6);
    // Expired before reaching Glacier: no Glacier transitions.
    const short = platformCost(sizeFleet(plant), deployed, { ...settings, rawDataExpireDays: 60 }, "us-east-1");
    expect(short.lines.some((l) => l.item === "lifecycle transitions to Glacier")).toBe(false);
  });

  it("prices nothing it has no Frankfurt price for", () => {
    const frankfurt = platformCost(sizeFleet(plant), deployed, settings, "eu-central-1");
    expect(line(frankfurt, "7 shards").usd).toBeNull();
    expect(line(frankfurt, "rules triggered").usd).toBeNull();
    expect(frankfurt.unpriced).toBeGreaterThan(bill.unpriced);
  });

  it("prices a Frankfurt bill (prod's seven-day retention) where Frankfurt prices were found: retention and Lambda", () => {
    const frankfurt = platformCost(sizeFleet(plant), deployed, { ...settings, streamRetentionHours: 168 }, "eu-central-1");
    // 7 shards x 730 h at Frankfurt's $0.024 per extended shard-hour (us-east-1: $0.02).
    expect(line(frankfurt, "retention up to 7 days").usd).toBeCloseTo(7 * 730 * 0.024, 6); // $122.64
    // The notifier runs once per alert transition (800 readings/s x 100/274,328), the report once a day (730/24 days).
    const transitions = ((800 * 100) / 274_328) * 2_628_000; // 766,382.4 a month
    const invocations = transitions + 730 / 24;
    expect(line(frankfurt, "invocations").usd).toBeCloseTo((invocations / 1e6) * 0.2, 9);
    // 0.2 s at 256 MiB per transition, 60 s at 1,024 MiB per report, at $0.0000166667 per GB-s.
    expect(line(frankfurt, "compute").usd).toBeCloseTo((transitions * 0.2 * 0.25 + (730 / 24) * 60 * 1) * 0.0000166667, 9);
    expect(line(frankfurt, "4 keys").usd).toBe(4);
    // The lake's Standard tier at Frankfurt's $0.0245 per GB-month (us-east-1: $0.023).
    const standard = line(frankfurt, "Standard, month 12");
    expect(standard.usd).toBeCloseTo(standard.quantity * 0.0245, 9);
    // Everything priced adds up; the rest (shards, Firehose, Flink, ...) is listed unpriced and the total is a floor.
    const priced = frankfurt.lines.filter((l) => l.usd !== null);
    expect(priced.map((l) => l.item).sort()).toEqual(
      ["4 keys", "Basic Ingest messages", "Standard, month 12", "compute", "invocations", "retention up to 7 days", "roles and policies"].sort(),
    );
    expect(frankfurt.totalUsd).toBeCloseTo(priced.reduce((s, l) => s + (l.usd as number), 0), 9);
    expect(frankfurt.unpriced).toBe(frankfurt.lines.length - priced.length);
  });

  it("prices the dev Region's S3 lake from Ireland's (2018) Price List rows", () => {
    const ireland = platformCost(sizeFleet(plant), deployed, settings, "eu-west-1");
    const standard = line(ireland, "Standard, month 12");
    expect(standard.usd).toBeCloseTo(standard.quantity * 0.023, 9);
    const glacier = line(ireland, "Glacier Flexible Retrieval, month 12");
    expect(glacier.usd).toBeCloseTo(glacier.quantity * 0.004, 9);
    expect(line(ireland, "lifecycle transitions to Standard-IA").usd).toBeCloseTo((line(ireland, "lifecycle transitions to Standard-IA").quantity / 1_000) * 0.01, 9);
    // No Ireland price was found for Glacier transitions or the rules engine.
    expect(line(ireland, "lifecycle transitions to Glacier").usd).toBeNull();
    expect(line(ireland, "rules triggered").usd).toBeNull();
  });

  it("bills on-demand streams per stream-hour and GB instead of shards, fan-out reads at the on-demand fan-out rate", () => {
    const onDemandStack: DeployedStack = { ...deployed, streamMode: "ON_DEMAND", shards: {} };
    const onDemand = platformCost(sizeFleet(plant), onDemandStack, settings, "us-east-1");
    expect(line(onDemand, "6 on-demand streams").usd).toBeCloseTo(6 * 730 * 0.04, 6);
    const written = line(onDemand, "data written");
    expect(written.usd).toBeCloseTo(written.quantity * 0.08, 6);
    // Polling reads: each stream's Firehose reads it once; Flink reads raw through its consumer at $0.05/GB, with
    // no consumer-shard-hours on demand.
    const rawGb = (200 * 474 * 2_628_000) / 1e9;
    expect(line(onDemand, "data read").quantity).toBeCloseTo(written.quantity, 6);
    expect(line(onDemand, "fan-out data read").usd).toBeCloseTo(rawGb * 0.05, 6);
    expect(onDemand.lines.some((l) => l.price === "kinesisShardHour" || l.price === "kinesisEfoConsumerShardHour")).toBe(false);
    // A polling job reads raw a second time through GetRecords instead.
    const polling = platformCost(sizeFleet(plant), { ...onDemandStack, flink: { ...deployed.flink, enhancedFanOut: false } }, settings, "us-east-1");
    expect(line(polling, "data read").quantity).toBeCloseTo(written.quantity + rawGb, 6);
    expect(polling.lines.some((l) => l.item === "fan-out data read")).toBe(false);
  });
});

describe("the seed-style design, same fleet", () => {
  const seed = seedStyleCost(plant, "us-east-1");
  const messages = 200 * 2_628_000; // 525.6 million
  const readings = 4 * messages;

  it("bills an HTTP API request per message in two tiers", () => {
    expect(line(seed, /HTTP API requests \(up to/).usd).toBeCloseTo(300 * 1, 6);
    expect(line(seed, /HTTP API requests \(above/).usd).toBeCloseTo(((messages - 300e6) / 1e6) * 0.9, 6);
  });

  it("bills a Lambda invocation of 128 MB for 50 ms per message", () => {
    expect(line(seed, "invocations").usd).toBeCloseTo((messages / 1e6) * 0.2, 6);
    expect(line(seed, "compute").usd).toBeCloseTo(messages * 0.125 * 0.05 * 0.0000166667, 6);
  });

  it("bills a DynamoDB write per reading and a year of 150-byte items", () => {
    expect(line(seed, "item writes").usd).toBeCloseTo((readings / 1e6) * 0.625, 6);
    expect(line(seed, "storage, month 12").usd).toBeCloseTo((readings * 12 * 150 / 1e9) * 0.25, 6);
  });

  it("prices only the Lambda lines in Ireland, where no API Gateway, DynamoDB or CloudWatch price was found", () => {
    const ireland = seedStyleCost(plant, "eu-west-1");
    expect(line(ireland, "invocations").usd).toBeCloseTo(525.6 * 0.2, 6); // $105.12
    expect(line(ireland, "compute").usd).toBeCloseTo(messages * 0.125 * 0.05 * 0.0000166667, 6); // $54.75
    expect(ireland.lines.filter((l) => l.usd === null).map((l) => l.service).sort()).toEqual(
      ["Amazon API Gateway", "Amazon API Gateway", "Amazon CloudWatch", "Amazon DynamoDB", "Amazon DynamoDB"],
    );
    expect(ireland.totalUsd).toBeCloseTo(105.12 + 54.75, 2);
  });

  it("bills 450 bytes of CloudWatch logs per message, and totals $3,041", () => {
    expect(line(seed, "log lines").usd).toBeCloseTo((messages * 450 / 1e9) * 0.5, 6);
    expect(seed.unpriced).toBe(0);
    expect(seed.totalUsd).toBeCloseTo(503.04 + 105.12 + 54.75 + 1_314 + 946.08 + 118.26, 0);
  });
});
