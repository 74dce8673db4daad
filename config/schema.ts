/**
 * The stack configuration: every `iotpipe:*` key with its Pulumi type, default, description and validation.
 *
 * One catalogue serves three readers: the zod schema that validates a stack before anything is created, the
 * `config:` section of Pulumi.yaml (a test keeps the two identical), and the README's configuration table.
 * Pulumi itself only checks the declared type (string, integer, boolean, array); enums, ranges and the
 * relations between keys are checked here, so a bad value fails `pulumi up` before a single resource exists.
 */
import { z } from "zod";
import { identifier, METRIC_NAMES, type MetricName } from "../contract/telemetry";
import { DEFAULT_INGEST_POLICY } from "../contract/ingest-policy";
import { DEFAULT_ANALYTICS, definitionProblems } from "../analytics/definition";
import type { BoundSetting } from "../analytics/static-limits";
import { scheduleDstProblem } from "./report-schedule";
import { parseFleetLine, type FleetLine } from "../contract/device-identity";

/** The config types a Pulumi project file can declare. */
export type PulumiConfigType = "string" | "integer" | "boolean" | "array";

/** The item types of an array key (Pulumi.yaml `items: { type }`). */
export type PulumiItemType = "string" | "integer";

/** One configuration key: how Pulumi declares it, how we validate it, its default and what it means. */
export interface ConfigKey<S extends z.ZodType = z.ZodType> {
  type: PulumiConfigType;
  /** Array keys: the type of each item (default string). */
  items?: PulumiItemType;
  /** Validates (and for some keys parses) the raw value. */
  schema: S;
  /** Default in its raw form, exactly as Pulumi.yaml declares it. */
  default: z.input<S>;
  description: string;
}

function key<S extends z.ZodType>(type: PulumiConfigType, schema: S, defaultValue: z.input<S>, description: string, items?: PulumiItemType): ConfigKey<S> {
  return { type, schema, default: defaultValue, description, ...(items && { items }) };
}

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/**
 * An anomaly static limit for one metric from stack config: without a site it replaces the metric's default
 * limits, with a site (and line) it overrides them there (analytics/definition.ts `StaticLimitOverride`).
 */
export interface StaticLimitSetting {
  metric: MetricName;
  site?: string;
  line?: string;
  /** Readings below this are anomalous; "inherit" (left empty) takes the next scope's, "none" has no lower limit. */
  low: BoundSetting;
  /** Readings above this are anomalous; "inherit" (left empty) takes the next scope's, "none" has no upper limit. */
  high: BoundSetting;
}

/**
 * `<metric>[@<site>[/<line>]]=<low>..<high>`: `temperature=-20..120`, `temperature@plant-a=..95`,
 * `vibration@plant-a/line-2=none..12.5`. An empty bound keeps the next scope's (line → site → metric default →
 * shipped plausibility range); `none` means no bound on that side. `@`, `/` and `=` cannot occur in ids.
 */
const STATIC_LIMIT = /^([a-z][a-z0-9_]*)(?:@([^/=@]+)(?:\/([^/=@]+))?)?=(none|-?[0-9.eE+-]*)\.\.(none|-?[0-9.eE+-]*)$/;

/** Parses one static-limit entry; returns an error message instead when it is not valid. */
export function parseStaticLimit(entry: string): StaticLimitSetting | string {
  const m = STATIC_LIMIT.exec(entry.trim());
  if (!m) return "must look like <metric>[@<site>[/<line>]]=<low>..<high> (a bound may be empty to keep the next scope's, or none), e.g. temperature@plant-a/line-2=-20..95";
  const [, metric, site, line, lo, hi] = m;
  if (!(METRIC_NAMES as string[]).includes(metric)) return `unknown metric '${metric}'; known: ${METRIC_NAMES.join(", ")}`;
  for (const id of [site, line]) {
    if (id !== undefined && !identifier.safeParse(id).success) return `'${id}' is not a valid site/line id`;
  }
  const bound = (s: string): BoundSetting => (s === "" ? "inherit" : s === "none" ? "none" : Number(s));
  const low = bound(lo);
  const high = bound(hi);
  if (low === "inherit" && high === "inherit") return "needs at least one bound (low or high); leaving both empty changes nothing";
  if (low === "none" && high === "none") return "none..none leaves no limit at all; to stop judging a metric by static limits, leave it out (or raise its range)";
  if ((typeof low === "number" && !Number.isFinite(low)) || (typeof high === "number" && !Number.isFinite(high))) return "bounds must be finite numbers, empty or none";
  if (typeof low === "number" && typeof high === "number" && low >= high) return `low ${low} must be below high ${high}`;
  return { metric: metric as MetricName, ...(site && { site }), ...(line && { line }), low, high };
}

/** `iotpipe:deviceLines`: each `<site>/<line>` once, parsed (contract/device-identity.ts). */
const deviceLines = z.array(z.string()).transform((entries, ctx): FleetLine[] => {
  const lines: FleetLine[] = [];
  for (const entry of entries) {
    try {
      lines.push(parseFleetLine(entry));
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message, input: entry });
    }
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry)) ctx.addIssue({ code: "custom", message: `'${entry}' is listed twice`, input: entry });
    seen.add(entry);
  }
  return lines;
});

const staticLimits = z.array(z.string()).transform((entries, ctx) => {
  const limits: StaticLimitSetting[] = [];
  const scopes = new Set<string>();
  entries.forEach((entry, i) => {
    const parsed = parseStaticLimit(entry);
    if (typeof parsed === "string") {
      ctx.issues.push({ code: "custom", path: [i], message: parsed, input: entry });
      return;
    }
    const scope = `${parsed.metric}@${parsed.site ?? "*"}/${parsed.line ?? "*"}`;
    if (scopes.has(scope)) ctx.issues.push({ code: "custom", path: [i], message: `a second limit for the same scope ${scope}`, input: entry });
    scopes.add(scope);
    limits.push(parsed);
  });
  return limits;
});

/**
 * The analytics' checks of one definition parameter, applied to a config value: the shipped definition with
 * `change` applied goes through `definitionProblems` (analytics/definition.ts), and the problems of the
 * changed parameter (`param`, e.g. "windowSeconds") become issues of the key, without the parameter's name.
 */
function definitionChecked<T>(change: (value: T) => Partial<typeof DEFAULT_ANALYTICS>, param: string) {
  const prefix = new RegExp(`^${param.replace(/\./g, "\\.")}(\\[\\])?:? ?`);
  return (value: T, ctx: z.RefinementCtx) => {
    for (const problem of definitionProblems({ ...DEFAULT_ANALYTICS, ...change(value) })) {
      // The key's error line ends with "; got <value>" already.
      const m = prefix.exec(problem);
      if (m) ctx.addIssue({ code: "custom", message: `${m[1] ? "each entry " : ""}${problem.slice(m[0].length).replace(/, got [^,;]*$/, "")}`, input: value });
    }
  };
}

/** Pulumi may hand list items set with `config set --path` as strings: "300" is taken as 300. */
const integerItem = z.preprocess((v) => (typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v), z.number().int());

// The definition's checks run only on values of the right type (pipe), so a bad value gets one message.
const aggregateWindowSeconds = z
  .array(integerItem)
  .pipe(z.array(z.number()).superRefine(definitionChecked((windowSeconds: number[]) => ({ windowSeconds }), "windowSeconds")));

// The alert hold keys: Pulumi's type here, every rule in the definition's check (the one place a hold is validated).
const alertHoldSeconds = z
  .number()
  .int()
  .pipe(z.number().superRefine(definitionChecked((holdSeconds: number) => ({ alerts: { ...DEFAULT_ANALYTICS.alerts, holdSeconds } }), "alerts.holdSeconds")));
const alertHoldReadings = z
  .number()
  .int()
  .pipe(z.number().superRefine(definitionChecked((holdReadings: number) => ({ alerts: { ...DEFAULT_ANALYTICS.alerts, holdReadings } }), "alerts.holdReadings")));
const alertHoldStepsSeconds = z
  .array(integerItem)
  .pipe(z.array(z.number()).superRefine(definitionChecked((holdStepsSeconds: number[]) => ({ alerts: { ...DEFAULT_ANALYTICS.alerts, holdStepsSeconds } }), "alerts.holdStepsSeconds")));
/** A data-gap parameter checked by the definition's own rules. */
const dataGapChecked = <T>(field: string) => definitionChecked((value: T) => ({ rules: { ...DEFAULT_ANALYTICS.rules, dataGap: { ...DEFAULT_ANALYTICS.rules.dataGap, [field]: value } } }), `rules.dataGap.${field}`);
const dataGapFactor = int(1, 1000).pipe(z.number().superRefine(dataGapChecked<number>("factor")));
const dataGapMinReadings = int(2, 1000).pipe(z.number().superRefine(dataGapChecked<number>("minReadings")));
const dataGapSilenceStepsSeconds = z.array(integerItem).pipe(z.array(z.number()).superRefine(dataGapChecked<number[]>("silenceStepsSeconds")));

const levelShiftMinStd = int(0, 100).pipe(
  z.number().superRefine(definitionChecked((minShiftStd: number) => ({ rules: { ...DEFAULT_ANALYTICS.rules, levelShift: { ...DEFAULT_ANALYTICS.rules.levelShift, minShiftStd } } }), "rules.levelShift.minShiftStd")),
);

/** EventBridge Scheduler cron: `cron(minutes hours day-of-month month day-of-week year)`, one of the days `?`. */
const schedulerCron = z.string().refine((s) => {
  const m = /^cron\((.+)\)$/.exec(s.trim());
  if (!m) return false;
  const f = m[1].trim().split(/\s+/);
  return f.length === 6 && (f[2] === "?") !== (f[4] === "?");
}, "must be an EventBridge Scheduler cron expression cron(min hour day-of-month month day-of-week year) with exactly one of day-of-month/day-of-week set to ?");

const ianaTimezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return tz.length > 0;
  } catch {
    return false;
  }
}, "must be an IANA time zone such as UTC, Europe/Berlin or America/Chicago");

const isoDate = z.string().refine((s) => {
  const date = new Date(`${s}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(s);
}, "must be a date YYYY-MM-DD");

const email = z.email();

/** How Pulumi.yaml declares a key (the project-level config schema Pulumi checks types against). */
export interface PulumiConfigDeclaration {
  type: PulumiConfigType;
  items?: { type: PulumiItemType };
  default: unknown;
  description: string;
}

/** Every `iotpipe:*` key. Order is the order of Pulumi.yaml and the README table. */
export const CONFIG_KEYS = {
  environment: key("string", z.enum(["dev", "staging", "prod"]), "dev",
    "Deployment environment; prod requires Object Lock in COMPLIANCE mode and deletion protection"),
  streamMode: key("string", z.enum(["on-demand", "provisioned"]), "on-demand",
    "Kinesis capacity mode: on-demand scales by itself; provisioned sizes shards from expectedReadingsPerSecond x averageMessageBytes"),
  expectedReadingsPerSecond: key("integer", int(1, 10_000_000), 1000,
    "Peak readings per second across the fleet, one reading per message assumed (sizes provisioned shards)"),
  averageMessageBytes: key("integer", int(64, 128 * 1024), 512,
    "Average device message size in bytes (sizes provisioned shards; IoT Core caps a message at 128 KiB)"),
  streamRetentionHours: key("integer", int(24, 8760), 24,
    "How long Kinesis keeps records (24 to 8760 hours): the window to replay after a consumer outage"),
  flinkParallelism: key("integer", int(1, 256), 1,
    "Initial parallelism of the Flink application"),
  flinkParallelismPerKpu: key("integer", int(1, 8), 1,
    "Parallel tasks per KPU (1 vCPU, 4 GB); raise only for I/O-bound jobs"),
  flinkAutoScaling: key("boolean", z.boolean(), false,
    "Let Managed Flink raise parallelism under load"),
  checkpointIntervalMs: key("integer", int(1000, 3_600_000), 60_000,
    "Flink checkpoint interval in milliseconds: the most work replayed after a restart"),
  rawDataIaDays: key("integer", int(30, 36_500), 30,
    "Days before lake objects move to S3 Standard-IA (S3 requires at least 30)"),
  rawDataGlacierDays: key("integer", int(1, 36_500), 90,
    "Days before lake objects move to S3 Glacier Flexible Retrieval (after rawDataIaDays)"),
  rawDataExpireDays: key("integer", int(0, 36_500), 0,
    "Days before lake objects are deleted; 0 keeps them forever (compliance records)"),
  reportsObjectLockMode: key("string", z.enum(["COMPLIANCE", "GOVERNANCE"]), "COMPLIANCE",
    "Default Object Lock mode of the compliance reports bucket: COMPLIANCE cannot be lifted by anyone"),
  reportsObjectLockDays: key("integer", int(1, 36_500), 365,
    "Days each compliance report stays immutable"),
  athenaBytesScannedCutoffMb: key("integer", int(10, 10_000_000), 10_240,
    "Per-query data scanned limit of the Athena workgroup in MB (Athena minimum 10 MB): caps a runaway query's cost"),
  athenaResultsExpireDays: key("integer", int(1, 3650), 30,
    "Days Athena query results are kept in the results bucket"),
  logRetentionDays: key("integer",
    z.number().int().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `must be one of ${LOG_RETENTION_DAYS.join(", ")}`), 30,
    `CloudWatch log retention in days; one of ${LOG_RETENTION_DAYS.join(", ")}`),
  alarmIteratorAgeMs: key("integer", int(1000, 86_400_000), 60_000,
    "Alarm when a stream consumer falls this far behind (GetRecords.IteratorAgeMilliseconds, maximum)"),
  alarmFirehoseFreshnessSeconds: key("integer", int(60, 86_400), 900,
    "Alarm when the oldest record not yet delivered to the lake is older than this"),
  alarmQuarantineRatePercent: key("integer", int(1, 100), 5,
    "Alarm when quarantined records exceed this percentage of raw records (over 5 minutes, for 15 minutes)"),
  alarmEmails: key("array", z.array(email), [],
    "Operator e-mail addresses subscribed to the operators' topic (alarms, alerts, report summaries; each must confirm)"),
  reportSchedule: key("string", schedulerCron, "cron(30 1 * * ? *)",
    "When the daily compliance report runs (EventBridge Scheduler cron, evaluated in reportTimezone; a time the zone skips when clocks spring forward is rejected)"),
  reportTimezone: key("string", ianaTimezone, "UTC",
    "IANA time zone of reportSchedule, e.g. Europe/Berlin"),
  deletionProtection: key("boolean", z.boolean(), true,
    "Protect stateful resources (keys, buckets, streams, Glue database) from `pulumi destroy`"),
  forceDestroy: key("boolean", z.boolean(), false,
    "Let `pulumi destroy` delete non-empty buckets (dev only; never with Object Lock COMPLIANCE)"),
  lakeStartDate: key("string", isoDate, "2026-01-01",
    "First event date in the lake: start of the Glue partition projection range (dt=<lakeStartDate>..NOW)"),
  maxFutureSkewMs: key("integer", int(0, 86_400_000), DEFAULT_INGEST_POLICY.maxFutureSkewMs,
    "Quarantine live readings whose event time is this far ahead of ingest time (device clock fast)"),
  maxPastSkewMs: key("integer", int(0, 365 * 86_400_000), DEFAULT_INGEST_POLICY.maxPastSkewMs,
    "Quarantine live readings whose event time is this far behind ingest time (clock reset)"),
  duplicateWindowMs: key("integer", int(0, 7 * 86_400_000), DEFAULT_INGEST_POLICY.duplicateWindowMs,
    "A message with the same device and msg_id/seq within this span of event time is a duplicate"),
  allowedLatenessMs: key("integer", int(1000, 86_400_000).refine((ms) => ms % 1000 === 0, "must be whole seconds (a multiple of 1000)"), DEFAULT_INGEST_POLICY.allowedLatenessMs,
    "Watermark delay: readings later than this behind the newest event time are flagged late (kept, left out of windows); whole seconds"),
  staticLimits: key("array", staticLimits, [],
    "Anomaly static limits (critical): <metric>=<low>..<high> replaces a metric's default, <metric>@<site>[/<line>]=<low>..<high> overrides it there (line beats site); an empty bound keeps the next scope's (line → site → default → shipped range), `none` drops it. Overrides generate the stack's own Flink SQL"),
  aggregateWindowSeconds: key("array", aggregateWindowSeconds, DEFAULT_ANALYTICS.windowSeconds,
    "Tumbling aggregate windows in seconds (per device and metric, UTC, epoch-aligned); each must divide a day (86400). A change generates the stack's own Flink SQL",
    "integer"),
  alertHoldSeconds: key("integer", alertHoldSeconds, DEFAULT_ANALYTICS.alerts.holdSeconds,
    "Shortest alert hold: an episode clears this long after its last anomalous reading, or longer for slow series (see alertHoldReadings). A change generates the stack's own Flink SQL"),
  alertHoldReadings: key("integer", alertHoldReadings, DEFAULT_ANALYTICS.alerts.holdReadings,
    "The alert hold follows the series' cadence: at least this many typical intervals, rounded up to the next of alertHoldSeconds and alertHoldStepsSeconds. A change generates the stack's own Flink SQL"),
  alertHoldStepsSeconds: key("array", alertHoldStepsSeconds, DEFAULT_ANALYTICS.alerts.holdStepsSeconds,
    "Longer alert holds a slow series may get, ascending, at most 14 (one Flink session window each). A change generates the stack's own Flink SQL",
    "integer"),
  deviationNewExtremesOnly: key("boolean", z.boolean(), DEFAULT_ANALYTICS.rules.deviation.newExtremesOnly,
    "The deviation rule judges only readings that are the most extreme of the series' last 120 (a spike no larger than recent ones is normal for a spiky series). A change generates the stack's own Flink SQL"),
  levelShiftMinStd: key("integer", levelShiftMinStd, DEFAULT_ANALYTICS.rules.levelShift.minShiftStd,
    "A level shift must also reach this many standard deviations of single readings (a steady trend reaches about 2.1). A change generates the stack's own Flink SQL"),
  dataGapFactor: key("integer", dataGapFactor, DEFAULT_ANALYTICS.rules.dataGap.factor,
    "A series silent for this many typical intervals (rounded up to the next of dataGapSilenceStepsSeconds) is alerted, while the silence lasts. A change generates the stack's own Flink SQL"),
  dataGapMinReadings: key("integer", dataGapMinReadings, DEFAULT_ANALYTICS.rules.dataGap.minReadings,
    "Readings a series needs before its typical interval is trusted and silences are judged. A change generates the stack's own Flink SQL"),
  dataGapSilenceStepsSeconds: key("array", dataGapSilenceStepsSeconds, DEFAULT_ANALYTICS.rules.dataGap.silenceStepsSeconds,
    "Allowed silences a series can get, ascending, at most 15 (one Flink session window each; the first is the floor; slower series are not watched). A change generates the stack's own Flink SQL",
    "integer"),
  deviceLines: key("array", deviceLines, [],
    "Production lines devices are provisioned into, as <site>/<line> (letters, digits, _ and - in each id): one thing group per site and per line; the provisioning hook refuses a serial registered on any other line"),
  fleetDevices: key("integer", int(0, 100_000_000), 0,
    "Devices in the fleet. 0 states no fleet: capacities come from the keys above. Set, the sizing model (sizing/) sizes provisioned shards per stream, Flink parallelism and Firehose buffering from the fleet keys; flinkParallelism/flinkParallelismPerKpu set to other than their defaults still win"),
  fleetMetricsPerMessage: key("integer", int(1, 1000), 4,
    "Readings in one device message (used with fleetDevices)"),
  fleetMessageIntervalSeconds: key("integer", int(1, 86_400), 5,
    "Seconds between two messages of one device (used with fleetDevices)"),
  fleetPayloadBytes: key("integer", int(0, 128 * 1024), 0,
    "Average message size in bytes as published; 0 estimates it from fleetMetricsPerMessage (used with fleetDevices)"),
  fleetPeakPercent: key("integer", int(100, 1000), 100,
    "Peak load as a percentage of the average, 100 for steady periodic telemetry (used with fleetDevices; shards keep their own 1.5x headroom)"),
};

export type ConfigKeyName = keyof typeof CONFIG_KEYS;

/** The validated stack configuration the program is built from. */
export type StackConfig = { [K in ConfigKeyName]: z.output<(typeof CONFIG_KEYS)[K]["schema"]> };

const shape = Object.fromEntries(
  Object.entries(CONFIG_KEYS).map(([name, k]) => [name, (k.schema as z.ZodType).prefault(k.default)]),
) as { [K in ConfigKeyName]: z.ZodPrefault<(typeof CONFIG_KEYS)[K]["schema"]> };

/** The whole configuration, with the rules that tie keys together. */
export const stackConfigSchema = z.strictObject(shape).superRefine((c, ctx) => {
  const problem = (path: ConfigKeyName, message: string) => ctx.addIssue({ code: "custom", path: [path], message, input: c[path] });
  // S3 rejects a lifecycle rule whose GLACIER transition is less than 30 days after its STANDARD_IA transition.
  if (c.rawDataGlacierDays < c.rawDataIaDays + 30) {
    problem("rawDataGlacierDays", `must be at least 30 days after rawDataIaDays (${c.rawDataIaDays}): S3 keeps objects in Standard-IA for 30 days`);
  }
  if (c.rawDataExpireDays !== 0 && c.rawDataExpireDays <= c.rawDataGlacierDays) {
    problem("rawDataExpireDays", `must be 0 (keep forever) or greater than rawDataGlacierDays (${c.rawDataGlacierDays})`);
  }
  // Scheduler skips a run whose local time does not exist on the spring-forward day: one report a year, silently.
  let dst: string | undefined;
  try {
    dst = scheduleDstProblem(c.reportSchedule, c.reportTimezone, new Date());
  } catch {
    // An invalid zone or expression: its own key's check has reported it.
  }
  if (dst) problem("reportSchedule", dst);
  if (c.environment === "prod" && c.reportsObjectLockMode !== "COMPLIANCE") {
    problem("reportsObjectLockMode", "must be COMPLIANCE when environment is prod: a governance lock can be lifted");
  }
  // A fleet states the load; the load keys state it too: two answers to one question.
  if (c.fleetDevices > 0 && (c.expectedReadingsPerSecond !== CONFIG_KEYS.expectedReadingsPerSecond.default || c.averageMessageBytes !== CONFIG_KEYS.averageMessageBytes.default)) {
    problem("fleetDevices", "states the load, as do expectedReadingsPerSecond and averageMessageBytes: set the fleet keys or those two, not both");
  }
  if (c.environment === "prod" && !c.deletionProtection) {
    problem("deletionProtection", "must be true when environment is prod");
  }
});

/** The `config:` section of Pulumi.yaml, derived from the catalogue (a test keeps the file identical). */
export function pulumiConfigDeclarations(): Record<ConfigKeyName, PulumiConfigDeclaration> {
  return Object.fromEntries(
    Object.entries(CONFIG_KEYS).map(([name, k]) => [
      name,
      { type: k.type, ...(k.type === "array" && { items: { type: (k as ConfigKey).items ?? "string" } }), default: k.default, description: k.description },
    ]),
  ) as Record<ConfigKeyName, PulumiConfigDeclaration>;
}
