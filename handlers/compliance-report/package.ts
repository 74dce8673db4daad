/**
 * What the compliance-report Lambda package contains: the bundled handler as `index.js`, the compliance SQL
 * files and the scope query beside it under `sql/athena/` (the handler reads them at run time; reports/queries.ts
 * looks there first), the stack's static limits as `static-limits.json` (the limits that applied, in the daily
 * sensor log) and those its configuration sets as `spec-limits.json` (drawn on the range chart).
 * One definition for the Pulumi component, `npm run build:handlers` and the bundle benchmark.
 */
import * as fs from "fs";
import * as path from "path";
import type { StaticLimitRule } from "../../analytics/definition";
import { bundleHandler, HandlerBundle } from "../bundle";
import { specificationLimits } from "../../config/analytics";
import { SPEC_LIMITS_FILE, STATIC_LIMITS_FILE } from "./package-files";
import { ATHENA_QUERIES, sqlDirectory } from "../../reports/queries";

export interface LambdaPackage {
  /** Archive path → file content. */
  files: Record<string, string>;
  bundle: HandlerBundle;
}

/** The package; `staticLimits` (the stack's, config/analytics.ts) and its specification limits travel as JSON files. */
export function complianceReportPackage(staticLimits?: StaticLimitRule): LambdaPackage {
  const bundle = bundleHandler("compliance-report");
  const files: Record<string, string> = { "index.js": bundle.code };
  if (staticLimits) {
    files[STATIC_LIMITS_FILE] = `${JSON.stringify(staticLimits, null, 2)}\n`;
    files[SPEC_LIMITS_FILE] = `${JSON.stringify(specificationLimits(staticLimits), null, 2)}\n`;
  }
  for (const spec of ATHENA_QUERIES) {
    files[`sql/athena/${spec.file}`] = fs.readFileSync(path.join(sqlDirectory(), spec.file), "utf8");
  }
  return { files, bundle };
}
