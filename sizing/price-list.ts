/**
 * Reads one price from the AWS Price List Query API: GetProducts (paginated) with the service code and
 * TERM_MATCH filters on `regionCode` (and the product family; on `location` when no product carries the Region's
 * code, as in older offers), then the products whose attributes match the
 * lookup, then their OnDemand price dimensions, the tier the table entry names. Anything but exactly one
 * product and one dimension is returned as unresolved with what was asked, never guessed.
 *
 * Each PriceList item is a JSON string: {"product":{"productFamily","attributes":{...},"sku"},"serviceCode",
 * "terms":{"OnDemand":{"<sku>.<offerTermCode>":{"priceDimensions":{"<rateCode>":{"unit","beginRange","endRange",
 * "description","pricePerUnit":{"USD"}}},"effectiveDate",...}}},"version","publicationDate"}.
 */
import { GetProductsCommand, type Filter, type PricingClient } from "@aws-sdk/client-pricing";
import { PRICE_LIST_LOCATION, usagetypeMatches, type PriceLookup } from "./price-lookups";
import type { PricedRegion } from "./prices";

interface PriceDimension {
  unit: string;
  beginRange?: string;
  endRange?: string;
  description?: string;
  pricePerUnit: Record<string, string>;
}
interface PriceListProduct {
  product: { productFamily?: string; attributes: Record<string, string>; sku: string };
  serviceCode: string;
  terms?: { OnDemand?: Record<string, { effectiveDate?: string; priceDimensions: Record<string, PriceDimension> }> };
  publicationDate?: string;
}

/** A price read from the API, in the table's unit. */
export interface ReadPrice {
  usd: number;
  /** The API's own price and unit, as read. */
  apiUsd: string;
  apiUnit: string;
  description: string;
  sku: string;
  usagetype: string;
  publicationDate: string;
  effectiveDate: string;
}

/** Why a lookup gave no price, with the request as sent. */
export interface Unresolved {
  reason: string;
  request: string;
}

export type LookupResult = { ok: true; price: ReadPrice; request: string } | { ok: false; unresolved: Unresolved };

/** How the Region is named in the filters: its code, or the Price List's location name. */
export type RegionField = "regionCode" | "location";

/** The GetProducts filters for a lookup in a Region. */
export function filtersFor(lookup: PriceLookup, region: PricedRegion, by: RegionField = "regionCode"): Filter[] {
  return [
    { Type: "TERM_MATCH", Field: by, Value: by === "regionCode" ? region : PRICE_LIST_LOCATION[region] },
    ...(lookup.productFamily ? [{ Type: "TERM_MATCH" as const, Field: "productFamily", Value: lookup.productFamily }] : []),
  ];
}

/** A readable record of the request: service code, server filters and the attributes matched here. */
export function describeRequest(lookup: PriceLookup, region: PricedRegion, by: RegionField = "regionCode"): string {
  const server = filtersFor(lookup, region, by).map((f) => `${f.Field}=${f.Value}`).join(", ");
  const local = Object.entries(lookup.attributes).map(([k, v]) => (k === "usagetype" ? `usagetype=[prefix-]${v}` : `${k}=${v}`));
  const tier = lookup.tierBeginRange !== undefined ? [`tier beginRange=${lookup.tierBeginRange}`] : [];
  return `ServiceCode ${lookup.serviceCode}; TERM_MATCH ${server}; matching ${[...local, ...tier].join(", ")}`;
}

/** Every product GetProducts returns for the lookup's service code and filters (all pages). */
async function fetchProducts(client: PricingClient, lookup: PriceLookup, region: PricedRegion, by: RegionField): Promise<PriceListProduct[]> {
  const products: PriceListProduct[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new GetProductsCommand({
      ServiceCode: lookup.serviceCode, Filters: filtersFor(lookup, region, by), FormatVersion: "aws_v1", MaxResults: 100, NextToken: token,
    }));
    // PriceList holds one product per item as JSON text (the SDK hands it over as a string or a LazyJsonString).
    for (const item of (page.PriceList ?? []) as unknown as unknown[]) {
      try {
        products.push(JSON.parse(String(item)) as PriceListProduct);
      } catch {
        throw new Error(`GetProducts (${lookup.serviceCode}) returned a PriceList item that is not JSON: ${String(item).slice(0, 80)}`);
      }
    }
    token = page.NextToken;
  } while (token);
  return products;
}

function attributesMatch(p: PriceListProduct, lookup: PriceLookup, region: PricedRegion): boolean {
  const attrs = p.product.attributes ?? {};
  return Object.entries(lookup.attributes).every(([key, want]) => {
    const have = attrs[key];
    if (have === undefined) return false;
    return key === "usagetype" ? usagetypeMatches(have, want, region) : have.toLowerCase() === want.toLowerCase();
  });
}

function onDemandDimensions(p: PriceListProduct): { dimension: PriceDimension; effectiveDate: string }[] {
  return Object.values(p.terms?.OnDemand ?? {}).flatMap((term) =>
    Object.values(term.priceDimensions).map((dimension) => ({ dimension, effectiveDate: term.effectiveDate ?? "" })));
}

/** Picks the one product and dimension a lookup names out of GetProducts' answer. */
export function selectPrice(products: PriceListProduct[], lookup: PriceLookup, region: PricedRegion, by: RegionField = "regionCode"): LookupResult {
  const request = describeRequest(lookup, region, by);
  const fail = (reason: string): LookupResult => ({ ok: false, unresolved: { reason, request } });
  // GetProducts answers for one service code; checked again so a product of another service never passes.
  const matching = products.filter((p) => p.serviceCode === lookup.serviceCode && attributesMatch(p, lookup, region));
  if (matching.length === 0) return fail(`no product matched (${products.length} returned for the filters)`);
  if (matching.length > 1) {
    return fail(`${matching.length} products matched, ambiguous: ${matching.map((p) => `${p.product.sku} (${p.product.attributes.usagetype ?? "?"})`).join(", ")}`);
  }
  const product = matching[0];
  let dims = onDemandDimensions(product).filter((d) => d.dimension.pricePerUnit.USD !== undefined);
  if (lookup.skipFreeTier) dims = dims.filter((d) => Number(d.dimension.pricePerUnit.USD) > 0);
  if (lookup.tierBeginRange !== undefined) dims = dims.filter((d) => Number(d.dimension.beginRange ?? "0") === Number(lookup.tierBeginRange));
  if (dims.length !== 1) {
    const all = onDemandDimensions(product).map((d) => `${d.dimension.beginRange ?? "?"}-${d.dimension.endRange ?? "?"} at ${d.dimension.pricePerUnit.USD ?? "?"}`);
    return fail(`product ${product.product.sku}: ${dims.length} OnDemand dimensions fit (${all.join("; ") || "none"})`);
  }
  const { dimension, effectiveDate } = dims[0];
  const apiUsd = dimension.pricePerUnit.USD;
  return {
    ok: true,
    request,
    price: {
      usd: roundPrice(Number(apiUsd) * lookup.perApiUnit),
      apiUsd,
      apiUnit: dimension.unit,
      description: (dimension.description ?? "").trim(),
      sku: product.product.sku,
      usagetype: product.product.attributes.usagetype ?? "",
      publicationDate: product.publicationDate ?? "",
      effectiveDate,
    },
  };
}

/** Rounds away binary noise from the unit conversion (0.000000014 × 1e6) without losing a listed digit. */
function roundPrice(v: number): number {
  return Number(v.toPrecision(12));
}

/**
 * GetProducts answers already fetched in one refresh, by service code and filters: the eleven Kinesis entries
 * (or S3's seven) share one request sequence instead of paging through the same products again.
 */
export type ProductCache = Map<string, Promise<PriceListProduct[]>>;

function cachedProducts(client: PricingClient, lookup: PriceLookup, region: PricedRegion, by: RegionField, cache: ProductCache): Promise<PriceListProduct[]> {
  const key = `${lookup.serviceCode} ${JSON.stringify(filtersFor(lookup, region, by))}`;
  let products = cache.get(key);
  if (!products) {
    products = fetchProducts(client, lookup, region, by);
    cache.set(key, products);
  }
  return products;
}

/** Looks one price up. A failed API call is thrown (credentials, permission, network); a missing product is not. */
export async function lookUpPrice(client: PricingClient, lookup: PriceLookup, region: PricedRegion, cache: ProductCache = new Map()): Promise<LookupResult> {
  const byCode = await cachedProducts(client, lookup, region, "regionCode", cache);
  if (byCode.length > 0) return selectPrice(byCode, lookup, region, "regionCode");
  return selectPrice(await cachedProducts(client, lookup, region, "location", cache), lookup, region, "location");
}
