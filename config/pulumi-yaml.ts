/**
 * Renders Pulumi.yaml from the configuration catalogue, so the declared types, defaults and descriptions can
 * never drift from the schema that validates them (tests/program compares the file with this rendering).
 * Regenerate after changing config/schema.ts: `npx tsx config/pulumi-yaml.ts`; `--reference` prints the
 * README's configuration table instead.
 */
import * as fs from "fs";
import * as path from "path";
import { dump } from "js-yaml";
import { pulumiConfigDeclarations } from "./schema";

const HEADER = `# The iotpipe Pulumi project. \`config:\` declares every stack setting with its type, default and description;
# Pulumi checks the types, config/schema.ts checks the rest (allowed values, ranges, relations between keys)
# before any resource is declared. Generated from config/schema.ts by \`npx tsx config/pulumi-yaml.ts\`.
#
# TypeScript runs through tsx (a devDependency) rather than Pulumi's bundled ts-node, which predates the
# \`module: nodenext\` setting of tsconfig.json; types are checked by \`npm run typecheck\`.
`;

/** The full text of Pulumi.yaml. */
export function renderProjectFile(): string {
  const project = {
    name: "iotpipe",
    description: "Open IoT stream analytics for AWS: IoT Core -> Kinesis -> Managed Flink -> Firehose/Parquet -> Glue/Athena, with compliance reports and alerts",
    runtime: { name: "nodejs", options: { typescript: false, nodeargs: "--import tsx" } },
    main: "index.ts",
    config: pulumiConfigDeclarations(),
  };
  return HEADER + dump(project, { lineWidth: -1, noRefs: true, quotingType: '"' });
}

/** The configuration reference as a Markdown table (key, type, default, description). */
export function renderConfigReference(): string {
  const cell = (v: string) => v.replace(/\|/g, "\\|");
  const rows = Object.entries(pulumiConfigDeclarations()).map(
    ([key, d]) => `| \`iotpipe:${key}\` | ${d.type} | \`${JSON.stringify(d.default)}\` | ${cell(d.description)} |`,
  );
  return ["| key | type | default | description |", "|---|---|---|---|", ...rows].join("\n") + "\n";
}

if (require.main === module) {
  if (process.argv.includes("--reference")) {
    process.stdout.write(renderConfigReference());
  } else {
    const file = path.join(__dirname, "..", "Pulumi.yaml");
    fs.writeFileSync(file, renderProjectFile());
    console.log(`wrote ${file}`);
  }
}
