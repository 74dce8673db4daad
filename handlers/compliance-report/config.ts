/**
 * The report job's configuration, from the Lambda environment (set by the ComplianceReports component).
 * Validated at the start of each invocation (cheap) so a misconfigured function fails at once with every problem
 * named, not halfway through a report.
 */
// Fourteen environment variables, each a string, a pattern or a positive integer: plain checks rather than a
// schema library. zod/mini did the same with the same messages where it matters, but its module and schema
// construction were ~5 ms of every cold start of a ~45 ms init budget (npm run bench:bundle).
import { ALL_SITES, DEFAULT_LOOKBACK_DAYS, DEFAULT_MIN_GAP_SECONDS } from "../../reports/queries";

export interface ReportJobConfig {
  ATHENA_WORKGROUP: string;
  GLUE_DATABASE: string;
  REPORTS_BUCKET: string;
  SNS_TOPIC_ARN: string;
  /** The time zone whose "yesterday" the scheduled run reports on (the report day itself is a UTC day). */
  REPORT_TIMEZONE: string;
  /** One site id, or `*` for a report covering every site. */
  REPORT_SITE: string;
  LOOKBACK_DAYS: number;
  MIN_GAP_SECONDS: number;
  /** A query still running after this long is stopped and the report fails. Keep below the function timeout. */
  QUERY_TIMEOUT_SECONDS: number;
  /** First wait between GetQueryExecution polls; doubles up to POLL_MAX_MS. */
  POLL_INITIAL_MS: number;
  POLL_MAX_MS: number;
  /** Queries run at the same time (Athena counts concurrent DML queries against an account quota). */
  QUERY_CONCURRENCY: number;
  /** How long a report waits for its day to be final in the lake before it goes out marked incomplete (0: no wait). */
  FRESHNESS_WAIT_SECONDS: number;
  /** Time between two freshness checks. */
  FRESHNESS_POLL_SECONDS: number;
  /** The lake bucket the IoT registry is exported to before the queries (device_registry); empty: no export. */
  LAKE_BUCKET: string;
  /** Only things of this thing type are the fleet (ListThings filter); empty: every thing with site and line attributes. */
  FLEET_THING_TYPE: string;
}

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/;

/** One variable's check: its value, or a message saying what it must be. */
type Check<T> = (value: string | undefined) => { value: T } | { problem: string };

const text =
  (minLength: number, fallback?: string): Check<string> =>
  (value) => {
    if (value === undefined) return fallback !== undefined ? { value: fallback } : { problem: "required, not set" };
    return value.length >= minLength ? { value } : { problem: `at least ${minLength} character(s)` };
  };

const matching =
  (pattern: RegExp, what: string): Check<string> =>
  (value) =>
    value !== undefined && pattern.test(value) ? { value } : { problem: what };

const timeZone =
  (fallback: string): Check<string> =>
  (value) => {
    if (value === undefined) return { value: fallback };
    try {
      new Intl.DateTimeFormat("en-CA", { timeZone: value });
      return { value };
    } catch {
      return { problem: "an IANA time zone such as Europe/Berlin" };
    }
  };

/** A whole number ≥ 0, as text; the fallback when unset. */
const nonNegativeInt =
  (fallback: number): Check<number> =>
  (value) => {
    if (value === undefined) return { value: fallback };
    const number = Number(value);
    return Number.isInteger(number) && number >= 0 ? { value: number } : { problem: `a whole number of 0 or more, not '${value}'` };
  };

/** A positive integer, as text (Number() of it: " 60 " and "6e1" are 60); the fallback when unset. */
const positiveInt =
  (fallback: number): Check<number> =>
  (value) => {
    if (value === undefined) return { value: fallback };
    const number = Number(value);
    return Number.isInteger(number) && number > 0 ? { value: number } : { problem: `a positive integer, not '${value}'` };
  };

const CHECKS: { [K in keyof ReportJobConfig]: Check<ReportJobConfig[K]> } = {
  ATHENA_WORKGROUP: text(1),
  GLUE_DATABASE: text(1),
  REPORTS_BUCKET: text(3),
  SNS_TOPIC_ARN: matching(SNS_TOPIC_ARN, "an SNS topic ARN"),
  REPORT_TIMEZONE: timeZone("UTC"),
  REPORT_SITE: text(1, ALL_SITES),
  LOOKBACK_DAYS: positiveInt(DEFAULT_LOOKBACK_DAYS),
  MIN_GAP_SECONDS: positiveInt(DEFAULT_MIN_GAP_SECONDS),
  QUERY_TIMEOUT_SECONDS: positiveInt(300),
  POLL_INITIAL_MS: positiveInt(500),
  POLL_MAX_MS: positiveInt(5000),
  QUERY_CONCURRENCY: positiveInt(3),
  FRESHNESS_WAIT_SECONDS: nonNegativeInt(180),
  FRESHNESS_POLL_SECONDS: positiveInt(60),
  LAKE_BUCKET: text(0, ""),
  FLEET_THING_TYPE: text(0, ""),
};

/** Parses the environment; throws one error listing every invalid or missing variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ReportJobConfig {
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, check] of Object.entries(CHECKS) as Array<[string, Check<unknown>]>) {
    const result = check(env[name]);
    if ("problem" in result) problems.push(`${name}: ${result.problem}`);
    else config[name] = result.value;
  }
  if (problems.length) throw new Error(`compliance-report configuration is invalid: ${problems.join("; ")}`);
  return config as unknown as ReportJobConfig;
}
