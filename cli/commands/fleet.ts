/**
 * `iotpipe fleet list|revoke|deactivate|move`: operations on a deployed stack's provisioned devices through the
 * AWS IoT API (credentials and Region from the usual AWS environment: AWS_PROFILE, AWS_REGION, …). The stack is
 * named by its outputs: `--outputs <file>` (`pulumi stack output --json > file`) or `--stack <name>` (runs
 * `pulumi stack output --json --stack <name>`). Changes are dry runs unless `--apply` is given.
 */
import * as fs from "node:fs";
import { execFileSync } from "node:child_process";
import type { Command } from "commander";
import { IoTClient } from "@aws-sdk/client-iot";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CliError, EXIT } from "../errors";
import type { Io } from "../io";
import { carryOut, describeDevice, fleetOutputs, groupToList, listDevices, planDeactivate, planMove, planRevoke, type FleetClients, type FleetDevice, type FleetOutputs, type Step } from "../fleet-operations";

export interface StackFlags {
  outputs?: string;
  stack?: string;
}

/** The stack outputs the flags name. */
export function readStackOutputs(flags: StackFlags): { outputs: FleetOutputs; source: string } {
  if ((flags.outputs === undefined) === (flags.stack === undefined)) {
    throw new CliError("name the stack with exactly one of --outputs <file> or --stack <name>", "e.g. pulumi stack output --json --stack prod > prod-outputs.json; iotpipe fleet list --outputs prod-outputs.json", EXIT.usage);
  }
  const { text, source, described } = flags.outputs !== undefined ? readOutputsFile(flags.outputs) : runStackOutput(flags.stack!);
  try {
    return { outputs: fleetOutputs(JSON.parse(text), described), source };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`stack outputs ${described} are not JSON: ${(error as Error).message}`);
  }
}

function readOutputsFile(file: string): { text: string; source: string; described: string } {
  try {
    return { text: fs.readFileSync(file, "utf8"), source: file, described: file };
  } catch (error) {
    throw new CliError(`cannot read stack outputs ${file}: ${(error as Error).message}`, "write them with `pulumi stack output --json --stack <stack> > <file>`");
  }
}

function runStackOutput(stack: string): { text: string; source: string; described: string } {
  try {
    const text = execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { text, source: `stack ${stack}`, described: `of stack ${stack}` };
  } catch (error) {
    throw new CliError(`pulumi stack output --stack ${stack} failed: ${(error as Error).message.split("\n")[0]}`, "run it from the project folder after `pulumi login`, or pass --outputs <file>");
  }
}

/** One line per device: id, site, line, model, serial and its certificates with their status. */
export function formatDevices(devices: FleetDevice[]): string[] {
  const rows = devices.map((d) => [
    d.device, d.attributes.site ?? "", d.attributes.line ?? "", d.attributes.model ?? "", d.attributes.serial ?? "",
    d.certificates.map((c) => `${c.id} ${c.status}`).join(", ") || "(none)",
  ]);
  const header = ["device", "site", "line", "model", "serial", "certificates"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The clients the commands use; tests replace them through aws-sdk-client-mock. */
function clients(): FleetClients {
  return { iot: new IoTClient({}), dynamodb: new DynamoDBClient({}) };
}

async function change(io: Io, flags: StackFlags & { apply?: boolean }, title: string, plan: (c: FleetClients, outputs: FleetOutputs) => Promise<Step[]>): Promise<void> {
  const { outputs, source } = readStackOutputs(flags);
  const c = clients();
  const steps = await plan(c, outputs);
  io.out(`${title} (${source})${flags.apply ? "" : ": dry run"}`);
  if (steps.length === 0) {
    io.out("  nothing to do");
    return;
  }
  await carryOut(steps, flags.apply === true, (l) => io.out(l));
  if (!flags.apply) io.out("nothing changed; run again with --apply to do it");
}

function stackOptions(command: Command): Command {
  return command
    .option("--outputs <file>", "the stack's outputs, from `pulumi stack output --json --stack <stack> > <file>`")
    .option("--stack <name>", "read the outputs with `pulumi stack output --json --stack <name>`");
}

export function registerFleet(program: Command, io: Io): void {
  const fleet = program
    .command("fleet")
    .description("A deployed stack's provisioned devices: list them, revoke or deactivate a device's certificates, move a device to another line (changes are dry runs without --apply)");

  stackOptions(fleet.command("list").description("List the provisioned devices (all, a site's or a line's) with their attributes and certificates"))
    .option("--site <site>", "only this site's devices")
    .option("--line <line>", "only this line's devices (with --site)")
    .action(async (flags: StackFlags & { site?: string; line?: string }) => {
      const { outputs } = readStackOutputs(flags);
      const group = groupToList(outputs, flags.site, flags.line);
      const devices = await listDevices(clients().iot, group);
      io.out(formatDevices(devices).join("\n"));
      io.out(`(${devices.length} device${devices.length === 1 ? "" : "s"} in thing group ${group})`);
    });

  stackOptions(fleet.command("revoke").description("Revoke every certificate of a device and detach its policies and thing: the device can no longer connect (final)"))
    .argument("<device>", "the device id (thing name)")
    .option("--apply", "make the changes (default: print what would be done)")
    .action(async (device: string, flags: StackFlags & { apply?: boolean }) => {
      await change(io, flags, `fleet revoke ${device}`, async (c) => planRevoke(c, await describeDevice(c.iot, device)));
    });

  stackOptions(fleet.command("deactivate").description("Set every active certificate of a device INACTIVE: it cannot connect until set ACTIVE again"))
    .argument("<device>", "the device id (thing name)")
    .option("--apply", "make the changes (default: print what would be done)")
    .action(async (device: string, flags: StackFlags & { apply?: boolean }) => {
      await change(io, flags, `fleet deactivate ${device}`, async (c) => planDeactivate(c, await describeDevice(c.iot, device)));
    });

  stackOptions(fleet.command("move").description("Move a device to another line: its site/line attributes (its topic), its thing groups and its allow-list entry"))
    .argument("<device>", "the device id (thing name)")
    .requiredOption("--to <site/line>", "the line to move it to, one of the stack's deviceLines")
    .option("--apply", "make the changes (default: print what would be done)")
    .action(async (device: string, flags: StackFlags & { apply?: boolean; to: string }) => {
      await change(io, flags, `fleet move ${device} to ${flags.to}`, async (c, outputs) => planMove(c, outputs, await describeDevice(c.iot, device), flags.to));
    });
}
