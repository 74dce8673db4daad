/**
 * The embedded MQTT broker: the local stand-in for AWS IoT Core. Devices (or `iotpipe publish`) publish to
 * `telemetry/<site>/<line>/<device>` on 127.0.0.1; every publish is classified with the telemetry contract
 * in live mode (judged against the broker's receive clock, like the IoT rule's `timestamp()`) and appended to
 * a spool file of JSON Lines that `iotpipe replay` reads.
 *
 * Nothing is dropped here: a malformed payload or a wrong topic is spooled too (the replay quarantines it
 * with its reason), and a QoS 1 publish is acknowledged only once its line is in the spool.
 */
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import type { Aedes, AedesOptions } from "aedes";
import { DEFAULT_INGEST_POLICY, type IngestPolicy, type QuarantineReason } from "../contract/ingest-policy";
import { classify } from "../contract/validation";

/** Where received messages go: one line per publish, in arrival order (local/spool.ts's TelemetrySpool). */
export interface SpoolSink {
  /** Appends synchronously: when it returns, the line is written (the QoS 1 acknowledgement depends on it). */
  append(topic: string, payload: Uint8Array, receivedAt: number): void;
}

export interface BrokerOptions {
  /** Interface to bind. Loopback by default: the embedded broker has no TLS and no authentication. */
  host?: string;
  /** TCP port; 0 picks a free one (read it back from `RunningBroker.port`). */
  port: number;
  spool: SpoolSink;
  policy?: IngestPolicy;
  /** Receive clock (epoch ms); injectable for tests. */
  clock?: () => number;
  /** Called after each publish is spooled, with its live verdict. */
  onMessage?: (event: ReceivedMessage) => void;
}

/** One publish as the broker saw it. */
export interface ReceivedMessage {
  topic: string;
  receivedTs: number;
  outcome: "accepted" | "quarantined";
  reason?: QuarantineReason;
  detail?: string;
}

/** Running totals since the broker started. */
export interface BrokerStats {
  received: number;
  accepted: number;
  quarantined: number;
  byReason: Partial<Record<QuarantineReason, number>>;
}

export interface RunningBroker {
  host: string;
  port: number;
  /** `mqtt://host:port`, ready for an MQTT client. */
  url: string;
  stats: BrokerStats;
  /** Stops accepting connections and disconnects clients. */
  close(): Promise<void>;
}

/** Loopback only unless asked otherwise: the embedded broker has no TLS and no authentication. */
export const DEFAULT_BROKER_HOST = "127.0.0.1";

/**
 * Starts the broker. aedes is an ES module, so it is loaded with a dynamic import (this package compiles to
 * CommonJS).
 */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const host = options.host ?? DEFAULT_BROKER_HOST;
  const clock = options.clock ?? Date.now;
  const policy = options.policy ?? DEFAULT_INGEST_POLICY;
  const stats: BrokerStats = { received: 0, accepted: 0, quarantined: 0, byReason: {} };

  const authorizePublish: AedesOptions["authorizePublish"] = (client, packet, callback) => {
    // Publishes from the broker itself ($SYS heartbeats) have no client and are not telemetry.
    if (!client) return callback(null);
    const receivedTs = clock();
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    try {
      options.spool.append(packet.topic, payload, receivedTs);
    } catch (error) {
      // Refusing the publish makes a QoS 1 client retry later instead of believing it was stored.
      return callback(new Error(`spool write failed: ${(error as Error).message}`));
    }
    const verdict = classify({ format: "mqtt", topic: packet.topic, payload }, { mode: "live", ingestTs: receivedTs, policy });
    stats.received++;
    const event: ReceivedMessage = { topic: packet.topic, receivedTs, outcome: verdict.outcome };
    if (verdict.outcome === "accepted") stats.accepted++;
    else {
      stats.quarantined++;
      stats.byReason[verdict.reason] = (stats.byReason[verdict.reason] ?? 0) + 1;
      event.reason = verdict.reason;
      event.detail = verdict.detail;
    }
    options.onMessage?.(event);
    callback(null);
  };

  const { Aedes } = await import("aedes");
  const broker: Aedes = await Aedes.createBroker({ authorizePublish });
  const server = net.createServer((socket) => broker.handle(socket));
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      broker.close();
      const hint = error.code === "EADDRINUSE" ? ` (port ${options.port} is taken: pick another with --port, or --port 0 for any free port)` : "";
      reject(new Error(`cannot listen on ${host}:${options.port}: ${error.message}${hint}`));
    });
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    url: `mqtt://${host}:${port}`,
    stats,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await serverClosed;
      })();
      return closing;
    },
  };
}
