/**
 * Loads and validates the `iotpipe:*` stack configuration. Fails before any resource is declared, with one
 * message listing every bad key, its allowed values and what was given, e.g.
 * `iotpipe:streamMode must be one of on-demand, provisioned; got "fast"`.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CONFIG_KEYS, stackConfigSchema, type ConfigKeyName, type StackConfig } from "./schema";

export const CONFIG_NAMESPACE = "iotpipe";

/** Thrown for invalid stack configuration; `problems` holds one line per bad key. */
export class StackConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack configuration:\n  ${problems.join("\n  ")}`);
    this.name = "StackConfigError";
  }
}

const show = (v: unknown) => JSON.stringify(v);

/**
 * Pulumi hands every config value to the program as a string (arrays as JSON). Converts one raw value to the
 * type Pulumi.yaml declares for it; returns an error message when it cannot.
 */
function coerce(name: ConfigKeyName, raw: unknown): { value: unknown } | { error: string } {
  if (typeof raw !== "string") return { value: raw };
  switch (CONFIG_KEYS[name].type) {
    case "integer":
      return /^-?\d+$/.test(raw.trim()) ? { value: Number(raw) } : { error: `must be an integer; got ${show(raw)}` };
    case "boolean":
      return raw === "true" || raw === "false" ? { value: raw === "true" } : { error: `must be true or false; got ${show(raw)}` };
    case "array":
      try {
        const parsed = JSON.parse(raw);
        if (Array.isArray(parsed)) return { value: parsed };
      } catch {
        // reported below
      }
      return { error: `must be a list (YAML list, or JSON array with --path); got ${show(raw)}` };
    case "string":
      return { value: raw };
  }
}

function unknownKeys(keys: string[]): string {
  return `unknown key(s) ${keys.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(", ")}; known keys: ${Object.keys(CONFIG_KEYS).join(", ")}`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_value":
      return `must be one of ${issue.values.map(String).join(", ")}`;
    case "too_small":
      return issue.origin === "array" ? `needs at least ${issue.minimum} entries` : `must be at least ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array" ? `takes at most ${issue.maximum} entries` : `must be at most ${issue.maximum}`;
    case "invalid_type":
      return `must be ${issue.expected === "int" ? "an integer" : `a ${issue.expected}`}`;
    case "invalid_format":
      return issue.format === "email" ? "must be an e-mail address" : `must be a valid ${issue.format}`;
    case "unrecognized_keys":
      return unknownKeys(issue.keys);
    default:
      return issue.message;
  }
}

function keyPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? `${CONFIG_NAMESPACE}:` : "."}${String(p)}`)).join("");
}

/** One problem line per schema issue (the key, what it must be, what it got). */
function issueLines(issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): string[] {
  return issues.map((issue) => {
    const where = issue.code === "unrecognized_keys" ? "" : `${keyPath([...prefix, ...issue.path])} `;
    const got = issue.code === "unrecognized_keys" || issue.input === undefined ? "" : `; got ${show(issue.input)}`;
    return `${where}${describeIssue(issue)}${got}`;
  });
}

/** Edit distance (insertions, deletions, substitutions) between two short strings. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current.push(Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = current;
  }
  return previous[b.length];
}

/**
 * Keys of a stack's configuration (fully qualified, `namespace:key`) whose namespace looks like a misspelling
 * of ours (`iotpip:environment`, `IotPipe:…`): Pulumi passes them on, nothing reads them, and the setting would
 * silently not apply. One problem line each, with the key it was probably meant to be.
 */
export function namespaceProblems(fullKeys: string[]): string[] {
  return fullKeys.flatMap((key) => {
    const colon = key.indexOf(":");
    if (colon < 0) return [];
    const namespace = key.slice(0, colon);
    if (namespace === CONFIG_NAMESPACE || editDistance(namespace.toLowerCase(), CONFIG_NAMESPACE) > 2) return [];
    return [`${key} is not read: its namespace "${namespace}" is not "${CONFIG_NAMESPACE}"; did you mean ${CONFIG_NAMESPACE}:${key.slice(colon + 1)}?`];
  });
}

/**
 * Validates configuration given as `{ key: value }` (keys without the namespace; values as Pulumi passes
 * them, strings, or already typed). Missing keys take their defaults. Throws StackConfigError listing every
 * problem at once: `found` (e.g. namespaceProblems), values of the wrong type, and each key's own checks (a
 * bad static limit beside a mistyped integer); the rules between keys are checked once every key is valid.
 */
export function parseStackConfig(raw: Record<string, unknown>, found: string[] = []): StackConfig {
  const problems: string[] = [...found];
  const typed: string[] = [];
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (!(name in CONFIG_KEYS)) {
      input[name] = value; // reported by the strict schema with the list of known keys
      continue;
    }
    const coerced = coerce(name as ConfigKeyName, value);
    if ("error" in coerced) typed.push(`${CONFIG_NAMESPACE}:${name} ${coerced.error}`);
    else input[name] = coerced.value;
  }
  if (typed.length > 0) {
    // Without every key, the rules between keys would judge defaults: check each well-typed key on its own.
    const unknown = Object.keys(input).filter((name) => !(name in CONFIG_KEYS));
    const own = Object.entries(input)
      .filter(([name]) => name in CONFIG_KEYS)
      .flatMap(([name, value]) => {
        const result = (CONFIG_KEYS[name as ConfigKeyName].schema as z.ZodType).safeParse(value, { reportInput: true });
        return result.success ? [] : issueLines(result.error.issues, [name]);
      });
    const unrecognized = unknown.length === 0 ? [] : [unknownKeys(unknown)];
    throw new StackConfigError([...problems, ...typed, ...own, ...unrecognized]);
  }
  const result = stackConfigSchema.safeParse(input, { reportInput: true });
  if (result.success && problems.length === 0) return result.data as StackConfig;
  throw new StackConfigError([...problems, ...(result.success ? [] : issueLines(result.error.issues))]);
}

/** Reads every `iotpipe:*` key of the current stack (Pulumi.<stack>.yaml plus Pulumi.yaml defaults) and validates it. */
export function loadStackConfig(): StackConfig {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const all = pulumi.runtime.allConfig();
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(all)) {
    if (fullKey.startsWith(prefix)) raw[fullKey.slice(prefix.length)] = value;
  }
  return parseStackConfig(raw, namespaceProblems(Object.keys(all)));
}
