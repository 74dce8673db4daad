/**
 * `iotpipe prices refresh`'s logic against a mocked Price List Query API (aws-sdk-client-mock): the requests it
 * sends, the product and tier it takes, what it refuses to guess, and the overlay's merge into the cost model.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { PricingClient } from "@aws-sdk/client-pricing";
import { sizeFleet } from "../../sizing/capacity";
import { platformCost, type BillSettings } from "../../sizing/cost";
import { fleet } from "../../sizing/fleet";
import { lookUpPrice, selectPrice } from "../../sizing/price-list";
import { isLookup, PRICE_LOOKUPS, usagetypeMatches, type PriceLookup } from "../../sizing/price-lookups";
import { effectivePrices, OverlayError, readOverlay, type PriceOverlay } from "../../sizing/price-overlay";
import { implausiblePrices, refreshPrices } from "../../sizing/price-refresh";
import { PRICES, type PriceKey } from "../../sizing/prices";
import { FRANKFURT } from "./frankfurt-price-list";
import { DEFAULT_STACK } from "./stack-fixture";
import { EFFECTIVE_DATE, mockPriceList, priceListItem, PUBLICATION_DATE, type Product } from "./price-list-fixtures";

const NOW = new Date("2026-12-03T17:00:00Z");
const client = () => new PricingClient({ region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" } });
const parse = (products: Product[], region: string) => products.map((p) => JSON.parse(priceListItem(p, region)));
const lookup = (key: PriceKey): PriceLookup => {
  const l = PRICE_LOOKUPS[key];
  if (!isLookup(l)) throw new Error(`${key} has no lookup`);
  return l;
};

describe("usage types across Regions", () => {
  it("matches a usage type with the Region's billing prefix, the Region name, or none, and nothing longer", () => {
    expect(usagetypeMatches("EUC1-Storage-ShardHour", "Storage-ShardHour", "eu-central-1")).toBe(true);
    expect(usagetypeMatches("EU-Storage-ShardHour", "Storage-ShardHour", "eu-west-1")).toBe(true);
    expect(usagetypeMatches("Storage-ShardHour", "Storage-ShardHour", "us-east-1")).toBe(true);
    expect(usagetypeMatches("USE1-DataScannedInTB", "DataScannedInTB", "us-east-1")).toBe(true);
    expect(usagetypeMatches("eu-central-1-KMS-Keys", "KMS-Keys", "eu-central-1")).toBe(true);
    // Another Region's row, a Standard-IA table's units and the Arm price are different products.
    expect(usagetypeMatches("EU-Storage-ShardHour", "Storage-ShardHour", "eu-central-1")).toBe(false);
    expect(usagetypeMatches("EUC1-IA-WriteRequestUnits", "WriteRequestUnits", "eu-central-1")).toBe(false);
    expect(usagetypeMatches("EUC1-Lambda-GB-Second-ARM", "Lambda-GB-Second", "eu-central-1")).toBe(false);
  });

  it("gives every entry of the price table a lookup or the reason it has none", () => {
    expect(Object.keys(PRICE_LOOKUPS).sort()).toEqual(Object.keys(PRICES).sort());
    for (const l of Object.values(PRICE_LOOKUPS)) {
      if (isLookup(l)) expect(l.verifiedIn).toMatch(/\S/);
      else expect(l.unverified).toMatch(/\S/);
    }
  });
});

describe("one price out of GetProducts' answer", () => {
  it("takes the tier the entry names and converts to the table's unit", () => {
    const products = parse(FRANKFURT, "eu-central-1");
    const first = selectPrice(products, lookup("firehoseIngestGbFirst500Tb"), "eu-central-1");
    const next = selectPrice(products, lookup("firehoseIngestGbNext1500Tb"), "eu-central-1");
    const above = selectPrice(products, lookup("firehoseIngestGbAbove2Pb"), "eu-central-1");
    expect([first, next, above].map((r) => (r.ok ? r.price.usd : r.unresolved.reason))).toEqual([0.035, 0.03, 0.025]);
    const s3 = selectPrice(products, lookup("s3StandardGbMonth"), "eu-central-1");
    expect(s3.ok && s3.price).toMatchObject({ usd: 0.0245, apiUnit: "GB-Mo", sku: "QDQDX8WBW5C3XH3K", usagetype: "EUC1-TimedStorage-ByteHrs", publicationDate: PUBLICATION_DATE, effectiveDate: EFFECTIVE_DATE });
    // $0.0000000175 per PUT payload unit is $0.0175 per million; $0.000036 per transition is $0.036 per 1,000.
    const put = selectPrice(products, lookup("kinesisPutPayloadUnitsPerMillion"), "eu-central-1");
    expect(put.ok && put.price.usd).toBe(0.0175);
    const glacier = selectPrice(products, lookup("s3TransitionToGlacierPer1000"), "eu-central-1");
    expect(glacier.ok && glacier.price).toMatchObject({ usd: 0.036, sku: "2GW5DJAEJQ2S6T4W" });
  });

  it("skips a free tier the Price List lists as a $0 dimension", () => {
    const products = parse(FRANKFURT, "eu-central-1");
    const storage = selectPrice(products, lookup("dynamodbStorageGbMonth"), "eu-central-1");
    expect(storage.ok && storage.price).toMatchObject({ usd: 0.306, sku: "HFXVTM8PQ3QCYQQ6" });
    const kms = selectPrice(products, lookup("kmsRequestsPer10k"), "eu-central-1");
    expect(kms.ok && kms.price.usd).toBe(0.03);
  });

  it("reports no product, with the filters it used, instead of a price", () => {
    const result = selectPrice(parse(FRANKFURT.filter((p) => p.serviceCode !== "AmazonAthena"), "eu-central-1"), lookup("athenaTbScanned"), "eu-central-1");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.unresolved.reason).toMatch(/no product matched/);
    expect(result.unresolved.request).toBe("ServiceCode AmazonAthena; TERM_MATCH regionCode=eu-central-1, productFamily=Athena Queries; matching usagetype=[prefix-]DataScannedInTB");
  });

  it("asks by the Price List's location name when no product carries the Region's code", async () => {
    const older = FRANKFURT.filter((p) => p.serviceCode === "AmazonAthena").map((p) => ({ ...p, withoutRegionCode: true }));
    const { mock, requests } = mockPriceList({ "eu-central-1": older, "eu-west-1": [{ ...older[0], sku: "IRELANDSKU000001" }] });
    const result = await lookUpPrice(client(), lookup("athenaTbScanned"), "eu-central-1");
    mock.restore();
    expect(requests.map((r) => r.Filters?.[0])).toEqual([
      { Type: "TERM_MATCH", Field: "regionCode", Value: "eu-central-1" },
      { Type: "TERM_MATCH", Field: "location", Value: "EU (Frankfurt)" },
    ]);
    expect(result.ok && result.price).toMatchObject({ usd: 5, sku: "ZQ5VSGJ7QK4C9XJQ" });
    expect(result.ok && result.request).toMatch(/TERM_MATCH location=EU \(Frankfurt\), productFamily=Athena Queries/);
  });

  it("reports two products that both fit as ambiguous, naming their SKUs", () => {
    const twin: Product = { ...FRANKFURT.find((p) => p.sku === "K7HQWTYQ4DHCUJ5M")!, sku: "TWINSKU000000001" };
    const result = selectPrice(parse([...FRANKFURT, twin], "eu-central-1"), lookup("kinesisShardHour"), "eu-central-1");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.unresolved.reason).toBe("2 products matched, ambiguous: K7HQWTYQ4DHCUJ5M (EUC1-Storage-ShardHour), TWINSKU000000001 (EUC1-Storage-ShardHour)");
  });

  it("reports a tiered product whose tiers do not include the entry's", () => {
    const flat: Product = { ...FRANKFURT.find((p) => p.sku === "MZ9ZBRNT29Q6CDUS")!, dimensions: [{ usd: "0.035", unit: "GB", description: "one rate", beginRange: "0", endRange: "Inf" }] };
    const result = selectPrice(parse([flat], "eu-central-1"), lookup("firehoseIngestGbNext1500Tb"), "eu-central-1");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.unresolved.reason).toBe("product MZ9ZBRNT29Q6CDUS: 0 OnDemand dimensions fit (0-Inf at 0.035)");
  });
});

describe("a refresh for Frankfurt", () => {
  let overlay: PriceOverlay;
  let requests: ReturnType<typeof mockPriceList>["requests"];
  beforeAll(async () => {
    const mocked = mockPriceList({ "eu-central-1": FRANKFURT });
    requests = mocked.requests;
    overlay = await refreshPrices(client(), "eu-central-1", NOW);
    mocked.mock.restore();
  });

  it("asks GetProducts with the service code, regionCode and product family, page by page", () => {
    const shard = requests.find((r) => r.ServiceCode === "AmazonKinesis");
    expect(shard?.Filters).toEqual([
      { Type: "TERM_MATCH", Field: "regionCode", Value: "eu-central-1" },
      { Type: "TERM_MATCH", Field: "productFamily", Value: "Kinesis Streams" },
    ]);
    expect(requests.every((r) => r.Filters?.[0].Value === "eu-central-1" && r.FormatVersion === "aws_v1")).toBe(true);
    // Eleven Kinesis products, two a page: the reader followed NextToken to the sixth page, once for all eleven
    // Kinesis entries (they share the service code and filters).
    expect(requests.filter((r) => r.ServiceCode === "AmazonKinesis").map((r) => r.NextToken)).toEqual([undefined, "2", "4", "6", "8", "10"]);
  });

  it("reads every entry that has a lookup, each with its SKU, dates and the date read", () => {
    const withLookup = (Object.keys(PRICE_LOOKUPS) as PriceKey[]).filter((k) => isLookup(PRICE_LOOKUPS[k]));
    expect(Object.keys(overlay.prices).sort()).toEqual(withLookup.sort());
    expect(overlay.prices.kinesisShardHour).toEqual({
      usd: 0.0179,
      source: `AWS Price List Query API GetProducts, K7HQWTYQ4DHCUJ5M (EUC1-Storage-ShardHour), publicationDate ${PUBLICATION_DATE}/effectiveDate ${EFFECTIVE_DATE}`,
      read: "2026-12-03T17:00:00.000Z",
      apiPrice: "$0.0179000000 per ShardHour × 1: \"$0.0179000000 per ShardHour for Storage-ShardHour in EU (Frankfurt)\"",
      request: "ServiceCode AmazonKinesis; TERM_MATCH regionCode=eu-central-1, productFamily=Kinesis Streams; matching usagetype=[prefix-]Storage-ShardHour, operation=shardHourStorage",
    });
    expect(overlay.prices.lambdaGbSecond?.usd).toBe(0.0000166667);
    expect(overlay.prices.dynamodbWriteRequestsPerMillion?.usd).toBe(0.7625);
    expect(overlay.prices.kmsKeyMonth?.usd).toBe(1);
    expect(overlay.prices.apiGatewayHttpPerMillionAbove300M?.usd).toBe(1);
    expect(overlay.prices.glueCatalogObjectsPer100kMonth?.usd).toBe(1);
  });

  it("lists the entries it did not query, with the reason", () => {
    expect(Object.keys(overlay.unresolved).sort()).toEqual(
      ["iamNoCharge", "iotActionsExecutedPerMillion", "iotBasicIngestMessagesPerMillion", "iotConnectionMinutesPerMillion", "iotRulesTriggeredPerMillion", "schedulerInvocationsPerMillion"],
    );
    expect(overlay.unresolved.iotRulesTriggeredPerMillion?.reason).toMatch(/not queried with a guessed filter/);
  });

  it("flags a price far from N. Virginia's as a likely unit mistake, and none of Frankfurt's", async () => {
    expect(implausiblePrices(overlay)).toEqual([]);
    // The same PUT payload unit priced per million units (as if the API's unit were the table's): 1e6 times too much.
    const perMillion = FRANKFURT.map((p) => (p.sku === "3JAH2ZS5GBZTNQVM" ? { ...p, dimensions: [{ ...p.dimensions[0], usd: "0.0175000000" }] } : p));
    const mocked = mockPriceList({ "eu-central-1": perMillion });
    const wrong = await refreshPrices(client(), "eu-central-1", NOW);
    mocked.mock.restore();
    expect(implausiblePrices(wrong)).toEqual([
      "kinesisPutPayloadUnitsPerMillion: $17500 per million PUT payload units (25 KB each) is 1.25e+6× the table's us-east-1 $0.014; check the unit conversion ($0.0175000000 per PutRequestPayloadUnits × 1000000: \"$0.0000000175 per PutRequestPayloadUnits for PutRequestPayloadUnits in EU (Frankfurt)\")",
    ]);
  });

  it("fills the table's empty Frankfurt prices and warns where it contradicts a cited one", () => {
    const merged = effectivePrices("eu-central-1", overlay);
    expect(merged.usd("kinesisShardHour")).toBe(0.0179);
    expect(merged.filled).toContain("kinesisShardHour");
    // The table's Frankfurt extended retention ($0.024, from a user quoting the page in 2024) against the test's $0.026.
    expect(merged.warnings).toHaveLength(1);
    expect(merged.warnings[0]).toMatch(/^kinesisExtendedRetentionShardHour .*the table says \$0\.024 .*the Price List says \$0\.026 .*using the Price List's$/);
    // Equal prices (S3 Standard's $0.0245, Lambda, KMS keys) are no warning.
    expect(merged.usd("s3StandardGbMonth")).toBe(0.0245);
  });

  it("turns Frankfurt's lower-bound bill exact once the prices it cannot read are added by hand", () => {
    const plant = sizeFleet(fleet({ devices: 1_000, metricsPerMessage: 4, messageIntervalSeconds: 5 }));
    const deployed = DEFAULT_STACK;
    const settings: BillSettings = { streamRetentionHours: 168, rawDataIaDays: 30, rawDataGlacierDays: 90, rawDataExpireDays: 0 };
    const before = platformCost(plant, deployed, settings, "eu-central-1");
    expect(before.unpriced).toBeGreaterThan(10);

    const refreshed = platformCost(plant, deployed, settings, "eu-central-1", overlay);
    // Only IoT Core's lines (connection, rules, the action and the error action) and the report schedule remain:
    // their Price List usage types were not verified, so refresh does not read them.
    expect(refreshed.lines.filter((l) => l.usd === null).map((l) => l.price).sort()).toEqual(
      ["iotActionsExecutedPerMillion", "iotActionsExecutedPerMillion", "iotConnectionMinutesPerMillion", "iotRulesTriggeredPerMillion", "schedulerInvocationsPerMillion"],
    );
    const shards = refreshed.lines.find((l) => l.item === "7 shards");
    expect(shards?.usd).toBeCloseTo(7 * 730 * 0.0179, 9);
    expect(refreshed.overlayRead).toBe("2026-12-03T17:00:00.000Z");

    const byHand = (usd: number) => ({ usd, source: "read by hand at https://calculator.aws/ (test)", read: "2026-12-03", apiPrice: "-", request: "-" });
    const full: PriceOverlay = {
      ...overlay,
      prices: { ...overlay.prices, iotConnectionMinutesPerMillion: byHand(0.08), iotRulesTriggeredPerMillion: byHand(0.15), iotActionsExecutedPerMillion: byHand(0.15), schedulerInvocationsPerMillion: byHand(1) },
    };
    const exact = platformCost(plant, deployed, settings, "eu-central-1", full);
    expect(exact.unpriced).toBe(0);
    expect(exact.totalUsd).toBeCloseTo(exact.lines.reduce((s, l) => s + (l.usd as number), 0), 9);
    expect(exact.totalUsd).toBeGreaterThan(refreshed.totalUsd);
  });
});

describe("a refresh for Ireland (dev)", () => {
  it("reads Ireland's EU- usage types by eu-west-1's code and never takes Frankfurt's", async () => {
    const ireland: Product[] = FRANKFURT.filter((p) => p.serviceCode === "AmazonKinesis").map((p) => ({
      ...p, sku: `IE${p.sku.slice(2)}`, attributes: { ...p.attributes, usagetype: p.attributes.usagetype.replace(/^EUC1-/, "EU-") },
      dimensions: p.dimensions.map((dim) => ({ ...dim, usd: (Number(dim.usd) * 0.9).toFixed(10) })),
    }));
    const { mock } = mockPriceList({ "eu-central-1": FRANKFURT, "eu-west-1": ireland });
    const overlay = await refreshPrices(client(), "eu-west-1", NOW);
    mock.restore();
    expect(overlay.region).toBe("eu-west-1");
    expect(overlay.prices.kinesisShardHour).toMatchObject({ usd: 0.01611 });
    expect(overlay.prices.kinesisShardHour?.source).toContain("IEHQWTYQ4DHCUJ5M (EU-Storage-ShardHour)");
    // Ireland's other services are not in this catalog: none is filled from Frankfurt's rows.
    expect(overlay.prices.s3StandardGbMonth).toBeUndefined();
    expect(overlay.unresolved.s3StandardGbMonth?.request).toContain("location=EU (Ireland)");
  });
});

describe("GetProducts through the SDK's own deserializer", () => {
  it("parses PriceList items as the SDK returns them (JSON strings) and follows NextToken", async () => {
    // The client's HTTP handler answers with GetProducts' wire format (awsJson1_1), so the real deserializer runs.
    const shardHour = FRANKFURT.filter((p) => p.sku === "K7HQWTYQ4DHCUJ5M");
    const otherKinesis = FRANKFURT.filter((p) => p.serviceCode === "AmazonKinesis" && p.sku !== "K7HQWTYQ4DHCUJ5M");
    const bodies = [
      { FormatVersion: "aws_v1", PriceList: otherKinesis.map((p) => priceListItem(p, "eu-central-1")), NextToken: "page-2" },
      { FormatVersion: "aws_v1", PriceList: shardHour.map((p) => priceListItem(p, "eu-central-1")) },
    ];
    const sent: string[] = [];
    const wire = new PricingClient({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" },
      requestHandler: {
        handle: async (request: { headers: Record<string, string>; body: Uint8Array | string }) => {
          sent.push(`${request.headers["x-amz-target"]} ${typeof request.body === "string" ? request.body : new TextDecoder().decode(request.body)}`);
          const body = JSON.stringify(bodies[sent.length - 1]);
          return { response: { statusCode: 200, headers: { "content-type": "application/x-amz-json-1.1" }, body: Readable.from([Buffer.from(body)]) } };
        },
      },
    });
    const result = await lookUpPrice(wire, lookup("kinesisShardHour"), "eu-central-1");
    expect(result.ok && result.price).toMatchObject({ usd: 0.0179, sku: "K7HQWTYQ4DHCUJ5M", apiUnit: "ShardHour" });
    expect(sent).toHaveLength(2);
    expect(sent[0]).toContain("AWSPriceListService.GetProducts");
    expect(JSON.parse(sent[1].split(" ").slice(1).join(" "))).toMatchObject({ ServiceCode: "AmazonKinesis", NextToken: "page-2", MaxResults: 100 });
  });
});

describe("overlay files", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-overlay-"));
  const write = (name: string, body: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof body === "string" ? body : JSON.stringify(body));
    return file;
  };

  it("refuses a file that is not an overlay, a key the table does not have, and a price that is not a number", () => {
    expect(() => readOverlay(write("bad.json", "{not json"))).toThrow(OverlayError);
    expect(() => readOverlay(write("noregion.json", { prices: {} }))).toThrow(/no known "region"/);
    expect(() => readOverlay(write("key.json", { region: "eu-west-1", prices: { shardHour: { usd: 1 } } }))).toThrow(/"shardHour" is not an entry of the price table/);
    expect(() => readOverlay(write("usd.json", { region: "eu-west-1", prices: { kinesisShardHour: { usd: "0.015" } } }))).toThrow(/"kinesisShardHour" has no usable usd/);
  });

  it("refuses to merge another Region's overlay", () => {
    const ireland = readOverlay(write("ireland.json", { region: "eu-west-1", read: "2026-12-03", prices: {}, unresolved: {} }));
    expect(() => effectivePrices("eu-central-1", ireland)).toThrow(/for eu-west-1, the bill for eu-central-1/);
  });
});
