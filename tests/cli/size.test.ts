/** `iotpipe size` as a user runs it: a command-line fleet sized, quota-checked and priced beside the seed-style design. */
import { cli } from "./run-cli";

let run: Awaited<ReturnType<typeof cli>>;
beforeAll(async () => {
  // Renders the Pulumi program under mocks: slow on a loaded machine.
  run = await cli("size", "--devices", "1000", "--metrics", "4", "--interval", "5", "--compare");
}, 180_000);

it("prints the model's capacities, the quotas and the monthly cost by service for a fleet", () => {
  expect(run.err).toBe("");
  expect(run.code).toBe(0);
  expect(run.out).toContain("Fleet: 1,000 devices × 4 metrics every 5 s, 272 B per message (200 messages/s, 800 readings/s)");
  expect(run.out).toContain("Kinesis: provisioned, 7 shards deployed; the model: provisioned, 7 shards");
  expect(run.out).toMatch(/readings\s+800\.0\s+\d+\s+2\s+2/);
  expect(run.out).toMatch(/Flink: parallelism 1 at 1 per KPU = 1 KPUs \+ 1 orchestration/);
  expect(run.out).toContain("reads raw through an enhanced fan-out consumer");
  expect(run.out).toContain("5,000 readings/s per KPU (an assumption: AWS publishes no throughput per KPU");
  expect(run.out).toMatch(/Amazon DynamoDB\s+-\s+\$2,260/);
  // Every us-east-1 line is priced, the rules engine included: exact totals, no lower bound and no unpriced list.
  expect(run.out).toMatch(/total per month\s+\$\d[\d,]*\s+\$3,041/);
  expect(run.out).not.toContain("≥");
  expect(run.out).not.toContain("Unpriced");
  expect(run.out).toMatch(/Amazon Data Firehose\s+\$[\d,]+\s+-\n/);
});

it("refuses a Region the price table does not cover, and a call without a fleet", async () => {
  const region = await cli("size", "--devices", "10", "--region", "ap-south-1");
  expect(region.code).toBe(1);
  expect(region.err).toContain("no prices for Region ap-south-1");
  const none = await cli("size");
  expect(none.code).toBe(2);
  expect(none.err).toContain("say which fleet to size");
});
