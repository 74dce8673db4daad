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
      return `unknown key(s) ${issue.keys.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(", ")}; known keys: ${Object.keys(CONFIG_KEYS).join(", ")}`;
    default:
      return issue.message;
  }
}

function keyPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? `${CONFIG_NAMESPACE}:` : "."}${String(p)}`)).join("");
}

/**
 * Validates configuration given as `{ key: value }` (keys without the namespace; values as Pulumi passes
 * them, strings, or already typed). Missing keys take their defaults. Throws StackConfigError.
 */
export function parseStackConfig(raw: Record<string, unknown>): StackConfig {
  const problems: string[] = [];
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (!(name in CONFIG_KEYS)) {
      input[name] = value; // reported by the strict schema with the list of known keys
      continue;
    }
    const coerced = coerce(name as ConfigKeyName, value);
    if ("error" in coerced) problems.push(`${CONFIG_NAMESPACE}:${name} ${coerced.error}`);
    else input[name] = coerced.value;
  }
  if (problems.length > 0) throw new StackConfigError(problems);
  const result = stackConfigSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data as StackConfig;
  throw new StackConfigError(
    result.error.issues.map((issue) => {
      const where = issue.code === "unrecognized_keys" ? "" : `${keyPath(issue.path)} `;
      const got = issue.code === "unrecognized_keys" || issue.input === undefined ? "" : `; got ${show(issue.input)}`;
      return `${where}${describeIssue(issue)}${got}`;
    }),
  );
}

/** Reads every `iotpipe:*` key of the current stack (Pulumi.<stack>.yaml plus Pulumi.yaml defaults) and validates it. */
export function loadStackConfig(): StackConfig {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const raw: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (fullKey.startsWith(prefix)) raw[fullKey.slice(prefix.length)] = value;
  }
  return parseStackConfig(raw);
}
