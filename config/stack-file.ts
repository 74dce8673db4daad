/**
 * Reads a stack's configuration from Pulumi.yaml (declared defaults) and Pulumi.<stack>.yaml, the way the
 * Pulumi CLI hands it to the program: fully qualified keys, every value a string (lists and objects as JSON).
 * The offline plan and the tests use it so they see exactly what `pulumi up` would.
 */
import * as fs from "fs";
import * as path from "path";
import { load } from "js-yaml";

/** The repository root: where Pulumi.yaml lives. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

function readYaml(file: string): Record<string, any> {
  const doc = load(fs.readFileSync(file, "utf8"), { filename: file });
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${file} is not a YAML mapping`);
  return doc as Record<string, any>;
}

/** A config value as the Pulumi language host passes it to the program. */
function asConfigString(value: unknown): string {
  // js-yaml reads an unquoted 2026-01-01 as a Date; Pulumi (Go YAML) keeps it as the string it was.
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Stacks that have a Pulumi.<stack>.yaml next to Pulumi.yaml. */
export function listStacks(projectDir = PROJECT_DIR): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** The project name and its declared config (key -> declaration) from Pulumi.yaml. */
export function readProject(projectDir = PROJECT_DIR): { name: string; config: Record<string, any> } {
  const project = readYaml(path.join(projectDir, "Pulumi.yaml"));
  return { name: String(project.name), config: project.config ?? {} };
}

/** The configuration a stack with no stack file of its own would get: Pulumi.yaml's declared defaults, fully qualified. */
export function readProjectDefaults(projectDir = PROJECT_DIR): Record<string, string> {
  const project = readProject(projectDir);
  const config: Record<string, string> = {};
  for (const [name, declaration] of Object.entries(project.config)) {
    const fullKey = name.includes(":") ? name : `${project.name}:${name}`;
    const value = declaration !== null && typeof declaration === "object" && "type" in declaration ? declaration.default : declaration;
    if (value !== undefined) config[fullKey] = asConfigString(value);
  }
  return config;
}

/** The configuration `pulumi up --stack <stack>` would pass: declared defaults overlaid with the stack file. */
export function readStackConfig(stack: string, projectDir = PROJECT_DIR): Record<string, string> {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(`no stack file ${file}; stacks here: ${listStacks(projectDir).join(", ") || "none"}`);
  }
  return readStackFile(file, projectDir);
}

/**
 * The configuration a stack file (any path, e.g. a copy of Pulumi.prod.yaml) would pass with the project's
 * declared defaults: `projectDir`'s Pulumi.yaml, by default this repository's.
 */
export function readStackFile(file: string, projectDir = PROJECT_DIR): Record<string, string> {
  const project = readProject(projectDir);
  const config = readProjectDefaults(projectDir);
  for (const [name, value] of Object.entries(readYaml(file).config ?? {})) {
    const fullKey = name.includes(":") ? name : `${project.name}:${name}`;
    config[fullKey] = asConfigString(value);
  }
  return config;
}

/** The project's own keys of a configuration, without the namespace (`streamMode`, not `iotpipe:streamMode`). */
function projectKeys(config: Record<string, string>, projectDir: string): Record<string, string> {
  const namespace = `${readProject(projectDir).name}:`;
  return Object.fromEntries(
    Object.entries(config)
      .filter(([key]) => key.startsWith(namespace))
      .map(([key, value]) => [key.slice(namespace.length), value]),
  );
}

/** The project's own keys of a stack's configuration, without the namespace (`streamMode`, not `iotpipe:streamMode`). */
export function readProjectKeys(stack: string, projectDir = PROJECT_DIR): Record<string, string> {
  return projectKeys(readStackConfig(stack, projectDir), projectDir);
}

/** The project's own keys a stack file sets or inherits from the declared defaults (see readStackFile). */
export function readStackFileKeys(file: string, projectDir = PROJECT_DIR): Record<string, string> {
  return projectKeys(readStackFile(file, projectDir), projectDir);
}
