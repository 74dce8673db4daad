/**
 * The SQL mirror of the validator (local/validation-sql.ts) must give every record the verdict the reference
 * (contract/validation.ts, zod) gives it: same outcome, reason, address, received time, raw payload and, when
 * accepted, the same normalized message.
 */
import fc from "fast-check";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { classify, type Verdict } from "../../contract/validation";
import { classifyCsvRowsSql, classifyJsonLinesSql, loadRecordLines, type ValidationSqlOptions } from "../../local/validation-sql";
import type { CsvColumn } from "../../contract/replay-line";
import { CLOCK, CSV_HEADER, csvRowArb, jsonLineArb, validFlatLineArb } from "./arbitraries";

/** Bounded for suite speed; raise with FC_RUNS=500 when changing either validator. */
const RUNS = Number(process.env.FC_RUNS ?? 25);

let connection: DuckDBConnection;
beforeAll(async () => {
  connection = await (await DuckDBInstance.create(":memory:")).connect();
});
afterAll(() => connection.closeSync());

interface SqlVerdict { reason: string | null; device_id: string | null; site: string | null; line: string | null; received_ts: number; raw_payload: string; ts: number | null; msg_id: string | null; seq: number | null; readings: { metric: string; value: number; unit: string | null }[] | null }

async function sqlVerdicts(lines: string[], header: readonly CsvColumn[] | null, options: ValidationSqlOptions): Promise<SqlVerdict[]> {
  await loadRecordLines(connection, "lines", lines.join("\n"), 0);
  const sql = header ? classifyCsvRowsSql("lines", header, options) : classifyJsonLinesSql("lines", options);
  const reader = await connection.runAndReadAll(`${sql} ORDER BY pos`);
  return reader.getRowObjectsJS().map((r) => ({
    ...(r as unknown as SqlVerdict),
    received_ts: Number(r.received_ts),
    ts: r.ts === null ? null : Number(r.ts),
    seq: r.seq === null ? null : Number(r.seq),
  }));
}

function expected(verdict: Verdict) {
  if (verdict.outcome === "quarantined") {
    return { reason: verdict.reason, device_id: verdict.address?.device_id ?? null, site: verdict.address?.site ?? null, line: verdict.address?.line ?? null, received_ts: verdict.received_ts, raw_payload: verdict.raw_payload };
  }
  const m = verdict.message;
  return {
    reason: null, device_id: m.device_id, site: m.site, line: m.line, received_ts: m.ingest_ts, ts: m.ts, msg_id: m.msg_id ?? null, seq: m.seq ?? null,
    // -0 and 0 are the same reading; DuckDB's JSON reader drops the sign of zero, so compare them as one
    // (toEqual tells -0 from 0: fast-check found it, seed 2031639588).
    readings: m.readings.map((r) => ({ metric: r.metric, value: r.value === 0 ? 0 : r.value, unit: r.unit ?? null })),
  };
}

function actual(row: SqlVerdict, accepted: boolean) {
  if (!accepted) return { reason: row.reason, device_id: row.device_id, site: row.site, line: row.line, received_ts: row.received_ts, raw_payload: row.raw_payload };
  return { reason: row.reason, device_id: row.device_id, site: row.site, line: row.line, received_ts: row.received_ts, ts: row.ts, msg_id: row.msg_id, seq: row.seq, readings: row.readings };
}

/** Lines go through UTF-8 as they would from a file, so both sides see the same text. */
const asFileText = (line: string) => Buffer.from(line, "utf8").toString("utf8");

describe.each([
  ["replay", { mode: "replay", clockMs: CLOCK }],
  ["live", { mode: "live", clockMs: CLOCK }],
] as const)("SQL verdict equals the reference verdict (%s mode)", (_mode, options) => {
  it("on JSON lines", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(jsonLineArb, validFlatLineArb), { minLength: 1, maxLength: 40 }), async (generated) => {
        const lines = generated.map(asFileText).filter((l) => l.trim() !== "");
        if (lines.length === 0) return;
        const rows = await sqlVerdicts(lines, null, options);
        expect(rows).toHaveLength(lines.length);
        lines.forEach((line, i) => {
          const reference = classify({ format: "jsonl", line }, { mode: options.mode, ingestTs: options.clockMs });
          expect({ line, verdict: actual(rows[i], reference.outcome === "accepted") }).toEqual({ line, verdict: expected(reference) });
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("on value leaves that are not JSON numbers (a numeric string once slipped through the fast path)", async () => {
    const line = (value: string) => `{"topic":"telemetry/plant-a/l1/d1","ingest_ts":${CLOCK},"msg_id":"m1","ts":${CLOCK - 1000},"readings":[{"metric":"temperature","value":${value},"unit":"degC"}]}`;
    const lines = ['"69.44"', "true", "false", '"1e3"', "null", "[1]", "69.44", "-0.5e-3"].map(line);
    const rows = await sqlVerdicts(lines, null, options);
    const verdicts = lines.map((l, i) => {
      const reference = classify({ format: "jsonl", line: l }, { mode: options.mode, ingestTs: options.clockMs });
      expect(actual(rows[i], reference.outcome === "accepted")).toEqual(expected(reference));
      return reference.outcome === "accepted" ? "accepted" : reference.reason;
    });
    expect(verdicts).toEqual(["schema", "schema", "schema", "schema", "schema", "schema", "accepted", "accepted"]);
  });

  it("on lines one lenient token or topic character away from the fast path", async () => {
    const ok = (over: Partial<Record<"topic" | "ts" | "seq" | "value" | "tail" | "readingsTail", string>> = {}) =>
      `{"topic":"${over.topic ?? "telemetry/plant-a/l1/d1"}","ingest_ts":${CLOCK},"seq":${over.seq ?? "7"},"ts":${over.ts ?? CLOCK - 1000},` +
      `"readings":[{"metric":"temperature","value":${over.value ?? "69.4"},"unit":"degC"}${over.readingsTail ?? ""}]${over.tail ?? ""}}`;
    const id128 = "a".repeat(128);
    const cases: [string, string][] = [
      [ok(), "accepted"],
      [ok({ value: "NaN" }), "unparseable"],
      [ok({ value: "-Infinity" }), "unparseable"],
      [ok({ ts: "Infinity" }), "unparseable"],
      [ok({ seq: "nan" }), "unparseable"],
      [ok({ tail: " , " }), "unparseable"],
      [ok({ readingsTail: ",\t" }), "unparseable"],
      [ok({ topic: `telemetry/${id128}/l1/d1` }), "accepted"],
      [ok({ topic: `telemetry/${id128}b/l1/d1` }), "bad_topic"],
      [ok({ topic: `telemetry/plant-a/l1/${id128}b` }), "bad_topic"],
      [ok({ topic: "telemetry/plant-a/l1/d1/x" }), "bad_topic"],
      [ok({ topic: "telemetry/plant-a//d1" }), "bad_topic"],
      [ok({ topic: "telemetryx/plant-a/l1/d1" }), "bad_topic"],
      [ok({ topic: "telemetry/-a/l1/d1" }), "bad_topic"],
      [ok({ topic: "telemetry/plant a/l1/d1" }), "bad_topic"],
    ];
    const rows = await sqlVerdicts(cases.map(([l]) => l), null, options);
    const verdicts = cases.map(([l], i) => {
      const reference = classify({ format: "jsonl", line: l }, { mode: options.mode, ingestTs: options.clockMs });
      expect({ l, verdict: actual(rows[i], reference.outcome === "accepted") }).toEqual({ l, verdict: expected(reference) });
      return reference.outcome === "accepted" ? "accepted" : reference.reason;
    });
    expect(verdicts).toEqual(cases.map(([, outcome]) => outcome));
  });

  it("on CSV rows", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(csvRowArb, { minLength: 1, maxLength: 40 }), async (generated) => {
        const lines = generated.map(asFileText).filter((l) => l.trim() !== "");
        if (lines.length === 0) return;
        const rows = await sqlVerdicts(lines, CSV_HEADER, options);
        expect(rows).toHaveLength(lines.length);
        lines.forEach((line, i) => {
          const reference = classify({ format: "csv", line, header: CSV_HEADER }, { mode: options.mode, ingestTs: options.clockMs });
          expect({ line, verdict: actual(rows[i], reference.outcome === "accepted") }).toEqual({ line, verdict: expected(reference) });
        });
      }),
      { numRuns: RUNS },
    );
  });
});

describe("loadRecordLines", () => {
  it("keeps one record per non-blank line, numbered within its chunk, with trailing CRs dropped", async () => {
    const text = ["a\r\r", "", " \t\r", "\u00a0", "x\0y", "b", ""].join("\n");
    expect(await loadRecordLines(connection, "split_lines", text, 3)).toBe(4);
    const rows = (await connection.runAndReadAll(`SELECT pos, raw FROM split_lines ORDER BY pos`)).getRowObjectsJS();
    const base = 3n << 32n;
    // A no-break space is not blank: the record is kept (and judged), never dropped.
    expect(rows).toEqual([
      { pos: base + 1n, raw: "a" },
      { pos: base + 4n, raw: "\u00a0" },
      { pos: base + 5n, raw: "x\0y" },
      { pos: base + 6n, raw: "b" },
    ]);
  });
});
