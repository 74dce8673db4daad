/**
 * Analytics steps as data: each column a step adds is an alias, the columns it reads and either a plain
 * expression or a typed aggregate over the step's series window. Each engine renders the same data: Flink and
 * the DuckDB reference as standard SQL (`renderStepColumn`), the local engine with cheaper DuckDB window
 * functions where the frame allows (analytics/duckdb.ts). Nothing reads SQL text back: what an engine needs to
 * know about a column (its name, what it reads, what it aggregates) is in the data.
 */

/**
 * An aggregate over the step's OVER window (the series' `preceding` rows up to the current one):
 * - `count`: COUNT(*), the rows of the frame;
 * - `countNonNull`: COUNT(arg);
 * - `sum`, `min`, `max` of an expression;
 * - `countIf`: the rows for which a condition holds, SUM(CASE WHEN condition THEN 1 ELSE 0 END);
 * - `countFired`: the rows on which any of the given fired flags is set (a `countIf` whose condition is the flags'
 *   OR, kept apart because a row it counts is always a row on which a rule fired: the local engine counts those
 *   on the fired rows alone).
 */
export type WindowAggregate =
  | { kind: "count" }
  | { kind: "countNonNull"; arg: string }
  | { kind: "sum"; arg: string }
  | { kind: "min"; arg: string }
  | { kind: "max"; arg: string }
  | { kind: "countIf"; condition: string }
  | { kind: "countFired"; flags: string[] };

/** One column a step adds. */
export interface StepColumn {
  /** The column's name. */
  alias: string;
  /** The columns of the step's input the value reads (an engine projects only these into a window pass). */
  reads: string[];
  /** A plain SQL expression over the input row, or an aggregate over the step's window. */
  value: string | WindowAggregate;
}

/**
 * One step of the anomaly chain: `SELECT *, <columns> FROM <previous step>`, either a plain projection or
 * with one OVER window per series of `preceding` rows up to the current one. Window steps with the same `pass`
 * only read columns computed before that pass, so an engine may evaluate them in one SELECT (DuckDB does, to
 * sort once); Flink gets one view per step (one OVER window per SELECT).
 */
export interface Step {
  name: string;
  about: string;
  columns: StepColumn[];
  window?: { preceding: number | "UNBOUNDED"; pass: number };
}

/** A plain column: `expr AS alias`. */
export function plain(alias: string, reads: string[], expr: string): StepColumn {
  return { alias, reads, value: expr };
}

/** A column aggregated over the step's window. */
export function windowed(alias: string, reads: string[], aggregate: WindowAggregate): StepColumn {
  return { alias, reads, value: aggregate };
}

/** The condition of a `countIf` or `countFired`: a row of the frame counts when it holds. */
export function countedCondition(aggregate: Extract<WindowAggregate, { kind: "countIf" | "countFired" }>): string {
  return aggregate.kind === "countIf" ? aggregate.condition : aggregate.flags.join(" OR ");
}

/** The aggregate in standard SQL over the window `over` (a window name or a parenthesised specification). */
export function renderAggregate(aggregate: WindowAggregate, over: string): string {
  switch (aggregate.kind) {
    case "count": return `COUNT(*) OVER ${over}`;
    case "countNonNull": return `COUNT(${aggregate.arg}) OVER ${over}`;
    case "sum": return `SUM(${aggregate.arg}) OVER ${over}`;
    case "min": return `MIN(${aggregate.arg}) OVER ${over}`;
    case "max": return `MAX(${aggregate.arg}) OVER ${over}`;
    case "countIf":
    case "countFired": return `SUM(CASE WHEN ${countedCondition(aggregate)} THEN 1 ELSE 0 END) OVER ${over}`;
  }
}

/** A select-list item `value AS alias`, aggregates in standard SQL over the window `over`. */
export function renderStepColumn(column: StepColumn, over = "w"): string {
  const value = typeof column.value === "string" ? column.value : renderAggregate(column.value, over);
  return `${value} AS ${column.alias}`;
}
