/** The sizing model's formulas, each against numbers worked out by hand. */
import {
  bufferIntervalFor, flinkParallelismFor, jsonRecordBytes, objectsPerDay, rawRecordBytes, sizeFleet, totalShards,
} from "../../sizing/capacity";
import { estimatePayloadBytes, fleet, fleetProblems, fleetRates } from "../../sizing/fleet";
import type { LakeTable } from "../../lake/tables";

const plant = fleet({ devices: 1_000, metricsPerMessage: 4, messageIntervalSeconds: 5 });
const million = fleet({ devices: 1_000_000, metricsPerMessage: 4, messageIntervalSeconds: 1 });

describe("fleet", () => {
  it("estimates a message as the envelope plus 56 bytes a reading", () => {
    expect(estimatePayloadBytes(4)).toBe(48 + 4 * 56);
    expect(plant.payloadBytes).toBe(272);
  });

  it("turns devices, metrics and interval into message and reading rates, and the peak", () => {
    expect(fleetRates(plant)).toEqual({ messagesPerSecond: 200, readingsPerSecond: 800, peakMessagesPerSecond: 200, peakReadingsPerSecond: 800 });
    expect(fleetRates({ ...plant, peakFactor: 1.5 })).toMatchObject({ peakMessagesPerSecond: 300, peakReadingsPerSecond: 1_200 });
  });

  it("refuses a fleet it cannot size, saying which field", () => {
    expect(fleetProblems({ ...plant, devices: 0, peakFactor: 0.5, payloadBytes: 200_000 })).toEqual([
      "devices must be a whole number of at least 1 (got 0)",
      "payloadBytes must be a whole number from 1 to 131072 (IoT Core's message limit; got 200000)",
      "peakFactor must be at least 1 (got 0.5)",
    ]);
    expect(() => fleet({ devices: 10, metricsPerMessage: 0, messageIntervalSeconds: 5 })).toThrow(/metricsPerMessage must be a whole number/);
  });
});

describe("record sizes", () => {
  it("wraps the payload in base64 inside the IoT rule's envelope", () => {
    // 272 bytes -> 91 groups of 3 -> 364 base64 characters, plus the 110-byte envelope.
    expect(rawRecordBytes(272)).toBe(474);
    expect(rawRecordBytes(3)).toBe(114);
  });

  it("counts a JSON record as braces plus name, quotes, colon, comma and a typical value per column", () => {
    const table: LakeTable = {
      name: "t", description: "", partitionKey: "dt", partitionSource: "ts",
      columns: [{ name: "ab", type: "string", comment: "" }, { name: "v", type: "double", comment: "" }, { name: "ts", type: "timestamp", comment: "" }],
    };
    // 2 + (2 + 4 + 14) + (1 + 4 + 8) + (2 + 4 + 13)
    expect(jsonRecordBytes(table)).toBe(54);
    expect(jsonRecordBytes(table, 100)).toBe(154);
  });
});

describe("shards", () => {
  it("gives the 1,000-device plant one shard per stream except readings", () => {
    const plan = sizeFleet(plant);
    // raw: 200 msgs/s x 1.5 = 300 records/s, 142 kB/s: one shard. readings: 800 x 1.5 = 1,200 records/s: two.
    expect(plan.streams.raw.shards).toBe(1);
    expect(plan.streams.outputs.readings.shards).toBe(2);
    expect(plan.streams.outputs.aggregates.shards).toBe(1);
    expect(totalShards(plan)).toBe(7);
    expect(plan.streamMode).toBe("PROVISIONED");
  });

  it("sizes a million messages a second by record count", () => {
    const plan = sizeFleet(million);
    // raw: 1e6 x 1.5 / 1,000 = 1,500 (bytes: 1e6 x 474 x 1.5 / 1 MiB = 679 shards, fewer).
    expect(plan.streams.raw.shards).toBe(1_500);
    // readings: 4e6 x 1.5 / 1,000.
    expect(plan.streams.outputs.readings.shards).toBe(6_000);
    // aggregates: 4e6 series x (1/60 + 1/3600) windows/s = 67,778 records/s x 1.5 / 1,000 = 101.7.
    expect(plan.streams.outputs.aggregates.shards).toBe(102);
    // quarantine sized for the alarm's 5 % of messages: 50,000 records/s x 1.5 / 1,000.
    expect(plan.streams.outputs.quarantine.shards).toBe(75);
  });
});

describe("Flink", () => {
  it("gives one KPU per 5,000 readings/s at the peak, at least one", () => {
    expect(flinkParallelismFor(800, 5_000)).toBe(1);
    expect(flinkParallelismFor(5_001, 5_000)).toBe(2);
    expect(flinkParallelismFor(4_000_000, 5_000)).toBe(800);
    expect(sizeFleet(million).flink).toMatchObject({ parallelism: 800, parallelismPerKpu: 1, kpus: 800, billedKpus: 801 });
    expect(sizeFleet(million, { readingsPerKpu: 20_000 }).flink.parallelism).toBe(200);
  });

  it("counts the state: 1,200 readings of reference per series and an hour of message ids", () => {
    // 4,000 series x 48,000 B + 200 msgs/s x 3,600 s x 60 B
    expect(sizeFleet(plant).flink.stateBytes).toBe(4_000 * 48_000 + 200 * 3_600 * 60);
  });
});

describe("Firehose", () => {
  it("buffers for the largest whole minute within half the freshness alarm, inside 60..900 s", () => {
    expect(bufferIntervalFor(900)).toBe(420);
    expect(bufferIntervalFor(600)).toBe(300);
    expect(bufferIntervalFor(100)).toBe(60);
    expect(bufferIntervalFor(7_200)).toBe(900);
  });

  it("writes one object per full buffer, or per interval while the buffer does not fill", () => {
    expect(objectsPerDay(0, 128, 420)).toBe(0);
    // 1 MiB/s fills 128 MiB in 128 s.
    expect(objectsPerDay(1024 * 1024, 128, 420)).toBe(675);
    // 1 kB/s never fills it: one object per 420 s.
    expect(objectsPerDay(1_000, 128, 420)).toBe(206);
  });
});

describe("quotas", () => {
  const verdicts = (plan: ReturnType<typeof sizeFleet>) => Object.fromEntries(plan.quotas.map((q) => [q.quota, q.verdict]));

  it("asks for nothing at the plant's size beyond the defaults the pages did not state", () => {
    const v = verdicts(sizeFleet(plant));
    expect(Object.values(v).filter((x) => x === "raise")).toEqual([]);
    expect(v["Inbound publish requests per second per account"]).toBe("check");
  });

  it("raises connections, KPUs and parallelism for a million devices, and checks the shard quota", () => {
    const plan = sizeFleet(million);
    const v = verdicts(plan);
    expect(v["Concurrent connections per account"]).toBe("raise");
    expect(v["KPUs per application"]).toBe("raise");
    expect(v["Parallelism per application"]).toBe("raise");
    // 1,500 raw + 6,000 readings + 102 aggregates + 76 anomalies (4e6 x 3,441/274,328 x 1.5 / 1,000 = 75.3)
    // + 3 alerts (4e6 x 100/274,328 x 1.5 / 1,000 = 2.2) + 75 quarantine = 7,756: above 1,000 and 6,000, within
    // 20,000, so whether to raise depends on the Region.
    expect(totalShards(plan)).toBe(7_756);
    expect(v["Shards per account and Region (provisioned)"]).toBe("check");
    expect(plan.quotas.find((q) => q.quota === "Concurrent connections per account")).toMatchObject({ needed: 1_000_000, defaultValue: 500_000 });
  });

  it("knows the Regions whose shard quota starts at 20,000", () => {
    const shardVerdict = (region: string) => sizeFleet(million, {}, region).quotas.find((q) => q.quota.startsWith("Shards"));
    expect(shardVerdict("us-east-1")).toMatchObject({ defaultValue: 20_000, verdict: "ok" });
    // 7,756 shards exceed both of the other Regions' defaults (1,000 or 6,000).
    expect(shardVerdict("eu-central-1")).toMatchObject({ defaultValue: 1_000, verdict: "raise" });
    expect(sizeFleet(fleet({ devices: 400_000, metricsPerMessage: 4, messageIntervalSeconds: 1 }), {}, "eu-central-1").quotas[0].verdict).toBe("check");
  });
});
