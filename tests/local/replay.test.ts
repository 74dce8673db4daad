/**
 * Replay end to end on crafted and on generated hostile input: every record accounted for once, reasons
 * right, duplicates and late readings counted, and Parquet that matches the lake tables exactly.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import fc from "fast-check";
import { classify } from "../../contract/validation";
import { QUARANTINE_REASONS, type QuarantineReason } from "../../contract/ingest-policy";
import { duckdbType, LAKE_TABLES, QUARANTINE, READINGS } from "../../lake/tables";
import { replay } from "../../local/replay";
import { ReplayInputError } from "../../local/replay-errors";
import { checkConservation, ConservationError, conservationLine } from "../../local/conservation";
import { sqlString } from "../../local/sql-string";
import { CLOCK, jsonLineArb, sensorFlatLineArb } from "../contract/arbitraries";
import { tableGlob, tableRows, withDuckDb } from "./lake-read";

const BASE = Date.UTC(2026, 10, 22, 8);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "iotpipe-replay-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const message = (device: string, msgId: string, ts: number, value = 20) =>
  JSON.stringify({ topic: `telemetry/plant-a/line-1/${device}`, ingest_ts: ts + 30, msg_id: msgId, ts, readings: [{ metric: "temperature", value, unit: "degC" }, { metric: "pressure", value: 6 }] });

describe("replay of crafted JSON Lines", () => {
  const valid = Array.from({ length: 20 }, (_, i) => message(`dev-${i % 2}`, `m${i}`, BASE + i * 1000, i === 10 ? 500 : 20));
  const late = message("dev-0", "m-late", BASE + 19_000 - 6 * 60_000);
  const tooLarge = JSON.stringify({ topic: "telemetry/plant-a/line-1/dev-0", ts: BASE, readings: [{ metric: "temperature", value: 1 }], pad: "x".repeat(140_000) });
  const quarantined: [QuarantineReason, string][] = [
    ["unparseable", "not json at all"],
    ["unparseable", '{"topic":"telemetry/plant-a/line-1/dev-0","ts":1,"readings":[{"metric":"temperature","value":NaN}]}'],
    ["schema", '{"topic":"telemetry/plant-a/line-1/dev-0","readings":[{"metric":"temperature","value":1}]}'],
    ["non_finite", `{"topic":"telemetry/plant-a/line-1/dev-0","ts":${BASE},"readings":[{"metric":"temperature","value":1e999}]}`],
    ["bad_topic", `{"device_id":"x'; DROP TABLE readings;--","ts":${BASE},"readings":[{"metric":"temperature","value":1}]}`],
    ["too_large", tooLarge],
    // Over the 1 MiB line limit (and 270 × the 4 KiB read chunk below): rejected unparsed, kept whole.
    ["too_large", JSON.stringify({ topic: "telemetry/plant-a/line-1/dev-0", ts: BASE, readings: [{ metric: "temperature", value: 1 }], pad: "é".repeat(600_000) })],
    ["timestamp_out_of_range", `{"topic":"telemetry/plant-a/line-1/dev-0","ts":0,"readings":[{"metric":"temperature","value":1}]}`],
    ["schema", `{"topic":"telemetry/plant-a/line-1/dev-0","payload":"{\\"ts\\":${BASE},\\"readings\\":[]}"}`],
  ];
  const envelope = JSON.stringify({ topic: "telemetry/plant-a/line-1/dev-1", ingest_ts: BASE + 25_000, payload: JSON.stringify({ seq: 7, ts: BASE + 25_000, readings: [{ metric: "current", value: 41.5, unit: "A" }] }) });
  const invalidUtf8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
  let result: Awaited<ReturnType<typeof replay>>;
  const lakeDir = () => join(dir, "crafted-lake");

  beforeAll(async () => {
    const text = [...valid, valid[3], late, ...quarantined.map(([, line]) => line), `${envelope}\r`, "", "   "].join("\n");
    const input = join(dir, "crafted.jsonl");
    writeFileSync(input, Buffer.concat([Buffer.from(`${text}\n`), invalidUtf8, Buffer.from("\n")]));
    result = await replay({ inputPath: input, lakeDir: lakeDir(), now: CLOCK, chunkBytes: 4096 });
  });

  it("accounts for every record once and prints the conservation line", () => {
    expect(result.counts).toEqual({ input: 33, accepted: 22, quarantined: 10, duplicates: 1, late: 1 });
    expect(result.conservation).toBe("input 33 = accepted 22 + quarantined 10 + duplicates 1 (late 1 of 22)");
    expect(result.readings).toEqual({ accepted: 43, late: 2 });
  });

  it("gives each rejected record the reason the reference validator gives", () => {
    const expected = Object.fromEntries(Object.keys(QUARANTINE_REASONS).map((r) => [r, 0]));
    for (const [reason] of quarantined) expected[reason] += 1;
    expected.unparseable += 1;
    expect(result.byReason).toEqual(expected);
    for (const [reason, line] of quarantined) {
      expect(classify({ format: "jsonl", line }, { mode: "replay", ingestTs: CLOCK })).toMatchObject({ outcome: "quarantined", reason });
    }
  });

  it("keeps every rejected record's original bytes in the quarantine table (base64 when not UTF-8)", async () => {
    const rows = (await tableRows(lakeDir(), QUARANTINE)).map((r) => JSON.parse(r) as Record<string, string>);
    const payloads = rows.map((r) => r.raw_payload).sort();
    expect(payloads).toEqual([...quarantined.map(([reason, line]) => (reason === "schema" && line.includes('"payload"') ? `{"ts":${BASE},"readings":[]}` : line)), invalidUtf8.toString("base64")].sort());
    expect(new Set(rows.map((r) => r.source))).toEqual(new Set(["local"]));
    expect(rows.find((r) => r.reason === "non_finite")).toMatchObject({ device_id: "dev-0", site: "plant-a", line: "line-1" });
  });

  it("writes Parquet whose columns and types are exactly the lake tables', under <table>/dt=YYYY-MM-DD/", async () => {
    for (const table of LAKE_TABLES) {
      const glob = tableGlob(lakeDir(), table);
      expect(glob).not.toBeNull();
      const columns = await withDuckDb((run) => run(`DESCRIBE SELECT * FROM read_parquet(${glob}, hive_partitioning = false)`));
      expect(columns.map((c) => [c.column_name, c.column_type])).toEqual(table.columns.map((c) => [c.name, duckdbType(c.type)]));
    }
    expect(readdirSync(join(lakeDir(), READINGS.name))).toEqual(["dt=2026-11-22"]);
    // Quarantine is partitioned by receive time; these lines carry no ingest_ts, so the replay clock decides.
    expect(readdirSync(join(lakeDir(), QUARANTINE.name))).toEqual(["dt=2026-11-23"]);
    expect(result.filesWritten.every((f) => /^(readings|aggregates|anomalies|alerts|quarantine)\/dt=\d{4}-\d{2}-\d{2}\/[^/]+\.parquet$/.test(f))).toBe(true);
  });

  it("flags the late reading, keeps it in readings, and leaves it out of the aggregates", async () => {
    const readings = (await tableRows(lakeDir(), READINGS)).map((r) => JSON.parse(r) as { msg_id: string; late: boolean });
    expect(readings.filter((r) => r.late).map((r) => r.msg_id)).toEqual(["m-late", "m-late"]);
    expect(readings.filter((r) => r.msg_id === "m3")).toHaveLength(2);
    const counts = await withDuckDb((run) => run(`SELECT sum(sample_count) AS n FROM read_parquet(${tableGlob(lakeDir(), { ...READINGS, name: "aggregates" })}) WHERE window_seconds = 60`));
    expect(Number(counts[0].n)).toBe(41);
  });

  it("leaves only its ledger beside the lake: no spill folder, no journal file but state.duckdb", () => {
    expect(readdirSync(join(lakeDir(), "_replay"))).toEqual(["state.duckdb"]);
  });

  it("refuses, as a typed lake_busy error naming the process, while another process holds the lake's journal", async () => {
    const holder = spawn(process.execPath, ["-e", `
      const { DuckDBInstance } = require("@duckdb/node-api");
      DuckDBInstance.create(${JSON.stringify(join(lakeDir(), "_replay", "state.duckdb"))}).then(() => { console.log("holding"); setInterval(() => {}, 1000); });
    `], { cwd: join(__dirname, "..", ".."), stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on("data", (d: Buffer) => d.toString().includes("holding") && resolve());
        holder.on("exit", (code) => reject(new Error(`lock holder exited with ${code}`)));
      });
      const refused = replay({ inputPath: join(dir, "crafted.jsonl"), lakeDir: lakeDir(), now: CLOCK });
      await expect(refused).rejects.toBeInstanceOf(ReplayInputError);
      await expect(refused).rejects.toMatchObject({ problem: "lake_busy", message: `another replay is writing the lake ${lakeDir()} (process ${holder.pid})` });
    } finally {
      const exited = new Promise((resolve) => holder.once("exit", resolve));
      holder.kill();
      await exited; // the lock goes with the process; the next test replays into this lake
    }
  });

  it("re-running a finished replay changes nothing: the lake already holds that input", async () => {
    const before = await Promise.all(LAKE_TABLES.map((t) => tableRows(lakeDir(), t)));
    const again = await replay({ inputPath: join(dir, "crafted.jsonl"), lakeDir: lakeDir(), now: CLOCK, chunkBytes: 4096 });
    expect(again.alreadyApplied).toMatchObject({ input: join(dir, "crafted.jsonl") });
    expect(again.counts).toEqual(result.counts);
    expect(await Promise.all(LAKE_TABLES.map((t) => tableRows(lakeDir(), t)))).toEqual(before);
  });
});

describe("de-duplication and lateness in the Flink job's order", () => {
  it("compares sightings in event-time order, and keeps a late re-send flagged instead of dropping it", async () => {
    const sighting = (id: string, ts: number, arrival: number) =>
      JSON.stringify({ topic: "telemetry/plant-a/line-1/dev-9", ingest_ts: arrival, msg_id: id, ts, readings: [{ metric: "current", value: 1 }] });
    const lines = [
      // Within the allowed lateness, out of order: the sighting with the later event time is the duplicate.
      sighting("a", BASE + 60_000, BASE + 60_100),
      sighting("a", BASE, BASE + 60_200),
      // 5000 s then 2000 s later than "b" at BASE: the third sighting arrives 50 min behind the newest event time,
      // so it is late, kept and flagged (the Flink job's OVER window would drop it), and not a duplicate.
      sighting("b", BASE, BASE + 100),
      sighting("b", BASE + 5_000_000, BASE + 5_000_100),
      sighting("b", BASE + 2_000_000, BASE + 5_000_200),
    ];
    writeFileSync(join(dir, "order.jsonl"), `${lines.join("\n")}\n`);
    const out = await replay({ inputPath: join(dir, "order.jsonl"), lakeDir: join(dir, "order-lake"), now: CLOCK });
    expect(out.counts).toEqual({ input: 5, accepted: 4, quarantined: 0, duplicates: 1, late: 1 });
    const readings = (await tableRows(join(dir, "order-lake"), READINGS)).map((row) => JSON.parse(String(row)) as { msg_id: string; event_ts: string; late: boolean });
    expect(readings.filter((r) => r.msg_id === "a").map((r) => r.event_ts)).toEqual([new Date(BASE).toISOString()]);
    expect(readings.filter((r) => r.msg_id === "b").map((r) => [r.event_ts, r.late]).sort()).toEqual([
      [new Date(BASE).toISOString(), false],
      [new Date(BASE + 2_000_000).toISOString(), true],
      [new Date(BASE + 5_000_000).toISOString(), false],
    ]);
  });
});

describe("replay of an export of the cloud raw archive (raw_messages: the IoT rule's envelope)", () => {
  it("reads payload_base64 lines as the published bytes: the same lake as the device messages themselves", async () => {
    const published = [
      { device: "dev-0", ingest: BASE + 30, payload: JSON.stringify({ msg_id: "a", ts: BASE, readings: [{ metric: "temperature", value: 20.5, unit: "degC" }] }) },
      { device: "dev-0", ingest: BASE + 1030, payload: JSON.stringify({ msg_id: "a", ts: BASE, readings: [{ metric: "temperature", value: 20.5, unit: "degC" }] }) },
      { device: "dev-1", ingest: BASE + 2030, payload: JSON.stringify({ seq: 1, ts: BASE + 2000, readings: [{ metric: "current", value: 4, unit: "A" }] }) },
      { device: "dev-1", ingest: BASE + 3030, payload: "temp=21" },
    ];
    // What Firehose archives from the raw stream: one envelope per message, exactly as the rule wrote it.
    const archived = published.map((m) => JSON.stringify({ device_id: m.device, site: "plant-a", line: "line-1", ingest_ts: m.ingest, payload_base64: Buffer.from(m.payload).toString("base64") }));
    const asSpooled = published.map((m) => JSON.stringify({ topic: `telemetry/plant-a/line-1/${m.device}`, ingest_ts: m.ingest, payload: m.payload }));
    const run = async (name: string, lines: string[]) => {
      writeFileSync(join(dir, `${name}.jsonl`), `${lines.join("\n")}\n`);
      const out = await replay({ inputPath: join(dir, `${name}.jsonl`), lakeDir: join(dir, `${name}-lake`), now: CLOCK });
      return { counts: out.counts, tables: await Promise.all(LAKE_TABLES.map((t) => tableRows(join(dir, `${name}-lake`), t))) };
    };
    const fromArchive = await run("archive", archived);
    expect(fromArchive.counts).toEqual({ input: 4, accepted: 2, quarantined: 1, duplicates: 1, late: 0 });
    expect(fromArchive).toEqual(await run("spooled", asSpooled));
    const quarantine = fromArchive.tables[LAKE_TABLES.indexOf(QUARANTINE)].map((row) => JSON.parse(String(row)));
    expect(quarantine).toEqual([expect.objectContaining({ reason: "unparseable", device_id: "dev-1", raw_payload: "temp=21" })]);
  });
});

describe("lateness", () => {
  // An export sorted by device: pump-2's hour starts after pump-1's in the file. Live ingest (one watermark
  // across devices, as in the cloud) would flag most of pump-2 late; a backfill judges each device by its own.
  const rows = ["ts,device_id,metric,value"];
  for (const device of ["pump-1", "pump-2"]) for (let i = 0; i < 360; i++) rows.push(`${BASE + i * 10_000},${device},temperature,${20 + (i % 7) / 10}`);
  // pump-1 again, 400 s behind its own newest reading: out of order for that device, late in either mode.
  rows.push(`${BASE + 359 * 10_000 - 400_000},pump-1,temperature,20`);

  it("is judged per device in a backfill, so a file sorted by device loses nothing to lateness", async () => {
    const input = join(dir, "by-device.csv");
    writeFileSync(input, rows.join("\n"));
    const result = await replay({ inputPath: input, lakeDir: join(dir, "by-device-lake"), now: CLOCK });
    expect(result.counts).toEqual({ input: 721, accepted: 721, quarantined: 0, duplicates: 0, late: 1 });
  });

  it("is judged per device and metric in a backfill, so a CSV sorted by metric loses nothing to lateness", async () => {
    // Every device's temperature hour, then every device's pressure hour: each pressure row is an hour behind its
    // device's newest temperature row, but not behind anything of its own series.
    const byMetric = ["ts,device_id,metric,value"];
    for (const metric of ["temperature", "pressure"]) for (const device of ["pump-1", "pump-2"]) for (let i = 0; i < 360; i++) byMetric.push(`${BASE + i * 10_000},${device},${metric},${20 + (i % 7) / 10}`);
    byMetric.push(`${BASE + 359 * 10_000 - 400_000},pump-1,pressure,20`);
    const input = join(dir, "by-metric.csv");
    writeFileSync(input, byMetric.join("\n"));
    const result = await replay({ inputPath: input, lakeDir: join(dir, "by-metric-lake"), now: CLOCK });
    expect(result.counts).toEqual({ input: 1441, accepted: 1441, quarantined: 0, duplicates: 0, late: 1 });
  });

  it("is judged across devices in arrival order in live mode, as the Flink source does", async () => {
    const input = join(dir, "by-device-live.csv");
    // Live mode judges event times against ingest time: give every row an ingest time just after its event time.
    writeFileSync(input, ["ts,device_id,metric,value,ingest_ts", ...rows.slice(1).map((r) => `${r},${Number(r.split(",")[0]) + 50}`)].join("\n"));
    const result = await replay({ inputPath: input, lakeDir: join(dir, "by-device-live-lake"), now: CLOCK, mode: "live" });
    // pump-2 readings 0-329 are at least 300 s behind pump-1's last one (3590 s; reading 329 exactly, late as in
    // Flink, where a record not after the watermark is late); then the out-of-order pump-1 reading.
    expect(result.counts.late).toBe(330 + 1);
  });
});

describe("progress", () => {
  it("reports every chunk, then every publish step from 0 (the analytics too, not only the table writes)", async () => {
    const input = join(dir, "progress.jsonl");
    writeFileSync(input, `${Array.from({ length: 50 }, (_, i) => message(`dev-${i % 3}`, `p${i}`, BASE + i * 1000)).join("\n")}\n`);
    const events: string[] = [];
    await replay({ inputPath: input, lakeDir: join(dir, "progress-lake"), now: CLOCK, chunkBytes: 2048, onProgress: (p) => events.push(`${p.phase} ${p.done}/${p.total} ${p.records}`) });
    const validate = events.filter((e) => e.startsWith("validate"));
    const chunks = Number(validate[0].split("/")[1].split(" ")[0]);
    expect(chunks).toBeGreaterThan(2);
    expect(validate.at(-1)).toBe(`validate ${chunks}/${chunks} 50`);
    expect(events.filter((e) => e.startsWith("publish"))).toEqual(Array.from({ length: 11 }, (_, i) => `publish ${i}/10 50`));
  });
});

describe("replay of CSV long form", () => {
  it("reads ISO-8601 and epoch-ms rows, defaults site and line, quarantines bad rows", async () => {
    const input = join(dir, "long.csv");
    writeFileSync(input, ["ts,device_id,metric,value", "2026-11-22T08:00:00Z,pump-1,temperature,21.5", `${BASE + 1000},pump-1,temperature,21.7`,
      "2026-11-22T08:00:02.5+00:00,pump-1,vibration,NaN", "2026-11-22T08:00:03Z,pump-1,vibration,fast", "1969-07-20T20:17:00Z,pump-1,vibration,1", "2026-11-22T08:00:00Z,pump-1,temperature,21.5", "a,b"].join("\r\n"));
    const result = await replay({ inputPath: input, lakeDir: join(dir, "csv-lake"), now: CLOCK });
    expect(result.counts).toEqual({ input: 7, accepted: 2, quarantined: 4, duplicates: 1, late: 0 });
    expect(result.byReason).toMatchObject({ non_finite: 1, schema: 1, timestamp_out_of_range: 1, unparseable: 1 });
    const readings = (await tableRows(join(dir, "csv-lake"), READINGS)).map((r) => JSON.parse(r) as Record<string, unknown>);
    expect(readings.map((r) => [r.site, r.line, r.device_id, r.value])).toEqual([["default", "default", "pump-1", 21.5], ["default", "default", "pump-1", 21.7]]);
  });

  it("refuses a CSV without the long-form header, naming what is missing", async () => {
    const input = join(dir, "bad.csv");
    writeFileSync(input, "time,device,value\n1,2,3\n");
    await expect(replay({ inputPath: input, lakeDir: join(dir, "bad-lake") })).rejects.toThrow(/unknown column\(s\) time, device/);
  });
});

describe("replay of generated hostile input", () => {
  it("never crashes, conserves every record and agrees with the reference validator's reasons", async () => {
    const fileArb = fc
      .array(fc.oneof(jsonLineArb, sensorFlatLineArb, sensorFlatLineArb), { minLength: 1, maxLength: 40 })
      .chain((lines) => fc.array(fc.nat(lines.length - 1), { maxLength: 5 }).map((repeats) => [...lines, ...repeats.map((i) => lines[i])]));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fileArb, async (lines) => {
        run += 1;
        const input = join(dir, `hostile-${run}.jsonl`);
        writeFileSync(input, `${lines.join("\n")}\n`);
        const result = await replay({ inputPath: input, lakeDir: join(dir, `hostile-lake-${run}`), now: CLOCK, chunkBytes: 2048 });
        const records = lines.map((l) => Buffer.from(l).toString()).filter((l) => !/^[ \t\r]*$/.test(l));
        const verdicts = records.map((line) => classify({ format: "jsonl", line }, { mode: "replay", ingestTs: CLOCK }));
        const expectedReasons = Object.fromEntries(Object.keys(QUARANTINE_REASONS).map((r) => [r, 0]));
        for (const v of verdicts) if (v.outcome === "quarantined") expectedReasons[v.reason] += 1;
        expect(result.counts.input).toBe(records.length);
        expect(result.byReason).toEqual(expectedReasons);
        expect(result.counts.accepted + result.counts.duplicates).toBe(verdicts.filter((v) => v.outcome === "accepted").length);
        expect(result.conservation).toBe(conservationLine(result.counts));
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 8) },
    );
  });
});

describe("replay of huge finite values", () => {
  it("quarantines |value| > 1e12 as non_finite instead of overflowing the window statistics", async () => {
    const input = join(dir, "huge.jsonl");
    const huge = [1e308, -1e308, 1e13, 1e12, 21.5].map((value, i) => message("dev-0", `h${i}`, BASE + i * 1000, value));
    writeFileSync(input, `${huge.join("\n")}\n`);
    const result = await replay({ inputPath: input, lakeDir: join(dir, "huge-lake"), now: CLOCK });
    expect(result.counts).toEqual({ input: 5, accepted: 2, quarantined: 3, duplicates: 0, late: 0 });
    expect(result.byReason.non_finite).toBe(3);
  });
});

describe("conservation check", () => {
  it("formats the line and throws when the books do not balance", () => {
    expect(checkConservation({ input: 10, accepted: 6, quarantined: 3, duplicates: 1, late: 2 })).toBe("input 10 = accepted 6 + quarantined 3 + duplicates 1 (late 2 of 6)");
    expect(() => checkConservation({ input: 10, accepted: 6, quarantined: 3, duplicates: 0, late: 0 })).toThrow(ConservationError);
    expect(() => checkConservation({ input: 10, accepted: 6, quarantined: 3, duplicates: 1, late: 7 })).toThrow(/does not hold/);
  });
});

describe("sqlString", () => {
  it("round-trips quotes and unicode through DuckDB and refuses NUL", async () => {
    const hostile = ["it's", "''; DROP TABLE x; --", "ünï/cødé \"path\"", "\\n"];
    const rows = await withDuckDb((run) => run(`SELECT ${hostile.map((h, i) => `${sqlString(h)} AS v${i}`).join(", ")}`));
    expect(Object.values(rows[0])).toEqual(hostile);
    expect(() => sqlString("a\0b")).toThrow(/NUL/);
  });
});

describe("replay with nothing accepted", () => {
  it("publishes empty readings, aggregates, anomalies and alerts tables as empty directories", async () => {
    const input = join(dir, "all-bad.jsonl");
    writeFileSync(input, '{"device_id":"press-01","ingest_ts":1795305600000}\nnot json\n');
    const result = await replay({ inputPath: input, lakeDir: join(dir, "empty-lake"), now: CLOCK });
    expect(result.conservation).toBe("input 2 = accepted 0 + quarantined 2 + duplicates 0 (late 0 of 0)");
    expect(readdirSync(join(dir, "empty-lake", READINGS.name))).toEqual([]);
    // The first line carries its own ingest time (2026-11-22); the unparseable one gets the replay clock.
    expect(result.filesWritten).toEqual(["quarantine/dt=2026-11-22/part-0.parquet", "quarantine/dt=2026-11-23/part-0.parquet"]);
  });
});
