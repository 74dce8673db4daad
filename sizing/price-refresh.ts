/**
 * `iotpipe prices refresh`'s logic: every entry of the price table looked up in the AWS Price List Query API for
 * one Region, gathered into an overlay (sizing/price-overlay.ts): the prices found, each with its SKU and dates,
 * and the entries the API gave no single answer for (or that have no verified lookup), each with the reason.
 */
import { PricingClient } from "@aws-sdk/client-pricing";
import { lookUpPrice, type ProductCache } from "./price-list";
import { isLookup, PRICE_LOOKUPS } from "./price-lookups";
import type { OverlayPrice, PriceOverlay } from "./price-overlay";
import { PRICES, type PricedRegion, type PriceKey } from "./prices";

/**
 * Regions that serve the Price List Query API endpoint (it prices every Region from any of them), per AWS's
 * "Using the AWS Price List Query API" (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-pelong.html).
 */
export const PRICE_LIST_ENDPOINT_REGIONS = ["us-east-1", "eu-central-1", "ap-south-1"] as const;
export type PriceListEndpointRegion = (typeof PRICE_LIST_ENDPOINT_REGIONS)[number];

export function pricingClient(endpointRegion: PriceListEndpointRegion = "us-east-1"): PricingClient {
  return new PricingClient({ region: endpointRegion });
}

/** Looks every table entry up; `now` is when the API was read. API failures (credentials, permission) are thrown. */
export async function refreshPrices(client: PricingClient, region: PricedRegion, now: Date): Promise<PriceOverlay> {
  const read = now.toISOString();
  const overlay: PriceOverlay = { region, read, prices: {}, unresolved: {} };
  const cache: ProductCache = new Map();
  for (const [key, lookup] of Object.entries(PRICE_LOOKUPS) as [PriceKey, (typeof PRICE_LOOKUPS)[PriceKey]][]) {
    if (!isLookup(lookup)) {
      overlay.unresolved[key] = { reason: lookup.unverified };
      continue;
    }
    const result = await lookUpPrice(client, lookup, region, cache);
    if (!result.ok) {
      overlay.unresolved[key] = result.unresolved;
      continue;
    }
    const p = result.price;
    const price: OverlayPrice = {
      usd: p.usd,
      source: `AWS Price List Query API GetProducts, ${p.sku} (${p.usagetype}), publicationDate ${p.publicationDate || "?"}/effectiveDate ${p.effectiveDate || "?"}`,
      read,
      apiPrice: `$${p.apiUsd} per ${p.apiUnit} × ${lookup.perApiUnit}: "${p.description}"`,
      request: result.request,
    };
    overlay.prices[key] = price;
  }
  return overlay;
}

/** Regional list prices stay within this factor of N. Virginia's; beyond it, a unit conversion is the likelier cause. */
const PLAUSIBLE_FACTOR_FROM_US_EAST = 2;

/**
 * Prices of the overlay more than twice or less than half the table's us-east-1 price, each with the API's own
 * price and unit: a per-request price taken for a per-million one shows here before it reaches a bill.
 */
export function implausiblePrices(overlay: PriceOverlay): string[] {
  const lines: string[] = [];
  for (const [key, read] of Object.entries(overlay.prices) as [PriceKey, OverlayPrice][]) {
    const usEast = PRICES[key].regions["us-east-1"].usd;
    if (usEast === null || usEast === 0) continue;
    const factor = read.usd / usEast;
    if (factor > PLAUSIBLE_FACTOR_FROM_US_EAST || factor < 1 / PLAUSIBLE_FACTOR_FROM_US_EAST) {
      lines.push(`${key}: $${read.usd} ${PRICES[key].unit} is ${factor.toPrecision(3)}× the table's us-east-1 $${usEast}; check the unit conversion (${read.apiPrice})`);
    }
  }
  return lines;
}
