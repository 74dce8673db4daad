/**
 * The analytics a local command runs, chosen as a stack chooses them: `--stack-config Pulumi.<stack>.yaml` through
 * the same `stackAnalytics` the cloud deploys with, and `--hold-seconds` / `--windows` checked as their config keys.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InvalidArgumentError } from "commander";
import type { AnalyticsDefinition } from "../analytics/definition";
import { stackAnalytics } from "../config/analytics";
import { namespaceProblems, parseStackConfig, StackConfigError } from "../config/load";
import type { ConfigKeyName } from "../config/schema";
import { readStackFile, readStackFileKeys } from "../config/stack-file";
import type { IngestPolicy } from "../contract/ingest-policy";
import { CliError } from "./errors";

/** The analytics a local command runs, and where they came from. */
export interface CliAnalytics {
  definition: AnalyticsDefinition;
  ingestPolicy: IngestPolicy;
  /** "Pulumi.prod.yaml, --hold-seconds"; null for the shipped defaults. */
  source: string | null;
}

/**
 * A command-line value for a stack config key, checked exactly as `pulumi up` checks the key (config/schema.ts),
 * the key's message without its name: `--windows 60,7` is refused with "7 must divide a day (86400 s) …".
 */
function asStackKey<K extends ConfigKeyName>(key: K, value: unknown): ReturnType<typeof parseStackConfig>[K] {
  try {
    return parseStackConfig({ [key]: value })[key];
  } catch (error) {
    if (!(error instanceof StackConfigError)) throw error;
    const name = new RegExp(`^iotpipe:${key}(\\[\\d+\\])? ?`);
    throw new InvalidArgumentError(`${error.problems.map((p) => p.replace(name, "").replace(/; got .*$/, "")).join("; ")} (as iotpipe:${key})`);
  }
}

/** `--hold-seconds <n>`: as iotpipe:alertHoldSeconds. */
export function holdSecondsOption(text: string): number {
  return asStackKey("alertHoldSeconds", text.trim());
}

/** `--windows <s,s>`: whole seconds separated by commas, as iotpipe:aggregateWindowSeconds. */
export function windowsOption(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  if (!parts.every((p) => /^\d+$/.test(p))) throw new InvalidArgumentError("must be whole seconds separated by commas, e.g. 60,3600");
  return asStackKey("aggregateWindowSeconds", parts.map(Number));
}

/** The flags that choose the analytics of a local command. */
export interface AnalyticsFlags {
  /** A stack file (Pulumi.<stack>.yaml) whose analytics and ingest policy apply. */
  stackConfig?: string;
  /** Alert hold time in seconds, over the stack's (iotpipe:alertHoldSeconds). */
  holdSeconds?: number;
  /** Aggregate windows in seconds, over the stack's (iotpipe:aggregateWindowSeconds). */
  windows?: number[];
}

/**
 * The analytics definition and ingest policy of a local command (replay, report): the stack's, from the same
 * `stackAnalytics` the cloud deploys with (config/analytics.ts), read from `--stack-config` (the shipped
 * defaults without it), with --hold-seconds and --windows over it.
 */
export function analyticsFromFlags(flags: AnalyticsFlags): CliAnalytics {
  let raw: Record<string, unknown> = {};
  let misspelled: string[] = [];
  const sources: string[] = [];
  if (flags.stackConfig !== undefined) {
    const file = flags.stackConfig;
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      throw new CliError(`stack config ${file} does not exist or is not a file`, "pass a stack file such as Pulumi.prod.yaml (the project's Pulumi.<stack>.yaml)");
    }
    try {
      raw = readStackFileKeys(path.resolve(file));
      misspelled = namespaceProblems(Object.keys(readStackFile(path.resolve(file))));
    } catch (error) {
      throw new CliError(`cannot read stack config ${file}: ${(error as Error).message}`, "pass a Pulumi stack file: a YAML mapping with a config: section");
    }
    sources.push(path.basename(file));
  }
  if (flags.windows !== undefined) {
    raw.aggregateWindowSeconds = flags.windows;
    sources.push("--windows");
  }
  if (flags.holdSeconds !== undefined) {
    raw.alertHoldSeconds = flags.holdSeconds;
    sources.push("--hold-seconds");
  }
  try {
    const { definition, ingestPolicy } = stackAnalytics(parseStackConfig(raw, misspelled));
    return { definition, ingestPolicy, source: sources.length === 0 ? null : sources.join(", ") };
  } catch (error) {
    if (error instanceof StackConfigError) {
      throw new CliError(`stack config ${flags.stackConfig}: ${error.message}`, "fix the key(s) in the stack file: `pulumi up` refuses them too");
    }
    throw error;
  }
}

/** "analytics: Pulumi.prod.yaml: windows 60 s, 3600 s; alert hold 120 s; 4 static limits, 1 site/line override". */
export function analyticsLine(analytics: CliAnalytics): string {
  const { definition: d, source } = analytics;
  const overrides = d.rules.staticLimit.overrides.length;
  return (
    `  analytics (${source ?? "shipped defaults"}): windows ${d.windowSeconds.map((w) => `${w} s`).join(", ")}; alert hold ${d.alerts.holdSeconds} s` +
    (overrides > 0 ? `; ${overrides} site/line static limit override${overrides === 1 ? "" : "s"}` : "")
  );
}
