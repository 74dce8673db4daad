/**
 * AthenaAnalytics under Pulumi mocks (mocks first, then `require` the component: see parquet-lake.test.ts).
 * The real `sql/athena` files are written by another part of the project, so these tests use their own files.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { installMocks, settle, ofType, oneOf, MOCK_ACCOUNT, MOCK_REGION } from "../pulumi/harness";
const recorded = installMocks();
const athena = require("../../components/athena-analytics") as typeof import("../../components/athena-analytics");

const KEY = `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/results-key`;
const tmpDirs: string[] = [];

function queryDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-athena-"));
  tmpDirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

const SAMPLES = {
  "daily_exceedances.sql": "-- Readings above their limit per site and day,\n-- for the plant's compliance officer.\nSELECT site, dt, count(*) FROM anomalies WHERE site = ? AND dt BETWEEN ? AND ? GROUP BY site, dt\n",
  "data_completeness.sql": "/*\n * Share of expected readings that arrived, per device and day:\n * gaps a regulator will ask about.\n */\nSELECT device_id, dt, count(*) FROM readings WHERE dt = ? GROUP BY device_id, dt\n",
  "notes.txt": "not a query",
};

describe("loadNamedQueries", () => {
  it("turns each .sql file into a named query: file name, leading comment, whole text; ignores other files", () => {
    const dir = queryDir(SAMPLES);
    expect(athena.loadNamedQueries(dir)).toEqual([
      {
        name: "daily_exceedances",
        description: "Readings above their limit per site and day, for the plant's compliance officer.",
        sql: SAMPLES["daily_exceedances.sql"],
        file: path.join(dir, "daily_exceedances.sql"),
      },
      {
        name: "data_completeness",
        description: "Share of expected readings that arrived, per device and day: gaps a regulator will ask about.",
        sql: SAMPLES["data_completeness.sql"],
        file: path.join(dir, "data_completeness.sql"),
      },
    ]);
  });

  it("fails clearly on a missing or empty directory", () => {
    expect(() => athena.loadNamedQueries("/nonexistent/sql/athena")).toThrow("Athena query directory '/nonexistent/sql/athena' does not exist");
    const empty = queryDir({ "README.md": "queries go here" });
    expect(() => athena.loadNamedQueries(empty)).toThrow(`no .sql files in Athena query directory '${empty}'`);
  });

  it("names the file that lacks a header comment, a statement, or a usable name", () => {
    const noComment = queryDir({ "bare.sql": "SELECT 1\n" });
    expect(() => athena.loadNamedQueries(noComment)).toThrow(`${path.join(noComment, "bare.sql")}: start the file with a comment`);
    const onlyComment = queryDir({ "todo.sql": "-- nothing yet\n" });
    expect(() => athena.loadNamedQueries(onlyComment)).toThrow("todo.sql: no SQL statement after the comment");
    const badName = queryDir({ "two words.sql": "-- x\nSELECT 1" });
    expect(() => athena.loadNamedQueries(badName)).toThrow("two words.sql: the file name becomes the named query's name");
  });

  it("shortens a description past Athena's 1024 characters", () => {
    const dir = queryDir({ "long.sql": `-- ${"x".repeat(2000)}\nSELECT 1` });
    expect(athena.loadNamedQueries(dir)[0].description).toHaveLength(1024);
  });
});

describe("AthenaAnalytics", () => {
  it("creates an enforced engine-v3 workgroup with KMS-encrypted results and one named query per SQL file", async () => {
    const dir = queryDir(SAMPLES);
    const c = new athena.AthenaAnalytics("analytics", { resultsBucketName: "results-bucket", resultsKeyArn: KEY, databaseName: "iotpipe_dev", queryDirectory: dir });
    await settle(recorded);
    const wg = oneOf(recorded, "aws:athena/workgroup:Workgroup", "analytics-workgroup");
    expect(wg.parent).toBe("analytics");
    expect(wg.inputs.name).toBe("iotpipe-test-analytics"); // project-stack-scoped
    expect(wg.inputs.forceDestroy).toBe(false);
    expect(wg.inputs.configuration).toEqual({
      enforceWorkgroupConfiguration: true,
      publishCloudwatchMetricsEnabled: true,
      bytesScannedCutoffPerQuery: 10 * 1024 ** 3,
      requesterPaysEnabled: false,
      engineVersion: { selectedEngineVersion: "Athena engine version 3" },
      resultConfiguration: {
        outputLocation: "s3://results-bucket/results/",
        expectedBucketOwner: MOCK_ACCOUNT,
        encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: KEY },
      },
    });

    const queries = ofType(recorded, "aws:athena/namedQuery:NamedQuery", /^analytics-/);
    const files = athena.loadNamedQueries(dir);
    expect(queries.map((q) => q.inputs.name).sort()).toEqual(files.map((f) => f.name));
    for (const f of files) {
      const q = oneOf(recorded, "aws:athena/namedQuery:NamedQuery", `analytics-${f.name}`);
      expect(q.parent).toBe("analytics");
      expect(q.inputs).toEqual({ name: f.name, description: f.description, query: f.sql, database: "iotpipe_dev", workgroup: "iotpipe-test-analytics" });
    }
    expect(Object.keys(c.namedQueries).sort()).toEqual(["daily_exceedances", "data_completeness"]);
  });

  it("attaches the queries to an existing workgroup without creating one", async () => {
    const dir = queryDir(SAMPLES);
    new athena.AthenaAnalytics("shared", { resultsBucketName: "b", resultsKeyArn: KEY, databaseName: "db", queryDirectory: dir, existingWorkgroupName: "primary-analysts" });
    await settle(recorded);
    expect(ofType(recorded, "aws:athena/workgroup:Workgroup", "shared-workgroup")).toHaveLength(0);
    expect(oneOf(recorded, "aws:athena/namedQuery:NamedQuery", "shared-daily_exceedances").inputs.workgroup).toBe("primary-analysts");
  });

  it("honours the cutoff, name and forceDestroy overrides", async () => {
    const dir = queryDir(SAMPLES);
    new athena.AthenaAnalytics("tuned", { resultsBucketName: "b", resultsKeyArn: KEY, databaseName: "db", queryDirectory: dir, workgroupName: "iotpipe-prod", bytesScannedCutoffPerQuery: 10485760, forceDestroy: true });
    await settle(recorded);
    const wg = oneOf(recorded, "aws:athena/workgroup:Workgroup", "tuned-workgroup").inputs;
    expect([wg.name, wg.configuration.bytesScannedCutoffPerQuery, wg.forceDestroy]).toEqual(["iotpipe-prod", 10485760, true]);
    expect(oneOf(recorded, "aws:athena/namedQuery:NamedQuery", "tuned-data_completeness").inputs.workgroup).toBe("iotpipe-prod");
  });

  it.each([
    [{ bytesScannedCutoffPerQuery: 1024 }, /bytesScannedCutoffPerQuery 1024 must be an integer of at least 10485760/],
    [{ workgroupName: "a", existingWorkgroupName: "b" }, /either workgroupName .* or existingWorkgroupName .*, not both/],
    [{ workgroupName: "bad name!" }, /workgroup name 'bad name!' may only hold/],
  ])("rejects bad args %#", (bad, message) => {
    const dir = queryDir(SAMPLES);
    expect(() => new athena.AthenaAnalytics("bad", { resultsBucketName: "b", resultsKeyArn: KEY, databaseName: "db", queryDirectory: dir, ...bad })).toThrow(message);
  });

  it("refuses to deploy without queries", () => {
    const dir = queryDir({});
    expect(() => new athena.AthenaAnalytics("empty", { resultsBucketName: "b", resultsKeyArn: KEY, databaseName: "db", queryDirectory: dir })).toThrow(/no .sql files/);
  });
});
