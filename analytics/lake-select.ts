/**
 * The select list of a query that writes a lake table, in the table's column order (lake/tables.ts): a query says
 * how it produces each column by name and never restates the table's column list, so its output cannot drift from
 * the table the sink, the Glue catalog and the local writer declare. A table column the query gives no expression
 * for, or an expression for a column the table lacks, is an error naming both.
 */
import type { LakeTable } from "../lake/tables";
import type { Dialect } from "./dialect";

/** How a query produces one lake column: an expression (`expr AS column`), or else its input column of that name. */
export interface LakeOutput {
  /** The expression; absent: the input column of the same name, selected as it is. */
  expr?: string;
  /** Qualifier of that input column (`s` for `s.device_id`). */
  from?: string;
  /** A comment line written above the column (why it is computed so). */
  comment?: string;
  /** Starts a new line of the select list (the `inline` layout). */
  newLine?: boolean;
}

/** An input column of the same name, optionally qualified. */
export function fromInput(from?: string): LakeOutput {
  return from === undefined ? {} : { from };
}

/** Every column of `table` from the input column of the same name (a query then gives the ones it computes). */
export function fromInputAll(table: LakeTable, from?: string): Record<string, LakeOutput> {
  return Object.fromEntries(table.columns.map((c) => [c.name, fromInput(from)]));
}

/**
 * - `lines`: one column per line, except that columns carried as they are follow each other on one line (the
 *   series key);
 * - `inline`: one line, broken only before the columns marked `newLine`.
 */
export type SelectLayout = "lines" | "inline";

/** The columns of `table`, in its order, each as `outputs` produces it. */
export function lakeSelectList(table: LakeTable, outputs: Record<string, string | LakeOutput>, d: Dialect, layout: SelectLayout): string {
  const names = table.columns.map((c) => c.name);
  const missing = names.filter((name) => !(name in outputs));
  const unknown = Object.keys(outputs).filter((name) => !names.includes(name));
  if (missing.length > 0 || unknown.length > 0) {
    throw new Error(`internal: a query writing the ${table.name} table ${[
      ...(missing.length > 0 ? [`gives no expression for ${missing.join(", ")}`] : []),
      ...(unknown.length > 0 ? [`gives ${unknown.join(", ")}, not columns of the table`] : []),
    ].join(" and ")} (lake/tables.ts has ${names.join(", ")})`);
  }
  const items = names.map((name) => {
    const given = outputs[name];
    return { name, output: typeof given === "string" ? { expr: given } : given };
  });
  return items
    .map(({ name, output }, i) => {
      const text = output.expr === undefined ? `${output.from === undefined ? "" : `${output.from}.`}${d.id(name)}` : `${output.expr} AS ${d.id(name)}`;
      const commented = output.comment === undefined ? text : `-- ${output.comment}\n    ${text}`;
      if (i === 0) return commented;
      const keepsLine = layout === "lines" ? output.expr === undefined && items[i - 1].output.expr === undefined : !output.newLine;
      return `${keepsLine ? ", " : ",\n    "}${commented}`;
    })
    .join("");
}
