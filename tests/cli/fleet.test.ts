/**
 * `iotpipe fleet` with the IoT and DynamoDB clients mocked (aws-sdk-client-mock): what each command reads, what
 * a dry run prints without calling anything that changes the registry, and the exact calls `--apply` makes.
 */
process.env.AWS_REGION = "eu-west-1";
process.env.AWS_ACCESS_KEY_ID = "test";
process.env.AWS_SECRET_ACCESS_KEY = "test";

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import {
  AddThingToThingGroupCommand, DescribeCertificateCommand, DescribeThingCommand, DetachPolicyCommand, DetachThingPrincipalCommand, IoTClient,
  ListAttachedPoliciesCommand, ListThingGroupsForThingCommand, ListThingPrincipalsCommand, ListThingsInThingGroupCommand,
  RemoveThingFromThingGroupCommand, ResourceNotFoundException, UpdateCertificateCommand, UpdateThingCommand,
} from "@aws-sdk/client-iot";
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { cli } from "./run-cli";

const iot = mockClient(IoTClient);
const dynamodb = mockClient(DynamoDBClient);
const ARN = "arn:aws:iot:eu-west-1:123456789012";
const C1 = "1".repeat(64);
const C2 = "2".repeat(64);
const outputsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fleet-cli-")), "prod-outputs.json");
fs.writeFileSync(outputsFile, JSON.stringify({
  thingGroupName: "ingest-devices-1a2b",
  siteThingGroups: { "plant-a": "iotpipe-prod-site-plant-a", "plant-b": "iotpipe-prod-site-plant-b" },
  lineThingGroups: { "plant-a/line-1": "iotpipe-prod-line-plant-a:line-1", "plant-a/line-2": "iotpipe-prod-line-plant-a:line-2", "plant-b/line-1": "iotpipe-prod-line-plant-b:line-1" },
  deviceAllowListTable: "fleet-allow-list-9f8e",
  provisioningTemplateName: "iotpipe-prod-fleet",
}));

/** A registry with one device on plant-a/line-1, one active and one inactive certificate. */
function registry(device = "a1-press02") {
  iot.on(DescribeThingCommand, { thingName: device }).resolves({ thingName: device, version: 7, attributes: { site: "plant-a", line: "line-1", model: "P200", serial: "SN-0042" } });
  iot.on(ListThingPrincipalsCommand, { thingName: device }).resolves({ principals: [`${ARN}:cert/${C1}`, `${ARN}:cert/${C2}`] });
  iot.on(ListThingGroupsForThingCommand, { thingName: device }).resolves({
    thingGroups: [{ groupName: "ingest-devices-1a2b" }, { groupName: "iotpipe-prod-site-plant-a" }, { groupName: "iotpipe-prod-line-plant-a:line-1" }],
  });
  iot.on(DescribeCertificateCommand, { certificateId: C1 }).resolves({ certificateDescription: { certificateId: C1, status: "ACTIVE" } });
  iot.on(DescribeCertificateCommand, { certificateId: C2 }).resolves({ certificateDescription: { certificateId: C2, status: "INACTIVE" } });
  iot.on(ListAttachedPoliciesCommand).resolves({ policies: [{ policyName: "ingest-device-policy-5c6d" }] });
}
const CHANGES = [UpdateCertificateCommand, DetachPolicyCommand, DetachThingPrincipalCommand, UpdateThingCommand, AddThingToThingGroupCommand, RemoveThingFromThingGroupCommand] as const;
const changesMade = () => CHANGES.reduce((n, c) => n + iot.commandCalls(c as any).length, 0) + dynamodb.commandCalls(UpdateItemCommand).length;

beforeEach(() => {
  iot.reset();
  dynamodb.reset();
});

describe("iotpipe fleet", () => {
  it("list: a line's devices with their attributes and certificates", async () => {
    registry();
    iot.on(ListThingsInThingGroupCommand, { thingGroupName: "iotpipe-prod-line-plant-a:line-1" }).resolvesOnce({ things: ["a1-press02"], nextToken: "n1" }).resolvesOnce({ things: [] });
    const { code, out } = await cli("fleet", "list", "--outputs", outputsFile, "--site", "plant-a", "--line", "line-1");
    expect(code).toBe(0);
    expect(out).toMatch(/device\s+site\s+line\s+model\s+serial\s+certificates/);
    expect(out).toMatch(new RegExp(`a1-press02\\s+plant-a\\s+line-1\\s+P200\\s+SN-0042\\s+${C1} ACTIVE, ${C2} INACTIVE`));
    expect(out).toContain("(1 device in thing group iotpipe-prod-line-plant-a:line-1)");
    expect(iot.commandCalls(ListThingsInThingGroupCommand)).toHaveLength(2);
    expect(changesMade()).toBe(0);
  });

  it("list: an unknown line or a line without its site is a clear error", async () => {
    const unknown = await cli("fleet", "list", "--outputs", outputsFile, "--site", "plant-c", "--line", "line-1");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("line plant-c/line-1 is not one of the stack's deviceLines");
    expect(unknown.err).toContain("known: plant-a/line-1, plant-a/line-2, plant-b/line-1");
    expect((await cli("fleet", "list", "--outputs", outputsFile, "--line", "line-1")).err).toContain("--line needs --site");
  });

  it("revoke: a dry run prints every step and changes nothing", async () => {
    registry();
    const { code, out } = await cli("fleet", "revoke", "a1-press02", "--outputs", outputsFile);
    expect(code).toBe(0);
    expect(out.split("\n").filter((l) => l.startsWith("  would"))).toEqual([
      `  would revoke certificate ${C1} (now ACTIVE)`,
      `  would detach policy ingest-device-policy-5c6d from certificate ${C1}`,
      `  would detach certificate ${C1} from thing a1-press02`,
      `  would revoke certificate ${C2} (now INACTIVE)`,
      `  would detach policy ingest-device-policy-5c6d from certificate ${C2}`,
      `  would detach certificate ${C2} from thing a1-press02`,
    ]);
    expect(out).toContain("nothing changed; run again with --apply to do it");
    expect(changesMade()).toBe(0);
  });

  it("revoke --apply: certificates REVOKED, their policies and the thing detached", async () => {
    registry();
    const { code, out } = await cli("fleet", "revoke", "a1-press02", "--outputs", outputsFile, "--apply");
    expect(code).toBe(0);
    expect(out).toContain(`  done: revoke certificate ${C1} (now ACTIVE)`);
    expect(iot.commandCalls(UpdateCertificateCommand).map((c) => c.args[0].input)).toEqual([
      { certificateId: C1, newStatus: "REVOKED" }, { certificateId: C2, newStatus: "REVOKED" },
    ]);
    expect(iot.commandCalls(DetachPolicyCommand).map((c) => c.args[0].input)).toEqual([
      { policyName: "ingest-device-policy-5c6d", target: `${ARN}:cert/${C1}` }, { policyName: "ingest-device-policy-5c6d", target: `${ARN}:cert/${C2}` },
    ]);
    expect(iot.commandCalls(DetachThingPrincipalCommand).map((c) => c.args[0].input)).toEqual([
      { thingName: "a1-press02", principal: `${ARN}:cert/${C1}` }, { thingName: "a1-press02", principal: `${ARN}:cert/${C2}` },
    ]);
  });

  it("revoke --apply stops at the first failure and names it", async () => {
    registry();
    iot.on(UpdateCertificateCommand).rejects(new Error("ThrottlingException: Rate exceeded"));
    const { code, err } = await cli("fleet", "revoke", "a1-press02", "--outputs", outputsFile, "--apply");
    expect(code).toBe(1);
    expect(err).toContain(`failed to revoke certificate ${C1} (now ACTIVE): ThrottlingException: Rate exceeded`);
    expect(iot.commandCalls(DetachPolicyCommand)).toHaveLength(0);
  });

  it("deactivate --apply: only the active certificate goes INACTIVE", async () => {
    registry();
    const dry = await cli("fleet", "deactivate", "a1-press02", "--outputs", outputsFile);
    expect(dry.out).toContain(`  would deactivate certificate ${C1} (now ACTIVE)`);
    expect(changesMade()).toBe(0);
    const { code } = await cli("fleet", "deactivate", "a1-press02", "--outputs", outputsFile, "--apply");
    expect(code).toBe(0);
    expect(iot.commandCalls(UpdateCertificateCommand).map((c) => c.args[0].input)).toEqual([{ certificateId: C1, newStatus: "INACTIVE" }]);
  });

  it("move --apply to another line: attributes (at the version read), line groups, allow-list entry", async () => {
    registry();
    const dry = await cli("fleet", "move", "a1-press02", "--to", "plant-a/line-2", "--outputs", outputsFile);
    expect(dry.out).toContain("  would set a1-press02's attributes site=plant-a line=line-2 (were site=plant-a line=line-1)");
    expect(changesMade()).toBe(0);
    const { code } = await cli("fleet", "move", "a1-press02", "--to", "plant-a/line-2", "--outputs", outputsFile, "--apply");
    expect(code).toBe(0);
    expect(iot.commandCalls(UpdateThingCommand).map((c) => c.args[0].input)).toEqual([
      { thingName: "a1-press02", attributePayload: { attributes: { site: "plant-a", line: "line-2" }, merge: true }, expectedVersion: 7 },
    ]);
    expect(iot.commandCalls(RemoveThingFromThingGroupCommand).map((c) => c.args[0].input)).toEqual([{ thingName: "a1-press02", thingGroupName: "iotpipe-prod-line-plant-a:line-1" }]);
    expect(iot.commandCalls(AddThingToThingGroupCommand).map((c) => c.args[0].input)).toEqual([{ thingName: "a1-press02", thingGroupName: "iotpipe-prod-line-plant-a:line-2" }]);
    expect(dynamodb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input)).toEqual([{
      TableName: "fleet-allow-list-9f8e",
      Key: { serial: { S: "SN-0042" } },
      UpdateExpression: "SET site = :site, line = :line",
      ConditionExpression: "device_id = :device",
      ExpressionAttributeValues: { ":site": { S: "plant-a" }, ":line": { S: "line-2" }, ":device": { S: "a1-press02" } },
    }]);
  });

  it("move to another site also changes the site group; a move already made only confirms the allow-list", async () => {
    registry();
    await cli("fleet", "move", "a1-press02", "--to", "plant-b/line-1", "--outputs", outputsFile, "--apply");
    expect(iot.commandCalls(RemoveThingFromThingGroupCommand).map((c) => c.args[0].input.thingGroupName)).toEqual(["iotpipe-prod-line-plant-a:line-1", "iotpipe-prod-site-plant-a"]);
    expect(iot.commandCalls(AddThingToThingGroupCommand).map((c) => c.args[0].input.thingGroupName)).toEqual(["iotpipe-prod-line-plant-b:line-1", "iotpipe-prod-site-plant-b"]);
    iot.reset();
    dynamodb.reset();
    registry();
    const same = await cli("fleet", "move", "a1-press02", "--to", "plant-a/line-1", "--outputs", outputsFile);
    expect(same.out.split("\n").filter((l) => l.startsWith("  would"))).toEqual(["  would register serial SN-0042 on plant-a/line-1 in allow-list fleet-allow-list-9f8e"]);
  });

  it("errors: a device not in the registry, a line the stack lacks, a malformed target, no stack named", async () => {
    iot.on(DescribeThingCommand).rejects(new ResourceNotFoundException({ message: "not found", $metadata: {} }));
    const missing = await cli("fleet", "revoke", "ghost", "--outputs", outputsFile);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("no thing named ghost in the registry");
    iot.reset();
    registry();
    expect((await cli("fleet", "move", "a1-press02", "--to", "plant-z/line-9", "--outputs", outputsFile)).err).toContain("line plant-z/line-9 is not one of the stack's deviceLines");
    expect((await cli("fleet", "move", "a1-press02", "--to", "line-9", "--outputs", outputsFile)).err).toContain("must be <site>/<line>");
    const none = await cli("fleet", "list");
    expect(none.code).toBe(2);
    expect(none.err).toContain("exactly one of --outputs <file> or --stack <name>");
  });
});
