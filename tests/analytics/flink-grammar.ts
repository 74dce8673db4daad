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
const report: { file: string; statements: number; errors: { statement: string; message: string }[] }[] = [];
for (const file of flinkSqlFiles()) {
  const statements = splitStatements(substituteProperties(file.sql, properties));
  const errors = statements.flatMap((statement) =>
    parser.validate(statement).map((e) => ({ statement: statement.slice(0, 200), message: `line ${e.startLine}:${e.startColumn} ${e.message}` })),
  );
  report.push({ file: file.name, statements: statements.length, errors });
}
process.stdout.write(JSON.stringify(report));
