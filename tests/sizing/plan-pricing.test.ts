/**
 * The prod plan, priced: the cost model reads what it deploys (shards, parallelism, buffering, fixed-price
 * resources), the price table is complete (every entry has a column for every Region with its source; a null
 * price says it was not found, with a note), and every resource type the stack creates maps to a priced service.
 */
import { renderPlan, type Plan } from "../../plan/render";
import { deployedStack } from "../../sizing/deployed";
import { shardsFor } from "../../components/telemetry-streams";
import { PRICED_REGIONS, PRICES, SERVICES } from "../../sizing/prices";
import { RESOURCE_SERVICES } from "../../sizing/resource-services";
import { PROPERTY_KEYS } from "../../components/stream-analytics";

let plan: Plan;
beforeAll(async () => {
  // prod creates every type dev does plus the operators' e-mail subscription.
  plan = await renderPlan("prod");
}, 180_000);

it("reads what the prod plan deploys: provisioned shards per stream, Flink parallelism, buffering, fixed-price resources", () => {
  const d = deployedStack(plan);
  expect(d.streamMode).toBe("PROVISIONED");
  expect(d.streamCount).toBe(6);
  expect(Object.values(d.shards)).toEqual(Array(6).fill(shardsFor(5000, 800)));
  // Enhanced fan-out is the StreamAnalytics default: the job's runtime property says EFO.
  expect(d.flink).toEqual({ parallelism: 4, parallelismPerKpu: 1, enhancedFanOut: true });
  expect(d.firehose).toEqual({ deliveryStreams: 6, bufferingIntervalSeconds: 300, bufferingSizeMiB: 128 });
  // components/device-ingest.ts: one topic rule whose one action writes to the raw stream; S3 keeps failed deliveries.
  expect(d.ingestRule).toEqual({ actions: 1, errorAction: true });
  expect(d.counts.kmsKeys).toBe(4);
  expect(d.counts.dashboards).toBe(1);
  expect(d.counts.namedQueries).toBe(plan.resources.filter((r) => r.type === "aws:athena/namedQuery:NamedQuery").length);
  expect(d.counts.alarms).toBeGreaterThan(10);
  // The alert notifier, the report job and the provisioning hook (invoked once per device provisioned, and its
  // allow-list read once then: neither is a monthly line of the bill).
  expect(Object.keys(d.lambdaMemoryMiB).sort()).toEqual(["alert-notifier-function", "compliance-reports-function", "fleet-hook"]);
});

it("reads a polling source from the Flink application's runtime properties", () => {
  const polling: Plan = JSON.parse(JSON.stringify(plan));
  const app = polling.resources.find((r) => r.type === "aws:kinesisanalyticsv2/application:Application")!;
  const groups: { propertyMap: Record<string, string> }[] = app.inputs.applicationConfiguration.environmentProperties.propertyGroups;
  const withReader = groups.filter((g) => PROPERTY_KEYS.readerType in g.propertyMap);
  expect(withReader.map((g) => g.propertyMap[PROPERTY_KEYS.readerType])).toEqual(["EFO"]);
  withReader[0].propertyMap[PROPERTY_KEYS.readerType] = "POLLING";
  expect(deployedStack(polling).flink.enhancedFanOut).toBe(false);
});

it("counts every action of the ingest rule from the plan, and refuses a plan whose ingest rule it cannot tell", () => {
  const changed: Plan = JSON.parse(JSON.stringify(plan));
  const rule = changed.resources.find((r) => r.type === "aws:iot/topicRule:TopicRule")!;
  rule.inputs.firehoses = [{ deliveryStreamName: "archive", roleArn: "arn" }];
  delete rule.inputs.errorAction;
  expect(deployedStack(changed).ingestRule).toEqual({ actions: 2, errorAction: false });
  changed.resources.push({ ...rule, name: "second-rule" });
  expect(() => deployedStack(changed)).toThrow("has 2 IoT topic rules; the cost model bills one ingest rule per message");
});

it("gives every price a column per Region, with its page, and a note where no number was found", () => {
  for (const [key, entry] of Object.entries(PRICES)) {
    expect(Object.keys(entry.regions).sort()).toEqual([...PRICED_REGIONS].sort());
    for (const region of PRICED_REGIONS) {
      const price = entry.regions[region];
      expect(price.source).toMatch(/^https:\/\//);
      if (price.usd === null) expect({ key, region, note: price.note }).toEqual({ key, region, note: expect.stringMatching(/not found|not searched/) });
      else expect(price.usd).toBeGreaterThanOrEqual(0);
    }
  }
});

it("maps every resource type the stack creates to a service the price table prices", () => {
  const types = [...new Set(plan.resources.map((r) => r.type))].filter((t) => t.startsWith("aws:"));
  const unmapped = types.filter((t) => !(t in RESOURCE_SERVICES));
  expect(unmapped).toEqual([]);
  const pricedServices = new Set(Object.values(PRICES).map((p) => p.service));
  for (const t of types) expect({ type: t, priced: pricedServices.has(RESOURCE_SERVICES[t]) }).toEqual({ type: t, priced: true });
});

it("prices every service it names", () => {
  const pricedServices = new Set(Object.values(PRICES).map((p) => p.service));
  expect(SERVICES.filter((s) => !pricedServices.has(s))).toEqual([]);
});
