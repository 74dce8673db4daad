/**
 * The report job's configuration, from the Lambda environment (set by the ComplianceReports component).
 * Validated at the start of each invocation (cheap) so a misconfigured function fails at once with every problem
 * named, not halfway through a report.
 */
// zod/mini: the same validation as classic zod at a twentieth of the bundle size (the classic build alone is
// ~450 KB minified and not tree-shakeable, which would dominate the Lambda package and its cold start).
import * as z from "zod/mini";
import { ALL_SITES, DEFAULT_LOOKBACK_DAYS, DEFAULT_MIN_GAP_SECONDS } from "../../reports/queries";

const timeZone = z.string().check(
  z.refine((tz) => {
    try {
      new Intl.DateTimeFormat("en-CA", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "an IANA time zone such as Europe/Berlin"),
);

const positiveInt = (fallback: number) =>
  z._default(z.coerce.number().check(z.refine(Number.isInteger, "an integer"), z.positive()), fallback);

export const configSchema = z.object({
  ATHENA_WORKGROUP: z.string().check(z.minLength(1)),
  GLUE_DATABASE: z.string().check(z.minLength(1)),
  REPORTS_BUCKET: z.string().check(z.minLength(3)),
  SNS_TOPIC_ARN: z.string().check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, "an SNS topic ARN")),
  /** The time zone whose "yesterday" the scheduled run reports on (the report day itself is a UTC day). */
  REPORT_TIMEZONE: z._default(timeZone, "UTC"),
  /** One site id, or `*` for a report covering every site. */
  REPORT_SITE: z._default(z.string().check(z.minLength(1)), ALL_SITES),
  LOOKBACK_DAYS: positiveInt(DEFAULT_LOOKBACK_DAYS),
  MIN_GAP_SECONDS: positiveInt(DEFAULT_MIN_GAP_SECONDS),
  /** A query still running after this long is stopped and the report fails. Keep below the function timeout. */
  QUERY_TIMEOUT_SECONDS: positiveInt(300),
  /** First wait between GetQueryExecution polls; doubles up to POLL_MAX_MS. */
  POLL_INITIAL_MS: positiveInt(500),
  POLL_MAX_MS: positiveInt(5000),
  /** Queries run at the same time (Athena counts concurrent DML queries against an account quota). */
  QUERY_CONCURRENCY: positiveInt(3),
});

export type ReportJobConfig = z.output<typeof configSchema>;

/** Parses the environment; throws one error listing every invalid or missing variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ReportJobConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`compliance-report configuration is invalid: ${problems}`);
  }
  return parsed.data;
}
