/**
 * The broker's mutual-TLS listener as a device meets it: `iotpipe broker` in its own process on 127.0.0.1 (aedes is
 * an ES module jest cannot load), certificates from the local CA, real MQTT clients. A registered device's readings
 * reach the lake through the spool; a certificate of another CA, an expired one, a revoked one, no certificate, a
 * client id that is not the thing name and a publish on another device's topic are refused, counted by reason and
 * kept in the refusal log.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { connect, type IClientOptions, type MqttClient } from "mqtt";
import { READINGS } from "../../lake/tables";
import { deviceCredentialPaths, caPaths, ensureCa } from "../../local/device-ca";
import { enrolDevices, removeDevice } from "../../local/devices";
import type { RefusalRecord } from "../../local/refusal-log";
import { replay } from "../../local/replay";
import { tableGlob, withDuckDb } from "./lake-read";
import { startCli, waitFor } from "../cli/cli-process";

const DAY = 86_400_000;

const device = (id: string, site: string, line: string) => ({ device_id: id, site, line, model: "PX-200", serial: `SN-${id}` });

/** Connects, resolving with the client once the broker accepted it, rejecting with why it did not. */
function connectDevice(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    client.once("connect", () => resolve(client));
    client.once("error", (error) => {
      client.end(true);
      reject(error);
    });
    client.once("close", () => reject(new Error("connection closed before CONNACK")));
  });
}

/** The key, certificate and CA files of a device as mqtt.js client options (the broker's CA verifies the server). */
function credentials(registry: string, id: string, serverCa: string): IClientOptions {
  const files = deviceCredentialPaths(registry, id);
  return { key: fs.readFileSync(files.key), cert: fs.readFileSync(files.cert), ca: fs.readFileSync(serverCa), clientId: id };
}

describe("broker over mutual TLS", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-mtls-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("admits registered devices on their own topic only; every refusal is counted and kept", async () => {
    const registry = path.join(dir, "devices");
    const now = new Date();
    await enrolDevices(registry, [device("a1-press01", "plant-a", "line-1"), device("a2-press01", "plant-a", "line-2"), device("a1-gone01", "plant-a", "line-1")], (i) => `row ${i}`);
    await enrolDevices(registry, [device("a1-old01", "plant-a", "line-1")], () => "expired", {
      validity: { notBefore: new Date(now.getTime() - 400 * DAY), notAfter: new Date(now.getTime() - DAY) },
    });
    // An impostor: a certificate for a registered name, signed by a CA the broker does not trust.
    const rogue = path.join(dir, "rogue");
    await ensureCa(rogue);
    await enrolDevices(rogue, [device("a1-press01", "plant-a", "line-1")], () => "rogue");
    const serverCa = caPaths(registry).caCert;
    // The revoked device's files, kept aside before `remove` deletes them (a stolen copy, say).
    const gone = credentials(registry, "a1-gone01", serverCa);

    const ts = Date.now();
    const spool = path.join(dir, "spool.jsonl");
    const refused = path.join(dir, "refused.jsonl");
    const broker = startCli(["broker", "--port", "0", "--registry", registry, "--spool", spool, "--refused", refused]);
    try {
      await waitFor(() => /listening on mqtts:\/\/127\.0\.0\.1:\d+/.test(broker.stdout()), "the broker to listen");
      const url = /listening on (mqtts:\/\/127\.0\.0\.1:\d+)/.exec(broker.stdout())![1];

      // The registered device publishes to its own topic: acknowledged (QoS 1), spooled.
      const message = JSON.stringify({ msg_id: "m-1", ts, readings: [{ metric: "temperature", value: 61.5, unit: "degC" }, { metric: "pressure", value: 6.1, unit: "bar" }] });
      const press = await connectDevice(url, credentials(registry, "a1-press01", serverCa));
      await press.publishAsync("telemetry/plant-a/line-1/a1-press01", message, { qos: 1 });
      // The revoked device still connects before its removal...
      const before = await connectDevice(url, gone);
      await before.endAsync();
      removeDevice(registry, "a1-gone01");

      // ...then the same device publishes as its neighbour on another line: refused, and disconnected.
      const closed = new Promise<void>((resolve) => press.once("close", () => resolve()));
      press.publish("telemetry/plant-a/line-2/a2-press01", JSON.stringify({ ts, readings: [{ metric: "temperature", value: 99 }] }), { qos: 1 });
      await closed;
      press.end(true);

      // Connections that never get in.
      await expect(connectDevice(url, gone)).rejects.toThrow(/Not authorized/i);
      await expect(connectDevice(url, { ...credentials(registry, "a2-press01", serverCa), clientId: "a1-press01" })).rejects.toThrow(/Not authorized/i);
      await expect(connectDevice(url, credentials(registry, "a1-old01", serverCa))).rejects.toThrow();
      await expect(connectDevice(url, { ...credentials(rogue, "a1-press01", serverCa) })).rejects.toThrow();
      await expect(connectDevice(url, { ca: fs.readFileSync(serverCa), clientId: "a1-press01" })).rejects.toThrow();
      // Still serving: the neighbour on its own topic is fine.
      const neighbour = await connectDevice(url, credentials(registry, "a2-press01", serverCa));
      await neighbour.publishAsync("telemetry/plant-a/line-2/a2-press01", message, { qos: 1 });
      await neighbour.endAsync();

      await waitFor(() => fs.existsSync(refused) && fs.readFileSync(refused, "utf8").trim().split("\n").length === 6, "six refusals in the log");
      broker.child.kill("SIGINT");
      expect(await broker.exit).toBe(0);
    } finally {
      broker.child.kill("SIGKILL");
    }
    const out = broker.stdout();
    const err = broker.stderr();

    expect(out).toMatch(
      /received 3 = accepted 2 \+ quarantined 0 \+ refused 1 \(foreign_topic 1\); connections refused 5 \((?=.*revoked_certificate 1)(?=.*client_id_mismatch 1)(?=.*expired_certificate 1)(?=.*untrusted_certificate 2)[^)]*\)/,
    );
    expect(err).toMatch(/refused publish of a1-press01: foreign_topic \(a1-press01 may publish only to telemetry\/plant-a\/line-1\/a1-press01, not telemetry\/plant-a\/line-2\/a2-press01\)/);

    const records = fs.readFileSync(refused, "utf8").trim().split("\n").map((l) => JSON.parse(l) as RefusalRecord);
    const publish = records.find((r) => r.kind === "publish")!;
    // The refused message is kept as sent, with its topic and reason.
    expect(publish).toMatchObject({ reason: "foreign_topic", certificate_cn: "a1-press01", client_id: "a1-press01", topic: "telemetry/plant-a/line-2/a2-press01" });
    expect(JSON.parse(publish.payload!)).toEqual({ ts, readings: [{ metric: "temperature", value: 99 }] });
    const connections = records.filter((r) => r.kind === "connection");
    expect(connections.map((r) => r.reason).sort()).toEqual(["client_id_mismatch", "expired_certificate", "revoked_certificate", "untrusted_certificate", "untrusted_certificate"]);
    expect(connections.find((r) => r.reason === "expired_certificate")).toMatchObject({ certificate_cn: "a1-old01", detail: "CERT_HAS_EXPIRED" });
    expect(connections.find((r) => r.reason === "revoked_certificate")).toMatchObject({ certificate_cn: "a1-gone01", client_id: "a1-gone01" });
    expect(connections.filter((r) => r.reason === "untrusted_certificate").map((r) => r.certificate_cn ?? "none").sort()).toEqual(["a1-press01", "none"]);
    // Nothing secret is written: no key material in the logs or the output.
    for (const text of [out, err, fs.readFileSync(refused, "utf8")]) expect(text).not.toMatch(/PRIVATE KEY/);

    // Only the two accepted publishes were spooled, and their readings land in the lake.
    const lake = path.join(dir, "lake");
    const result = await replay({ inputPath: spool, lakeDir: lake });
    expect(result.counts).toMatchObject({ input: 2, accepted: 2, quarantined: 0 });
    const rows = await withDuckDb((run) => run(`SELECT device_id, site, line, metric, value FROM read_parquet(${tableGlob(lake, READINGS)}) ORDER BY device_id, metric`));
    expect(rows).toEqual([
      { device_id: "a1-press01", site: "plant-a", line: "line-1", metric: "pressure", value: 6.1 },
      { device_id: "a1-press01", site: "plant-a", line: "line-1", metric: "temperature", value: 61.5 },
      { device_id: "a2-press01", site: "plant-a", line: "line-2", metric: "pressure", value: 6.1 },
      { device_id: "a2-press01", site: "plant-a", line: "line-2", metric: "temperature", value: 61.5 },
    ]);
  });
});
