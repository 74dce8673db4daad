/** `iotpipe replay`: recorded history (JSON Lines or CSV) through validation, de-duplication and analytics into a lake. */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { ConservationError } from "../../local/conservation";
import { replay, type ReplayResult } from "../../local/replay";
import { alertLines, readAlertTransitions } from "../alert-log";
import { cadenceWarning, slowSeries } from "../cadence";
import { CliError, EXIT } from "../errors";
import type { Io } from "../io";
import { integerIn, oneOf } from "../options";
import { progressBar } from "../progress";
import { analyticsFromFlags, analyticsLine, holdSecondsOption, windowsOption, type AnalyticsFlags, type CliAnalytics } from "../stack-analytics";
import { holdSteps } from "../../analytics/definition";

export interface ReplayFlags extends AnalyticsFlags {
  input: string;
  out: string;
  format?: "jsonl" | "csv";
  live?: boolean;
  threads?: number;
}

/** Quarantine reasons with a count, "unparseable 4, schema 2". */
export function reasonSummary(byReason: Record<string, number>): string {
  const parts = Object.entries(byReason).filter(([, n]) => n > 0).map(([reason, n]) => `${reason} ${n}`);
  return parts.length === 0 ? "none" : parts.join(", ");
}

/** Runs a replay with progress bars; a conservation failure becomes exit code 3. */
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
    const message = (error as Error).message;
    if (/does not exist or is not a file/.test(message)) {
      throw new CliError(message, "pass a JSON Lines or CSV file, e.g. one written by `iotpipe simulate --out <dir>`");
    }
    throw new CliError(`replay of ${flags.input} failed: ${message}`, "re-run the same command: a replay resumes where it stopped");
  } finally {
    validate.stop();
    publish.stop();
  }
}

/** The lines every replay prints: counts, the conservation line, where the lake is. */
export function replaySummary(result: ReplayResult, input: string): string[] {
  const lake = path.relative(process.cwd(), result.lakeDir) || result.lakeDir;
  return [
    `replayed ${input} into ${lake} in ${(result.elapsedMs / 1000).toFixed(1)} s${result.chunks.resumed > 0 ? ` (resumed: ${result.chunks.resumed} of ${result.chunks.total} chunks already validated)` : ""}`,
    `  readings: ${result.readings.accepted} accepted, ${result.readings.late} late (kept, flagged, left out of windows)`,
    `  quarantined: ${reasonSummary(result.byReason)}`,
    `  ${result.conservation}  ✓`,
  ];
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
    .requiredOption("--input <file>", "JSON Lines (flat or envelope lines) or CSV long form ts,device_id,metric,value")
    .requiredOption("--out <lake-dir>", "lake directory: <table>/dt=YYYY-MM-DD/*.parquet, the S3 lake's layout")
    .option("--format <jsonl|csv>", "input format (default: from the extension)", oneOf("jsonl", "csv"))
    .option("--live", "judge event times against ingest time like live ingest (default: the data's own clock, for backfill)")
    .option("--threads <n>", "DuckDB threads (default: all cores)", integerIn(1, 256))
    .option("--stack-config <file>", "apply a stack's analytics and ingest policy (static limits and overrides, windows, alert hold, tolerances) from its Pulumi.<stack>.yaml")
    .option("--hold-seconds <n>", "alert hold time in seconds, as iotpipe:alertHoldSeconds (default 120, or the stack's)", holdSecondsOption)
    .option("--windows <s,s>", "aggregate windows in seconds, as iotpipe:aggregateWindowSeconds (default 60,3600, or the stack's)", windowsOption)
    .addHelpText(
      "after",
      `
Every run ends with the conservation line
  input N = accepted A + quarantined Q + duplicates D (late L of A)
and exits with code 3 if it does not hold. An interrupted replay resumes when run again.

An alert episode clears after the hold time without an anomalous reading. Series that report less often than
that get one episode per anomalous reading; the replay warns about them. Raise the hold to at least twice
their interval (--hold-seconds here, iotpipe:alertHoldSeconds in the stack).`,
    )
    .action(async (flags: ReplayFlags) => {
      const analytics = analyticsFromFlags(flags);
      const result = await replayWithProgress(flags, io, analytics);
      for (const line of replaySummary(result, flags.input)) io.out(line);
      if (analytics.source !== null) io.out(analyticsLine(analytics));
      // Locally alerts are printed as well as stored (in the cloud the notifier sends them to SNS).
      const alerts = path.join(path.relative(process.cwd(), result.lakeDir) || result.lakeDir, "alerts");
      for (const line of alertLines(await readAlertTransitions(result.lakeDir), alerts)) io.out(line);
      // The hold follows each series' cadence up to its longest step: only series slower than that split episodes.
      const hold = Math.max(...holdSteps(analytics.definition));
      const slow = await slowSeries(result.lakeDir, hold);
      if (slow !== null) io.err(`warning: ${cadenceWarning(slow, hold)}`);
      const dates = lakeDates(result.lakeDir);
      if (dates.length > 1) io.out(`  event dates: ${dates[0]} .. ${dates[dates.length - 1]} (${dates.length} days)`);
      io.out(`next: iotpipe report --date ${dates[0] ?? "<YYYY-MM-DD>"} --lake ${flags.out}`);
    });
}
