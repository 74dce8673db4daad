/**
 * A lake grows by appending: a replay adds its input to what the lake holds, continuing each series from its
 * stored history (watermarks, message identities, trailing readings, open alert episodes). Two halves of a file
 * replayed one after the other give the lake of the whole file replayed at once, table by table; the same input
 * again changes nothing; `replace` says what it drops and then holds the new input alone.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_ANALYTICS } from "../../analytics/definition";
import { ALERTS, LAKE_TABLES, QUARANTINE, READINGS } from "../../lake/tables";
import { replay, type ReplaceNotice } from "../../local/replay";
import { ReplayInputError } from "../../local/replay-errors";
import { writeSimulation } from "../../simulator/simulate";
import { CLOCK } from "../contract/arbitraries";
import { tableRows } from "./lake-read";

/** A quarantine row without the `line N: ` its detail starts with. */
const withoutLine = (row: string) => row.replace(/"detail":"line \d+: /, '"detail":"');

interface AlertRow {
  device_id: string;
  metric: string;
  state: string;
  episode_start: string;
  episode_end: string | null;
}

describe("replaying into a lake that already holds data", () => {
  let dir: string;
  let lines: string[];
  let split: number;
  const whole = () => join(dir, "whole-lake");
  const appended = () => join(dir, "appended-lake");
  const part = (n: 1 | 2) => join(dir, `part${n}.jsonl`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "iotpipe-append-test-"));
    // Three devices for four hours across midnight, with faults: two event dates, anomalies and alert episodes.
    const sim = writeSimulation(
      { seed: 11, start: Date.UTC(2026, 10, 2, 22, 0, 0), hours: 4, shape: { sites: 1, linesPerSite: 1, devicesPerLine: 3 }, cadenceSeconds: 5, faultRate: 3 },
      join(dir, "sim"),
    );
    lines = readFileSync(sim.messagesPath, "utf8").trimEnd().split("\n");
    await replay({ inputPath: sim.messagesPath, lakeDir: whole(), now: CLOCK });
    // Cut the file inside an alert episode of the whole run, so that part 2 must continue an open episode.
    const episodes = (await tableRows(whole(), ALERTS)).map((r) => JSON.parse(r) as AlertRow).filter((a) => a.state === "cleared");
    const long = episodes
      .map((a) => ({ start: Date.parse(a.episode_start), end: Date.parse(a.episode_end!) }))
      .filter((e) => e.end - e.start >= 10 * 60_000)
      .sort((a, b) => a.start - b.start);
    expect(long.length).toBeGreaterThan(0);
    const cut = Math.round((long[0].start + long[0].end) / 2);
    split = lines.findIndex((l) => (JSON.parse(l) as { ts?: number }).ts! > cut);
    expect(split).toBeGreaterThan(0);
    writeFileSync(part(1), `${lines.slice(0, split).join("\n")}\n`);
    writeFileSync(part(2), `${lines.slice(split).join("\n")}\n`);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Holds `lake` (part 1, then part 2) equal to the lake of the whole file, table by table. */
  async function expectLakeOfWholeFile(lake: string): Promise<void> {
    for (const table of LAKE_TABLES) {
      // 9 digits: a window summed from two replays adds its readings in another order than one replay does.
      const [a, b] = await Promise.all([tableRows(lake, table, 9), tableRows(whole(), table, 9)]);
      expect({ table: table.name, rows: a.length }).toEqual({ table: table.name, rows: b.length });
      // The one difference: a quarantine detail names the line of the file its record came from (part 2's own).
      expect(table === QUARANTINE ? a.map(withoutLine) : a).toEqual(table === QUARANTINE ? b.map(withoutLine) : b);
    }
    // Each record's line, from part 2's own first line on: the whole file's line less part 1's lines.
    const fileLines = (rows: string[], shift: (line: number) => number) =>
      rows.map((r) => JSON.parse(r) as { raw_payload: string; detail: string }).map((r) => `${shift(Number(/^line (\d+):/.exec(r.detail)![1]))} ${r.raw_payload}`).sort();
    expect(fileLines(await tableRows(lake, QUARANTINE), (l) => l)).toEqual(fileLines(await tableRows(whole(), QUARANTINE), (l) => (l > split ? l - split : l)));
  }

  it("appends part 2 to part 1 and ends with the lake of the whole file, table by table", async () => {
    const first = await replay({ inputPath: part(1), lakeDir: appended(), now: CLOCK });
    expect(first.priorInputs).toBe(0);
    const second = await replay({ inputPath: part(2), lakeDir: appended(), now: CLOCK });
    expect(second.priorInputs).toBe(1);
    // Each replay balances its own input.
    expect(first.counts.input).toBe(split);
    expect(second.counts.input).toBe(lines.length - split);
    expect(second.conservation).toMatch(/^input \d+ = accepted \d+ \+ quarantined \d+ \+ duplicates \d+ \(late \d+ of \d+\)$/);
    // Both event dates are in the lake: the second day's input did not replace the first day's partition.
    expect(readdirSync(join(appended(), READINGS.name)).sort()).toEqual(["dt=2026-11-02", "dt=2026-11-03"]);
    await expectLakeOfWholeFile(appended());
  }, 120_000);

  it("continues the alert episode open at the end of part 1 instead of opening a second one", async () => {
    const alerts = (await tableRows(appended(), ALERTS)).map((r) => JSON.parse(r) as AlertRow);
    const cut = Date.parse(new Date((JSON.parse(lines[split]) as { ts: number }).ts).toISOString());
    const across = alerts.filter((a) => a.state === "cleared" && Date.parse(a.episode_start) < cut && Date.parse(a.episode_end!) > cut);
    expect(across.length).toBeGreaterThan(0);
    for (const episode of across) {
      const opens = alerts.filter((a) => a.state === "open" && a.device_id === episode.device_id && a.metric === episode.metric && Date.parse(a.episode_start) >= Date.parse(episode.episode_start) && Date.parse(a.episode_start) < Date.parse(episode.episode_end!));
      expect(opens).toHaveLength(1);
    }
  });

  it("changes nothing when an input the lake holds is replayed again, whatever its name", async () => {
    const before = await Promise.all(LAKE_TABLES.map((t) => tableRows(appended(), t)));
    const again = await replay({ inputPath: part(2), lakeDir: appended(), now: CLOCK });
    expect(again.alreadyApplied).toMatchObject({ input: part(2) });
    expect(again.counts.input).toBe(lines.length - split);
    writeFileSync(join(dir, "part1-copy.txt"), readFileSync(part(1)));
    const copy = await replay({ inputPath: join(dir, "part1-copy.txt"), lakeDir: appended(), now: CLOCK });
    expect(copy.alreadyApplied).toMatchObject({ input: part(1) });
    expect(await Promise.all(LAKE_TABLES.map((t) => tableRows(appended(), t)))).toEqual(before);
  });

  it("finishes publishing on the next run when stopped between the commit and the last partition swap", async () => {
    const lake = join(dir, "crash-lake");
    await replay({ inputPath: part(1), lakeDir: lake, now: CLOCK });
    // Stop the process's renames at the third: the ledger has committed part 2, some partitions are swapped.
    // The fs module object itself (the one lake-writer's calls go through), not an import's read-only view of it.
    const fs = jest.requireActual<typeof import("node:fs")>("node:fs");
    const rename = fs.renameSync;
    let renames = 0;
    const spy = jest.spyOn(fs, "renameSync").mockImplementation((from, to) => {
      if (++renames === 3) throw new Error("simulated crash");
      rename(from, to);
    });
    await expect(replay({ inputPath: part(2), lakeDir: lake, now: CLOCK })).rejects.toThrow(/simulated crash/);
    spy.mockRestore();
    const next = await replay({ inputPath: part(2), lakeDir: lake, now: CLOCK });
    expect(next.alreadyApplied).toMatchObject({ input: part(2) });
    await expectLakeOfWholeFile(lake);
    expect(readdirSync(lake).filter((e) => e.startsWith("."))).toEqual([]);
  }, 120_000);

  it("refuses to add an input judged with other analytics settings than the lake's", async () => {
    writeFileSync(join(dir, "tail.jsonl"), `${lines.slice(-50).join("\n")}\n`);
    const other = { ...DEFAULT_ANALYTICS, alerts: { ...DEFAULT_ANALYTICS.alerts, holdSeconds: 600 } };
    const attempt = replay({ inputPath: join(dir, "tail.jsonl"), lakeDir: appended(), now: CLOCK, definition: other });
    await expect(attempt).rejects.toBeInstanceOf(ReplayInputError);
    await expect(attempt).rejects.toMatchObject({ problem: "settings_changed" });
  });

  it("with replace, says what it drops, then holds the new input alone", async () => {
    const notices: ReplaceNotice[] = [];
    await replay({ inputPath: part(2), lakeDir: appended(), now: CLOCK, replace: true, onReplace: (n) => notices.push(n) });
    expect(notices).toHaveLength(1);
    expect(notices[0].inputs.map((i) => i.input)).toEqual([part(1), part(2)]);
    const readings = notices[0].tables.find((t) => t.table === READINGS.name)!;
    expect(readings).toEqual({ table: READINGS.name, rows: (await tableRows(whole(), READINGS)).length, first: "2026-11-02", last: "2026-11-03" });
    const alone = join(dir, "part2-alone-lake");
    await replay({ inputPath: part(2), lakeDir: alone, now: CLOCK });
    for (const table of LAKE_TABLES) expect(await tableRows(appended(), table)).toEqual(await tableRows(alone, table));
    // Replaced means forgotten: part 1 is new to the lake again.
    const back = await replay({ inputPath: part(1), lakeDir: appended(), now: CLOCK });
    expect(back.alreadyApplied).toBeNull();
  }, 120_000);
});
