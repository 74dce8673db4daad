/**
 * `npm run build:handlers [-- name ...]`: writes each Lambda package to `dist/handlers/<name>/` exactly as the
 * components deploy it (handlers/bundle.ts; compliance-report adds its SQL files), for inspection, a manual
 * upload or a size check. Pulumi does not need this step: the components bundle at program time.
 */
import * as fs from "fs";
import * as path from "path";
import { bundleHandler } from "./bundle";
import { complianceReportPackage } from "./compliance-report/package";

/** Handlers whose package holds more than the bundled `index.js`. */
const PACKAGES: Record<string, () => Record<string, string>> = {
  "compliance-report": () => complianceReportPackage().files,
};

function handlerNames(): string[] {
  return fs
    .readdirSync(__dirname, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(__dirname, entry.name, "index.ts")))
    .map((entry) => entry.name)
    .sort();
}

/** Writes one handler's package; returns the files written with their sizes. */
export function buildHandler(name: string, outRoot: string): Array<{ file: string; bytes: number }> {
  const files = PACKAGES[name]?.() ?? { "index.js": bundleHandler(name).code };
  const dir = path.join(outRoot, name);
  fs.rmSync(dir, { recursive: true, force: true });
  return Object.entries(files).map(([file, content]) => {
    const target = path.join(dir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
    return { file: target, bytes: Buffer.byteLength(content) };
  });
}

if (require.main === module) {
  const known = handlerNames();
  const requested = process.argv.slice(2);
  const unknown = requested.filter((n) => !known.includes(n));
  if (unknown.length) {
    console.error(`unknown handler(s): ${unknown.join(", ")}; known: ${known.join(", ")}`);
    process.exit(2);
  }
  const outRoot = path.join(__dirname, "..", "dist", "handlers");
  for (const name of requested.length ? requested : known) {
    const written = buildHandler(name, outRoot);
    const total = written.reduce((sum, f) => sum + f.bytes, 0);
    console.log(`${name}: ${written.length} file(s), ${(total / 1024).toFixed(1)} KiB → ${path.relative(process.cwd(), path.join(outRoot, name))}`);
  }
}
