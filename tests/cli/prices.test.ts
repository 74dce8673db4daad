/**
 * `iotpipe prices refresh` and `iotpipe size --prices` as a user runs them, with the Price List Query API mocked
 * (aws-sdk-client-mock): the overlay written, the messages, the exit codes, and a Frankfurt bill made exact.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetProductsCommand, PricingClient } from "@aws-sdk/client-pricing";
import { mockClient } from "aws-sdk-client-mock";
import type { PriceOverlay } from "../../sizing/price-overlay";
import { FRANKFURT } from "../sizing/frankfurt-price-list";
import { mockPriceList } from "../sizing/price-list-fixtures";
import { cli } from "./run-cli";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-prices-"));

describe("iotpipe prices refresh", () => {
  afterEach(() => mockClient(PricingClient).restore());

  it("writes the overlay, and says what it read, what it contradicts and what it could not read", async () => {
    mockPriceList({ "eu-central-1": FRANKFURT });
    const out = path.join(dir, "frankfurt.json");
    const run = await cli("prices", "refresh", "--region", "eu-central-1", "--out", out);
    expect(run.code).toBe(0);
    const overlay = JSON.parse(fs.readFileSync(out, "utf8")) as PriceOverlay;
    expect(overlay.region).toBe("eu-central-1");
    expect(overlay.prices.kinesisShardHour?.usd).toBe(0.0179);
    // The table's 50 entries: the fixture answers all 44 with a lookup; 6 have none (IoT Core's, the Scheduler's).
    expect(run.err).toContain("44 of 50 prices read for eu-central-1 from the AWS Price List Query API");
    expect(run.err).toContain(`written to ${out}`);
    expect(run.err).toMatch(/filled where the table had none: .*kinesisShardHour/);
    expect(run.err).toMatch(/warning: kinesisExtendedRetentionShardHour .*\$0\.024.*\$0\.026/);
    expect(run.err).toMatch(/not read: iotRulesTriggeredPerMillion: AWS IoT Core rules triggered/);
    expect(run.out).toBe("");
  });

  it("reports an entry with no product, with the filters it sent", async () => {
    mockPriceList({ "eu-central-1": FRANKFURT.filter((p) => p.serviceCode !== "AmazonAthena") });
    const run = await cli("prices", "refresh", "--region", "eu-central-1", "--out", path.join(dir, "no-athena.json"));
    expect(run.code).toBe(0);
    // Asked by regionCode, then by location (older offers carry only that): nothing either way.
    expect(run.err).toContain("not read: athenaTbScanned: no product matched (0 returned for the filters) [ServiceCode AmazonAthena; TERM_MATCH location=EU (Frankfurt), productFamily=Athena Queries; matching usagetype=[prefix-]DataScannedInTB]");
  });

  it("prints the overlay on stdout with --out -", async () => {
    mockPriceList({ "eu-central-1": FRANKFURT });
    const run = await cli("prices", "refresh", "--region", "eu-central-1", "--out", "-");
    expect(run.code).toBe(0);
    expect((JSON.parse(run.out) as PriceOverlay).prices.s3StandardGbMonth?.usd).toBe(0.0245);
    expect(run.err).not.toContain("written to");
  });

  it("says which permission is missing when the API refuses the call", async () => {
    mockClient(PricingClient).on(GetProductsCommand).rejects(
      Object.assign(new Error("User: arn:aws:iam::123456789012:user/dev is not authorized to perform: pricing:GetProducts"), { name: "AccessDeniedException" }),
    );
    const run = await cli("prices", "refresh", "--region", "eu-west-1", "--out", path.join(dir, "denied.json"));
    expect(run.code).toBe(1);
    expect(run.err).toContain("error: the AWS Price List Query API refused the call (AccessDeniedException:");
    expect(run.err).toContain("next: run with AWS credentials whose policy allows pricing:GetProducts");
    expect(fs.existsSync(path.join(dir, "denied.json"))).toBe(false);
  });

  it("refuses a Region without a table column, an endpoint Region that does not serve the API, and no --region", async () => {
    const region = await cli("prices", "refresh", "--region", "ap-south-1");
    expect(region.code).toBe(2);
    expect(region.err).toContain("no price table column for Region ap-south-1");
    const endpoint = await cli("prices", "refresh", "--region", "eu-west-1", "--endpoint-region", "eu-west-1");
    expect(endpoint.code).toBe(2);
    expect(endpoint.err).toContain("the Price List Query API is not served from eu-west-1");
    const none = await cli("prices", "refresh");
    expect(none.code).toBe(2);
    expect(none.err).toContain("required option '--region <region>' not specified");
  });
});

describe("iotpipe size with a Price List overlay", () => {
  it("refuses an overlay file that is not there, before rendering anything", async () => {
    const run = await cli("size", "--devices", "1000", "--region", "eu-central-1", "--prices", path.join(dir, "missing.json"));
    expect(run.code).toBe(1);
    expect(run.err).toContain("price overlay");
    expect(run.err).toContain("does not exist");
  });

  it("prices a Frankfurt fleet exactly with a full overlay, and warns where it replaced a cited price", async () => {
    mockPriceList({ "eu-central-1": FRANKFURT });
    const file = path.join(dir, "full.json");
    const refresh = await cli("prices", "refresh", "--region", "eu-central-1", "--out", file);
    mockClient(PricingClient).restore();
    expect(refresh.code).toBe(0);
    // The four prices refresh cannot read (no verified usage type), added by hand as a user would from the calculator.
    const overlay = JSON.parse(fs.readFileSync(file, "utf8")) as PriceOverlay;
    const byHand = (usd: number) => ({ usd, source: "read by hand at https://calculator.aws/ (test)", read: "2026-12-03", apiPrice: "-", request: "-" });
    Object.assign(overlay.prices, { iotConnectionMinutesPerMillion: byHand(0.08), iotRulesTriggeredPerMillion: byHand(0.15), iotActionsExecutedPerMillion: byHand(0.15), schedulerInvocationsPerMillion: byHand(1) });
    fs.writeFileSync(file, JSON.stringify(overlay));

    const run = await cli("size", "--devices", "1000", "--metrics", "4", "--interval", "5", "--region", "eu-central-1", "--prices", file);
    expect(run.code).toBe(0);
    expect(run.out).toContain("with the AWS Price List overlay read");
    expect(run.out).toMatch(/total per month\s+\$\d[\d,]*/);
    expect(run.out).not.toContain("≥");
    expect(run.out).not.toContain("Unpriced");
    expect(run.err).toMatch(/^warning: kinesisExtendedRetentionShardHour /m);
  }, 180_000);
});
