/**
 * Exports the AWS IoT registry into the lake as the report day's `device_registry` snapshot
 * (reports/registry-snapshot.ts), before the compliance queries run, so the device inventory can list registered
 * devices that sent nothing. Shared contract with the fleet: thing name = device id, thing attributes `site`,
 * `line`, `model`, `serial`.
 *
 * ListThings returns each thing with its attributes, 250 a page: one call per 250 devices, where the things of a
 * group would need a DescribeThing per device (handlers/shared/iot-list-things.ts sends it). It has no resource-level permission (IAM `Resource: "*"`), so the
 * component grants it alone, read-only. A day's snapshot is written once (conditional put): a re-run or an
 * amendment reads the registry as the first run for that day saw it. `registered_at` is carried from the previous
 * day's snapshot (IoT keeps no creation time of a thing); a thing new since then gets the export time; without a
 * previous snapshot (the first one) it stays null.
 */
import type { ListedThing, ThingLister } from "../shared/iot-list-things";
import type { BundleWriter } from "../../reports/bundle-writer";
import { SITE_ID_PATTERN, shiftDate } from "../../reports/queries";
import { snapshotJsonLines, snapshotKey, type RegistrySnapshotRow } from "../../reports/registry-snapshot";

/** Where snapshots are read and written: the lake bucket (S3BundleWriter on it in the Lambda). */
export type SnapshotStore = Pick<BundleWriter, "read" | "createIfAbsent" | "where">;

/** A thing left out of the snapshot, and why (not a fleet device: no valid site or line attribute). */
export interface SkippedThing {
  thingName: string;
  reason: string;
}

export interface RegistryExport {
  /** `s3://…/device_registry/dt=<date>/registry.json` */
  location: string;
  /** Devices in the day's snapshot. */
  devices: number;
  /** False when the day's snapshot already existed (an earlier run for the day wrote it). */
  written: boolean;
  skipped: SkippedThing[];
}

/** The IoT attribute value of a thing id (thing name) accepted as a device id: the registry's own pattern. */
const THING_NAME = /^[A-Za-z0-9:_-]{1,128}$/;

/** `yyyy-MM-dd HH:mm:ss.SSS` (UTC), as snapshots store it, back to epoch ms. */
function parseSnapshotTime(value: unknown): number | null {
  return typeof value === "string" ? Date.parse(`${value.replace(" ", "T")}Z`) : null;
}

/** device id → registered_at of a stored snapshot (JSON Lines); empty when there is none. */
async function registrationTimes(store: SnapshotStore, date: string): Promise<Map<string, number | null> | null> {
  const body = await store.read(snapshotKey(date));
  if (body === null) return null;
  const times = new Map<string, number | null>();
  for (const line of body.toString("utf8").split("\n")) {
    if (line.trim() === "") continue;
    const row = JSON.parse(line) as { device_id: string; registered_at: unknown };
    times.set(row.device_id, parseSnapshotTime(row.registered_at));
  }
  return times;
}

/** A thing as a snapshot row, or why it is not a fleet device. */
export function snapshotRow(thing: ListedThing, registeredAt: number | null): RegistrySnapshotRow | SkippedThing {
  const name = thing.thingName ?? "";
  const attributes = thing.attributes ?? {};
  if (!THING_NAME.test(name)) return { thingName: name, reason: "thing name is not a device id" };
  for (const key of ["site", "line"] as const) {
    if (!SITE_ID_PATTERN.test(attributes[key] ?? "")) return { thingName: name, reason: `attribute ${key} missing or not a topic-level id` };
  }
  return { device_id: name, site: attributes.site!, line: attributes.line!, model: attributes.model ?? null, serial: attributes.serial ?? null, registered_at: registeredAt };
}

/** Every thing of the fleet (of `thingTypeName` when given), all pages. */
async function listThings(iot: ThingLister, thingTypeName: string | undefined): Promise<ListedThing[]> {
  const things: ListedThing[] = [];
  let nextToken: string | undefined;
  do {
    const page = await iot.listThings({ maxResults: 250, nextToken, ...(thingTypeName && { thingTypeName }) });
    things.push(...page.things);
    nextToken = page.nextToken;
  } while (nextToken);
  return things;
}

/** Writes the report day's registry snapshot unless it exists; returns what it holds. */
export async function exportDeviceRegistry(
  deps: { iot: ThingLister; store: SnapshotStore; thingTypeName?: string; now: number },
  date: string,
): Promise<RegistryExport> {
  const key = snapshotKey(date);
  const location = deps.store.where(key);
  const existing = await registrationTimes(deps.store, date);
  if (existing !== null) return { location, devices: existing.size, written: false, skipped: [] };

  const previous = await registrationTimes(deps.store, shiftDate(date, -1));
  const rows: RegistrySnapshotRow[] = [];
  const skipped: SkippedThing[] = [];
  for (const thing of await listThings(deps.iot, deps.thingTypeName)) {
    const registeredAt = previous === null ? null : previous.has(thing.thingName ?? "") ? previous.get(thing.thingName ?? "")! : deps.now;
    const row = snapshotRow(thing, registeredAt);
    if ("reason" in row) skipped.push(row);
    else rows.push(row);
  }
  // A concurrent run for the same day may have written it first: theirs stands (same registry, same day).
  const written = await deps.store.createIfAbsent(key, Buffer.from(snapshotJsonLines(rows), "utf8"), "application/x-ndjson");
  return { location, devices: rows.length, written, skipped };
}
