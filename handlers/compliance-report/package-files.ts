/** Names of the files the compliance-report package holds beside `index.js` (shared by the packager and the handler). */

/** The stack's static limits (JSON of analytics/definition.ts StaticLimitRule): the limits that applied, in the sensor log. */
export const STATIC_LIMITS_FILE = "static-limits.json";

/** Of those, the ones the stack's configuration sets (config/analytics.ts specificationLimits): the chart's spec limits. */
export const SPEC_LIMITS_FILE = "spec-limits.json";
