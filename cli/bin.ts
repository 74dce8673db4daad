#!/usr/bin/env tsx
/** Entry point of the `iotpipe` command (run with tsx: `npm run iotpipe -- <command>`). */
import { callerDir } from "./caller-dir";
import { run } from "./program";

// Paths on the command line are the caller's, also under `npm run` (which runs this in the repository root).
process.chdir(callerDir());
run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
