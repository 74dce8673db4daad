/**
 * The text `iotpipe size` prints: capacities, quotas and the monthly bill by service (beside the seed-style
 * design's with `--compare`). Pure formatting of what the models computed.
 */
import { totalShards, type CapacityPlan } from "./capacity";
import { byService, type CostEstimate } from "./cost";
import type { DeployedStack } from "./deployed";
import { describeFleet } from "./fleet";
import { PRICES_READ } from "./prices";

const n = (v: number, digits = 0) => v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const bytes = (v: number) => (v >= 1e9 ? `${n(v / 1e9, 1)} GB` : v >= 1e6 ? `${n(v / 1e6, 1)} MB` : `${n(v / 1e3, 1)} kB`);

/** Dollars as `$1,234`, or `$0.42` below ten dollars. */
export function usd(v: number): string {
  return `$${n(v, v < 10 ? 2 : 0)}`;
}

/** Columns padded to their widest cell, two spaces apart; amounts and counts right-aligned, text left-aligned. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const numeric = (c: string) => /^(≥ )?\$?[\d,.]+( \+ \d+ unpriced)?$/.test(c) || c === "-";
  return rows.map((r) => r.map((c, i) => (numeric(c) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd());
}

/** The capacities a plan deploys, beside what the model sizes for the fleet's load. */
export function capacitySection(model: CapacityPlan, deployed: DeployedStack, statesFleet: boolean): string[] {
  const deployedShards = (role: string) => {
    const found = Object.entries(deployed.shards).find(([name]) => name.endsWith(`-${role}`));
    return found ? n(found[1]) : "on-demand";
  };
  const streams = [["stream", "records/s (peak)", "record bytes", "model shards", "deployed"]];
  streams.push(["raw", n(model.streams.raw.recordsPerSecond, 1), n(model.streams.raw.recordBytes), n(model.streams.raw.shards), deployedShards("raw")]);
  for (const [name, s] of Object.entries(model.streams.outputs)) streams.push([name, n(s.recordsPerSecond, 1), n(s.recordBytes), n(s.shards), deployedShards(name)]);
  const kpus = Math.ceil(deployed.flink.parallelism / deployed.flink.parallelismPerKpu);
  return [
    `Capacities (${statesFleet ? "the stack states its fleet: deployed as the model sizes it, explicit Flink keys kept" : "from the stack's raw capacity keys; the model's sizing for this load beside them"})`,
    `  Kinesis: ${deployed.streamMode === "PROVISIONED" ? `provisioned, ${n(Object.values(deployed.shards).reduce((s, v) => s + v, 0))} shards deployed` : "on-demand"}; the model: provisioned, ${n(totalShards(model))} shards`,
    ...table(streams).map((l) => `    ${l}`),
    `  Flink: parallelism ${n(deployed.flink.parallelism)} at ${deployed.flink.parallelismPerKpu} per KPU = ${n(kpus)} KPUs + 1 orchestration (model: ${n(model.flink.parallelism)}); keyed state ≈ ${bytes(model.flink.stateBytes)}; reads raw ${deployed.flink.enhancedFanOut ? "through an enhanced fan-out consumer (billed per consumer-shard-hour and GB)" : "by polling GetRecords"}`,
    `  Firehose: ${deployed.firehose.deliveryStreams} delivery streams, ${deployed.firehose.bufferingSizeMiB} MiB / ${deployed.firehose.bufferingIntervalSeconds} s buffers (model: ${model.firehose.bufferingSizeMiB} MiB / ${model.firehose.bufferingIntervalSeconds} s); objects a day: ${Object.entries(model.firehose.objectsPerDay).map(([t, o]) => `${t} ${n(o)}`).join(", ")}`,
    `  Lambda: alert notifier concurrency ${model.lambda.alertNotifierConcurrency} (one batch per alerts shard), report ${model.lambda.reportConcurrency}`,
    `  Assumed: ${n(model.assumptions.readingsPerKpu)} readings/s per KPU (an assumption: AWS publishes no throughput per KPU and this job has not been measured on Flink; measure it as sizing/capacity.ts says and pass --readings-per-kpu), anomalies ${n(model.assumptions.anomalyFraction * 100, 2)} % of readings, alert transitions ${n(model.assumptions.alertTransitionFraction * 100, 2)} %, quarantine ${n(model.assumptions.quarantineFraction * 100, 1)} % of messages, windows ${model.assumptions.windowSeconds.join(", ")} s`,
  ];
}

export function quotaSection(model: CapacityPlan): string[] {
  const rows = [["verdict", "service", "quota", "needed", "default"]];
  for (const q of model.quotas) rows.push([q.verdict.toUpperCase(), q.service, q.quota, n(q.needed), q.defaultText]);
  return ["Quotas (RAISE: ask AWS before deploying; CHECK: the default varies or was not found, read it in Service Quotas)", ...table(rows).map((l) => `  ${l}`)];
}

/** Monthly cost by service, ours and optionally the seed-style design's, and the unpriced lines listed. */
export function costSection(ours: CostEstimate, seed?: CostEstimate): string[] {
  const oursBy = byService(ours);
  const seedBy = seed ? byService(seed) : [];
  const services = [...new Set([...oursBy.map((r) => r.service), ...seedBy.map((r) => r.service)])];
  const cell = (rows: ReturnType<typeof byService>, service: string) => {
    const r = rows.find((x) => x.service === service);
    if (!r) return "-";
    return r.unpriced > 0 ? `${usd(r.usd)} + ${r.unpriced} unpriced` : usd(r.usd);
  };
  const total = (e: CostEstimate) => `${e.unpriced > 0 ? "≥ " : ""}${usd(e.totalUsd)}`;
  const header = seed ? ["service", "iotpipe", "seed-style"] : ["service", "iotpipe"];
  const rows = [header, ...services.map((s) => (seed ? [s, cell(oursBy, s), cell(seedBy, s)] : [s, cell(oursBy, s)]))];
  rows.push(seed ? ["total per month", total(ours), total(seed)] : ["total per month", total(ours)]);
  const unpriced = [...ours.lines, ...(seed?.lines ?? [])].filter((l) => l.usd === null);
  const unpricedNames = [...new Set(unpriced.map((l) => `${l.service}: ${l.item}`))];
  return [
    `Monthly cost, ${ours.region}, on-demand list prices read ${PRICES_READ} (sizing/prices.ts${ours.overlayRead ? `, with the AWS Price List overlay read ${ours.overlayRead} merged over it` : ""}; free tiers not subtracted)`,
    ...table(rows).map((l) => `  ${l}`),
    ...(unpricedNames.length > 0
      ? [`  Unpriced (no price found for ${ours.region}; ${unpriced.length} of ${ours.lines.length + (seed?.lines.length ?? 0)} lines, so the totals are lower bounds): ${unpricedNames.join("; ")}`]
      : []),
    ...(seed ? ["  seed-style: an HTTP API and a Lambda invocation per message, a DynamoDB item per reading, a CloudWatch log line per message"] : []),
  ];
}

/** The whole report. */
export function sizeReport(parts: { title: string; model: CapacityPlan; deployed: DeployedStack; statesFleet: boolean; ours: CostEstimate; seed?: CostEstimate }): string {
  return [
    parts.title,
    `Fleet: ${describeFleet(parts.model.fleet)}`,
    "",
    ...capacitySection(parts.model, parts.deployed, parts.statesFleet),
    "",
    ...quotaSection(parts.model),
    "",
    ...costSection(parts.ours, parts.seed),
  ].join("\n");
}
