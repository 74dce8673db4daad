/**
 * The part of js-yaml (a dependency of @pulumi/pulumi, pinned in package.json at the same version) that
 * config/stack-file.ts uses. @types/js-yaml is not installed; this declaration covers the one call we make.
 */
declare module "js-yaml" {
  /** Parses one YAML document (safe schema: no custom tags, no code execution). */
  export function load(text: string, options?: { filename?: string }): unknown;
}
