/** `iotpipe report`: the daily compliance report over a local lake (the same SQL files Athena runs). */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { DEFAULT_REPORTS_FOLDER, runLocalReport, type LocalReportResult } from "../../local/report";
import { DEFAULT_LOOKBACK_DAYS, DEFAULT_MIN_GAP_SECONDS } from "../../reports/queries";
import { BundleConflictError } from "../../reports/bundle-writer";
import { ReportScopeError } from "../../reports/scope";
import { summaryText } from "../../reports/summary";
import { CliError } from "../errors";
import type { Io } from "../io";
import { integerIn, isoDate } from "../options";
import { specificationLimits } from "../../config/analytics";
import { analyticsFromFlags } from "../stack-analytics";
import { DEFAULT_REGISTRY_DIR, loadRegistry, registryPath, registrySnapshotRows } from "../../local/device-registry";
import type { RegistrySnapshotRow } from "../../reports/registry-snapshot";

export interface ReportFlags {
  date: string;
  lake: string;
  out?: string;
  site?: string;
  lookbackDays?: number;
  minGapSeconds?: number;
  stackConfig?: string;
  amend?: string;
  registry: string;
}

/** Runs the report and prints its summary and where it is; failures name the lake and the next step. */
export async function reportCommand(flags: ReportFlags, io: Io): Promise<LocalReportResult> {
  if (!fs.existsSync(flags.lake)) {
    throw new CliError(`lake directory ${flags.lake} does not exist`, "write one with `iotpipe replay --input <file> --out <lake-dir>` (or run `npm run demo`)");
  }
  // The limits that applied: the stack's (the same `stackAnalytics` as replay and the cloud), else the shipped ones;
  // of those, the ones its configuration sets are the specification limits the range chart draws.
  const staticLimits = analyticsFromFlags({ stackConfig: flags.stackConfig }).definition.rules.staticLimit;
  const specLimits = specificationLimits(staticLimits);
  let result: LocalReportResult;
  try {
    result = await runLocalReport({
      date: flags.date,
      lakeDir: flags.lake,
      outDir: flags.out,
      site: flags.site,
      lookbackDays: flags.lookbackDays,
      minGapSeconds: flags.minGapSeconds,
      staticLimits,
      specLimits,
      amendReason: flags.amend,
      registeredDevices: registeredDevices(flags.registry),
    });
  } catch (error) {
    throw new CliError(`report for ${flags.date} over ${flags.lake} failed: ${(error as Error).message}`, nextStep(error, flags));
  }
  const html = path.relative(process.cwd(), result.htmlPath) || result.htmlPath;
  io.out(summaryText(result.summary, html));
  const manifest = path.relative(process.cwd(), result.manifestPath) || result.manifestPath;
  if (result.status === "written") io.out(`wrote: ${result.files.length} files, manifest ${manifest}`);
  else if (result.amendment) {
    io.out(`wrote amendment ${result.amendment.number}: ${result.files.length} files, manifest ${manifest}`);
    io.out(`  it supersedes ${result.amendment.amends.manifest} (generated ${result.amendment.amends.generatedAt}), which stays as it was; reason: ${result.amendment.reason}`);
  } else io.out(`unchanged: ${manifest} already says this; nothing written`);
  return result;
}

/** The devices of the registry folder, or none when it holds no registry (the inventory then lists devices seen). */
function registeredDevices(dir: string): RegistrySnapshotRow[] | undefined {
  if (!fs.existsSync(registryPath(dir))) return undefined;
  try {
    return registrySnapshotRows(loadRegistry(dir));
  } catch (error) {
    throw new CliError((error as Error).message, `restore the registry, or point --registry at another folder`);
  }
}

/** The next step that fits the failure, or none when there is nothing better to say than the message. */
function nextStep(error: unknown, flags: ReportFlags): string | undefined {
  if (error instanceof BundleConflictError && flags.amend === undefined) {
    return `compare the locked report with the lake; to record what the lake says now, re-run with --amend "<reason>" (a new bundle beside the locked one that references it)`;
  }
  if (error instanceof ReportScopeError) return "name a site from the list with --site (or leave --site out for every site), and a --date the lake holds";
  return undefined;
}

export function registerReport(program: Command, io: Io): void {
  program
    .command("report")
    .description("Write the daily compliance report (CSV per query, HTML, SHA-256 manifest) from a local lake")
    .requiredOption("--date <YYYY-MM-DD>", "report day (UTC)", isoDate)
    .requiredOption("--lake <dir>", "lake directory written by `iotpipe replay`")
    .option("--out <dir>", `reports folder: the bundle goes to <dir>/<date>/<site|all>/ (default: <lake>/${DEFAULT_REPORTS_FOLDER})`)
    .option("--site <id>", "one site (default: all sites)")
    .option("--lookback-days <n>", "days before the report day that define known sensors and their cadence", integerIn(1, 366), DEFAULT_LOOKBACK_DAYS)
    .option("--min-gap-seconds <s>", "list data gaps longer than this", integerIn(1, 86_400), DEFAULT_MIN_GAP_SECONDS)
    .option("--stack-config <file>", "a stack's Pulumi.<stack>.yaml: its static limits fill the sensor log's limit columns and its specification limits are drawn on the range chart (default: the shipped plausibility ranges fill the columns; only limits crossed are drawn)")
    .option("--registry <dir>", "device registry (iotpipe devices): the inventory lists its devices that sent nothing on the day as silent; ignored when the folder holds no registry", DEFAULT_REGISTRY_DIR)
    .option("--amend <reason>", "the day's report is locked and the lake now says something else: write an amendment beside it that references it, giving this reason (default: no amendment; a changed report is refused)")
    .action(async (flags: ReportFlags) => {
      await reportCommand(flags, io);
    });
}
