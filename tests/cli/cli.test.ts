import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EXIT } from "../../cli/errors";
import { cli } from "./run-cli";


let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-cli-"))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("command line errors", () => {
  test("--help lists the commands, the first steps and the exit codes", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(EXIT.ok);
    for (const command of ["simulate", "replay", "report", "sql", "broker", "publish", "demo"]) expect(r.out).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    expect(r.out).toMatch(/npm run demo/);
    expect(r.out).toMatch(/3 conservation check failed/);
  });

  test("an unknown command is a usage error that points at --help", async () => {
    const r = await cli("simulat");
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/unknown command 'simulat'/);
    expect(r.err).toMatch(/Did you mean simulate\?/);
  });

  test("a missing required option names it", async () => {
    const r = await cli("simulate");
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/required option '--out <dir>' not specified/);
  });

  test.each([
    [["--hours", "abc"], /option '--hours <h>' argument 'abc' is invalid\. must be a number greater than 0/],
    [["--hours", "-2"], /'--hours <h>' argument '-2' is invalid/],
    [["--sites", "0"], /'--sites <n>' argument '0' is invalid\. must be a whole number from 1 to 26/],
    [["--cadence-seconds", "2.5"], /'--cadence-seconds <s>' argument '2.5' is invalid/],
    [["--seed", "x"], /'--seed <n>' argument 'x' is invalid/],
    [["--start", "yesterday"], /'--start <iso>' argument 'yesterday' is invalid\. must be an ISO-8601 time/],
    [["--fault-rate", "-1"], /'--fault-rate <x>' argument '-1' is invalid/],
  ])("simulate %j is refused", async (args, message) => {
    const r = await cli("simulate", "--out", path.join(dir, "never"), ...(args as string[]));
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(message as RegExp);
    expect(fs.existsSync(path.join(dir, "never"))).toBe(false);
  });

  test("report refuses an impossible date and a missing lake, saying what to do", async () => {
    const badDate = await cli("report", "--date", "2026-02-30", "--lake", dir);
    expect(badDate.code).toBe(EXIT.usage);
    expect(badDate.err).toMatch(/must be a date as YYYY-MM-DD/);
    const noLake = await cli("report", "--date", "2026-11-02", "--lake", path.join(dir, "no-lake"));
    expect(noLake.code).toBe(EXIT.failed);
    expect(noLake.err).toMatch(/error: lake directory .*no-lake does not exist/);
    expect(noLake.err).toMatch(/next: write one with `iotpipe replay/);
  });

  test("demo refuses to empty a directory it did not make", async () => {
    const precious = path.join(dir, "precious");
    fs.mkdirSync(precious);
    fs.writeFileSync(path.join(precious, "thesis.tex"), "do not delete");
    const r = await cli("demo", "--dir", precious, "--no-mqtt", "--no-report");
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(/refusing to empty .*precious: it is not empty and was not made by the demo/);
    expect(fs.readFileSync(path.join(precious, "thesis.tex"), "utf8")).toBe("do not delete");
  });

  test("publish to a broker that is not there fails clearly", async () => {
    const input = path.join(dir, "one.jsonl");
    fs.writeFileSync(input, '{"topic":"telemetry/a/b/c","ts":1,"readings":[{"metric":"temperature","value":1}]}\n');
    const r = await cli("publish", "--input", input, "--url", "mqtt://127.0.0.1:1");
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(/error: cannot connect to the MQTT broker at mqtt:\/\/127\.0\.0\.1:1/);
    expect(r.err).toMatch(/next: start a broker with a plain listener first \(iotpipe broker --plain-port 1883\)/);
  });
});

describe("iotpipe sql", () => {
  test("queries the lake's tables by their Athena names and prints aligned rows; a bad query names the tables", async () => {
    const base = Date.UTC(2026, 10, 22, 8);
    const lines = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ topic: "telemetry/plant-a/line-1/oven-2", ts: base + i * 5000, msg_id: `s${i}`, readings: [{ metric: "temperature", value: i === 20 ? 455 : 20, unit: "degC" }] }),
    );
    const input = path.join(dir, "sql.jsonl");
    fs.writeFileSync(input, `${lines.join("\n")}\n`);
    const lake = path.join(dir, "sql-lake");
    expect((await cli("replay", "--input", input, "--out", lake)).code).toBe(EXIT.ok);
    const r = await cli("sql", "--lake", lake, "SELECT rule, count(*) AS n, max(value) AS peak FROM anomalies GROUP BY rule ORDER BY rule");
    expect(r.err).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(r.out.split("\n").slice(0, 4)).toEqual(["rule          n  peak", "------------  -  ----", "static_limit  1  455", "(1 row)"]);
    const capped = await cli("sql", "--lake", lake, "SELECT device_id, event_ts FROM readings ORDER BY event_ts", "--max-rows", "2");
    expect(capped.out).toMatch(/^oven-2\s+2026-11-22 08:00:00$/m);
    expect(capped.out).toMatch(/\(first 2 rows shown, more not read; --max-rows to see more\)/);
    expect(capped.out.split("\n").filter((l) => l.startsWith("oven-2"))).toHaveLength(2);
    const bad = await cli("sql", "--lake", lake, "SELECT * FROM anomaly");
    expect(bad.code).toBe(EXIT.failed);
    expect(bad.err).toMatch(/query failed: .*anomaly/);
    expect(bad.err).toMatch(/readings, aggregates, anomalies, alerts and quarantine/);
  });
});

describe("iotpipe report refuses a scope the lake has no readings for", () => {
  let lake: string;
  beforeAll(async () => {
    const base = Date.UTC(2026, 10, 22, 8);
    const lines = ["plant-a", "plant-b"].flatMap((site) =>
      Array.from({ length: 10 }, (_, i) =>
        JSON.stringify({ topic: `telemetry/${site}/line-1/oven-1`, ts: base + i * 5000, msg_id: `${site}-${i}`, readings: [{ metric: "temperature", value: 20, unit: "degC" }] }),
      ),
    );
    const input = path.join(dir, "scope.jsonl");
    fs.writeFileSync(input, `${lines.join("\n")}\n`);
    lake = path.join(dir, "scope-lake");
    expect((await cli("replay", "--input", input, "--out", lake)).code).toBe(EXIT.ok);
  });

  test("a mistyped --site fails naming the sites the lake has, and writes nothing", async () => {
    const out = path.join(dir, "scope-reports");
    const r = await cli("report", "--date", "2026-11-22", "--lake", lake, "--site", "plant-c", "--out", out);
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(/site 'plant-c' has no readings in the lake from 2026-11-15 to 2026-11-22 .* sites with readings on 2026-11-22: plant-a, plant-b; the lake holds readings for 2026-11-22/);
    expect(r.err).toMatch(/next: name a site from the list with --site/);
    expect(r.err).not.toMatch(/check the date has data/);
    expect(fs.existsSync(out)).toBe(false);
  });

  test("a date with no readings in its window fails naming the days the lake holds", async () => {
    const r = await cli("report", "--date", "2026-12-22", "--lake", lake, "--out", path.join(dir, "scope-reports"));
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(/the lake has no readings from 2026-12-15 to 2026-12-22 .*; the lake holds readings for 2026-11-22/);
    expect(fs.existsSync(path.join(dir, "scope-reports"))).toBe(false);
  });

  test("a site quiet on the day but seen in the lookback days is a real record", async () => {
    const r = await cli("report", "--date", "2026-11-23", "--lake", lake, "--site", "plant-b", "--out", path.join(dir, "scope-quiet"));
    expect(r.err).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/0 sensors reported 0 readings/);
    expect(r.out).toMatch(/1 silent all day/);
  });
});

describe("iotpipe report output", () => {
  test("--help shows every default", async () => {
    const r = await cli("report", "--help");
    expect(r.code).toBe(EXIT.ok);
    for (const text of ["(default: <lake>/_reports)", "(default: all sites)", "(default: 7)", "(default: 900)", "(default: the", "(default: no\n"]) {
      expect(r.out.replace(/\s+/g, " ")).toContain(text.replace(/\s+/g, " "));
    }
  });

  test("without --out the report goes inside the lake, never beside it", async () => {
    const base = Date.UTC(2026, 10, 22, 8);
    const lines = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({ topic: "telemetry/plant-a/line-1/oven-9", ts: base + i * 5000, msg_id: `d${i}`, readings: [{ metric: "temperature", value: 20, unit: "degC" }] }),
    );
    const parent = fs.mkdtempSync(path.join(dir, "default-out-"));
    fs.writeFileSync(path.join(parent, "in.jsonl"), `${lines.join("\n")}\n`);
    const lake = path.join(parent, "lake");
    expect((await cli("replay", "--input", path.join(parent, "in.jsonl"), "--out", lake)).code).toBe(EXIT.ok);
    const r = await cli("report", "--date", "2026-11-22", "--lake", lake);
    expect(r.err).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(fs.existsSync(path.join(lake, "_reports", "2026-11-22", "all", "report.html"))).toBe(true);
    expect(r.out).toContain(path.join("_reports", "2026-11-22", "all", "manifest.json"));
    expect(fs.readdirSync(parent).sort()).toEqual(["in.jsonl", "lake"]);
    // The report folder is no lake table: sql sees the tables only.
    const tables = await cli("sql", "--lake", lake, "SELECT count(*) AS n FROM readings");
    expect(tables.out).toMatch(/^10$/m);
  });
});

describe("iotpipe report --stack-config", () => {
  test("draws the stack's static limits on the range chart; a report that would differ is amended, never replaced", async () => {
    const base = Date.UTC(2026, 10, 22, 8);
    const lines = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ topic: "telemetry/plant-a/line-1/oven-3", ts: base + i * 5000, msg_id: `r${i}`, readings: [{ metric: "temperature", value: 20 + i, unit: "degC" }] }),
    );
    const input = path.join(dir, "limits.jsonl");
    fs.writeFileSync(input, `${lines.join("\n")}\n`);
    const lake = path.join(dir, "limits-lake");
    expect((await cli("replay", "--input", input, "--out", lake)).code).toBe(EXIT.ok);
    const stackFile = path.join(dir, "Pulumi.plant.yaml");
    fs.writeFileSync(stackFile, "config:\n  iotpipe:staticLimits:\n    - temperature@plant-a/line-1=5..90\n");
    const out = path.join(dir, "limits-reports");
    const r = await cli("report", "--date", "2026-11-22", "--lake", lake, "--out", out, "--stack-config", stackFile);
    expect(r.err).toBe("");
    expect(r.code).toBe(EXIT.ok);
    const html = fs.readFileSync(path.join(out, "2026-11-22", "all", "report.html"), "utf8");
    expect(html).toMatch(/<title>Lower limit 5 \(specification\)(, off the scale)?<\/title>/);
    expect(html).toMatch(/<title>Upper limit 90 \(specification\)(, off the scale)?<\/title>/);
    // The sensor log records the limits that applied: the stack's line override.
    expect(fs.readFileSync(path.join(out, "2026-11-22", "all", "daily-sensor-log.csv"), "utf8")).toMatch(/,oven-3,temperature,degC,.*,5\.0,90\.0\r\n/);

    // The stack's limits change what the day's report says: the locked one stands, and the way forward is an amendment.
    const plain = await cli("report", "--date", "2026-11-22", "--lake", lake, "--out", out);
    expect(plain.code).toBe(EXIT.failed);
    expect(plain.err).toMatch(/already locked at .*manifest\.json/);
    expect(plain.err).toMatch(/next: compare the locked report with the lake; to record what the lake says now, re-run with --amend "<reason>"/);
    expect(plain.err).not.toMatch(/check the date has data/);
    const amended = await cli("report", "--date", "2026-11-22", "--lake", lake, "--out", out, "--amend", "limits drawn from the shipped catalog, as agreed with QA");
    expect(amended.err).toBe("");
    expect(amended.code).toBe(EXIT.ok);
    expect(amended.out).toMatch(/wrote amendment 1: 8 files, manifest .*2026-11-22\/all\/amendments\/1\/manifest\.json/);
    expect(amended.out).toMatch(/it supersedes \.\.\/\.\.\/manifest\.json \(generated .*\), which stays as it was; reason: limits drawn from the shipped catalog, as agreed with QA/);
    expect(fs.readFileSync(path.join(out, "2026-11-22", "all", "report.html"), "utf8")).toBe(html);
    const again = await cli("report", "--date", "2026-11-22", "--lake", lake, "--out", out, "--amend", "same again");
    expect(again.out).toMatch(/unchanged: .*amendments\/1\/manifest\.json already says this; nothing written/);
  });
});

describe("iotpipe simulate", () => {
  test("writes messages and labels, and says what it wrote and what to run next", async () => {
    const out = path.join(dir, "sim");
    const r = await cli("simulate", "--out", out, "--seed", "3", "--hours", "1", "--sites", "1", "--lines", "1", "--devices", "2", "--cadence-seconds", "30");
    expect(r.code).toBe(EXIT.ok);
    const labels = JSON.parse(fs.readFileSync(path.join(out, "labels.json"), "utf8"));
    const lines = fs.readFileSync(path.join(out, "messages.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(labels.expected.lines);
    expect(labels.config).toMatchObject({ seed: 3, hours: 1, cadenceSeconds: 30, shape: { sites: 1, linesPerSite: 1, devicesPerLine: 2 } });
    expect(r.out).toMatch(/simulated 2 devices for 1 h from 2026-11-02T06:00:00.000Z \(seed 3\)/);
    expect(r.out).toMatch(new RegExp(`messages\\.jsonl: ${labels.expected.lines} lines`));
    expect(r.out).toMatch(/next: iotpipe replay --input .*messages\.jsonl --out <lake-dir>/);
  });
});

describe("iotpipe replay", () => {
  test("replays a simulated file into a lake and prints the conservation line", async () => {
    const sim = path.join(dir, "replay-sim");
    expect((await cli("simulate", "--out", sim, "--hours", "1", "--sites", "1", "--lines", "1", "--devices", "2", "--cadence-seconds", "30", "--fault-rate", "0")).code).toBe(EXIT.ok);
    const lake = path.join(dir, "replay-lake");
    const r = await cli("replay", "--input", path.join(sim, "messages.jsonl"), "--out", lake);
    expect(r.err).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/^  input 240 = accepted 240 \+ quarantined 0 \+ duplicates 0 \(late 0 of 240\)  ✓$/m);
    expect(r.out).toMatch(/readings: 960 accepted, 0 late/);
    expect(r.out).toMatch(/next: iotpipe report --date 2026-11-02 --lake /);
    expect(fs.readdirSync(path.join(lake, "readings"))).toEqual(["dt=2026-11-02"]);
  });

  test("prints the alert transitions it stored: one open and one cleared per episode", async () => {
    // 60 readings every 5 s; three above temperature's 400 degC limit from 08:00:50: one critical episode.
    const base = Date.UTC(2026, 10, 22, 8);
    /** Readings `from` to `to` (exclusive) of oven-1, every 5 s, with `hot(i)` ones far above the limit. */
    const writeOven = (file: string, from: number, to: number, hot: (i: number) => number | undefined) => {
      const lines = Array.from({ length: to - from }, (_, k) => {
        const i = from + k;
        const value = hot(i) ?? 20 + (i % 3) * 0.1;
        return JSON.stringify({ topic: "telemetry/plant-a/line-1/oven-1", ingest_ts: base + i * 5000 + 20, msg_id: `m${i}`, ts: base + i * 5000, readings: [{ metric: "temperature", value, unit: "degC" }] });
      });
      fs.writeFileSync(file, `${lines.join("\n")}\n`);
      return file;
    };
    const input = writeOven(path.join(dir, "alerts.jsonl"), 0, 60, (i) => (i >= 10 && i < 13 ? 450 + i : undefined));
    const lake = path.join(dir, "alerts-lake");
    const r = await cli("replay", "--input", input, "--out", lake);
    expect(r.code).toBe(EXIT.ok);
    const printed = r.out.split("\n").filter((l) => /^  alerts:|^    2026/.test(l));
    expect(printed).toEqual([
      `  alerts: 1 episode opened, 1 cleared, 0 still open at the end of the input (stored in ${path.join(path.relative(process.cwd(), lake), "alerts")})`,
      "    2026-11-22 08:00:50  open     plant-a/line-1/oven-1  temperature  static_limit  critical  peak 460 (limit 400)",
      "    2026-11-22 08:03:00  cleared  plant-a/line-1/oven-1  temperature  static_limit  critical  peak 462 (limit 400), 3 anomalous readings",
    ]);

    // The next 60 readings, appended: one more episode. Only it is printed; the lake's count covers both.
    const next = writeOven(path.join(dir, "alerts-2.jsonl"), 60, 120, (i) => (i >= 80 && i < 82 ? 410 + i : undefined));
    const appended = await cli("replay", "--input", next, "--out", lake);
    expect(appended.code).toBe(EXIT.ok);
    expect(appended.out.split("\n").filter((l) => /^  alerts|^    2026/.test(l))).toEqual([
      `  alerts from this replay: 1 episode opened, 1 cleared; 0 still open at the end of the lake's data (4 transitions stored in ${path.join(path.relative(process.cwd(), lake), "alerts")})`,
      "    2026-11-22 08:06:40  open     plant-a/line-1/oven-1  temperature  static_limit  critical  peak 490 (limit 400)",
      "    2026-11-22 08:08:45  cleared  plant-a/line-1/oven-1  temperature  static_limit  critical  peak 491 (limit 400), 2 anomalous readings",
    ]);
  });

  test("a missing input file says which and what to pass instead", async () => {
    const r = await cli("replay", "--input", path.join(dir, "nope.jsonl"), "--out", path.join(dir, "lake-never"));
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toMatch(/error: replay input .*nope\.jsonl does not exist or is not a file/);
    expect(r.err).toMatch(/next: pass a JSON Lines or CSV file/);
  });

  test("an unknown --format is a usage error", async () => {
    const r = await cli("replay", "--input", "x", "--out", "y", "--format", "xml");
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/'--format <jsonl\|csv>' argument 'xml' is invalid\. must be one of jsonl, csv/);
  });
});
