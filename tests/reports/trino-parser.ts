/**
 * dt-sql-parser ships extension-less ES modules meant for bundlers, which neither Node's loader nor jest's
 * resolver accepts; bundling its TrinoSQL entry with esbuild (once per test file) gives a plain CommonJS module.
 */
import { buildSync } from "esbuild";

export interface TrinoParseError {
  startLine: number;
  startColumn: number;
  message: string;
}

export interface TrinoValidator {
  validate(sql: string): TrinoParseError[];
}

export function loadTrinoParser(): TrinoValidator {
  const result = buildSync({
    stdin: { contents: "export { TrinoSQL } from 'dt-sql-parser';", resolveDir: process.cwd() },
    bundle: true,
    format: "cjs",
    platform: "node",
    write: false,
    logLevel: "silent",
  });
  const module = { exports: {} as Record<string, any> };
  new Function("module", "exports", "require", result.outputFiles[0].text)(module, module.exports, require);
  return new module.exports.TrinoSQL() as TrinoValidator;
}
