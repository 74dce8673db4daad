/**
 * The tree is a map of the architecture: what the Lambdas bundle (handlers/, reports/, contract/) must not reach
 * the local engine (local/, DuckDB) or the CLI, and analytics/ must not read stack files (config/). Checked on the
 * import statements of every source file, so a stray import fails here before it bloats a bundle.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith(".ts") ? [rel] : [];
  });
}

/** Every module a file imports (relative ones resolved to repository paths, packages as named). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  return [...text.matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gms)].map(([, spec]) =>
    spec.startsWith(".") ? path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), spec)) : spec,
  );
}

const forbidden: [string, string[], (target: string) => boolean][] = [
  ["the local engine, DuckDB or the CLI", ["reports", "handlers", "contract"], (t) => t.startsWith(`local${path.sep}`) || t.startsWith(`cli${path.sep}`) || t.startsWith("@duckdb/")],
  ["config, the local engine or the CLI", ["analytics"], (t) => t.startsWith(`config${path.sep}`) || t.startsWith(`local${path.sep}`) || t.startsWith(`cli${path.sep}`)],
];

it.each(forbidden)("nothing reaches %s from %p", (what, dirs, bad) => {
  const offenders = dirs.flatMap(sources).flatMap((file) => importsOf(file).filter(bad).map((t) => `${file} → ${t}`));
  expect({ reaching: what, offenders }).toEqual({ reaching: what, offenders: [] });
});

it("the checker sees imports (a file that imports DuckDB is caught)", () => {
  expect(importsOf(path.join("local", "report-lake.ts"))).toContain("@duckdb/node-api");
  expect(importsOf(path.join("local", "report.ts"))).toContain(path.join("reports", "model"));
});
