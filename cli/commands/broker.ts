/** `iotpipe broker` (embedded MQTT into a spool file) and `iotpipe publish` (a replay file over MQTT). */
import type { Command } from "commander";
import { DEFAULT_BROKER_HOST, startBroker, type BrokerStats, type RunningBroker } from "../../local/broker";
import { publishFile } from "../../local/broker-publish";
import { TelemetrySpool } from "../../local/spool";
import { CliError } from "../errors";
import type { Io } from "../io";
import { port } from "../options";
import { progressBar } from "../progress";

export const DEFAULT_SPOOL = ".iotpipe/spool/telemetry.jsonl";
export const DEFAULT_MQTT_PORT = 1883;

/** "received 12: accepted 10, quarantined 2 (unparseable 1, bad_topic 1)". */
export function brokerTotals(stats: BrokerStats): string {
  const reasons = Object.entries(stats.byReason).map(([reason, n]) => `${reason} ${n}`).join(", ");
  return `received ${stats.received}: accepted ${stats.accepted}, quarantined ${stats.quarantined}${reasons ? ` (${reasons})` : ""}`;
}

/** Resolves on the first SIGINT or SIGTERM (and stops listening for them). */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
      resolve(signal);
    };
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
  });
}

export function registerBroker(program: Command, io: Io): void {
  program
    .command("broker")
    .description("Run an embedded MQTT broker: devices publish to telemetry/<site>/<line>/<device>; every message is spooled for replay")
    .option("--port <n>", "TCP port (0 = any free port, printed at start)", port, DEFAULT_MQTT_PORT)
    .option("--host <addr>", "interface to bind; loopback by default (no TLS, no authentication)", DEFAULT_BROKER_HOST)
    .option("--spool <file>", "spool file (JSON Lines, appended)", DEFAULT_SPOOL)
    .option("--quiet", "do not print each quarantined message")
    .addHelpText(
      "after",
      `
Each publish is checked against the telemetry contract as it arrives (live mode: event time judged against
the broker clock) and appended to the spool, valid or not; QoS 1 publishes are acknowledged once spooled.
Stop with Ctrl-C, then replay the spool:
  iotpipe replay --input ${DEFAULT_SPOOL} --out data/lake`,
    )
    .action(async (flags: { port: number; host: string; spool: string; quiet?: boolean }) => {
      if (!["127.0.0.1", "::1", "localhost"].includes(flags.host)) {
        io.err(`warning: binding ${flags.host}: the embedded broker has no TLS and no authentication; use it on trusted networks only`);
      }
      let broker: RunningBroker;
      const spool = new TelemetrySpool(flags.spool);
      try {
        broker = await startBroker({
          host: flags.host,
          port: flags.port,
          spool,
          onMessage: (m) => {
            if (m.outcome === "quarantined" && !flags.quiet) io.err(`quarantined ${m.topic}: ${m.reason} (${m.detail})`);
          },
        });
      } catch (error) {
        throw new CliError((error as Error).message, "pick another port with --port, or --port 0 for any free port");
      }
      io.out(`listening on ${broker.url} (topic telemetry/<site>/<line>/<device>), spooling to ${flags.spool}`);
      io.out("press Ctrl-C to stop");
      const signal = await untilSignal();
      await broker.close();
      io.out(`stopped (${signal}); ${brokerTotals(broker.stats)}`);
      io.out(`next: iotpipe replay --input ${flags.spool} --out <lake-dir>`);
    });
}

/** Publishes a replay file to a broker with a progress bar; prints the totals. */
export async function publishToBroker(url: string, input: string, io: Io): Promise<void> {
  const bar = progressBar("publish", "messages");
  let result;
  try {
    result = await publishFile({ url, input, onProgress: (n) => bar.update(n, n) });
  } catch (error) {
    throw new CliError((error as Error).message, `start a broker first (iotpipe broker --port ${DEFAULT_MQTT_PORT}) or pass its URL`);
  } finally {
    bar.stop();
  }
  io.out(`published ${result.published} of ${result.lines} lines to ${url}`);
  if (result.unaddressable.length > 0) {
    io.err(`warning: ${result.unaddressable.length} line(s) name no topic and were not published (first: line ${result.unaddressable[0]})`);
  }
}

export function registerPublish(program: Command, io: Io): void {
  program
    .command("publish")
    .description("Publish a replay file (JSON Lines) to an MQTT broker, one message per line, as devices would")
    .requiredOption("--input <file>", "JSON Lines file, e.g. the messages.jsonl written by `iotpipe simulate`")
    .option("--url <url>", "broker URL", `mqtt://${DEFAULT_BROKER_HOST}:${DEFAULT_MQTT_PORT}`)
    .action(async (flags: { input: string; url: string }) => {
      await publishToBroker(flags.url, flags.input, io);
    });
}
