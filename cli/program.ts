/**
 * The `iotpipe` command line: builds the commander program and runs it, turning every failure into a
 * message that says what to do next and an exit code (see EXIT).
 */
import { Command, CommanderError } from "commander";
import { CliError, EXIT } from "./errors";
import { processIo, type Io } from "./io";
import { registerBroker, registerPublish } from "./commands/broker";
import { registerDemo } from "./commands/demo";
import { registerDevices } from "./commands/devices";
import { registerFleet } from "./commands/fleet";
import { registerReplay } from "./commands/replay";
import { registerPrices } from "./commands/prices";
import { registerReport } from "./commands/report";
import { registerSimulate } from "./commands/simulate";
import { registerSize } from "./commands/size";
import { registerSql } from "./commands/sql";

/** Builds the program; `io` receives all output (commander's too) so tests can read it. */
export function buildProgram(io: Io = processIo): Command {
  const program = new Command("iotpipe")
    .description("IoT stream analytics on one machine: simulate a factory, run MQTT locally, replay into a Parquet lake, report.")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride()
    .addHelpText(
      "after",
      `
Start here:
  npm run demo                                   simulate, replay and score a small factory (< 1 minute)
  iotpipe simulate --out data/sim --hours 24     a day of telemetry with labelled faults
  iotpipe replay --input data/sim/messages.jsonl --out data/lake
  iotpipe report --date 2026-11-02 --lake data/lake
  iotpipe sql --lake data/lake "SELECT rule, count(*) AS n FROM anomalies GROUP BY rule"
  iotpipe size --devices 1000 --metrics 4 --interval 5 --compare   capacities, quotas and monthly cost
  iotpipe prices refresh --region eu-central-1    read the price table's EU prices from the AWS Price List API (pricing:GetProducts)
  iotpipe fleet list --outputs prod-outputs.json   a deployed stack's devices (revoke, deactivate, move: dry run without --apply)

Exit codes: 0 ok, 1 failed, 2 bad command line, 3 conservation check failed (records lost or double-counted).`,
    );
  for (const register of [registerSimulate, registerReplay, registerReport, registerSql, registerBroker, registerPublish, registerDevices, registerDemo, registerSize, registerPrices, registerFleet]) {
    register(program, io);
  }
  // Subcommands too (`devices add`): commander gives each its own exit and output unless told.
  const configure = (commands: readonly Command[]): void => {
    for (const command of commands) {
      command.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
      configure(command.commands);
    }
  };
  configure(program.commands);
  return program;
}

/** Runs the CLI on `args` (without node and script); resolves to the exit code. */
export async function run(args: string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(args, { from: "user" });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit through here with code 0; everything else is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      io.err(`error: ${error.message}`);
      if (error.hint) io.err(`  next: ${error.hint}`);
      return error.exitCode;
    }
    io.err(`error: ${(error as Error).message ?? String(error)}`);
    if (process.env.IOTPIPE_DEBUG) io.err((error as Error).stack ?? "");
    else io.err("  (set IOTPIPE_DEBUG=1 for the stack trace)");
    return EXIT.failed;
  }
}
