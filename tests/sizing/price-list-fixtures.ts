/**
 * GetProducts answers shaped like the real API's: each PriceList item a JSON string of one product, as in the
 * AmazonEC2 example kept in public SDK tests ({"product":{"productFamily","attributes":{...,"usagetype",
 * "regionCode","servicecode","location"},"sku"},"serviceCode","terms":{"OnDemand":{"<sku>.JRTCKXETXF":
 * {"priceDimensions":{"<sku>.JRTCKXETXF.6YS6EN2CT7":{"unit","endRange","description","appliesTo","rateCode",
 * "beginRange","pricePerUnit":{"USD":"0.0957600000"}}},"sku","effectiveDate","offerTermCode","termAttributes"}}},
 * "version","publicationDate"}), and a mock of the Pricing client that filters them as the API does.
 */
import { GetProductsCommand, PricingClient, type GetProductsCommandInput } from "@aws-sdk/client-pricing";
import { mockClient } from "aws-sdk-client-mock";

export interface Dimension {
  usd: string;
  unit: string;
  beginRange?: string;
  endRange?: string;
  description: string;
}

export interface Product {
  sku: string;
  serviceCode: string;
  productFamily: string;
  attributes: Record<string, string>;
  dimensions: Dimension[];
  /** Products of older offers carry `location` only, no `regionCode`. */
  withoutRegionCode?: boolean;
}

const LOCATIONS: Record<string, string> = { "us-east-1": "US East (N. Virginia)", "eu-central-1": "EU (Frankfurt)", "eu-west-1": "EU (Ireland)" };
export const PUBLICATION_DATE = "2026-11-28T19:04:11Z";
export const EFFECTIVE_DATE = "2026-11-01T00:00:00Z";

/** One PriceList string. */
export function priceListItem(p: Product, regionCode: string): string {
  const term = `${p.sku}.JRTCKXETXF`;
  const priceDimensions = Object.fromEntries(p.dimensions.map((d, i) => {
    const rateCode = `${term}.${["6YS6EN2CT7", "8EEUB22XNJ", "PGHJ3S3EYE"][i] ?? `RATE${i}`}`;
    return [rateCode, {
      unit: d.unit, endRange: d.endRange ?? "Inf", description: d.description, appliesTo: [], rateCode,
      beginRange: d.beginRange ?? "0", pricePerUnit: { USD: d.usd },
    }];
  }));
  return JSON.stringify({
    product: {
      productFamily: p.productFamily,
      attributes: {
        ...p.attributes, ...(!p.withoutRegionCode && { regionCode }), location: LOCATIONS[regionCode] ?? regionCode, locationType: "AWS Region", servicecode: p.serviceCode,
      },
      sku: p.sku,
    },
    serviceCode: p.serviceCode,
    terms: { OnDemand: { [term]: { priceDimensions, sku: p.sku, effectiveDate: EFFECTIVE_DATE, offerTermCode: "JRTCKXETXF", termAttributes: {} } } },
    version: "20261128190411",
    publicationDate: PUBLICATION_DATE,
  });
}

/**
 * Mocks PricingClient: GetProducts answers from `catalog` (products by Region code) filtered as the API does,
 * by ServiceCode and each TERM_MATCH filter against the product's attributes (or product family), two products
 * a page with a NextToken, and records every request.
 */
export function mockPriceList(catalog: Record<string, Product[]>) {
  const requests: GetProductsCommandInput[] = [];
  const mock = mockClient(PricingClient);
  mock.on(GetProductsCommand).callsFake((input: GetProductsCommandInput) => {
    requests.push(input);
    const filters = input.Filters ?? [];
    const matching = Object.entries(catalog)
      .flatMap(([region, products]) => products.map((p) => ({ item: priceListItem(p, region), p })))
      .filter(({ item, p }) => {
        const product = (JSON.parse(item) as { product: { productFamily: string; attributes: Record<string, string> } }).product;
        return p.serviceCode === input.ServiceCode && filters.every((f) =>
          (f.Field === "productFamily" ? product.productFamily : product.attributes[f.Field as string]) === f.Value);
      })
      .map(({ item }) => item);
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const page = matching.slice(start, start + 2);
    return {
      FormatVersion: "aws_v1",
      PriceList: page,
      ...(start + 2 < matching.length && { NextToken: String(start + 2) }),
    };
  });
  return { mock, requests };
}
