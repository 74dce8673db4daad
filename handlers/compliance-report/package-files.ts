/** Names of the files the compliance-report package holds beside `index.js` (shared by the packager and the handler). */

/** The stack's static limits (JSON of analytics/definition.ts StaticLimitRule), drawn on the report's range chart. */
export const STATIC_LIMITS_FILE = "static-limits.json";
