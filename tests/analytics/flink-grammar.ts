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
const forGrammar = (sql: string) => sql.replace(/\bTRY_CAST\(/g, "CAST(");
const report: { file: string; statements: number; errors: { statement: string; message: string }[] }[] = [];
for (const file of flinkSqlFiles()) {
  const statements = splitStatements(forGrammar(substituteProperties(file.sql, properties)));
  const errors = statements.flatMap((statement) =>
    parser.validate(statement).map((e) => ({ statement: statement.slice(0, 200), message: `line ${e.startLine}:${e.startColumn} ${e.message}` })),
  );
  report.push({ file: file.name, statements: statements.length, errors });
}
process.stdout.write(JSON.stringify(report));
