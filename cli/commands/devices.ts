/** `iotpipe devices add|list|remove|import`: the local device registry and the certificates the broker trusts. */
import * as path from "node:path";
import type { Command } from "commander";
import { caPaths, deviceCredentialPaths } from "../../local/device-ca";
import { ownTopic } from "../../local/device-policy";
import { DEFAULT_REGISTRY_DIR, loadRegistry, RegistryInputError, REGISTRY_CSV_COLUMNS } from "../../local/device-registry";
import { enrolDevices, importDevicesCsv, removeDevice, type Enrolment } from "../../local/devices";
import { CliError } from "../errors";
import type { Io } from "../io";
import { DEFAULT_MQTTS_PORT } from "./broker";

interface RegistryFlag {
  registry: string;
}

/** Runs a registry change, turning refused input into a CLI error that lists every problem. */
async function change<T>(work: () => Promise<T> | T, hint: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RegistryInputError) throw new CliError(error.message, hint);
    throw new CliError((error as Error).message, hint);
  }
}

function printEnrolment(io: Io, enrolment: Enrolment, registry: string): void {
  if (enrolment.caCreated) io.out(`created the local CA: ${caPaths(registry).caCert} (its key beside it, readable by you only)`);
  for (const { device, certificate } of enrolment.devices) {
    io.out(`registered ${device.device_id} (${device.site}/${device.line}, model ${device.model}, serial ${device.serial}); publishes only to ${ownTopic(device)}`);
    io.out(`  certificate ${certificate.certPath} (valid until ${device.certificate_not_after}), key ${certificate.keyPath} (mode 0600)`);
  }
}

export function registerDevices(program: Command, io: Io): void {
  const devices = program
    .command("devices")
    .description("Local device registry (device, site, line, model, serial) and the client certificates the broker's mutual-TLS listener trusts");

  devices
    .command("add <device-id>")
    .description("Register a device and issue its client certificate (creates the local CA on first use)")
    .requiredOption("--site <id>", "site (plant) id: the topic's second level")
    .requiredOption("--line <id>", "production line id: the topic's third level")
    .requiredOption("--model <model>", "device model (an IoT thing attribute)")
    .requiredOption("--serial <serial>", "hardware serial number (an IoT thing attribute; unique in the registry)")
    .option("--registry <dir>", "registry folder (registry.json, ca/, devices/)", DEFAULT_REGISTRY_DIR)
    .action(async (deviceId: string, flags: RegistryFlag & { site: string; line: string; model: string; serial: string }) => {
      const row = { device_id: deviceId, site: flags.site, line: flags.line, model: flags.model, serial: flags.serial };
      const enrolment = await change(() => enrolDevices(flags.registry, [row], () => `device ${deviceId}`), "fix the values named above; `iotpipe devices list` shows what is registered");
      printEnrolment(io, enrolment, flags.registry);
      const files = deviceCredentialPaths(flags.registry, deviceId);
      io.out(`connect: mosquitto_pub -h 127.0.0.1 -p ${DEFAULT_MQTTS_PORT} --cafile ${caPaths(flags.registry).caCert} --cert ${files.cert} --key ${files.key} -i ${deviceId} -t ${ownTopic(enrolment.devices[0].device)} -q 1 -m '<message JSON>'`);
    });

  devices
    .command("import <csv>")
    .description(`Register every device of a CSV file (header ${REGISTRY_CSV_COLUMNS.join(",")}, any order); one bad row refuses the file`)
    .option("--registry <dir>", "registry folder", DEFAULT_REGISTRY_DIR)
    .action(async (file: string, flags: RegistryFlag) => {
      const enrolment = await change(() => importDevicesCsv(flags.registry, file), `fix the lines named above and import the file again (nothing was registered)`);
      printEnrolment(io, enrolment, flags.registry);
      io.out(`imported ${enrolment.devices.length} device(s) from ${file}`);
    });

  devices
    .command("list")
    .description("List registered devices (and how many certificates were revoked)")
    .option("--registry <dir>", "registry folder", DEFAULT_REGISTRY_DIR)
    .option("--json", "the registry entries as JSON")
    .action((flags: RegistryFlag & { json?: boolean }) => {
      const registry = loadRegistry(flags.registry);
      if (flags.json) return io.out(JSON.stringify(registry.devices, null, 2));
      if (registry.devices.length === 0) return io.out(`no devices registered in ${path.join(flags.registry, "registry.json")}; add one with \`iotpipe devices add <id> --site … --line … --model … --serial …\``);
      const header = ["device", "site", "line", "model", "serial", "registered", "certificate until"];
      const rows = registry.devices.map((d) => [d.device_id, d.site, d.line, d.model, d.serial, d.registered_at, d.certificate_not_after]);
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      for (const r of [header, ...rows]) io.out(r.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd());
      io.out(`${registry.devices.length} device(s); ${registry.revoked.length} revoked certificate(s)`);
    });

  devices
    .command("remove <device-id>")
    .description("Remove a device: its certificate is revoked (the broker refuses it from its next connect) and its key deleted")
    .option("--registry <dir>", "registry folder", DEFAULT_REGISTRY_DIR)
    .action(async (deviceId: string, flags: RegistryFlag) => {
      const device = await change(() => removeDevice(flags.registry, deviceId), "`iotpipe devices list` shows the registered devices");
      io.out(`removed ${device.device_id}; certificate ${device.certificate_serial} revoked, key and certificate deleted`);
    });
}
