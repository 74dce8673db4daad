/**
 * SQL string literals for the few places DuckDB cannot bind a parameter (COPY targets, table-function file
 * arguments, constants inlined into generated SQL). Paths may contain quotes; nothing else is ever spliced.
 */

/** Quotes `value` as a DuckDB string literal: single quotes doubled; NUL rejected (it cannot be represented). */
export function sqlString(value: string): string {
  if (value.includes("\0")) throw new Error(`cannot put a NUL character into a SQL string literal: ${JSON.stringify(value.slice(0, 80))}`);
  return `'${value.replaceAll("'", "''")}'`;
}
