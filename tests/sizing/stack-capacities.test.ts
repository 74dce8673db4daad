/** A stack's capacities: the model's when it states a fleet, the raw keys' otherwise, explicit Flink keys winning. */
import { parseStackConfig } from "../../config/load";
import { stackCapacities, stackFleet } from "../../config/fleet";
import { sizeFleet } from "../../sizing/capacity";

const fleetKeys = { fleetDevices: "1000000", fleetMetricsPerMessage: "4", fleetMessageIntervalSeconds: "1" };

it("keeps today's capacities when no fleet is stated", () => {
  expect(stackCapacities(parseStackConfig({}))).toEqual({ streams: { mode: "ON_DEMAND" }, flink: { parallelism: 1, parallelismPerKpu: 1 } });
  expect(stackCapacities(parseStackConfig({ streamMode: "provisioned", expectedReadingsPerSecond: "5000", averageMessageBytes: "800" })).streams)
    .toEqual({ mode: "PROVISIONED", expectedReadingsPerSecond: 5000, averageMessageBytes: 800 });
});

it("deploys the model's shards, parallelism and buffer interval for a stated fleet", () => {
  const config = parseStackConfig(fleetKeys);
  const model = sizeFleet(stackFleet(config));
  const c = stackCapacities(config);
  expect(c.streams).toEqual({ mode: "PROVISIONED", shards: { raw: 1_500, outputs: { readings: 6_000, aggregates: 102, anomalies: 76, alerts: 3, quarantine: 75 } } });
  expect(c.flink).toEqual({ parallelism: model.flink.parallelism, parallelismPerKpu: 1 });
  expect(c.firehoseBufferingIntervalSeconds).toBe(420);
});

it("keeps an explicit Flink parallelism over the model's", () => {
  const c = stackCapacities(parseStackConfig({ ...fleetKeys, flinkParallelism: "64", flinkParallelismPerKpu: "2" }));
  expect(c.flink).toEqual({ parallelism: 64, parallelismPerKpu: 2 });
});

it("sizes for the stack's alarms: quarantine share and Firehose freshness", () => {
  const c = stackCapacities(parseStackConfig({ ...fleetKeys, alarmQuarantineRatePercent: "1", alarmFirehoseFreshnessSeconds: "600" }));
  // 1 % of 1e6 messages/s x 1.5 / 1,000 records per shard.
  expect(c.sizing?.streams.outputs.quarantine.shards).toBe(15);
  expect(c.firehoseBufferingIntervalSeconds).toBe(300);
});

it("reads the fleet from the keys, estimating the payload and turning the peak percentage into a factor", () => {
  expect(stackFleet(parseStackConfig({ ...fleetKeys, fleetPeakPercent: "150" }))).toEqual({
    devices: 1_000_000, metricsPerMessage: 4, messageIntervalSeconds: 1, payloadBytes: 272, peakFactor: 1.5,
  });
  // Without a fleet, the raw keys' load: one reading per message.
  expect(stackFleet(parseStackConfig({ expectedReadingsPerSecond: "5000", averageMessageBytes: "800" })))
    .toEqual({ devices: 5000, metricsPerMessage: 1, messageIntervalSeconds: 1, payloadBytes: 800, peakFactor: 1 });
});

it("refuses a fleet stated together with the raw load keys", () => {
  expect(() => parseStackConfig({ ...fleetKeys, expectedReadingsPerSecond: "5000" }))
    .toThrow("iotpipe:fleetDevices states the load, as do expectedReadingsPerSecond and averageMessageBytes: set the fleet keys or those two, not both; got 1000000");
});
