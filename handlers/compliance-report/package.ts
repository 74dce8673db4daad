/**
 * What the compliance-report Lambda package contains: the bundled handler as `index.js` and the compliance SQL
 * files beside it under `sql/athena/` (the handler reads them at run time; reports/queries.ts looks there first).
 * One definition for the Pulumi component, `npm run build:handlers` and the bundle benchmark.
 */
import * as fs from "fs";
import * as path from "path";
import { bundleHandler, HandlerBundle } from "../bundle";
import { COMPLIANCE_QUERIES, sqlDirectory } from "../../reports/queries";

export interface LambdaPackage {
  /** Archive path → file content. */
  files: Record<string, string>;
  bundle: HandlerBundle;
}

export function complianceReportPackage(): LambdaPackage {
  const bundle = bundleHandler("compliance-report");
  const files: Record<string, string> = { "index.js": bundle.code };
  for (const spec of COMPLIANCE_QUERIES) {
    files[`sql/athena/${spec.file}`] = fs.readFileSync(path.join(sqlDirectory(), spec.file), "utf8");
  }
  return { files, bundle };
}
