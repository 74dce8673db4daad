/**
 * One report day's snapshot of the device registry (lake table `device_registry`, lake/tables.ts): the rows the
 * device inventory joins to list registered devices that sent nothing. The cloud report job writes it from the AWS
 * IoT registry as JSON Lines before its queries run; the local report builds it from the `iotpipe devices`
 * registry. Kept free of zod and the AWS SDK: it ships in the report Lambda.
 */

/** A registered device as the inventory sees it: thing name and attributes, and when it was registered. */
export interface RegistrySnapshotRow {
  device_id: string;
  site: string;
  line: string;
  model: string | null;
  serial: string | null;
  /** Epoch ms; null when the registry does not say (the cloud's first snapshot). */
  registered_at: number | null;
}

/**
 * `registered_at` as the Glue JSON SerDes read a timestamp (`yyyy-MM-dd HH:mm:ss.SSS`, UTC), and the whole snapshot
 * as JSON Lines, sorted by device so the same registry always gives the same bytes.
 */
export function snapshotJsonLines(rows: readonly RegistrySnapshotRow[]): string {
  return [...rows]
    .sort((a, b) => (a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : 0))
    .map((row) => JSON.stringify({ ...row, registered_at: row.registered_at === null ? null : new Date(row.registered_at).toISOString().replace("T", " ").replace("Z", "") }))
    .map((line) => `${line}\n`)
    .join("");
}

/** The S3 key (relative to the lake root) of a day's snapshot: `device_registry/dt=<date>/registry.json`. */
export function snapshotKey(date: string): string {
  return `device_registry/dt=${date}/registry.json`;
}
