/**
 * The broker's spool file: every publish as an envelope line (contract/replay-line.ts), the payload kept as
 * the exact text that was published, appended in arrival order.
 *
 * A payload that is not UTF-8 cannot be a JSON string without changing it (\uFFFD would hide the damage and
 * could even make it look valid). Its line is written with the raw bytes in place instead: the line is then
 * not UTF-8 either, and the replay quarantines it as unparseable with the whole line kept as base64. The
 * original bytes survive; nothing is dropped or repaired.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isUtf8 } from "node:buffer";
import { envelopeLine } from "../contract/replay-line";
import type { SpoolSink } from "./broker";

/** Opens (appends to) a spool file, creating its directory. */
export function openSpool(file: string): SpoolSink & { path: string; lines: () => number } {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const stream = fs.createWriteStream(file, { flags: "a" });
  let failure: Error | null = null;
  stream.on("error", (error) => (failure = error));
  let count = 0;
  return {
    path: file,
    lines: () => count,
    append(topic, payload, receivedTs) {
      if (failure) throw failure;
      stream.write(spoolLine(topic, payload, receivedTs));
      count++;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        stream.end(() => (failure ? reject(failure) : resolve()));
      });
    },
  };
}

/** One spool line with its newline: an envelope line, or for non-UTF-8 payloads the same shape with raw bytes. */
export function spoolLine(topic: string, payload: Buffer, receivedTs: number): Buffer {
  if (isUtf8(payload)) return Buffer.from(envelopeLine(topic, payload.toString("utf8"), receivedTs) + "\n", "utf8");
  const head = envelopeLine(topic, "", receivedTs);
  const prefix = head.slice(0, head.length - 2);
  // Escape what would end the string or the line (quote, backslash, control bytes); leave high bytes raw.
  const body: number[] = [];
  for (const byte of payload) {
    if (byte === 0x22 || byte === 0x5c) body.push(0x5c, byte);
    else if (byte < 0x20) body.push(...Buffer.from(`\\u${byte.toString(16).padStart(4, "0")}`, "latin1"));
    else body.push(byte);
  }
  return Buffer.concat([Buffer.from(prefix, "utf8"), Buffer.from(body), Buffer.from('"}\n', "utf8")]);
}
