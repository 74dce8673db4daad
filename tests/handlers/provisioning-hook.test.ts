/**
 * The pre-provisioning hook on its real logic, with the allow-list table mocked (aws-sdk-client-mock): a
 * registered serial is admitted as the device the plant registered; an unknown serial, a malformed request, a
 * request claiming another device or line, and a serial registered on a line the stack does not have are refused
 * with a reason in the log; the certificate never reaches the log. Powertools reads its settings when the module
 * loads, so the environment is set before `require`.
 */
process.env.POWERTOOLS_METRICS_DISABLED = "true";
process.env.ALLOW_LIST_TABLE = "fleet-allow-list";
process.env.FLEET_LINES = "plant-a/line-1,plant-a/line-2";
process.env.AWS_REGION = "eu-west-1";
process.env.AWS_ACCESS_KEY_ID = "test";
process.env.AWS_SECRET_ACCESS_KEY = "test";

import { mockClient } from "aws-sdk-client-mock";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type * as HookModule from "../../handlers/provisioning-hook";

const dynamodb = mockClient(DynamoDBClient);
const { handler, logger } = require("../../handlers/provisioning-hook") as typeof HookModule;

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBsecretmaterial\n-----END CERTIFICATE-----";
const CERT_ID = "a".repeat(64);
const request = (parameters: unknown) => ({
  claimCertificateId: "c".repeat(64),
  certificateId: CERT_ID,
  certificatePem: PEM,
  templateArn: "arn:aws:iot:eu-west-1:123456789012:provisioningtemplate/iotpipe-dev-fleet",
  clientId: "SN-0042",
  parameters,
});
const registered = { serial: { S: "SN-0042" }, device_id: { S: "a1-press02" }, site: { S: "plant-a" }, line: { S: "line-1" }, model: { S: "P200" } };

let logged: string[];
beforeEach(() => {
  dynamodb.reset();
  logged = [];
  // Every log call, whatever its level, as the JSON line Powertools would print.
  for (const level of ["info", "warn", "error", "debug"] as const) {
    jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => void logged.push(JSON.stringify(args)));
  }
});
afterEach(() => jest.restoreAllMocks());

describe("provisioning hook", () => {
  it("admits a registered serial as the device, site, line and model the plant registered", async () => {
    dynamodb.on(GetItemCommand, { TableName: "fleet-allow-list", Key: { serial: { S: "SN-0042" } }, ConsistentRead: true }).resolves({ Item: registered });
    const answer = await handler(request({ SerialNumber: "SN-0042" }));
    expect(answer).toEqual({
      allowProvisioning: true,
      parameterOverrides: { ThingName: "a1-press02", Site: "plant-a", Line: "line-1", Model: "P200" },
    });
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(1);
    expect(logged.join("\n")).toContain("device admitted");
    expect(logged.join("\n")).toContain(CERT_ID);
    expect(logged.join("\n")).not.toContain("BEGIN CERTIFICATE");
  });

  it("admits a request that states the registered identity itself", async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: registered });
    const answer = await handler(request({ SerialNumber: "SN-0042", ThingName: "a1-press02", Site: "plant-a", Line: "line-1", Model: "P200" }));
    expect(answer.allowProvisioning).toBe(true);
  });

  it("refuses an unknown serial, saying so in the log", async () => {
    dynamodb.on(GetItemCommand).resolves({});
    expect(await handler(request({ SerialNumber: "SN-9999" }))).toEqual({ allowProvisioning: false });
    expect(logged.join("\n")).toMatch(/device rejected.*unknown_serial.*serial SN-9999 is not in the plant's allow-list/);
  });

  it.each<[string, unknown, RegExp]>([
    ["no parameters", { certificateId: CERT_ID, certificatePem: PEM }, /request has no parameters object/],
    ["not an object", "RegisterThing please", /request is not an object/],
    ["no serial", request({ ThingName: "a1-press02" }), /parameter SerialNumber is missing or not a string/],
    ["a serial that is not one", request({ SerialNumber: "SN 42; DROP" }), /parameter SerialNumber is not a serial number/],
    ["a serial that is a number", request({ SerialNumber: 42 }), /parameter SerialNumber is missing or not a string/],
    ["a thing name that is an object", request({ SerialNumber: "SN-0042", ThingName: { evil: true } }), /parameter ThingName is not a string/],
  ])("refuses a malformed request (%s) without reading the allow-list", async (_, event, reason) => {
    expect(await handler(event)).toEqual({ allowProvisioning: false });
    expect(dynamodb.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(logged.join("\n")).toMatch(/malformed/);
    expect(logged.join("\n")).toMatch(reason);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ["another device's name", { ThingName: "a1-press01" }, /registered with ThingName 'a1-press02', the request says 'a1-press01'/],
    ["another line", { Line: "line-2" }, /registered with Line 'line-1', the request says 'line-2'/],
    ["another site", { Site: "plant-b" }, /registered with Site 'plant-a', the request says 'plant-b'/],
  ])("refuses a registered serial that claims %s", async (_, claimed, reason) => {
    dynamodb.on(GetItemCommand).resolves({ Item: registered });
    expect(await handler(request({ SerialNumber: "SN-0042", ...claimed }))).toEqual({ allowProvisioning: false });
    expect(logged.join("\n")).toMatch(/mismatch/);
    expect(logged.join("\n")).toMatch(reason);
  });

  it("refuses a serial registered on a line the stack has no thing groups for, or with an unusable entry", async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: { ...registered, site: { S: "plant-b" } } });
    expect(await handler(request({ SerialNumber: "SN-0042" }))).toEqual({ allowProvisioning: false });
    expect(logged.join("\n")).toMatch(/line_not_provisioned.*plant-b\/line-1, which is not one of the stack's deviceLines/);
    dynamodb.on(GetItemCommand).resolves({ Item: { ...registered, device_id: { S: "a1.press02" } } });
    expect(await handler(request({ SerialNumber: "SN-0042" }))).toEqual({ allowProvisioning: false });
    expect(logged.join("\n")).toMatch(/bad_registration.*device_id 'a1.press02' must be letters, digits, _ and - only/);
  });

  it("fails (IoT refuses the device) when the allow-list cannot be read, and never logs the certificate", async () => {
    dynamodb.on(GetItemCommand).rejects(new Error("AccessDeniedException: not authorized to perform dynamodb:GetItem"));
    await expect(handler(request({ SerialNumber: "SN-0042" }))).rejects.toThrow("AccessDeniedException");
    expect(logged.join("\n")).toMatch(/allow-list could not be read/);
    expect(logged.join("\n")).not.toContain("BEGIN CERTIFICATE");
    expect(logged.join("\n")).not.toContain("secretmaterial");
  });
});
