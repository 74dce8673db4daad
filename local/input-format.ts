/**
 * Which format a replay input is in, and its CSV header. The extension decides when it says (`.csv`, `.jsonl`,
 * `.ndjson`, `.json`); otherwise the content does, so a CSV export named `.txt` is read as CSV instead of
 * being quarantined line by line as broken JSON. A CSV header that cannot be used is named for what it is:
 * missing (the first line is data), separated by something other than commas, or naming unknown columns.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { extname } from "node:path";
import { CSV_OPTIONAL_COLUMNS, CSV_REQUIRED_COLUMNS, parseCsvHeader, type CsvColumn } from "../contract/replay-line";
import { ReplayInputError } from "./replay-errors";

export type InputFormat = "jsonl" | "csv";

const BY_EXTENSION: Record<string, InputFormat> = { ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl" };

/** The long form's header, for messages. */
export const CSV_HEADER_HINT = `${CSV_REQUIRED_COLUMNS.join(",")}[,${CSV_OPTIONAL_COLUMNS.join(",")}]`;

const SNIFF_BYTES = 64 * 1024;

/** The first non-blank line within the first 64 KiB ("" when there is none). */
function firstNonBlankLine(path: string): string {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const read = readSync(fd, buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, read).toString("utf8").replace(/^\uFEFF/, "").split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
  } finally {
    closeSync(fd);
  }
}

/** The input's format and what decided it. */
export function detectInputFormat(path: string): { format: InputFormat; from: "extension" | "content" } {
  const byExtension = BY_EXTENSION[extname(path).toLowerCase()];
  if (byExtension) return { format: byExtension, from: "extension" };
  // A JSON line is an object; anything else (a header, a data row) is read as CSV and judged there.
  return { format: firstNonBlankLine(path).startsWith("{") ? "jsonl" : "csv", from: "content" };
}

/** The separators people's exports use instead of commas. */
const OTHER_SEPARATORS: [string, string][] = [[";", "semicolons"], ["\t", "tabs"], ["|", "vertical bars"]];
const KNOWN = new Set<string>([...CSV_REQUIRED_COLUMNS, ...CSV_OPTIONAL_COLUMNS]);

/** A field that is data, not a column name: a number, or a date as the ts column holds it. */
function looksLikeData(field: string): boolean {
  const f = field.trim().replace(/^"|"$/g, "");
  return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(f) || /^\d{4}-\d{2}-\d{2}([T ]|$)/.test(f);
}

/** Parses the header line of a CSV input, or throws a ReplayInputError that names the problem. */
export function readCsvHeader(path: string, line: string): CsvColumn[] {
  const header = line.replace(/^\uFEFF/, "");
  if (header.trim() === "") throw new ReplayInputError("csv_no_header", `${path}: the first line is empty; CSV input starts with a header line ${CSV_HEADER_HINT}`);
  try {
    return parseCsvHeader(header);
  } catch (error) {
    for (const [separator, name] of OTHER_SEPARATORS) {
      const fields = header.split(separator).map((f) => f.trim().toLowerCase());
      if (!header.includes(",") && fields.length > 1 && fields.some((f) => KNOWN.has(f))) {
        throw new ReplayInputError("csv_wrong_separator", `${path}: the header "${header.slice(0, 80)}" is separated by ${name}; CSV input is separated by commas (${CSV_HEADER_HINT})`);
      }
    }
    const fields = header.split(",");
    if (fields.some(looksLikeData)) {
      throw new ReplayInputError("csv_no_header", `${path}: the first line "${header.slice(0, 80)}" is data, not a header; CSV input starts with a header line ${CSV_HEADER_HINT}`);
    }
    throw new ReplayInputError("csv_bad_header", `${path}: ${(error as Error).message}`);
  }
}
