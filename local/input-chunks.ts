/**
 * Cuts an input file into chunks of whole lines by byte range. The cut points depend only on the file and the
 * chunk size, so an interrupted replay finds the same chunks again and skips the ones it finished.
 */
import { createHash } from "node:crypto";
import { closeSync, createReadStream, fstatSync, openSync, readSync } from "node:fs";

export interface InputChunk {
  index: number;
  /** Byte range [start, end) of whole lines. */
  start: number;
  end: number;
}

const NEWLINE = 0x0a;
const SCAN_BYTES = 64 * 1024;

/** Byte offset just past the first newline at or after `from` (or the file size when there is none). */
function lineEnd(fd: number, from: number, size: number): number {
  const block = Buffer.allocUnsafe(SCAN_BYTES);
  for (let at = from; at < size; at += SCAN_BYTES) {
    const read = readSync(fd, block, 0, Math.min(SCAN_BYTES, size - at), at);
    const nl = block.subarray(0, read).indexOf(NEWLINE);
    if (nl >= 0) return at + nl + 1;
  }
  return size;
}

/** Plans the chunks of `path` from byte `startOffset` (past a CSV header), each about `chunkBytes` long. */
export function planChunks(path: string, chunkBytes: number, startOffset = 0): InputChunk[] {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) throw new Error(`chunkBytes must be a positive integer, got ${chunkBytes}`);
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const chunks: InputChunk[] = [];
    for (let start = startOffset; start < size; ) {
      const end = start + chunkBytes >= size ? size : lineEnd(fd, start + chunkBytes - 1, size);
      chunks.push({ index: chunks.length, start, end });
      start = end;
    }
    return chunks;
  } finally {
    closeSync(fd);
  }
}

/** Reads a chunk's bytes. */
export function readChunk(path: string, chunk: InputChunk): Buffer {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(chunk.end - chunk.start);
    let done = 0;
    while (done < buffer.length) {
      const read = readSync(fd, buffer, done, buffer.length - done, chunk.start + done);
      if (read === 0) throw new Error(`${path} shrank while replaying (expected ${chunk.end} bytes); replay a file that is not being written`);
      done += read;
    }
    return buffer;
  } finally {
    closeSync(fd);
  }
}

/** The first line of a file (a CSV header) and the byte offset where the data starts. */
export function readFirstLine(path: string): { line: string; next: number } {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const end = lineEnd(fd, 0, size);
    const buffer = Buffer.allocUnsafe(end);
    readSync(fd, buffer, 0, end, 0);
    return { line: buffer.toString("utf8").replace(/\r?\n$/, ""), next: end };
  } finally {
    closeSync(fd);
  }
}

/**
 * The SHA-256 of the input's bytes (its identity in the lake's ledger) and of its first `prefixBytes[i]` bytes
 * each, in one pass: a file that grew since a replay (a spool, a log) is recognised by its old prefix.
 */
export async function hashInput(path: string, prefixBytes: number[] = []): Promise<{ sha256: string; prefixes: Map<number, string> }> {
  const hash = createHash("sha256");
  const cuts = [...new Set(prefixBytes)].filter((n) => n > 0).sort((a, b) => a - b);
  const prefixes = new Map<number, string>();
  let offset = 0;
  for await (const data of createReadStream(path)) {
    let block = data as Buffer;
    while (cuts.length > 0 && cuts[0] <= offset + block.length) {
      const take = cuts[0] - offset;
      hash.update(block.subarray(0, take));
      prefixes.set(cuts.shift()!, hash.copy().digest("hex"));
      block = block.subarray(take);
      offset += take;
    }
    hash.update(block);
    offset += block.length;
  }
  return { sha256: hash.digest("hex"), prefixes };
}

/**
 * The line number each chunk starts at (1-based, counting every line of the file, a CSV header and blank lines
 * included), so that a quarantined record names the line of the file it came from.
 */
export async function chunkFirstLines(path: string, chunks: InputChunk[]): Promise<number[]> {
  const starts = chunks.map((c) => c.start);
  const firstLines: number[] = new Array<number>(chunks.length).fill(1);
  let newlines = 0;
  let offset = 0;
  let next = 0;
  for await (const data of createReadStream(path)) {
    const block = data as Buffer;
    for (let at = block.indexOf(NEWLINE); ; at = block.indexOf(NEWLINE, at + 1)) {
      const end = at < 0 ? block.length : at;
      // Chunks starting at or before this newline's offset start after the newlines counted so far.
      while (next < starts.length && starts[next] <= offset + end) firstLines[next++] = newlines + 1;
      if (at < 0) break;
      newlines += 1;
    }
    offset += block.length;
    if (next === starts.length) break;
  }
  while (next < starts.length) firstLines[next++] = newlines + 1;
  return firstLines;
}
