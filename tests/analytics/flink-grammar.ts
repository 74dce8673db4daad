/**
 * Checks every generated Flink SQL statement with dt-sql-parser's FlinkSQL grammar and prints the problems
 * as JSON. Run in a child process by flink-sql.test.ts (dt-sql-parser is ESM-only; tsx loads it).
 */
import { FlinkSQL } from "dt-sql-parser";
import { FLINK_PROPERTY_KEYS, flinkSqlFiles, splitStatements, substituteProperties } from "../../analytics/flink";

const properties = Object.fromEntries(
  FLINK_PROPERTY_KEYS.map((k) => [k, k === "aws.region" ? "eu-west-1" : `arn:aws:kinesis:eu-west-1:123456789012:stream/${k.split(".")[0]}`]),
);
const parser = new FlinkSQL();
/**
 * dt-sql-parser's FlinkSQL grammar lacks TRY_CAST (Flink SQL since 1.15, FLINK-24385: same syntax as CAST,
 * NULL instead of an error). It is checked as CAST, which has the same shape.
 */
/**
 * It also lacks the ARRAY[...] value constructor (Flink SQL's array literal, which the anomalies unnest): checked as
 * ARRAY(...), a call of the same shape. Only the brackets that close an ARRAY[ are changed (string literals, such
 * as the base64 pattern's character classes, are left alone).
 */
function arrayAsCall(sql: string): string {
  let out = "";
  const open: boolean[] = [];
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === "'" || (ch === "-" && sql[i + 1] === "-")) {
      // A string literal ('' escapes are two literals back to back) or a line comment: copied unchanged.
      const close = ch === "'" ? sql.indexOf("'", i + 1) : sql.indexOf("\n", i);
      const end = close < 0 ? sql.length - 1 : close;
      out += sql.slice(i, end + 1);
      i = end;
    } else if (ch === "[") {
      const isArray = /\bARRAY$/.test(out);
      open.push(isArray);
      out += isArray ? "(" : ch;
    } else if (ch === "]") {
      out += open.pop() ? ")" : ch;
    } else {
      out += ch;
    }
  }
  return out;
}
const forGrammar = (sql: string) => arrayAsCall(sql.replace(/\bTRY_CAST\(/g, "CAST("));
const report: { file: string; statements: number; errors: { statement: string; message: string }[] }[] = [];
for (const file of flinkSqlFiles()) {
  const statements = splitStatements(forGrammar(substituteProperties(file.sql, properties)));
  const errors = statements.flatMap((statement) =>
    parser.validate(statement).map((e) => ({ statement: statement.slice(0, 200), message: `line ${e.startLine}:${e.startColumn} ${e.message}` })),
  );
  report.push({ file: file.name, statements: statements.length, errors });
}
process.stdout.write(JSON.stringify(report));
