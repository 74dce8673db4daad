/**
 * `iotpipe prices refresh`: reads every price of the table (sizing/prices.ts) for one Region from the AWS Price
 * List Query API and writes them as an overlay (sizing/prices.<region>.json by default) that `iotpipe size` merges
 * over the table. Needs AWS credentials allowed `pricing:GetProducts`; prints what it could not read, with the
 * filters it used, and every table price the API contradicts.
 */
import * as fs from "node:fs";
import type { Command } from "commander";
import { defaultOverlayPath, effectivePrices } from "../../sizing/price-overlay";
import { implausiblePrices, PRICE_LIST_ENDPOINT_REGIONS, pricingClient, refreshPrices, type PriceListEndpointRegion } from "../../sizing/price-refresh";
import { isPricedRegion, PRICED_REGIONS, PRICES } from "../../sizing/prices";
import { CliError, EXIT } from "../errors";
import type { Io } from "../io";

interface RefreshFlags {
  region: string;
  out?: string;
  endpointRegion: string;
}

/** Errors the SDK raises when the caller may not read prices: said plainly, with the permission to grant. */
const ACCESS_ERRORS = new Set(["AccessDeniedException", "UnrecognizedClientException", "CredentialsProviderError", "ExpiredTokenException", "InvalidSignatureException"]);

export async function refreshCommand(flags: RefreshFlags, io: Io, now: () => Date = () => new Date()): Promise<void> {
  const region = flags.region;
  if (!isPricedRegion(region)) {
    throw new CliError(`no price table column for Region ${region}`, `the table (sizing/prices.ts) covers ${PRICED_REGIONS.join(", ")}`, EXIT.usage);
  }
  if (!(PRICE_LIST_ENDPOINT_REGIONS as readonly string[]).includes(flags.endpointRegion)) {
    throw new CliError(`the Price List Query API is not served from ${flags.endpointRegion}`, `use --endpoint-region ${PRICE_LIST_ENDPOINT_REGIONS.join(" | ")}`, EXIT.usage);
  }
  let overlay;
  try {
    overlay = await refreshPrices(pricingClient(flags.endpointRegion as PriceListEndpointRegion), region, now());
  } catch (error) {
    const name = (error as Error).name;
    if (ACCESS_ERRORS.has(name)) {
      throw new CliError(`the AWS Price List Query API refused the call (${name}: ${(error as Error).message})`, "run with AWS credentials whose policy allows pricing:GetProducts (e.g. AWS_PROFILE=...)");
    }
    throw new CliError(`the AWS Price List Query API call failed: ${name}: ${(error as Error).message}`, "check the network and credentials, then run again");
  }
  const json = `${JSON.stringify(overlay, null, 2)}\n`;
  const out = flags.out ?? defaultOverlayPath(region);
  if (out === "-") io.out(json);
  else fs.writeFileSync(out, json);

  const total = Object.keys(PRICES).length;
  const found = Object.keys(overlay.prices).length;
  const merged = effectivePrices(region, overlay);
  const report = [
    `${found} of ${total} prices read for ${region} from the AWS Price List Query API (${overlay.read})${out === "-" ? "" : `, written to ${out}`}`,
    ...(merged.filled.length > 0 ? [`filled where the table had none: ${merged.filled.join(", ")}`] : []),
    ...merged.warnings.map((w) => `warning: ${w}`),
    ...implausiblePrices(overlay).map((w) => `check: ${w}`),
    ...Object.entries(overlay.unresolved).map(([key, u]) => `not read: ${key}: ${u.reason}${u.request ? ` [${u.request}]` : ""}`),
  ];
  for (const line of report) io.err(line);
}

export function registerPrices(program: Command, io: Io): void {
  const prices = program.command("prices").description("The cost model's price table: refresh it from the AWS Price List Query API");
  prices
    .command("refresh")
    .description("Read every price of the table for a Region from the AWS Price List Query API (needs pricing:GetProducts) into an overlay `iotpipe size` merges")
    .requiredOption("--region <region>", `Region to price (${PRICED_REGIONS.join(", ")})`)
    .option("--out <file>", "where to write the overlay JSON ('-' for stdout; default sizing/prices.<region>.json)")
    .option("--endpoint-region <region>", `Region of the Price List API endpoint (${PRICE_LIST_ENDPOINT_REGIONS.join(", ")})`, "us-east-1")
    .addHelpText("after", `
Examples:
  AWS_PROFILE=billing-reader iotpipe prices refresh --region eu-central-1
  iotpipe prices refresh --region eu-west-1 --out - > eu-west-1.json`)
    .action(async (flags: RefreshFlags) => refreshCommand(flags, io));
}
