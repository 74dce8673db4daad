/**
 * The line format the simulator writes: one record as a gateway's spool holds it (topic, payload as sent,
 * platform ingest time).
 */
import type { DeviceMessage } from "../contract/telemetry";

/** One spool line. `payload` is the parsed message, or the raw text when it is not a JSON object. */
export interface SpoolLine {
  topic: string;
  payload: DeviceMessage | string;
  ingest_ts: number;
}

/** Serialises one spool line (no trailing newline). */
export function formatSpoolLine(line: SpoolLine): string {
  return JSON.stringify(line);
}
