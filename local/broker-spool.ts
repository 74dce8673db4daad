/**
 * The broker's spool file: every publish as an envelope line (contract/replay-line.ts), the payload kept as
 * the exact text that was published, appended in arrival order.
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
      // Bytes that are not UTF-8 cannot travel in a JSON string unchanged: \uFFFD would hide the damage and
      // the line would look valid. A lone NUL in their place makes the replay quarantine them as unparseable.
      const text = isUtf8(payload) ? payload.toString("utf8") : "\0";
      stream.write(envelopeLine(topic, text, receivedTs) + "\n");
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
