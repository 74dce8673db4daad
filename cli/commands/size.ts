/**
 * `iotpipe size`: what a fleet needs and what it costs. For a fleet given on the command line, or for a stack
 * file (`--stack-config`): renders the Pulumi program offline (plan/render.ts) with that configuration, reads what
 * it would deploy, sizes the load with the sizing model and prices a month of it; `--compare` prices the same
 * fleet in a seed-style design beside it.
 */
import * as fs from "node:fs";
import type { Command } from "commander";
import { parseStackConfig, StackConfigError } from "../../config/load";
import { readProjectDefaults, readStackFile, readStackFileKeys } from "../../config/stack-file";
import { stackAssumptions, stackFleet, statesFleet } from "../../config/fleet";
import { renderPlan } from "../../plan/render";
import { sizeFleet } from "../../sizing/capacity";
import { platformCost, seedStyleCost } from "../../sizing/cost";
import { deployedStack } from "../../sizing/deployed";
import { defaultOverlayPath, effectivePrices, OverlayError, overlayFor, type PriceOverlay } from "../../sizing/price-overlay";
import { isPricedRegion, PRICED_REGIONS, type PricedRegion } from "../../sizing/prices";
import { sizeReport } from "../../sizing/report";
import { CliError, EXIT } from "../errors";
import type { Io } from "../io";
import { integerIn, positiveNumber } from "../options";

export interface SizeFlags {
  stackConfig?: string;
  devices?: number;
  metrics: number;
  interval: number;
  payloadBytes?: number;
  peakFactor: number;
  region: string;
  compare?: boolean;
  readingsPerKpu?: number;
  prices?: string;
}

/** The configuration to render: a stack file's, or the project's defaults with the fleet's keys. */
function configFor(flags: SizeFlags): { config: Record<string, string>; title: string } {
  if (flags.stackConfig) {
    if (!fs.existsSync(flags.stackConfig)) throw new CliError(`stack file ${flags.stackConfig} does not exist`, "pass a Pulumi.<stack>.yaml, e.g. --stack-config Pulumi.prod.yaml");
    return { config: readStackFile(flags.stackConfig), title: `Stack file ${flags.stackConfig}` };
  }
  if (flags.devices === undefined) {
    throw new CliError("say which fleet to size", "give --devices N (with --metrics, --interval) or --stack-config Pulumi.<stack>.yaml", EXIT.usage);
  }
  const fleetKeys: Record<string, string> = {
    "iotpipe:fleetDevices": String(flags.devices),
    "iotpipe:fleetMetricsPerMessage": String(flags.metrics),
    "iotpipe:fleetMessageIntervalSeconds": String(flags.interval),
    "iotpipe:fleetPeakPercent": String(Math.round(flags.peakFactor * 100)),
    "iotpipe:streamMode": "provisioned",
    ...(flags.payloadBytes !== undefined && { "iotpipe:fleetPayloadBytes": String(flags.payloadBytes) }),
  };
  return { config: { ...readProjectDefaults(), "aws:region": flags.region, ...fleetKeys }, title: `Fleet from the command line, default stack settings, ${flags.region}` };
}

/** Sizes and prices; prints the report. */
export async function sizeCommand(flags: SizeFlags, io: Io): Promise<void> {
  const { config: raw, title } = configFor(flags);
  const region = raw["aws:region"] ?? flags.region;
  if (!isPricedRegion(region)) {
    throw new CliError(`no prices for Region ${region}`, `the price table (sizing/prices.ts) covers ${PRICED_REGIONS.join(", ")}; pass --region for a command-line fleet`);
  }
  const overlay = priceOverlay(flags, region, io);
  let config;
  try {
    const keys = flags.stackConfig ? readStackFileKeys(flags.stackConfig) : Object.fromEntries(Object.entries(raw).filter(([k]) => k.startsWith("iotpipe:")).map(([k, v]) => [k.slice("iotpipe:".length), v]));
    config = parseStackConfig(keys);
  } catch (error) {
    if (error instanceof StackConfigError) throw new CliError(error.message, "fix the stack file or the fleet options", EXIT.usage);
    throw error;
  }
  const assumptions = { ...stackAssumptions(config), ...(flags.readingsPerKpu !== undefined && { readingsPerKpu: flags.readingsPerKpu }) };
  const model = sizeFleet(stackFleet(config), assumptions, region);
  const deployed = deployedStack(await renderPlan(flags.stackConfig ? "size" : "fleet", { config: raw }));
  const settings = {
    streamRetentionHours: config.streamRetentionHours,
    rawDataIaDays: config.rawDataIaDays,
    rawDataGlacierDays: config.rawDataGlacierDays,
    rawDataExpireDays: config.rawDataExpireDays,
  };
  const ours = platformCost(model, deployed, settings, region, overlay);
  const seed = flags.compare ? seedStyleCost(model.fleet, region, overlay) : undefined;
  io.out(sizeReport({ title, model, deployed, statesFleet: statesFleet(config), ours, seed }));
}

/**
 * The Price List overlay to merge over the table: --prices <file>, else sizing/prices.<region>.json when it exists.
 * Every table price it changes is printed as a warning.
 */
function priceOverlay(flags: SizeFlags, region: PricedRegion, io: Io): PriceOverlay | undefined {
  if (flags.prices !== undefined && !fs.existsSync(flags.prices)) {
    throw new CliError(`price overlay ${flags.prices} does not exist`, "write one with: iotpipe prices refresh --region <region> --out <file>");
  }
  let overlay: PriceOverlay | undefined;
  try {
    overlay = overlayFor(region, flags.prices ?? defaultOverlayPath(region));
    if (overlay) for (const warning of effectivePrices(region, overlay).warnings) io.err(`warning: ${warning}`);
  } catch (error) {
    if (error instanceof OverlayError) throw new CliError(error.message, `refresh it: iotpipe prices refresh --region ${region}`);
    throw error;
  }
  return overlay;
}

export function registerSize(program: Command, io: Io): void {
  program
    .command("size")
    .description("Capacities, quotas and monthly cost for a fleet or a stack file (--compare: beside a seed-style design)")
    .option("--stack-config <file>", "size and price this stack file (Pulumi.<stack>.yaml) as it would deploy")
    .option("--devices <n>", "devices in the fleet", integerIn(1, 100_000_000))
    .option("--metrics <n>", "readings per message", integerIn(1, 1000), 4)
    .option("--interval <seconds>", "seconds between two messages of a device", integerIn(1, 86_400), 5)
    .option("--payload-bytes <n>", "average message size as published (default: estimated from --metrics)", integerIn(1, 128 * 1024))
    .option("--peak-factor <x>", "peak load over the average (1 = steady)", positiveNumber(10), 1)
    .option("--region <region>", `Region to price a command-line fleet in (${PRICED_REGIONS.join(", ")})`, "us-east-1")
    .option("--readings-per-kpu <n>", "readings/s one Flink KPU handles (default 5000: an assumption, see sizing/capacity.ts)", integerIn(1, 10_000_000))
    .option("--prices <file>", "merge this Price List overlay over the table (default: sizing/prices.<region>.json when present; see `iotpipe prices refresh`)")
    .option("--compare", "price the same fleet in a seed-style design (HTTP API + Lambda per message, DynamoDB item per reading, CloudWatch log per message)")
    .addHelpText("after", `
Examples:
  iotpipe size --devices 1000 --metrics 4 --interval 5 --compare
  iotpipe size --stack-config Pulumi.scale.yaml --compare`)
    .action(async (flags: SizeFlags) => {
      if (flags.peakFactor < 1) throw new CliError("--peak-factor must be at least 1", "1 means steady load", EXIT.usage);
      await sizeCommand(flags, io);
    });
}
