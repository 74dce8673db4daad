/**
 * What `iotpipe replay` says in the first hour with one's own files: appending, re-running and replacing, a
 * CSV without the extension that says so, and each way an input or lake is refused — every refusal with its
 * own next step (the "a replay resumes" hint only where a run was interrupted).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_ANALYTICS } from "../../analytics/definition";
import { fullyJudgedFrom } from "../../analytics/warmup";
import { EXIT } from "../../cli/errors";
import { replay } from "../../local/replay";
import { cli } from "./run-cli";

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-replay-messages-"))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const BASE = Date.UTC(2026, 10, 2, 8);
/** CSV long-form rows of one device every 10 s, `from` … `to` (exclusive) in readings. */
function csvRows(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, k) => `${new Date(BASE + (from + k) * 10_000).toISOString()},oven01,temperature,${(180 + ((from + k) % 7) * 0.3).toFixed(1)}`);
}
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

describe("appending, re-running and replacing", () => {
  test("a second file adds to the lake, the same file again changes nothing, --replace says what it drops", async () => {
    const lake = path.join(dir, "lake");
    const part1 = write("day1.csv", `ts,device_id,metric,value\n${csvRows(0, 30).join("\n")}\n`);
    const part2 = write("day2.csv", `ts,device_id,metric,value\n${csvRows(30, 50).join("\n")}\n`);
    expect((await cli("replay", "--input", part1, "--out", lake)).code).toBe(EXIT.ok);

    const second = await cli("replay", "--input", part2, "--out", lake);
    expect(second.code).toBe(EXIT.ok);
    expect(second.out).toMatch(/^replayed .*day2\.csv into .* \(added to the 1 input it held\)/m);
    expect(second.out).toMatch(/^  input 20 = accepted 20 \+ quarantined 0 \+ duplicates 0 \(late 0 of 20\)  ✓$/m);

    const again = await cli("replay", "--input", part2, "--out", lake);
    expect(again.code).toBe(EXIT.ok);
    expect(again.out).toMatch(/already holds .*day2\.csv: the same content was replayed on .* UTC; nothing changed/);
    const counted = await cli("sql", "--lake", lake, "SELECT count(*) AS n FROM readings");
    expect(counted.out).toMatch(/^50$/m);

    const replaced = await cli("replay", "--input", part2, "--out", lake, "--replace");
    expect(replaced.code).toBe(EXIT.ok);
    expect(replaced.err).toMatch(/--replace drops everything .* holds and publishes this input alone:/);
    expect(replaced.err).toMatch(/^  readings\s+50 rows  dt=2026-11-02$/m);
    expect(replaced.err).toMatch(/from 2 inputs: .*day1\.csv \(30 records, .*day2\.csv \(20 records/);
    expect((await cli("sql", "--lake", lake, "SELECT count(*) AS n FROM readings")).out).toMatch(/^20$/m);
  });
});

describe("reading the input", () => {
  test("a CSV named .txt is read as CSV, from its first line, and says so", async () => {
    const input = write("export.txt", `ts,device_id,metric,value\n${csvRows(0, 5).join("\n")}\n`);
    const r = await cli("replay", "--input", input, "--out", path.join(dir, "txt-lake"));
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/read .*export\.txt as CSV: its extension does not say, its first line does/);
    expect(r.out).toMatch(/input 5 = accepted 5 \+ quarantined 0/);
    // Five readings: the statistical rules judged nothing, and the summary says so.
    expect(r.out).toContain(`judging 0 series, warming up 1: oven01/temperature 5 of ${fullyJudgedFrom(DEFAULT_ANALYTICS)}`);
    expect(r.out).toMatch(/no series has enough readings yet/);
  });

  test("an input of which nothing is accepted fails, saying how it was read and what it found", async () => {
    const input = write("wrong.jsonl", `ts,device_id,metric,value\n${csvRows(0, 3).join("\n")}\n`);
    const r = await cli("replay", "--input", input, "--out", path.join(dir, "wrong-lake"));
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(/error: nothing accepted: read .*wrong\.jsonl as JSON Lines \(from its extension\), and all 4 records were quarantined \(unparseable 4\)/);
    expect(r.err).toMatch(/next: they are kept in .*quarantine: .*if the file is CSV, replay it with --format csv/);
  });

  test.each([
    ["no header", `${csvRows(0, 3).join("\n")}\n`, /the first line ".*" is data, not a header/, /next: add the header as the first line: ts,device_id,metric,value/],
    ["a semicolon separator", `ts;device_id;metric;value\n2026-11-02T08:00:00Z;oven01;temperature;20\n`, /is separated by semicolons; CSV input is separated by commas/, /next: re-export the file with commas/],
    ["an unknown column", `time,device,metric,value\n1,2,3,4\n`, /CSV header has unknown column\(s\) time, device/, /next: name the columns as the long form does/],
    ["only a header", "ts,device_id,metric,value\n", /as CSV: it holds no records after the header/, /next: check that this is the export you meant/],
    ["no bytes", "", /is empty \(0 bytes\)/, /next: check that this is the export you meant/],
  ])("a CSV with %s is refused with its own next step", async (_case, text, message, next) => {
    const input = write(`case-${_case.replace(/\W+/g, "-")}.csv`, text);
    const r = await cli("replay", "--input", input, "--out", path.join(dir, "refused-lake"));
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(next);
    expect(r.err).not.toMatch(/resumes/);
  });
});

describe("the lake directory", () => {
  test("--out naming a file, or a path below a file, is refused with its own next step", async () => {
    const input = write("ok.csv", `ts,device_id,metric,value\n${csvRows(0, 2).join("\n")}\n`);
    const file = write("not-a-dir", "x");
    const onFile = await cli("replay", "--input", input, "--out", file);
    expect(onFile.code).toBe(EXIT.failed);
    expect(onFile.err).toMatch(/error: the lake .*not-a-dir is a file, not a directory/);
    expect(onFile.err).toMatch(/next: --out names the lake directory/);
    const below = await cli("replay", "--input", input, "--out", path.join(file, "lake"));
    expect(below.err).toMatch(/error: cannot write the lake .*not-a-dir\/lake: ENOTDIR/);
    expect(below.err).toMatch(/next: choose a --out directory you can write to/);
    for (const r of [onFile, below]) expect(r.err).not.toMatch(/resumes/);
  });
});

describe("quarantine details", () => {
  test("name the field and the file line, and say when a 10-digit ts looks like epoch seconds", async () => {
    const rows = csvRows(0, 30);
    rows[5] = "2026-11-02T08:00:55Z,oven01,temperature,hot";
    rows[12] = "1762070400,oven01,temperature,20.5";
    rows[20] = "02/11/2026 08:03,oven01,temperature,20.5";
    const input = write("fields.csv", `ts,device_id,metric,value\n${rows.join("\n")}\n`);
    const lake = path.join(dir, "fields-lake");
    // Small chunks: line numbers must count the lines of the chunks before, and the header.
    await replay({ inputPath: input, lakeDir: lake, chunkBytes: 200 });
    const r = await cli("sql", "--lake", lake, "SELECT detail FROM quarantine ORDER BY detail");
    expect(r.out).toMatch(/^line 14: ts 1762070400 is 1970-01-21 as epoch milliseconds; it looks like epoch seconds \(2025-11-02T08:00:00Z\): ts must be epoch milliseconds \(seconds × 1000\)$/m);
    expect(r.out).toMatch(/^line 22: field ts "02\/11\/2026 08:03" is neither epoch milliseconds nor ISO-8601/m);
    expect(r.out).toMatch(/^line 7: field value "hot" is not a number$/m);
  });
});

describe("help", () => {
  test("replay --help names the optional CSV columns and how a replay adds to a lake", async () => {
    const r = await cli("replay", "--help");
    expect(r.out).toMatch(/Optional columns, in any order: site,line \(default "default"\), unit, msg_id, seq/);
    expect(r.out).toMatch(/ingest_ts \(epoch ms; default: the replay's clock\)/);
    expect(r.out).toMatch(/--replace\s+drop everything the lake holds/);
  });

  test("sql --help states the --max-rows default once", async () => {
    const r = await cli("sql", "--help");
    expect(r.out.match(/default:? 50/g)).toEqual(["default: 50"]);
  });
});

describe("--stack-config", () => {
  test("a misspelled namespace in the stack file is an error naming the key it was meant to be", async () => {
    const stack = write("Pulumi.mine.yaml", "config:\n  iotpip:alertHoldSeconds: 600\n  aws:region: eu-west-1\n");
    const input = write("stack-input.csv", `ts,device_id,metric,value\n${csvRows(0, 2).join("\n")}\n`);
    const r = await cli("replay", "--input", input, "--out", path.join(dir, "stack-lake"), "--stack-config", stack);
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(/iotpip:alertHoldSeconds is not read: its namespace "iotpip" is not "iotpipe"; did you mean iotpipe:alertHoldSeconds\?/);
  });
});

describe("a file that grows", () => {
  test("replayed again after it grew, adds only its new lines (records without ids are not doubled)", async () => {
    // A spool of envelope lines without msg_id or seq: nothing could tell a re-read line from a new one.
    const line = (i: number) => JSON.stringify({ topic: "telemetry/plant-a/line-1/oven01", ingest_ts: BASE + i * 10_000 + 5, payload: JSON.stringify({ ts: BASE + i * 10_000, readings: [{ metric: "temperature", value: 180 + (i % 5) }] }) });
    const spool = write("spool.jsonl", `${Array.from({ length: 10 }, (_, i) => line(i)).join("\n")}\n`);
    const lake = path.join(dir, "spool-lake");
    expect((await cli("replay", "--input", spool, "--out", lake)).code).toBe(EXIT.ok);
    fs.appendFileSync(spool, `${Array.from({ length: 5 }, (_, i) => line(10 + i)).join("\n")}\n`);
    const grown = await cli("replay", "--input", spool, "--out", lake);
    expect(grown.code).toBe(EXIT.ok);
    expect(grown.out).toMatch(/it has grown since it was replayed on .* UTC: its first \d+ bytes \(10 records\) were in the lake already; only the rest was replayed/);
    expect(grown.out).toMatch(/^  input 5 = accepted 5 \+ quarantined 0 \+ duplicates 0/m);
    expect((await cli("sql", "--lake", lake, "SELECT count(*) AS n FROM readings")).out).toMatch(/^15$/m);
  });

  test("a grown CSV keeps its header: the new rows are read with it, and their lines are the file's", async () => {
    const csv = write("grows.csv", `ts,value,metric,device_id\n${csvRows(0, 10).map((r) => r.split(",")).map(([t, d, m, v]) => [t, v, m, d].join(",")).join("\n")}\n`);
    const lake = path.join(dir, "grows-lake");
    expect((await cli("replay", "--input", csv, "--out", lake)).code).toBe(EXIT.ok);
    fs.appendFileSync(csv, `${new Date(BASE + 100_000).toISOString()},hot,temperature,oven01\n${new Date(BASE + 110_000).toISOString()},21.5,temperature,oven01\n`);
    const grown = await cli("replay", "--input", csv, "--out", lake);
    expect(grown.out).toMatch(/^  input 2 = accepted 1 \+ quarantined 1 \+ duplicates 0/m);
    expect((await cli("sql", "--lake", lake, "SELECT detail FROM quarantine")).out).toMatch(/^line 12: field value "hot" is not a number$/m);
    expect((await cli("sql", "--lake", lake, "SELECT count(*) AS n FROM readings")).out).toMatch(/^11$/m);
  });
});

describe("JSON Lines schema details", () => {
  test("name the field of the device message that does not fit, with the file line", async () => {
    const message = (fields: Record<string, unknown>) => JSON.stringify({ topic: "telemetry/plant-a/line-1/oven01", ts: BASE, readings: [{ metric: "temperature", value: 20 }], ...fields });
    const input = write("schema.jsonl", [
      message({}),
      message({ ts: "yesterday" }),
      message({ readings: [{ metric: "temperature", value: "20.5" }] }),
      message({ readings: [] }),
    ].join("\n") + "\n");
    const lake = path.join(dir, "schema-lake");
    expect((await cli("replay", "--input", input, "--out", lake)).code).toBe(EXIT.ok);
    const r = await cli("sql", "--lake", lake, "SELECT detail FROM quarantine ORDER BY detail");
    expect(r.out).toMatch(/^line 2: field ts "yesterday" is not a whole number of epoch milliseconds$/m);
    expect(r.out).toMatch(/^line 3: field readings\[\]\.value is missing or not a number$/m);
    expect(r.out).toMatch(/^line 4: field readings is empty$/m);
  });
});
