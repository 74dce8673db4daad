/**
 * The embedded MQTT broker: the local stand-in for AWS IoT Core. Devices (or `iotpipe publish`) publish to
 * `telemetry/<site>/<line>/<device>` on 127.0.0.1; every publish is classified with the telemetry contract
 * in live mode (judged against the broker's receive clock, like the IoT rule's `timestamp()`) and appended to
 * a spool file of JSON Lines that `iotpipe replay` reads.
 *
 * Two listeners. The mutual-TLS one (the default of `iotpipe broker`) admits only client certificates the local
 * CA signed (local/device-ca.ts) for a registered device, connected under its thing name, and lets each device
 * publish only to its own topic (local/device-policy.ts): the cloud's device policy, enforced here. The plain one
 * has no authentication and exists only when asked for (the demo, a trusted bench).
 *
 * Nothing is dropped here: a malformed payload or a wrong topic from a plain client is spooled too (the replay
 * quarantines it with its reason), a publish the device policy refuses is kept in the refusal log with its
 * reason, and a QoS 1 publish is acknowledged only once its line is written.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import type { Aedes, AedesOptions, Client } from "aedes";
import { DEFAULT_INGEST_POLICY, type IngestPolicy, type QuarantineReason } from "../contract/ingest-policy";
import { classify } from "../contract/validation";
import { brokerTlsMaterial } from "./device-ca";
import { authorizePublish, identifyDevice, isRefusal, tlsRefusal, type Refusal, type RefusalReason } from "./device-policy";
import { loadRegistry, type RegisteredDevice } from "./device-registry";
import type { RefusalSink } from "./refusal-log";

/** Where received messages go: one line per publish, in arrival order (local/spool.ts's TelemetrySpool). */
export interface SpoolSink {
  /** Appends synchronously: when it returns, the line is written (the QoS 1 acknowledgement depends on it). */
  append(topic: string, payload: Uint8Array, receivedAt: number): void;
}

export interface BrokerOptions {
  /** The mutual-TLS listener: devices with certificates from the registry's local CA. */
  mtls?: { port: number; registryDir: string };
  /** A plain listener without authentication, only when asked for. */
  plain?: { port: number };
  spool: SpoolSink;
  /** Where refused connections and publishes are kept (required with `mtls`: refusals are never only counted). */
  refusals?: RefusalSink;
  policy?: IngestPolicy;
  /** Receive clock (epoch ms); injectable for tests. */
  clock?: () => number;
  /** Called after each publish is spooled, with its live verdict. */
  onMessage?: (event: ReceivedMessage) => void;
  /** Called after each refusal is logged. */
  onRefusal?: (event: RefusalEvent) => void;
}

/** One publish as the broker saw it. */
export interface ReceivedMessage {
  topic: string;
  receivedTs: number;
  outcome: "accepted" | "quarantined";
  reason?: QuarantineReason;
  detail?: string;
}

/** One refused connection or publish. */
export interface RefusalEvent extends Refusal {
  kind: "connection" | "publish";
  topic?: string;
  who: string;
}

/** Running totals since the broker started: received = accepted + quarantined + refused. */
export interface BrokerStats {
  /** Publishes received from connected clients. */
  received: number;
  accepted: number;
  quarantined: number;
  byReason: Partial<Record<QuarantineReason, number>>;
  /** Publishes the device policy refused (kept in the refusal log, not spooled). */
  refused: number;
  refusedByReason: Partial<Record<RefusalReason, number>>;
  /** Connections refused (TLS or identity), each kept in the refusal log. */
  connectionsRefused: number;
  connectionsRefusedByReason: Partial<Record<RefusalReason, number>>;
}

/** One listening socket. */
export interface BrokerListener {
  port: number;
  /** `mqtts://127.0.0.1:port` or `mqtt://127.0.0.1:port`, ready for an MQTT client. */
  url: string;
}

export interface RunningBroker {
  host: string;
  mtls?: BrokerListener;
  plain?: BrokerListener;
  stats: BrokerStats;
  /** Stops accepting connections and disconnects clients. */
  close(): Promise<void>;
}

/** Both listeners bind loopback only: the local broker serves this machine (a gateway, a bench, the tests). */
export const BROKER_HOST = "127.0.0.1";

function count<K extends string>(map: Partial<Record<K, number>>, key: K): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** Listens on 127.0.0.1:port; a taken port is an error that says what to do. */
async function listen(server: net.Server, port: number, what: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const hint = error.code === "EADDRINUSE" ? ` (port ${port} is taken: pick another, or 0 for any free port)` : "";
      reject(new Error(`cannot listen on ${BROKER_HOST}:${port} (${what}): ${error.message}${hint}`));
    });
    server.listen(port, BROKER_HOST, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Starts the broker with the listeners asked for (at least one). aedes is an ES module, so it is loaded with a
 * dynamic import (this package compiles to CommonJS).
 */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  if (!options.mtls && !options.plain) throw new Error("the broker needs a listener: mutual TLS (a device registry) or plain");
  if (options.mtls && !options.refusals) throw new Error("a mutual-TLS broker needs a refusal log: refused publishes are kept, not only counted");
  const clock = options.clock ?? Date.now;
  const policy = options.policy ?? DEFAULT_INGEST_POLICY;
  const stats: BrokerStats = { received: 0, accepted: 0, quarantined: 0, byReason: {}, refused: 0, refusedByReason: {}, connectionsRefused: 0, connectionsRefusedByReason: {} };
  // The device each mutual-TLS client authenticated as; plain clients have none (and no topic confinement).
  const identities = new WeakMap<Client, RegisteredDevice>();

  const refuseConnection = (refusal: Refusal, who: { cn?: string; clientId?: string; address?: string }): void => {
    options.refusals!.append({ refused_at: clock(), kind: "connection", ...refusal, certificate_cn: who.cn, client_id: who.clientId, remote_address: who.address });
    stats.connectionsRefused++;
    count(stats.connectionsRefusedByReason, refusal.reason);
    options.onRefusal?.({ kind: "connection", ...refusal, who: who.cn ?? who.address ?? "unknown" });
  };

  const authenticate: AedesOptions["authenticate"] = (client, _username, _password, callback) => {
    const conn = client.conn as unknown;
    if (!(conn instanceof tls.TLSSocket)) return callback(null, true);
    const peer = conn.getPeerCertificate();
    // The registry is read at every connect, so `devices remove` takes effect without restarting the broker.
    let verdict: RegisteredDevice | Refusal;
    try {
      verdict = identifyDevice(loadRegistry(options.mtls!.registryDir), { commonName: String(peer.subject?.CN ?? ""), serial: peer.serialNumber ?? "" }, client.id);
    } catch (error) {
      return callback(Object.assign(new Error(`device registry unreadable: ${(error as Error).message}`), { returnCode: 3 }), false);
    }
    if (isRefusal(verdict)) {
      refuseConnection(verdict, { cn: String(peer.subject?.CN ?? ""), clientId: client.id, address: conn.remoteAddress });
      // CONNACK 5, "not authorized": what IoT Core answers a certificate or client id its policy refuses.
      return callback(Object.assign(new Error(verdict.detail), { returnCode: 5 }), false);
    }
    identities.set(client, verdict);
    callback(null, true);
  };

  const authorizePublishHook: AedesOptions["authorizePublish"] = (client, packet, callback) => {
    // Publishes from the broker itself ($SYS heartbeats) have no client and are not telemetry.
    if (!client) return callback(null);
    const receivedTs = clock();
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const device = identities.get(client);
    const refusal = device ? authorizePublish(device, packet.topic) : null;
    if (refusal) {
      try {
        options.refusals!.append({ refused_at: receivedTs, kind: "publish", ...refusal, certificate_cn: device!.device_id, client_id: client.id, topic: packet.topic, payload });
      } catch (error) {
        return callback(new Error(`refusal log write failed: ${(error as Error).message}`));
      }
      stats.received++;
      stats.refused++;
      count(stats.refusedByReason, refusal.reason);
      options.onRefusal?.({ kind: "publish", ...refusal, topic: packet.topic, who: device!.device_id });
      // MQTT 3.1.1 has no negative PUBACK: the connection is closed, as IoT Core does on a denied publish.
      return callback(new Error(refusal.detail));
    }
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
      count(stats.byReason, verdict.reason);
      event.reason = verdict.reason;
      event.detail = verdict.detail;
    }
    options.onMessage?.(event);
    callback(null);
  };

  const { Aedes } = await import("aedes");
  const broker: Aedes = await Aedes.createBroker({ authenticate, authorizePublish: authorizePublishHook });
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };
  const running: RunningBroker = { host: BROKER_HOST, stats, close: async () => {} };

  try {
    if (options.mtls) {
      const material = await brokerTlsMaterial(options.mtls.registryDir);
      // requestCert with rejectUnauthorized false, then the same CA check Node would make, in our hands: Node's own
      // rejection hangs up without saying why, and every refusal must be counted and kept with its reason. No byte
      // of an unverified client is read: its socket is destroyed before aedes sees it.
      const server = tls.createServer({ ...material, requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.2" }, (socket) => {
        if (!socket.authorized) {
          const peer = socket.getPeerCertificate();
          const hadCertificate = peer !== null && Object.keys(peer).length > 0;
          refuseConnection(tlsRefusal(socket.authorizationError, hadCertificate), { cn: hadCertificate ? String(peer.subject?.CN ?? "") : undefined, address: socket.remoteAddress });
          socket.destroy();
          return;
        }
        broker.handle(socket);
      });
      // A handshake that fails before any certificate is judged (a client without TLS, a protocol mismatch).
      server.on("tlsClientError", (error, socket) => {
        if ((error as NodeJS.ErrnoException).code === "ECONNRESET") return;
        refuseConnection({ reason: "untrusted_certificate", detail: `TLS handshake failed: ${(error as NodeJS.ErrnoException).code ?? error.message}` }, { address: socket.remoteAddress });
      });
      server.on("connection", track);
      servers.push(server);
      const port = await listen(server, options.mtls.port, "mutual TLS");
      running.mtls = { port, url: `mqtts://${BROKER_HOST}:${port}` };
    }
    if (options.plain) {
      const server = net.createServer((socket) => broker.handle(socket));
      server.on("connection", track);
      servers.push(server);
      const port = await listen(server, options.plain.port, "plain");
      running.plain = { port, url: `mqtt://${BROKER_HOST}:${port}` };
    }
  } catch (error) {
    for (const server of servers) server.close();
    broker.close();
    throw error;
  }

  let closing: Promise<void> | null = null;
  running.close = () => {
    closing ??= (async () => {
      const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await Promise.all(closed);
    })();
    return closing;
  };
  return running;
}
