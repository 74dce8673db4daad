/**
 * The scale example (Pulumi.scale.yaml, one million messages a second) rendered under mocks: the stack states its
 * fleet, so every stream's shards, the Flink parallelism and the Firehose buffering are the sizing model's.
 */
import { renderStack, type RenderedStack } from "./stack";
import { checkPlan, policyContextFor } from "../../plan/render";
import { parseStackConfig } from "../../config/load";
import { readProjectKeys } from "../../config/stack-file";
import { stackAssumptions, stackFleet } from "../../config/fleet";
import { sizeFleet } from "../../sizing/capacity";
import { LAKE_TABLES } from "../../lake/tables";

let stack: RenderedStack;
// Rendering the whole program under mocks takes over a minute when the test files share a loaded machine.
beforeAll(async () => {
  stack = await renderStack("scale");
}, 180_000);

const config = parseStackConfig(readProjectKeys("scale"));
const model = sizeFleet(stackFleet(config), stackAssumptions(config));

it("states a fleet of a million messages a second", () => {
  expect(model.rates.messagesPerSecond).toBe(1_000_000);
  expect(model.rates.readingsPerSecond).toBe(4_000_000);
});

it("gives every stream the model's own shard count, provisioned", () => {
  const shards = (role: string) => stack.one("aws:kinesis/stream:Stream", `telemetry-${role}`).inputs;
  expect(shards("raw")).toMatchObject({ streamModeDetails: { streamMode: "PROVISIONED" }, shardCount: model.streams.raw.shards });
  for (const table of LAKE_TABLES) expect(shards(table.name).shardCount).toBe(model.streams.outputs[table.name].shards);
  // Each output sized for its own records: readings carry one record per reading, alerts a few.
  expect(model.streams.outputs.readings.shards).toBeGreaterThan(model.streams.raw.shards);
  expect(model.streams.outputs.alerts.shards).toBeLessThan(model.streams.outputs.anomalies.shards);
});

it("runs Flink at the model's parallelism", () => {
  const flink = stack.one("aws:kinesisanalyticsv2/application:Application").inputs.applicationConfiguration.flinkApplicationConfiguration;
  expect(flink.parallelismConfiguration).toMatchObject({ parallelism: model.flink.parallelism, parallelismPerKpu: 1, autoScalingEnabled: true });
  expect(model.flink.parallelism).toBe(800);
});

it("buffers every Firehose for the model's interval", () => {
  const firehoses = stack.ofType("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream");
  expect(firehoses.length).toBeGreaterThan(0);
  for (const f of firehoses) expect(f.inputs.extendedS3Configuration).toMatchObject({ bufferingInterval: model.firehose.bufferingIntervalSeconds, bufferingSize: 128 });
  expect(model.firehose.bufferingIntervalSeconds).toBe(420);
});

it("has zero security policy violations under prod rules", () => {
  expect(checkPlan(stack.plan, policyContextFor("scale"))).toEqual([]);
});
