/**
 * CSV for auditors' spreadsheets: RFC 4180 (comma separated, CRLF line ends, fields with a comma, quote or line
 * break quoted, quotes doubled) and safe to open in a spreadsheet: a text cell starting with = + - @ (or a tab /
 * carriage return) would run as a formula, so it is prefixed with a single quote. Plain numbers such as `-5.0`
 * are data, not formulas, and stay as they are so the column still sums.
 */
import { QueryResult } from "./model";

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?(E-?\d+)?$/;

/** One CSV field: neutralised against formula injection, then quoted if RFC 4180 requires it. */
export function csvField(value: string | null): string {
  if (value === null) return "";
  const safe = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The result as a CSV document: a header row of column names, then one row per result row. */
export function toCsv(result: QueryResult): string {
  const lines = [result.columns.map((c) => csvField(c.name)), ...result.rows.map((row) => row.map(csvField))];
  return lines.map((fields) => fields.join(",")).join("\r\n") + "\r\n";
}
