/**
 * Bundles a Lambda handler with esbuild at program time, so `pulumi up` needs no separate build step and the
 * deployed code is always the code in the repository. Minified, Node 20 target, AWS SDK v3 clients bundled
 * (only the ones imported) so the function does not depend on the runtime's SDK version; credentials come from
 * the Lambda environment only (see the alias below).
 */
import * as crypto from "crypto";
import * as path from "path";
import { buildSync, type BuildOptions } from "esbuild";

export interface HandlerBundle {
  /** The bundled CommonJS source of `index.js` (exports `handler`). */
  code: string;
  /** SHA-256 of the code, hex: changes exactly when the deployed code changes. */
  sha256: string;
  bytes: number;
  /** Bytes each input file contributes to the output (esbuild metafile), keyed by path relative to the repo. */
  inputs: Record<string, number>;
}

/** How every handler is built: one minified CommonJS file for the Node Lambda runtime. */
export const HANDLER_BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  minify: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  // The SDK's ES-module builds tree-shake far better than its CommonJS ones: 769 KiB -> 529 KiB for the
  // report Lambda, and about 40 % less module init (npm run bench:bundle).
  mainFields: ["module", "main"],
  alias: {
    // Lambda hands the function its role credentials in the environment; the SDK's default credential chain
    // (SSO, SSO-OIDC, STS, sign-in nested clients, INI, process, IMDS) is ~100 KiB of code that can never run
    // there. Environment credentials only: 529 -> 427 KiB for the report Lambda before anything else.
    "@aws-sdk/credential-provider-node": path.join(__dirname, "lambda-credentials.ts"),
    // No client used here has event-stream operations; their codec (19 KiB, and a node:zlib require for its
    // CRC32) is dead code at every cold start: see lambda-no-event-streams.ts.
    "@smithy/core/event-streams": path.join(__dirname, "lambda-no-event-streams.ts"),
  },
  write: false,
  legalComments: "none",
  logLevel: "silent",
};

/** Bundles `handlers/<name>/index.ts` into one minified file. */
export function bundleHandler(name: string): HandlerBundle {
  return bundleWith({ entryPoints: [path.join(__dirname, name, "index.ts")] });
}

/** Bundles any entry (a file or stdin source) with the handlers' options; the benchmark measures floors with it. */
export function bundleWith(entry: Pick<BuildOptions, "entryPoints" | "stdin">): HandlerBundle {
  const result = buildSync({ ...HANDLER_BUILD_OPTIONS, ...entry, metafile: true });
  const code = result.outputFiles![0].text;
  const [output] = Object.values(result.metafile!.outputs);
  const inputs = Object.fromEntries(Object.entries(output.inputs).map(([file, input]) => [file, input.bytesInOutput]));
  return { code, sha256: crypto.createHash("sha256").update(code).digest("hex"), bytes: Buffer.byteLength(code), inputs };
}
