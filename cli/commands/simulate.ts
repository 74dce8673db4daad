/** `iotpipe simulate`: writes a factory's telemetry with labelled faults (and optionally publishes it over MQTT). */
import * as path from "node:path";
import type { Command } from "commander";
import { DEFAULT_SIMULATION, writeSimulation, type SimulationConfig, type SimulationOutput } from "../../simulator/simulate";
import { CliError } from "../errors";
import type { Io } from "../io";
import { integerIn, isoInstant, nonNegativeNumber, positiveNumber } from "../options";
import { progressBar } from "../progress";
import { publishToBroker } from "./broker";

interface SimulateFlags {
  out: string;
  seed: number;
  hours: number;
  start?: number;
  sites: number;
  lines: number;
  devices: number;
  cadenceSeconds: number;
  faultRate: number;
  publish?: string;
}

/** Builds the simulation config from flags (defaults from DEFAULT_SIMULATION). */
export function simulationConfig(flags: Omit<SimulateFlags, "out" | "publish">): SimulationConfig {
  return {
    seed: flags.seed,
    start: flags.start ?? DEFAULT_SIMULATION.start,
    hours: flags.hours,
    shape: { sites: flags.sites, linesPerSite: flags.lines, devicesPerLine: flags.devices },
    cadenceSeconds: flags.cadenceSeconds,
    faultRate: flags.faultRate,
  };
}

/** Runs a simulation with a progress bar and prints what was written. */
export function simulateWithProgress(config: SimulationConfig, outDir: string, io: Io): SimulationOutput {
  const bar = progressBar("simulate", "ticks");
  try {
    return writeSimulation(config, outDir, (done, total) => {
      if (done % 50 === 0 || done === total) bar.update(done, total);
    });
  } catch (error) {
    throw new CliError(`simulation failed: ${(error as Error).message}`, `check that ${outDir} is writable`);
  } finally {
    bar.stop();
  }
}

/** One line per fault kind: "spike 4, drift 3, ...". */
export function faultSummary(output: SimulationOutput): string {
  const counts = new Map<string, number>();
  for (const f of output.truth.faults) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  return counts.size === 0 ? "none" : [...counts].map(([k, n]) => `${k} ${n}`).join(", ");
}

export function registerSimulate(program: Command, io: Io): void {
  const d = DEFAULT_SIMULATION;
  program
    .command("simulate")
    .description("Simulate a factory's sensor telemetry with labelled faults: writes messages.jsonl and labels.json")
    .requiredOption("--out <dir>", "directory for messages.jsonl (replay input) and labels.json (ground truth)")
    .option("--seed <n>", "random seed: the same seed writes the same bytes", integerIn(0, 2 ** 32 - 1), d.seed)
    .option("--hours <h>", "simulated duration in hours", positiveNumber(24 * 31), d.hours)
    .option("--start <iso>", `simulated start time (default ${new Date(d.start).toISOString()}; with --publish, now minus --hours)`, isoInstant)
    .option("--sites <n>", "sites (plants)", integerIn(1, 26), d.shape.sites)
    .option("--lines <n>", "production lines per site", integerIn(1, 100), d.shape.linesPerSite)
    .option("--devices <n>", "devices per line", integerIn(1, 1000), d.shape.devicesPerLine)
    .option("--cadence-seconds <s>", "seconds between two messages of one device", integerIn(1, 3600), d.cadenceSeconds)
    .option("--fault-rate <x>", "multiplier on the default fault mix (0 for clean data)", nonNegativeNumber, d.faultRate)
    .option("--publish <url>", "also publish the messages to an MQTT broker, e.g. mqtt://127.0.0.1:1883 (see `iotpipe broker`)")
    .addHelpText(
      "after",
      `
Each device reports temperature, vibration, pressure and current; faults are spikes, drifts, stuck sensors,
dropouts, duplicates (re-sent after a reconnect), late (an hour) and malformed messages. labels.json lists
each fault with its device, metric, start/end and the anomaly rule(s) expected to catch it.

Example:
  iotpipe simulate --out data/sim --seed 7 --hours 24 --sites 1 --lines 3 --devices 8`,
    )
    .action(async (flags: SimulateFlags) => {
      // Live ingest judges event times against the broker's clock: a publish run starts in the recent past.
      const start = flags.start ?? (flags.publish ? Math.floor((Date.now() - flags.hours * 3_600_000) / 1000) * 1000 : undefined);
      const config = simulationConfig({ ...flags, start });
      const output = simulateWithProgress(config, flags.out, io);
      const e = output.truth.expected;
      io.out(`simulated ${output.truth.devices.length} devices for ${config.hours} h from ${output.truth.start_iso} (seed ${config.seed})`);
      io.out(`  ${path.relative(process.cwd(), output.messagesPath) || output.messagesPath}: ${e.lines} lines (${e.accepted_readings} valid readings)`);
      io.out(`  ${path.relative(process.cwd(), output.labelsPath) || output.labelsPath}: ${output.truth.faults.length} faults (${faultSummary(output)})`);
      io.out(`  expected: accepted ${e.accepted_messages} messages, duplicates ${e.duplicates}, quarantined ${e.quarantined}, late ${e.late_messages}`);
      if (flags.publish) await publishToBroker(flags.publish, output.messagesPath, io);
      else io.out(`next: iotpipe replay --input ${output.messagesPath} --out <lake-dir>`);
    });
}
