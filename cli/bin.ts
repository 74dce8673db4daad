#!/usr/bin/env tsx
/** Entry point of the `iotpipe` command (run with tsx: `npm run iotpipe -- <command>`). */
import { run } from "./program";

run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
