/**
 * The operations behind `iotpipe fleet`: list the provisioned devices of a stack, revoke or deactivate a
 * device's certificates, move a device to another line. Every change is planned first as a list of steps, each
 * with the sentence the CLI prints and the call that makes it, so a dry run shows exactly what `--apply` would do.
 *
 * The stack's outputs (index.ts) say which thing groups, device policy and allow-list table are the fleet's;
 * certificate ids (identifiers an operator revokes by) are printed, never certificate material.
 */
import {
  AddThingToThingGroupCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  paginateListThingGroupsForThing,
  paginateListThingPrincipals,
  paginateListThingsInThingGroup,
  RemoveThingFromThingGroupCommand,
  ResourceNotFoundException,
  UpdateCertificateCommand,
  UpdateThingCommand,
  type CertificateStatus,
} from "@aws-sdk/client-iot";
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { fleetLineKey, parseFleetLine } from "../contract/device-identity";
import { CliError } from "./errors";

/** The stack outputs the fleet commands read (`pulumi stack output --json`). */
export interface FleetOutputs {
  /** The group every provisioned device is in (DeviceIngest's). */
  thingGroupName: string;
  siteThingGroups: Record<string, string>;
  /** `<site>/<line>` → thing group name. */
  lineThingGroups: Record<string, string>;
  deviceAllowListTable?: string;
}

/** Checks that `outputs` are a fleet stack's; the error names the missing output and where it was read. */
export function fleetOutputs(outputs: unknown, source: string): FleetOutputs {
  const o = (typeof outputs === "object" && outputs !== null ? outputs : {}) as Record<string, unknown>;
  const hint = "write them with `pulumi stack output --json --stack <stack> > outputs.json` after `pulumi up` of this version";
  const str = (name: string) => {
    if (typeof o[name] !== "string" || (o[name] as string).length === 0) throw new CliError(`stack outputs ${source} have no ${name}`, hint);
    return o[name] as string;
  };
  const map = (name: string) => {
    const v = o[name];
    if (typeof v !== "object" || v === null || Object.values(v).some((g) => typeof g !== "string")) throw new CliError(`stack outputs ${source} have no ${name}`, hint);
    return v as Record<string, string>;
  };
  return {
    thingGroupName: str("thingGroupName"),
    siteThingGroups: map("siteThingGroups"),
    lineThingGroups: map("lineThingGroups"),
    ...(typeof o.deviceAllowListTable === "string" && { deviceAllowListTable: o.deviceAllowListTable }),
  };
}

/** One certificate attached to a thing. */
export interface DeviceCertificate {
  id: string;
  arn: string;
  status: CertificateStatus | string;
}

/** A provisioned device as the registry describes it. */
export interface FleetDevice {
  device: string;
  version?: number;
  attributes: Record<string, string>;
  /** Names of the thing groups it is in. */
  groups: string[];
  certificates: DeviceCertificate[];
}

/** One planned change: what the CLI prints, and the call that makes it. */
export interface Step {
  say: string;
  apply(): Promise<unknown>;
}

/** The AWS clients the operations use (tests pass mocked ones). */
export interface FleetClients {
  iot: IoTClient;
  dynamodb: DynamoDBClient;
}

const certificateIdOf = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);

/** A thing, its attributes and its certificates; a CliError when the registry has no such thing. */
export async function describeDevice(iot: IoTClient, device: string): Promise<FleetDevice> {
  let thing;
  try {
    thing = await iot.send(new DescribeThingCommand({ thingName: device }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) throw new CliError(`no thing named ${device} in the registry`, "`iotpipe fleet list` shows the provisioned devices");
    throw error;
  }
  const principals: string[] = [];
  for await (const page of paginateListThingPrincipals({ client: iot }, { thingName: device })) principals.push(...(page.principals ?? []));
  const groups: string[] = [];
  for await (const page of paginateListThingGroupsForThing({ client: iot }, { thingName: device })) groups.push(...(page.thingGroups ?? []).map((g) => g.groupName!));
  const certificates: DeviceCertificate[] = [];
  for (const arn of principals.filter((p) => p.includes(":cert/"))) {
    const id = certificateIdOf(arn);
    const { certificateDescription } = await iot.send(new DescribeCertificateCommand({ certificateId: id }));
    certificates.push({ id, arn, status: certificateDescription?.status ?? "UNKNOWN" });
  }
  return { device, version: thing.version, attributes: thing.attributes ?? {}, groups: groups.sort(), certificates };
}

/** The group to list: a line's, a site's, or the whole fleet's. */
export function groupToList(outputs: FleetOutputs, site?: string, line?: string): string {
  if (line !== undefined && site === undefined) throw new CliError("--line needs --site (line ids repeat across sites)");
  if (site !== undefined && line !== undefined) {
    const group = outputs.lineThingGroups[`${site}/${line}`];
    if (!group) throw new CliError(`line ${site}/${line} is not one of the stack's deviceLines`, `known: ${Object.keys(outputs.lineThingGroups).join(", ") || "none"}`);
    return group;
  }
  if (site !== undefined) {
    const group = outputs.siteThingGroups[site];
    if (!group) throw new CliError(`site ${site} is not one of the stack's`, `known: ${Object.keys(outputs.siteThingGroups).join(", ") || "none"}`);
    return group;
  }
  return outputs.thingGroupName;
}

/** Every device in a thing group, described. */
export async function listDevices(iot: IoTClient, group: string): Promise<FleetDevice[]> {
  const names: string[] = [];
  for await (const page of paginateListThingsInThingGroup({ client: iot }, { thingGroupName: group })) names.push(...(page.things ?? []));
  const devices: FleetDevice[] = [];
  for (const name of names.sort()) devices.push(await describeDevice(iot, name));
  return devices;
}

/** Revoke: every certificate of the device REVOKED (IoT refuses it from then on), its policies and the thing detached. */
export async function planRevoke({ iot }: FleetClients, device: FleetDevice): Promise<Step[]> {
  const steps: Step[] = [];
  for (const cert of device.certificates) {
    if (cert.status !== "REVOKED") {
      steps.push({
        say: `revoke certificate ${cert.id} (now ${cert.status})`,
        apply: () => iot.send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: "REVOKED" })),
      });
    }
    const { policies } = await iot.send(new ListAttachedPoliciesCommand({ target: cert.arn }));
    for (const policy of policies ?? []) {
      steps.push({
        say: `detach policy ${policy.policyName} from certificate ${cert.id}`,
        apply: () => iot.send(new DetachPolicyCommand({ policyName: policy.policyName!, target: cert.arn })),
      });
    }
    steps.push({
      say: `detach certificate ${cert.id} from thing ${device.device}`,
      apply: () => iot.send(new DetachThingPrincipalCommand({ thingName: device.device, principal: cert.arn })),
    });
  }
  return steps;
}

/** Deactivate: every active certificate INACTIVE (reversible: set it ACTIVE again); revoked ones cannot change. */
export function planDeactivate({ iot }: FleetClients, device: FleetDevice): Step[] {
  return device.certificates
    .filter((cert) => cert.status !== "INACTIVE" && cert.status !== "REVOKED")
    .map((cert) => ({
      say: `deactivate certificate ${cert.id} (now ${cert.status})`,
      apply: () => iot.send(new UpdateCertificateCommand({ certificateId: cert.id, newStatus: "INACTIVE" })),
    }));
}

/**
 * Move: the thing's `site`/`line` attributes (what its policy builds its topic from) and its line (and site)
 * group, and the allow-list entry of its serial, so provisioning it again keeps it on the new line.
 */
export function planMove({ iot, dynamodb }: FleetClients, outputs: FleetOutputs, device: FleetDevice, target: string): Step[] {
  let to;
  try {
    to = parseFleetLine(target);
  } catch (error) {
    throw new CliError(`--to ${(error as Error).message}`);
  }
  const toKey = fleetLineKey(to);
  const toLineGroup = outputs.lineThingGroups[toKey];
  if (!toLineGroup) throw new CliError(`line ${toKey} is not one of the stack's deviceLines`, `known: ${Object.keys(outputs.lineThingGroups).join(", ") || "none"}; add it to iotpipe:deviceLines and deploy first`);
  const name = device.device;
  const steps: Step[] = [];
  const from = { site: device.attributes.site, line: device.attributes.line };
  if (from.site !== to.site || from.line !== to.line) {
    steps.push({
      say: `set ${name}'s attributes site=${to.site} line=${to.line} (were site=${from.site ?? "(none)"} line=${from.line ?? "(none)"})`,
      apply: () => iot.send(new UpdateThingCommand({ thingName: name, attributePayload: { attributes: { site: to.site, line: to.line }, merge: true }, expectedVersion: device.version })),
    });
  }
  // From the groups the thing is in, not from its attributes: a move interrupted half way is finished by running it again.
  const membership = (stackGroups: Record<string, string>, target: string) => {
    for (const group of Object.values(stackGroups).filter((g) => g !== target && device.groups.includes(g))) {
      steps.push({ say: `remove ${name} from thing group ${group}`, apply: () => iot.send(new RemoveThingFromThingGroupCommand({ thingName: name, thingGroupName: group })) });
    }
    if (!device.groups.includes(target)) {
      steps.push({ say: `add ${name} to thing group ${target}`, apply: () => iot.send(new AddThingToThingGroupCommand({ thingName: name, thingGroupName: target })) });
    }
  };
  membership(outputs.lineThingGroups, toLineGroup);
  membership(outputs.siteThingGroups, outputs.siteThingGroups[to.site]);
  const serial = device.attributes.serial;
  if (outputs.deviceAllowListTable && serial) {
    const table = outputs.deviceAllowListTable;
    steps.push({
      say: `register serial ${serial} on ${toKey} in allow-list ${table}`,
      // Only the entry that names this device: a serial re-registered to another device is not rewritten. Always
      // planned (a SET of the same values changes nothing), so a move interrupted before this step is finished by a re-run.
      apply: () => dynamodb.send(new UpdateItemCommand({
        TableName: table,
        Key: { serial: { S: serial } },
        UpdateExpression: "SET site = :site, line = :line",
        ConditionExpression: "device_id = :device",
        ExpressionAttributeValues: { ":site": { S: to.site }, ":line": { S: to.line }, ":device": { S: name } },
      })),
    });
  }
  return steps;
}

/** Prints the plan; with `apply`, makes each change in order and stops at the first failure (naming it). */
export async function carryOut(steps: Step[], apply: boolean, print: (line: string) => void): Promise<void> {
  for (const step of steps) {
    if (!apply) {
      print(`  would ${step.say}`);
      continue;
    }
    try {
      await step.apply();
    } catch (error) {
      throw new CliError(`failed to ${step.say}: ${(error as Error).message}`, "the steps before it were done; fix the cause and run the command again (done steps are skipped or repeat harmlessly)");
    }
    print(`  done: ${step.say}`);
  }
}
