/**
 * What handlers/bundle.ts cuts from the SDK for the Lambda bundles, and proof the cut code is dead there:
 * the event-stream codec (handlers/lambda-no-event-streams.ts) is absent from the report bundle, Athena has no
 * operation that would load it, the stand-in fails loudly if one ever does, and the bundled Athena client still
 * sends correctly signed requests and reads Athena's typed errors (against the signature-checking loopback).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bundleHandler, bundleWith } from "../../handlers/bundle";
import { EventStreamSerde, eventStreamSerdeProvider } from "../../handlers/lambda-no-event-streams";
import { LoopbackAws, startLoopbackAws } from "./loopback-aws";

describe("event streams are not bundled", () => {
  const report = bundleHandler("compliance-report");

  it("the report bundle has the stand-in, not the codec, and requires no node:zlib at init", () => {
    const inputs = Object.keys(report.inputs);
    expect(inputs).toContain("handlers/lambda-no-event-streams.ts");
    expect(inputs.filter((f) => f.includes("/event-streams/") || f.includes("/crc32/"))).toEqual([]);
    expect(report.code).not.toMatch(/require\("(node:)?zlib"\)/);
  });

  it("Athena has no event-stream (streaming) member in any operation, so the codec can never be loaded", () => {
    const schemas = require.resolve("@aws-sdk/client-athena").replace(/dist-cjs[/\\]index\.js$/, path.join("dist-es", "schemas", "schemas_0.js"));
    const source = fs.readFileSync(schemas, "utf8");
    expect(source).toMatch(/StartQueryExecution/); // the right file
    expect(source).not.toMatch(/streaming|eventStream/);
  });

  it("fails loudly, naming the alias, if a client ever needs them", () => {
    expect(() => eventStreamSerdeProvider()).toThrow(/event streams are not bundled.*@smithy\/core\/event-streams alias/);
    expect(() => new EventStreamSerde()).toThrow(/event streams are not bundled/);
  });
});

/** Athena calls made by a bundled client (same build options as the handlers), in a fresh Node process. */
const PROBE = `
import { AthenaClient, GetQueryResultsCommand, StartQueryExecutionCommand } from "@aws-sdk/client-athena";
export async function run() {
  const athena = new AthenaClient({});
  const started = await athena.send(new StartQueryExecutionCommand({ QueryString: "SELECT 1", ExecutionParameters: ["'plant-a'"], WorkGroup: "wg" }));
  const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: started.QueryExecutionId, MaxResults: 1000 }));
  const error = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: "missing" })).then(() => undefined, (e) => ({ name: e.name, message: e.message }));
  return { id: started.QueryExecutionId, rows: page.ResultSet.Rows.map((r) => r.Data.map((d) => d.VarCharValue)), error };
}`;

describe("the bundled Athena client", () => {
  let aws: LoopbackAws;
  let dir: string;

  beforeAll(async () => {
    aws = await startLoopbackAws();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "athena-probe-"));
    fs.writeFileSync(path.join(dir, "probe.js"), bundleWith({ stdin: { contents: PROBE, resolveDir: __dirname, loader: "ts" } }).code);
  });
  afterAll(async () => {
    await aws.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("sends signed JSON requests and reads results and typed errors", async () => {
    aws.athena = (operation, input) => {
      if (operation === "StartQueryExecution") return { body: { QueryExecutionId: "exec-1" } };
      if (input.QueryExecutionId === "missing") return { status: 400, body: { __type: "InvalidRequestException", Message: "QueryExecution missing was not found" } };
      return { body: { ResultSet: { Rows: [{ Data: [{ VarCharValue: "site" }] }, { Data: [{ VarCharValue: "plant-a" }] }] } } };
    };
    const script = `require(process.argv[1]).run().then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); })`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ["--no-warnings", "-e", script, path.join(dir, "probe.js")], { env: { PATH: process.env.PATH, ...aws.env, AWS_MAX_ATTEMPTS: "1" } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(stderr))));
    });
    expect(JSON.parse(out)).toEqual({
      id: "exec-1",
      rows: [["site"], ["plant-a"]],
      error: { name: "InvalidRequestException", message: "QueryExecution missing was not found" },
    });
    expect(aws.requests.map((r) => [r.service, r.signatureProblem])).toEqual([
      ["athena", undefined],
      ["athena", undefined],
      ["athena", undefined],
    ]);
    expect(aws.athenaCalls()[0]).toEqual({
      operation: "StartQueryExecution",
      input: { QueryString: "SELECT 1", ExecutionParameters: ["'plant-a'"], WorkGroup: "wg", ClientRequestToken: expect.any(String) },
    });
  });
});
