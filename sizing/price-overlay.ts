/**
 * A price overlay: prices read from the AWS Price List Query API for one Region (`iotpipe prices refresh`),
 * kept in a JSON file beside the table (`sizing/prices.<region>.json`) and merged over it by the cost model.
 * A table entry without a price takes the overlay's; a table price the overlay contradicts takes the overlay's
 * (the API is the publisher's current list) and the difference is reported as a warning, so a cited price is
 * never replaced silently.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isPricedRegion, priceOf, PRICES, type PricedRegion, type PriceKey } from "./prices";

/** One price of the overlay, with where and when it was read. */
export interface OverlayPrice {
  usd: number;
  /** "AWS Price List Query API GetProducts, <sku>, publicationDate <d>/effectiveDate <d>" */
  source: string;
  /** ISO date-time the API was read. */
  read: string;
  /** The API's price and unit as read, and the request, so a reviewer can check the unit conversion. */
  apiPrice: string;
  request: string;
}

export interface PriceOverlay {
  region: PricedRegion;
  read: string;
  prices: Partial<Record<PriceKey, OverlayPrice>>;
  /** Entries the API gave no single price for (or that were not queried), with the reason and the filters. */
  unresolved: Partial<Record<PriceKey, { reason: string; request?: string }>>;
}

/** Where the overlay of a Region is kept by default. */
export function defaultOverlayPath(region: PricedRegion): string {
  return path.join(__dirname, `prices.${region}.json`);
}

export class OverlayError extends Error {}

/** Reads and checks an overlay file: the Region, and that every price names a known key and is a number. */
export function readOverlay(file: string): PriceOverlay {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new OverlayError(`price overlay ${file} is not readable JSON: ${(error as Error).message}`);
  }
  const o = raw as Partial<PriceOverlay>;
  if (!o || typeof o !== "object" || typeof o.region !== "string" || !isPricedRegion(o.region) || typeof o.prices !== "object" || o.prices === null) {
    throw new OverlayError(`price overlay ${file} has no known "region" or no "prices" object`);
  }
  for (const [key, p] of Object.entries(o.prices)) {
    if (!(key in PRICES)) throw new OverlayError(`price overlay ${file}: "${key}" is not an entry of the price table (sizing/prices.ts)`);
    if (typeof p?.usd !== "number" || !Number.isFinite(p.usd) || p.usd < 0) throw new OverlayError(`price overlay ${file}: "${key}" has no usable usd`);
  }
  return { region: o.region, read: String(o.read ?? ""), prices: o.prices, unresolved: o.unresolved ?? {} };
}

/** The overlay kept for `region`, if a file is there. */
export function overlayFor(region: PricedRegion, file = defaultOverlayPath(region)): PriceOverlay | undefined {
  return fs.existsSync(file) ? readOverlay(file) : undefined;
}

/** The prices the cost model uses in a Region: the table's, with an overlay merged over it. */
export interface EffectivePrices {
  region: PricedRegion;
  usd(key: PriceKey): number | null;
  /** Table prices the overlay changed, one line each. */
  warnings: string[];
  /** Entries the overlay filled where the table had none. */
  filled: PriceKey[];
  /** The overlay merged, if any. */
  overlay?: PriceOverlay;
}

/** Merges `overlay` (of the same Region) over the table's column for `region`. */
export function effectivePrices(region: PricedRegion, overlay?: PriceOverlay): EffectivePrices {
  if (overlay && overlay.region !== region) {
    throw new OverlayError(`the price overlay is for ${overlay.region}, the bill for ${region}`);
  }
  const warnings: string[] = [];
  const filled: PriceKey[] = [];
  const merged = new Map<PriceKey, number | null>();
  for (const key of Object.keys(PRICES) as PriceKey[]) {
    const table = priceOf(key, region);
    const read = overlay?.prices[key];
    if (!read) {
      merged.set(key, table);
    } else if (table === null) {
      merged.set(key, read.usd);
      filled.push(key);
    } else {
      if (!sameUsd(table, read.usd)) {
        warnings.push(`${key} (${PRICES[key].unit}): the table says $${table} (${PRICES[key].regions[region].source}), the Price List says $${read.usd} (${read.source}, read ${read.read}); using the Price List's`);
      }
      merged.set(key, read.usd);
    }
  }
  return { region, usd: (key) => merged.get(key) ?? null, warnings, filled, ...(overlay && { overlay }) };
}

/** Equal to the table's precision: prices are listed with up to 10 significant digits. */
function sameUsd(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}
