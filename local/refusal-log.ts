/**
 * What the broker refused, kept: one JSON line per refused connection or publish, with the reason, who it was
 * (certificate name, client id, address) and, for a publish, the topic and the payload exactly as sent (text, or
 * `base64:<bytes>` like the spool). Refused publishes never reach the spool, as a publish IoT Core's policy denies
 * never reaches the rule; this file is where they are instead, so the broker's books still balance:
 * received = accepted + quarantined + refused.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { RefusalReason } from "./device-policy";
import { payloadText } from "./spool";

/** One refused connection (no topic, no payload) or publish. */
export interface RefusalRecord {
  refused_at: number;
  kind: "connection" | "publish";
  reason: RefusalReason;
  detail: string;
  /** Certificate subject CN, when a certificate was presented. */
  certificate_cn?: string;
  client_id?: string;
  remote_address?: string;
  topic?: string;
  payload?: string;
}

/** Where refusals go; `append` is synchronous so a refusal is on disk before the client is disconnected. */
export interface RefusalSink {
  append(record: Omit<RefusalRecord, "payload"> & { payload?: Uint8Array }): void;
}

export class RefusalLog implements RefusalSink {
  /** Opens (creating its directory if needed) a refusal log; existing content is kept and appended to. */
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  append(record: Omit<RefusalRecord, "payload"> & { payload?: Uint8Array }): void {
    const line: RefusalRecord = { ...record, payload: record.payload === undefined ? undefined : payloadText(record.payload) };
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
  }
}
