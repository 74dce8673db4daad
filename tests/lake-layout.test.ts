import { LAKE_TABLES, firehosePrefix, projectionLocationTemplate, partitionPrefix } from "../lake/tables";

describe("lake layout", () => {
  it.each(LAKE_TABLES.map((t) => [t.name, t] as const))("%s: Firehose prefix and projection template address the same keys", (_name, table) => {
    const dt = "2026-11-23";
    const written = firehosePrefix(table).replace(`!{partitionKeyFromQuery:dt}`, dt);
    const read = projectionLocationTemplate("lake-bucket", table).replace("${dt}", dt);
    expect(read).toBe(`s3://lake-bucket/${written}`);
    expect(written).toBe(partitionPrefix(table, dt));
  });

  it("every table has its partition source among its columns and unique snake_case column names", () => {
    for (const table of LAKE_TABLES) {
      const names = table.columns.map((c) => c.name);
      expect(names).toContain(table.partitionSource);
      expect(new Set(names).size).toBe(names.length);
      for (const n of names) expect(n).toMatch(/^[a-z][a-z0-9_]*$/);
    }
  });
});
