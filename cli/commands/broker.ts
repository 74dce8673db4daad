/** `iotpipe broker` (embedded MQTT into a spool file) and `iotpipe publish` (a replay file over MQTT). */
import * as path from "node:path";
import type { Command } from "commander";
import { BROKER_HOST, startBroker, type BrokerStats, type RunningBroker } from "../../local/broker";
import { publishFile } from "../../local/broker-publish";
import { DEFAULT_REGISTRY_DIR } from "../../local/device-registry";
import { RefusalLog } from "../../local/refusal-log";
import { TelemetrySpool } from "../../local/spool";
import { CliError } from "../errors";
import type { Io } from "../io";
import { port } from "../options";
import { progressBar } from "../progress";

export const DEFAULT_SPOOL = ".iotpipe/spool/telemetry.jsonl";
/** MQTT over TLS's registered port, as IoT Core uses. */
export const DEFAULT_MQTTS_PORT = 8883;
export const DEFAULT_MQTT_PORT = 1883;

function reasons(map: Partial<Record<string, number>>): string {
  return Object.entries(map).map(([reason, n]) => `${reason} ${n}`).join(", ");
}

/**
 * "received 12 = accepted 9 + quarantined 2 (unparseable 1, bad_topic 1) + refused 1 (foreign_topic 1)", and the
 * connections refused when there were any: the broker's books, every publish in exactly one place.
 */
export function brokerTotals(stats: BrokerStats): string {
  const part = (label: string, n: number, map: Partial<Record<string, number>>) => `${label} ${n}${n > 0 ? ` (${reasons(map)})` : ""}`;
  const line = `received ${stats.received} = accepted ${stats.accepted} + ${part("quarantined", stats.quarantined, stats.byReason)} + ${part("refused", stats.refused, stats.refusedByReason)}`;
  return stats.connectionsRefused > 0 ? `${line}; ${part("connections refused", stats.connectionsRefused, stats.connectionsRefusedByReason)}` : line;
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

interface BrokerFlags {
  port: number;
  tls: boolean;
  plainPort?: number;
  registry: string;
  spool: string;
  refused?: string;
  quiet?: boolean;
}

export function registerBroker(program: Command, io: Io): void {
  program
    .command("broker")
    .description("Run an embedded MQTT broker on 127.0.0.1: registered devices over mutual TLS publish to their own telemetry/<site>/<line>/<device>; every message is spooled for replay")
    .option("--port <n>", "mutual-TLS port (0 = any free port, printed at start)", port, DEFAULT_MQTTS_PORT)
    .option("--registry <dir>", "device registry, CA and keys (iotpipe devices add)", DEFAULT_REGISTRY_DIR)
    .option("--plain-port <n>", `also listen without TLS or authentication on this port (e.g. ${DEFAULT_MQTT_PORT}; 0 = any free port)`, port)
    .option("--no-tls", "no mutual-TLS listener (only with --plain-port)")
    .option("--spool <file>", "spool file (JSON Lines, appended)", DEFAULT_SPOOL)
    .option("--refused <file>", "refusal log: refused connections and publishes with their reason (JSON Lines, appended; default: refused.jsonl beside the spool)")
    .option("--quiet", "do not print each quarantined message or refusal")
    .addHelpText(
      "after",
      `
Both listeners bind 127.0.0.1 only. The mutual-TLS listener admits client certificates of the registry's CA for
registered devices, whose MQTT client id is their device id; a device publishes only to its own topic
telemetry/<site>/<line>/<device>. Refusals are kept in the refusal log. Each accepted publish is checked against
the telemetry contract as it arrives (live mode) and appended to the spool, valid or not; QoS 1 publishes are
acknowledged once spooled. Stop with Ctrl-C, then replay the spool:
  iotpipe replay --input ${DEFAULT_SPOOL} --out data/lake`,
    )
    .action(async (flags: BrokerFlags) => {
      if (!flags.tls && flags.plainPort === undefined) {
        throw new CliError("--no-tls leaves the broker without a listener", `add --plain-port ${DEFAULT_MQTT_PORT} for a plain listener on 127.0.0.1`, 2);
      }
      const refusedPath = flags.refused ?? path.join(path.dirname(flags.spool), "refused.jsonl");
      let broker: RunningBroker;
      try {
        broker = await startBroker({
          mtls: flags.tls ? { port: flags.port, registryDir: flags.registry } : undefined,
          plain: flags.plainPort === undefined ? undefined : { port: flags.plainPort },
          spool: new TelemetrySpool(flags.spool),
          refusals: new RefusalLog(refusedPath),
          onMessage: (m) => {
            if (m.outcome === "quarantined" && !flags.quiet) io.err(`quarantined ${m.topic}: ${m.reason} (${m.detail})`);
          },
          onRefusal: (r) => {
            if (!flags.quiet) io.err(`refused ${r.kind} of ${r.who}: ${r.reason} (${r.detail})`);
          },
        });
      } catch (error) {
        const message = (error as Error).message;
        const hint = /no local CA/.test(message)
          ? `register a device with \`iotpipe devices add --registry ${flags.registry} …\`, or run without TLS: --no-tls --plain-port ${DEFAULT_MQTT_PORT}`
          : "pick another port with --port / --plain-port, or 0 for any free port";
        throw new CliError(message, hint);
      }
      if (broker.mtls) io.out(`listening on ${broker.mtls.url} (mutual TLS: devices of ${flags.registry}, CA ${path.join(flags.registry, "ca", "ca.cert.pem")})`);
      if (broker.plain) io.out(`listening on ${broker.plain.url} (plain: no TLS, no authentication, ${BROKER_HOST} only)`);
      io.out(`topic telemetry/<site>/<line>/<device>; spooling to ${flags.spool}, refusals to ${refusedPath}`);
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
    throw new CliError((error as Error).message, `start a broker with a plain listener first (iotpipe broker --plain-port ${DEFAULT_MQTT_PORT}) or pass its URL`);
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
    .option("--url <url>", "broker URL", `mqtt://${BROKER_HOST}:${DEFAULT_MQTT_PORT}`)
    .action(async (flags: { input: string; url: string }) => {
      await publishToBroker(flags.url, flags.input, io);
    });
}
