/**
 * The local device registry: which devices may connect to the embedded broker, where each one stands (site, line)
 * and what it is (model, serial), and which certificates were revoked. The local twin of the AWS IoT registry
 * under the shared contract: thing name = device id (the topic's `device_id`), thing attributes `site`, `line`,
 * `model`, `serial`.
 *
 * One JSON document, `<registry dir>/registry.json`, replaced atomically (write beside, then rename) so a crash
 * never leaves half a registry. Every write is validated with the schemas below, so the broker and the inventory
 * read only ids that are safe as MQTT topic levels and as IoT thing names and attribute values.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { identifier } from "../contract/telemetry";
import { FLEET_ID_PATTERN, MODEL_PATTERN, SERIAL_PATTERN } from "../contract/device-identity";
import { splitCsvFields } from "../contract/replay-line";
import type { RegistrySnapshotRow } from "../reports/registry-snapshot";

/** Where `iotpipe devices` keeps its registry, CA and keys unless `--registry` says otherwise. */
export const DEFAULT_REGISTRY_DIR = ".iotpipe/devices";
export const REGISTRY_FILE = "registry.json";

/**
 * Device, site and line ids as the cloud fleet names things and thing groups (contract/device-identity.ts): a
 * device registered here can be provisioned there under the same name, and its topic levels stay valid.
 */
const fleetId = (what: string) => identifier.regex(FLEET_ID_PATTERN, `a ${what} id names an IoT thing or thing group too: letters, digits, _ and - only, starting with a letter or digit`);
export const deviceId = fleetId("device");

/** Model and serial become IoT thing attribute values; the same patterns the provisioning hook admits. */
const attributeValue = (what: string, pattern: RegExp) =>
  z.string().regex(pattern, `a ${what} is 1 to 64 of letters, digits and . _ : / - (an IoT thing attribute value), starting with a letter or digit`);

/** What an operator states about a device: the CSV row and the `devices add` flags. */
export const deviceRowSchema = z.strictObject({
  device_id: deviceId,
  site: fleetId("site"),
  line: fleetId("line"),
  model: attributeValue("model", MODEL_PATTERN),
  serial: attributeValue("serial", SERIAL_PATTERN),
});
export type DeviceRow = z.infer<typeof deviceRowSchema>;

/** A registered device: the row, when it was registered, and the serial number of its one valid certificate. */
export const registeredDeviceSchema = deviceRowSchema.extend({
  registered_at: z.iso.datetime(),
  certificate_serial: z.string().regex(/^[0-9a-f]+$/),
  certificate_not_after: z.iso.datetime(),
});
export type RegisteredDevice = z.infer<typeof registeredDeviceSchema>;

/** A certificate that must never be accepted again (its device was removed). */
export const revokedCertificateSchema = z.strictObject({
  certificate_serial: z.string().regex(/^[0-9a-f]+$/),
  device_id: deviceId,
  revoked_at: z.iso.datetime(),
});
export type RevokedCertificate = z.infer<typeof revokedCertificateSchema>;

export const registrySchema = z.strictObject({
  devices: z.array(registeredDeviceSchema),
  revoked: z.array(revokedCertificateSchema),
});
export type DeviceRegistry = z.infer<typeof registrySchema>;

/** The columns of a registry CSV (`devices import`), any order, header required. */
export const REGISTRY_CSV_COLUMNS = ["device_id", "site", "line", "model", "serial"] as const;

/** A registry input that cannot be accepted, with every problem found (never only the first). */
export class RegistryInputError extends Error {
  constructor(
    readonly problems: string[],
    what: string,
  ) {
    super(`${what}: ${problems.length} problem(s), nothing changed:\n  ${problems.join("\n  ")}`);
    this.name = "RegistryInputError";
  }
}

export function registryPath(dir: string): string {
  return path.join(dir, REGISTRY_FILE);
}

/** Reads the registry; an absent file is an empty registry, a damaged one an error naming the file. */
export function loadRegistry(dir: string): DeviceRegistry {
  const file = registryPath(dir);
  if (!fs.existsSync(file)) return { devices: [], revoked: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`device registry ${file} is not JSON (${(error as Error).message}); restore it from a backup`);
  }
  const result = registrySchema.safeParse(parsed);
  if (!result.success) throw new Error(`device registry ${file} does not match its schema: ${z.prettifyError(result.error)}`);
  return result.data;
}

/** Writes the registry atomically (readable by its owner only: it says which certificates are trusted). */
export function saveRegistry(dir: string, registry: DeviceRegistry): void {
  const checked = registrySchema.parse(registry);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = registryPath(dir);
  const staging = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(staging, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(staging, file);
}

/**
 * Checks new rows against each other and the registry: each must match the schema, and neither its device id
 * nor its serial may be registered already or repeated. `label(i)` names row i in the messages (a CSV line).
 */
export function checkNewDevices(registry: DeviceRegistry, rows: unknown[], label: (i: number) => string): { accepted: DeviceRow[]; problems: string[] } {
  const problems: string[] = [];
  const ids = new Map(registry.devices.map((d) => [d.device_id, "is already registered"]));
  const serials = new Map(registry.devices.map((d) => [d.serial, `is already registered to ${d.device_id}`]));
  const accepted: DeviceRow[] = [];
  rows.forEach((row, i) => {
    const parsed = deviceRowSchema.safeParse(row);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => `${issue.path.join(".") || "row"}: ${issue.message}`);
      problems.push(`${label(i)}: ${fields.join("; ")}`);
      return;
    }
    const device = parsed.data;
    const idClash = ids.get(device.device_id);
    const serialClash = serials.get(device.serial);
    if (idClash) problems.push(`${label(i)}: device ${device.device_id} ${idClash}`);
    if (serialClash) problems.push(`${label(i)}: serial ${device.serial} ${serialClash}`);
    if (idClash || serialClash) return;
    ids.set(device.device_id, `repeats ${label(i)}`);
    serials.set(device.serial, `repeats ${label(i)} (${device.device_id})`);
    accepted.push(device);
  });
  return { accepted, problems };
}

/**
 * Parses a registry CSV (header `device_id,site,line,model,serial` in any order) into rows keyed by column, with
 * the file line of each (blank lines skipped, a trailing `\r` ignored). A header problem throws; a row with the wrong
 * number of fields is a problem with its line number; the values themselves are judged by `checkNewDevices`.
 */
export function parseRegistryCsv(text: string, file: string): { rows: Record<string, string>[]; lines: number[]; problems: string[] } {
  const all = text.replace(/^\uFEFF/, "").split("\n").map((l) => l.replace(/\r$/, ""));
  const headerIndex = all.findIndex((l) => l.trim() !== "");
  if (headerIndex < 0) throw new RegistryInputError([`${file}: empty, expected the header ${REGISTRY_CSV_COLUMNS.join(",")}`], `${file} refused`);
  const header = splitCsvFields(all[headerIndex]).map((n) => n.trim().toLowerCase());
  const missing = REGISTRY_CSV_COLUMNS.filter((c) => !header.includes(c));
  const unknown = header.filter((c) => !(REGISTRY_CSV_COLUMNS as readonly string[]).includes(c));
  const headerProblems = [
    ...(missing.length > 0 ? [`${file} line ${headerIndex + 1}: header lacks ${missing.join(", ")}`] : []),
    ...(unknown.length > 0 ? [`${file} line ${headerIndex + 1}: header has unknown column(s) ${unknown.join(", ")}`] : []),
    ...(new Set(header).size !== header.length ? [`${file} line ${headerIndex + 1}: header repeats a column`] : []),
  ];
  if (headerProblems.length > 0) throw new RegistryInputError(headerProblems, `${file} refused (columns: ${REGISTRY_CSV_COLUMNS.join(",")})`);
  const rows: Record<string, string>[] = [];
  const lines: number[] = [];
  const problems: string[] = [];
  for (let i = headerIndex + 1; i < all.length; i++) {
    if (all[i].trim() === "") continue;
    const fields = splitCsvFields(all[i]);
    if (fields.length !== header.length) {
      problems.push(`${file} line ${i + 1}: ${fields.length} field(s), the header has ${header.length}`);
      continue;
    }
    rows.push(Object.fromEntries(header.map((name, k) => [name, fields[k].trim()])));
    lines.push(i + 1);
  }
  return { rows, lines, problems };
}

/** The registered device with this id, or an error naming the registry and the ids it holds. */
export function findDevice(registry: DeviceRegistry, id: string, dir: string): RegisteredDevice {
  const device = registry.devices.find((d) => d.device_id === id);
  if (!device) {
    const known = registry.devices.map((d) => d.device_id);
    throw new Error(`device ${id} is not in the registry ${registryPath(dir)} (${known.length === 0 ? "it is empty" : `it holds ${known.slice(0, 10).join(", ")}${known.length > 10 ? ", …" : ""}`})`);
  }
  return device;
}

/** The registry as the device inventory reads it (the `device_registry` rows of a report day). */
export function registrySnapshotRows(registry: DeviceRegistry): RegistrySnapshotRow[] {
  return registry.devices.map((d) => ({ device_id: d.device_id, site: d.site, line: d.line, model: d.model, serial: d.serial, registered_at: Date.parse(d.registered_at) }));
}
