/** An in-memory DuckDB connection for one test file: opened before its tests, closed after them. */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";

export function memoryDuckDb(): () => DuckDBConnection {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(":memory:");
    connection = await instance.connect();
  });
  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
  });
  return () => connection;
}
