/**
 * The part of js-yaml (a dependency of @pulumi/pulumi, pinned in package.json at the same version) that
 * config/ uses. @types/js-yaml is not installed; this declaration covers the two calls we make.
 */
declare module "js-yaml" {
  /** Parses one YAML document (safe schema: no custom tags, no code execution). */
  export function load(text: string, options?: { filename?: string }): unknown;
  /** Serializes a value as YAML (used to render Pulumi.yaml from the config catalogue). */
  export function dump(value: unknown, options?: { lineWidth?: number; noRefs?: boolean; quotingType?: "'" | '"' }): string;
}
