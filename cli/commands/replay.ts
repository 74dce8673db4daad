/** `iotpipe replay`: recorded history (JSON Lines or CSV) through validation, de-duplication and analytics into a lake. */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { ConservationError } from "../../local/conservation";
import { CSV_HEADER_HINT } from "../../local/input-format";
import { replay, type ReplaceNotice, type ReplayResult } from "../../local/replay";
import { ReplayInputError, type ReplayProblem } from "../../local/replay-errors";
import { addedTransitions, alertLines, readAlertTransitions } from "../alert-log";
import { cadenceWarning, slowSeries } from "../cadence";
import { CliError, EXIT } from "../errors";
import type { Io } from "../io";
import { integerIn, oneOf } from "../options";
import { progressBar } from "../progress";
import { seriesReadings, warmupLines } from "../warmup";
import { analyticsFromFlags, analyticsLine, holdSecondsOption, windowsOption, type AnalyticsFlags, type CliAnalytics } from "../stack-analytics";
import { holdSteps } from "../../analytics/definition";

export interface ReplayFlags extends AnalyticsFlags {
  input: string;
  out: string;
  format?: "jsonl" | "csv";
  live?: boolean;
  threads?: number;
  replace?: boolean;
}

/** Quarantine reasons with a count, "unparseable 4, schema 2". */
export function reasonSummary(byReason: Record<string, number>): string {
  const parts = Object.entries(byReason).filter(([, n]) => n > 0).map(([reason, n]) => `${reason} ${n}`);
  return parts.length === 0 ? "none" : parts.join(", ");
}

/** The next step after each way a replay refuses its input or lake (local/replay-errors.ts). */
const NEXT_STEP: Record<ReplayProblem, (flags: ReplayFlags) => string> = {
  input_missing: () => "pass a JSON Lines or CSV file, e.g. one written by `iotpipe simulate --out <dir>`",
  input_unreadable: () => "make the file readable for your user (or copy it somewhere you can read), then run the same command",
  input_empty: () => "check that this is the export you meant: a CSV needs the header line and at least one row",
  csv_no_header: () => `add the header as the first line: ${CSV_HEADER_HINT} (the columns your rows have, in their order)`,
  csv_wrong_separator: () => "re-export the file with commas between fields (or replace the separator), then run the same command",
  csv_bad_header: () => `name the columns as the long form does: ${CSV_HEADER_HINT} (iotpipe replay --help)`,
  lake_not_directory: (flags) => `--out names the lake directory (created when missing); ${flags.out} is a file: pick another path`,
  lake_not_writable: (flags) => `choose a --out directory you can write to, or fix the permissions of ${flags.out}`,
  lake_busy: () => "wait for that replay to finish, then run this command: replays into one lake run one after another (each continues the last)",
  settings_changed: (flags) => `replay with the settings the lake was built with, or rebuild it with these: --replace (drops what ${flags.out} holds), then replay each earlier input again`,
};

/** Runs a replay with progress bars; a conservation failure becomes exit code 3, a refused input its own next step. */
export async function replayWithProgress(flags: ReplayFlags, io: Io, analytics: CliAnalytics = analyticsFromFlags(flags)): Promise<ReplayResult> {
  const validate = progressBar("validate", "chunks");
  const publish = progressBar("analyse", "steps");
  try {
    return await replay({
      inputPath: flags.input,
      lakeDir: flags.out,
      format: flags.format,
      mode: flags.live ? "live" : "replay",
      threads: flags.threads,
      definition: analytics.definition,
      policy: analytics.ingestPolicy,
      replace: flags.replace === true,
      onReplace: (notice) => {
        for (const line of replaceNotice(notice)) io.err(line);
      },
      onProgress: (p) => {
        if (p.phase === "validate") validate.update(p.done, p.total);
        else {
          validate.stop();
          publish.update(p.done, p.total);
        }
      },
    });
  } catch (error) {
    if (error instanceof ConservationError) throw new CliError(error.message, "keep the input file and report it: this is a bug", EXIT.conservation);
    if (error instanceof ReplayInputError) throw new CliError(error.message, NEXT_STEP[error.problem](flags));
    // Anything else stopped the replay part-way (killed, disk full, a failing query): its journal resumes it.
    throw new CliError(`replay of ${flags.input} failed: ${(error as Error).message}`, "re-run the same command: a replay resumes where it stopped");
  } finally {
    validate.stop();
    publish.stop();
  }
}

/** What --replace drops, said before the replay drops it. */
export function replaceNotice(notice: ReplaceNotice): string[] {
  const held = notice.tables.filter((t) => t.rows > 0);
  if (held.length === 0 && notice.inputs.length === 0) return [`--replace: ${notice.lakeDir} holds nothing yet; nothing to drop`];
  return [
    `--replace drops everything ${notice.lakeDir} holds and publishes this input alone:`,
    ...held.map((t) => `  ${t.table.padEnd(11)} ${String(t.rows).padStart(9)} rows  ${t.first === t.last ? `dt=${t.first}` : `dt=${t.first} .. dt=${t.last}`}`),
    ...(notice.inputs.length > 0
      ? [`  from ${notice.inputs.length} input${notice.inputs.length === 1 ? "" : "s"}: ${notice.inputs.map((i) => `${i.input} (${i.summary.counts.input} records, ${i.appliedAt.slice(0, 10)})`).join(", ")}`]
      : []),
  ];
}

/** How the input was read, when something other than the user's --format decided it. */
function formatLine(result: ReplayResult, input: string): string | null {
  const name = result.format.format === "csv" ? "CSV" : "JSON Lines";
  if (result.format.from === "content") return `  read ${input} as ${name}: its extension does not say, its first line does (--format to choose)`;
  return null;
}

/** What was skipped of an input that grew since it was replayed. */
function continuedLine(result: ReplayResult): string | null {
  const earlier = result.continued;
  if (!earlier) return null;
  return `  it has grown since it was replayed on ${earlier.appliedAt.replace("T", " ").slice(0, 19)} UTC: its first ${earlier.bytes} bytes (${earlier.summary.counts.input} records) were in the lake already; only the rest was replayed`;
}

/** The lines every replay prints: counts, the conservation line, where the lake is. */
export function replaySummary(result: ReplayResult, input: string): string[] {
  const lake = path.relative(process.cwd(), result.lakeDir) || result.lakeDir;
  if (result.alreadyApplied) {
    const applied = result.alreadyApplied;
    return [
      `${lake} already holds ${input}: the same content was replayed on ${applied.appliedAt.replace("T", " ").slice(0, 19)} UTC${applied.input === path.resolve(input) ? "" : ` from ${applied.input}`}; nothing changed`,
      `  ${result.conservation}  ✓ (then)`,
      "  to judge it again with other settings: --replace (drops what the lake holds), then replay each input",
    ];
  }
  const added = result.priorInputs > 0 ? ` (added to the ${result.priorInputs} input${result.priorInputs === 1 ? "" : "s"} it held)` : "";
  return [
    `replayed ${input} into ${lake}${added} in ${(result.elapsedMs / 1000).toFixed(1)} s${result.chunks.resumed > 0 ? ` (resumed: ${result.chunks.resumed} of ${result.chunks.total} chunks already validated)` : ""}`,
    ...[formatLine(result, input), continuedLine(result)].filter((l): l is string => l !== null),
    `  readings: ${result.readings.accepted} accepted, ${result.readings.late} late (kept, flagged, left out of windows)`,
    `  quarantined: ${reasonSummary(result.byReason)}`,
    `  ${result.conservation}  ✓`,
  ];
}

/**
 * Fails the command when not one record of the input was usable (all quarantined): they are kept in the
 * lake's quarantine, but a run that read a file as the wrong format must not look like a success.
 */
export function refuseNothingAccepted(result: ReplayResult, flags: ReplayFlags): void {
  const { counts } = result;
  if (result.alreadyApplied || counts.accepted > 0 || counts.duplicates > 0) return;
  const name = result.format.format === "csv" ? "CSV" : "JSON Lines";
  const decided = { option: "as --format says", extension: "from its extension", content: "from its first line" }[result.format.from];
  const first = result.firstRejected ? `; the first: ${result.firstRejected.reason}${result.firstRejected.detail ? ` (${result.firstRejected.detail})` : ""}` : "";
  const other = result.format.format === "csv" ? "jsonl" : "csv";
  throw new CliError(
    `nothing accepted: read ${flags.input} as ${name} (${decided}), and all ${counts.input} records were quarantined (${reasonSummary(result.byReason)})${first}`,
    `they are kept in ${flags.out}/quarantine: iotpipe sql --lake ${flags.out} "SELECT reason, detail, raw_payload FROM quarantine LIMIT 5"; if the file is ${other === "csv" ? "CSV" : "JSON Lines"}, replay it with --format ${other}`,
  );
}

/** Event dates (dt=YYYY-MM-DD partitions) the lake's readings table holds, oldest first. */
export function lakeDates(lakeDir: string): string[] {
  const dir = path.join(lakeDir, "readings");
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((d) => /^dt=\d{4}-\d{2}-\d{2}$/.test(d)).map((d) => d.slice(3)).sort();
}

export function registerReplay(program: Command, io: Io): void {
  program
    .command("replay")
    .description("Replay recorded telemetry (JSON Lines or CSV long form) through the analytics into a Parquet lake")
    .requiredOption("--input <file>", `JSON Lines (flat or envelope lines) or CSV long form ${CSV_HEADER_HINT}`)
    .requiredOption("--out <lake-dir>", "lake directory: <table>/dt=YYYY-MM-DD/*.parquet, the S3 lake's layout; a replay adds to what it holds")
    .option("--format <jsonl|csv>", "input format (default: from the extension, .csv or .jsonl/.ndjson/.json, else from the first line)", oneOf("jsonl", "csv"))
    .option("--live", "judge event times against ingest time like live ingest (default: the data's own clock, for backfill)")
    .option("--threads <n>", "DuckDB threads (default: all cores)", integerIn(1, 256))
    .option("--replace", "drop everything the lake holds and publish this input alone (says what it drops first); default: add to the lake")
    .option("--stack-config <file>", "apply a stack's analytics and ingest policy (static limits and overrides, windows, alert hold, tolerances) from its Pulumi.<stack>.yaml")
    .option("--hold-seconds <n>", "alert hold time in seconds, as iotpipe:alertHoldSeconds (default 120, or the stack's)", holdSecondsOption)
    .option("--windows <s,s>", "aggregate windows in seconds, as iotpipe:aggregateWindowSeconds (default 60,3600, or the stack's)", windowsOption)
    .addHelpText(
      "after",
      `
CSV long form: a header line, then one reading per row. Required columns: ts,device_id,metric,value.
Optional columns, in any order: site,line (default "default"), unit, msg_id, seq (the message identity
duplicates are found by; without either, metric and ts), ingest_ts (epoch ms; default: the replay's clock).
ts is epoch milliseconds or ISO-8601 (no zone = UTC); epoch seconds are refused with a hint. Example:
  ts,device_id,metric,value,site,line,unit
  2026-11-02T08:00:00Z,oven01,temperature,181.2,plant-a,line-1,degC

A replay adds to the lake: a later file continues each series from what the lake holds (watermarks, message
ids, trailing readings, open alert episodes). The same file again changes nothing; --replace drops what the
lake holds (listing it first) and publishes this input alone.

Every run ends with the conservation line
  input N = accepted A + quarantined Q + duplicates D (late L of A)
and exits with code 3 if it does not hold, 1 if nothing at all was accepted. An interrupted replay resumes
when run again.

An alert episode clears after the hold time without an anomalous reading. Series that report less often than
that get one episode per anomalous reading; the replay warns about them. Raise the hold to at least twice
their interval (--hold-seconds here, iotpipe:alertHoldSeconds in the stack).`,
    )
    .action(async (flags: ReplayFlags) => {
      const analytics = analyticsFromFlags(flags);
      // What the lake held before, so the replay prints only the alert transitions it added (--replace drops it all).
      const isLake = fs.existsSync(flags.out) && fs.statSync(flags.out).isDirectory();
      const alertsBefore = flags.replace || !isLake ? [] : await readAlertTransitions(flags.out);
      const result = await replayWithProgress(flags, io, analytics);
      for (const line of replaySummary(result, flags.input)) io.out(line);
      refuseNothingAccepted(result, flags);
      if (analytics.source !== null) io.out(analyticsLine(analytics));
      // Locally alerts are printed as well as stored (in the cloud the notifier sends them to SNS).
      const alerts = path.join(path.relative(process.cwd(), result.lakeDir) || result.lakeDir, "alerts");
      const after = await readAlertTransitions(result.lakeDir);
      for (const line of alertLines(after, addedTransitions(alertsBefore, after), alerts)) io.out(line);
      if (!result.alreadyApplied) for (const line of warmupLines(await seriesReadings(result.lakeDir), analytics.definition)) io.out(line);
      // The hold follows each series' cadence up to its longest step: only series slower than that split episodes.
      const hold = Math.max(...holdSteps(analytics.definition));
      const slow = await slowSeries(result.lakeDir, hold);
      if (slow !== null) io.err(`warning: ${cadenceWarning(slow, hold)}`);
      const dates = lakeDates(result.lakeDir);
      if (dates.length > 1) io.out(`  event dates: ${dates[0]} .. ${dates[dates.length - 1]} (${dates.length} days)`);
      io.out(`next: iotpipe report --date ${dates[0] ?? "<YYYY-MM-DD>"} --lake ${flags.out}`);
    });
}
