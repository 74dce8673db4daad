/**
 * TelemetryStreams under Pulumi mocks, and the pure shard sizing. `installMocks()` runs before the component
 * module is loaded with `require` (ES imports would be hoisted above it); the type-only import emits nothing.
 */
import { installMocks, settle, oneOf, ofType, resolve, MOCK_ACCOUNT, MOCK_REGION } from "../pulumi/harness";
import type * as StreamsModule from "../../components/telemetry-streams";

const recorded = installMocks();
const { TelemetryStreams, shardsFor, SHARD_HEADROOM } = require("../../components/telemetry-streams") as typeof StreamsModule;

const KEY = `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/streams`;
const STREAM = "aws:kinesis/stream:Stream";

describe("shardsFor", () => {
  it("takes the larger of the byte and record limits, with headroom, and at least one shard", () => {
    expect(SHARD_HEADROOM).toBe(1.5);
    expect(shardsFor(1, 100)).toBe(1);
    // 2000 records/s of 100 B: records dominate: 2000 * 1.5 / 1000 = 3.
    expect(shardsFor(2000, 100)).toBe(3);
    // 1000 records/s of 4 KiB: bytes dominate: 4 MiB/s * 1.5 = 6 MiB/s -> 6 shards.
    expect(shardsFor(1000, 4096)).toBe(6);
    // Exactly at one shard's limits without headroom.
    expect(shardsFor(1000, 1024, 1)).toBe(1);
    expect(shardsFor(1001, 1024, 1)).toBe(2);
  });

  it("rejects nonsense input", () => {
    expect(() => shardsFor(0, 100)).toThrow("recordsPerSecond must be a positive number (got 0)");
    expect(() => shardsFor(10, NaN)).toThrow("averageRecordBytes must be a positive number (got NaN)");
    expect(() => shardsFor(10, 10, 0.5)).toThrow("headroom must be at least 1 (got 0.5)");
  });
});

describe("TelemetryStreams", () => {
  it("minimal use: on-demand raw + one stream per lake table, KMS with its own key, 24 h retention", async () => {
    const s = new TelemetryStreams("min");
    expect(Object.keys(s.outputs)).toEqual(["readings", "aggregates", "anomalies", "alerts", "quarantine"]);
    expect(await resolve(s.raw.arn)).toBe(`arn:aws:kinesis:${MOCK_REGION}:${MOCK_ACCOUNT}:stream/min-raw`);
    await settle(recorded);
    const streams = ofType(recorded, STREAM, /^min-/);
    expect(streams.map((r) => r.name).sort()).toEqual(["min-aggregates", "min-alerts", "min-anomalies", "min-quarantine", "min-raw", "min-readings"]);
    const ownKey = `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/min-key-key-key-id`;
    for (const st of streams) {
      expect(st.parent).toBe("min");
      expect(st.inputs).toMatchObject({ encryptionType: "KMS", kmsKeyId: ownKey, retentionPeriod: 24, streamModeDetails: { streamMode: "ON_DEMAND" } });
      expect(st.inputs.shardCount).toBeUndefined();
    }
    expect(s.shardCounts).toBeUndefined();
    expect(oneOf(recorded, "iotpipe:security:EncryptionKey", "min-key").parent).toBe("min");
  });

  it("provisioned: shard counts computed from readings/s and message size; given key; custom outputs and retention", async () => {
    const s = new TelemetryStreams("prov", {
      kmsKeyArn: KEY,
      retentionHours: 168,
      outputNames: ["readings", "alerts"],
      capacity: { mode: "PROVISIONED", expectedReadingsPerSecond: 20000, averageMessageBytes: 600, readingsPerMessage: 4 },
    });
    // raw: 5000 msg/s * 600 B * 1.5 = 4.29 MiB/s -> 5 shards; 5000 * 1.5 / 1000 = 7.5 -> 8 shards => 8.
    // outputs: 20000 rec/s * 1.5 / 1000 = 30 shards; 20000 * 600 * 1.5 / 1 MiB = 17.2 -> 18 => 30.
    expect(s.shardCounts).toEqual({ raw: 8, output: 30 });
    await settle(recorded);
    expect(ofType(recorded, "iotpipe:security:EncryptionKey", /^prov/)).toHaveLength(0);
    expect(oneOf(recorded, STREAM, "prov-raw").inputs).toMatchObject({
      kmsKeyId: KEY, retentionPeriod: 168, shardCount: 8, streamModeDetails: { streamMode: "PROVISIONED" },
    });
    for (const n of ["prov-readings", "prov-alerts"]) {
      expect(oneOf(recorded, STREAM, n).inputs).toMatchObject({ shardCount: 30, streamModeDetails: { streamMode: "PROVISIONED" } });
    }
    expect(ofType(recorded, STREAM, /^prov-/)).toHaveLength(3);
    expect(await resolve(s.kmsKeyArn)).toBe(KEY);
  });

  it("provisioned with a shard count per stream (the sizing model's): each stream gets its own", async () => {
    const s = new TelemetryStreams("given", {
      kmsKeyArn: KEY,
      outputNames: ["readings", "alerts"],
      capacity: { mode: "PROVISIONED", shards: { raw: 4, outputs: { readings: 9, alerts: 1 } } },
    });
    expect(s.shardsByStream).toEqual({ raw: 4, readings: 9, alerts: 1 });
    expect(s.shardCounts).toBeUndefined();
    await settle(recorded);
    expect(oneOf(recorded, STREAM, "given-raw").inputs).toMatchObject({ shardCount: 4, streamModeDetails: { streamMode: "PROVISIONED" } });
    expect(oneOf(recorded, STREAM, "given-readings").inputs.shardCount).toBe(9);
    expect(oneOf(recorded, STREAM, "given-alerts").inputs.shardCount).toBe(1);
  });

  it("refuses a shard count per stream that misses a stream, names an unknown one or is not a whole number", () => {
    const outputNames = ["readings", "alerts"];
    const shards = (raw: number, outputs: Record<string, number>) => ({ mode: "PROVISIONED" as const, shards: { raw, outputs } });
    expect(() => new TelemetryStreams("g1", { outputNames, capacity: shards(2, { readings: 3 }) }))
      .toThrow("TelemetryStreams 'g1': capacity.shards for 'alerts' must be a whole number of at least 1 (got undefined)");
    expect(() => new TelemetryStreams("g2", { outputNames, capacity: shards(2, { readings: 3, alerts: 1, anomalies: 1 }) }))
      .toThrow("capacity.shards names streams that do not exist: anomalies; outputs are readings, alerts");
    expect(() => new TelemetryStreams("g3", { outputNames, capacity: shards(0.5, { readings: 3, alerts: 1 }) }))
      .toThrow("capacity.shards for 'raw' must be a whole number of at least 1 (got 0.5)");
  });

  it("two instances do not collide", async () => {
    new TelemetryStreams("t1", { kmsKeyArn: KEY });
    new TelemetryStreams("t2", { kmsKeyArn: KEY });
    await settle(recorded);
    const names = [...ofType(recorded, STREAM, /^t1-/), ...ofType(recorded, STREAM, /^t2-/)].map((r) => r.name);
    expect(names).toHaveLength(12);
    expect(new Set(names).size).toBe(12);
  });

  it("rejects bad arguments with clear errors", () => {
    expect(() => new TelemetryStreams("b1", { retentionHours: 12 })).toThrow("TelemetryStreams 'b1': retentionHours must be an integer from 24 to 8760 (got 12)");
    expect(() => new TelemetryStreams("b2", { retentionHours: 9000 })).toThrow("from 24 to 8760 (got 9000)");
    expect(() => new TelemetryStreams("b3", { outputNames: [] })).toThrow("at least one output stream");
    expect(() => new TelemetryStreams("b4", { outputNames: ["readings", "readings"] })).toThrow("repeated: readings");
    expect(() => new TelemetryStreams("b5", { outputNames: ["Bad-Name"] })).toThrow("output name 'Bad-Name' must be snake_case");
    expect(() => new TelemetryStreams("b6", { outputNames: ["raw"] })).toThrow("reserved");
    expect(() => new TelemetryStreams("b7", { capacity: { mode: "PROVISIONED", expectedReadingsPerSecond: 0, averageMessageBytes: 100 } }))
      .toThrow("capacity.expectedReadingsPerSecond must be a positive number (got 0)");
    expect(() => new TelemetryStreams("b8", { capacity: { mode: "AUTO" } as any })).toThrow("capacity.mode must be ON_DEMAND or PROVISIONED (got 'AUTO')");
  });
});
