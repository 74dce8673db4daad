/**
 * An append-only spool of messages received over MQTT, in the replay line format (envelope lines,
 * contract/replay-line.ts), so live traffic becomes replay input with its bytes, topic and receive time intact.
 *
 * Each message is one `appendFileSync` of a whole line, so a crash leaves at most one partial last line; the
 * replay quarantines that line as unparseable instead of losing or mis-reading it. Payloads that are not valid
 * UTF-8 cannot be carried in a JSON string without changing them; they are spooled as the text of their
 * base64 (which the replay's validator rejects as unparseable, the verdict live ingest gave them too).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { isUtf8 } from "node:buffer";
import { envelopeLine } from "../contract/replay-line";

/** Payload bytes as JSON-safe text: the UTF-8 text itself, else `base64:<bytes>` (never a repaired version). */
export function payloadText(payload: string | Uint8Array): string {
  if (typeof payload === "string") return payload;
  return isUtf8(payload) ? Buffer.from(payload).toString("utf8") : `base64:${Buffer.from(payload).toString("base64")}`;
}

export class TelemetrySpool {
  private written = 0;

  /** Opens (creating its directory if needed) a spool file; existing content is kept and appended to. */
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  /** Appends one received message; `receivedAt` is the broker's receive time in epoch ms. */
  append(topic: string, payload: string | Uint8Array, receivedAt: number): void {
    appendFileSync(this.path, `${envelopeLine(topic, payloadText(payload), receivedAt)}\n`);
    this.written += 1;
  }

  /** Messages appended by this writer. */
  get count(): number {
    return this.written;
  }
}
