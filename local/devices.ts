/**
 * Enrolling and removing devices on the local broker: the registry entry and the device's certificate change
 * together. Adding creates the local CA on first use, checks every new row first (nothing is registered when one
 * row is refused), issues each device's key and certificate, then records them; removing revokes the device's
 * certificate in the registry (the broker refuses it from its next connect) and deletes its key.
 */
import * as fs from "node:fs";
import { deleteDeviceCredentials, ensureCa, issueDeviceCertificate, type IssuedCertificate, type Validity } from "./device-ca";
import {
  checkNewDevices,
  findDevice,
  loadRegistry,
  parseRegistryCsv,
  RegistryInputError,
  saveRegistry,
  type DeviceRow,
  type RegisteredDevice,
} from "./device-registry";

export interface Enrolment {
  /** True when this call created the local CA. */
  caCreated: boolean;
  devices: Array<{ device: RegisteredDevice; certificate: IssuedCertificate }>;
}

/**
 * Registers `rows` (unvalidated input; `label(i)` names row i in error messages) and issues their certificates.
 * Throws RegistryInputError listing every refused row; then nothing is registered. `validity` is for tests that
 * need an expired certificate.
 */
export async function enrolDevices(registryDir: string, rows: unknown[], label: (i: number) => string, options: { now?: Date; validity?: Validity } = {}): Promise<Enrolment> {
  const registry = loadRegistry(registryDir);
  const { accepted, problems } = checkNewDevices(registry, rows, label);
  if (problems.length > 0) throw new RegistryInputError(problems, `${rows.length} device(s) refused`);
  return enrolChecked(registryDir, accepted, options);
}

async function enrolChecked(registryDir: string, rows: DeviceRow[], options: { now?: Date; validity?: Validity }): Promise<Enrolment> {
  const now = options.now ?? new Date();
  const caCreated = await ensureCa(registryDir);
  const devices: Enrolment["devices"] = [];
  for (const row of rows) {
    const certificate = await issueDeviceCertificate(registryDir, row.device_id, options.validity ?? { notBefore: now });
    devices.push({
      device: { ...row, registered_at: now.toISOString(), certificate_serial: certificate.serial, certificate_not_after: certificate.notAfter.toISOString() },
      certificate,
    });
  }
  // Certificates first, registry last: a crash in between leaves key files of unregistered devices (the broker
  // refuses them; adding the device again replaces them), never a registered device without its key.
  const registry = loadRegistry(registryDir);
  saveRegistry(registryDir, { ...registry, devices: [...registry.devices, ...devices.map((d) => d.device)] });
  return { caCreated, devices };
}

/**
 * Registers the devices of a CSV file (`device_id,site,line,model,serial`). Every problem (field count, value,
 * duplicate within the file or with the registry) is reported with its line number, and then nothing is registered.
 */
export async function importDevicesCsv(registryDir: string, file: string, options: { now?: Date } = {}): Promise<Enrolment> {
  if (!fs.existsSync(file)) throw new Error(`device list ${file} does not exist`);
  const { rows, lines, problems: shapeProblems } = parseRegistryCsv(fs.readFileSync(file, "utf8"), file);
  const { accepted, problems } = checkNewDevices(loadRegistry(registryDir), rows, (i) => `${file} line ${lines[i]}`);
  const all = [...shapeProblems, ...problems].sort((a, b) => lineOf(a) - lineOf(b));
  if (all.length > 0) throw new RegistryInputError(all, `${file}: refused, nothing imported`);
  if (accepted.length === 0) throw new RegistryInputError([`${file}: no device rows after the header`], `${file}: nothing to import`);
  return enrolChecked(registryDir, accepted, options);
}

function lineOf(problem: string): number {
  return Number(/ line (\d+)/.exec(problem)?.[1] ?? 0);
}

/** Removes a device: its certificate serial joins the revoked list, its key and certificate files are deleted. */
export function removeDevice(registryDir: string, deviceId: string, now = new Date()): RegisteredDevice {
  const registry = loadRegistry(registryDir);
  const device = findDevice(registry, deviceId, registryDir);
  saveRegistry(registryDir, {
    devices: registry.devices.filter((d) => d.device_id !== deviceId),
    revoked: [...registry.revoked, { certificate_serial: device.certificate_serial, device_id: deviceId, revoked_at: now.toISOString() }],
  });
  deleteDeviceCredentials(registryDir, deviceId);
  return device;
}
