/**
 * The embedded broker end to end, as a user runs it: `iotpipe broker` in its own process (aedes is an ES
 * module that jest's CommonJS runtime cannot load), an MQTT client publishing valid, malformed and
 * wrongly-addressed messages, Ctrl-C, and the spool checked line by line.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { connectAsync } from "mqtt";
import { classify } from "../../contract/validation";
import { publishableLine } from "../../local/broker-publish";
import { run } from "../../cli/program";
import { startCli, waitFor } from "./cli-process";

describe("iotpipe broker", () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-broker-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("spools every publish on an ephemeral loopback port, classified like the contract says", async () => {
    const spoolPath = path.join(dir, "spool.jsonl");
    const cli = startCli(["broker", "--no-tls", "--plain-port", "0", "--spool", spoolPath]);
    try {
      await waitFor(() => /listening on mqtt:\/\/127\.0\.0\.1:\d+/.test(cli.stdout()), "the broker to listen");
      const url = /listening on (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(cli.stdout())![1];

      const now = Date.now();
      const valid = { msg_id: "m-1", seq: 1, ts: now, readings: [{ metric: "temperature", value: 61.5, unit: "degC" }] };
      const sent: Array<{ topic: string; payload: string; expect: string }> = [
        { topic: "telemetry/plant-a/line-1/a1-pump01", payload: JSON.stringify(valid), expect: "accepted" },
        { topic: "telemetry/plant-a/line-1/a1-pump01", payload: JSON.stringify({ ...valid, msg_id: "m-2", seq: 2 }), expect: "accepted" },
        { topic: "telemetry/plant-a/line-1/a1-pump01", payload: '{"ts":1,"readings":[{"metric":"temp', expect: "unparseable" },
        { topic: "telemetry/plant-a/line-1/a1-pump01", payload: JSON.stringify({ ts: now, readings: [{ metric: "temperature", value: "61.5" }] }), expect: "schema" },
        { topic: "telemetry/plant-a/line-1/a1-pump01", payload: JSON.stringify({ ...valid, ts: 1000 }), expect: "timestamp_out_of_range" },
        { topic: "factory/plant-a/a1-pump01", payload: JSON.stringify(valid), expect: "bad_topic" },
      ];
      // Not UTF-8: the spool keeps these bytes (as base64 text), never a repaired version of them.
      const binary = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x0a, 0x22, 0x7d]);
      const client = await connectAsync(url, { clientId: "broker-test", reconnectPeriod: 0 });
      for (const m of sent) await client.publishAsync(m.topic, m.payload, { qos: 1 });
      await client.publishAsync("telemetry/plant-a/line-1/a1-pump01", binary, { qos: 1 });
      await client.endAsync();

      // `iotpipe publish` sends a replay file: a flat line as its message, an envelope as its exact text.
      const replayFile = path.join(dir, "to-publish.jsonl");
      const flat = { topic: "telemetry/plant-b/line-2/b2-motor03", ingest_ts: 5, ...valid, msg_id: "m-9" };
      fs.writeFileSync(replayFile, [JSON.stringify(flat), JSON.stringify({ topic: "telemetry/plant-b/line-2/b2-motor03", payload: "[1,2" }), "not json", ""].join("\n"));
      let published = "";
      let warned = "";
      const code = await run(["publish", "--input", replayFile, "--url", url], { out: (t) => void (published += t), err: (t) => void (warned += t) });
      expect(code).toBe(0);
      expect(published).toMatch(/published 2 of 3 lines/);
      expect(warned).toMatch(/1 line\(s\) name no topic and were not published \(first: line 3\)/);

      cli.child.kill("SIGINT");
      expect(await cli.exit).toBe(0);
      expect(cli.stdout()).toMatch(/received 9 = accepted 3 \+ quarantined 6 \(unparseable 3, schema 1, timestamp_out_of_range 1, bad_topic 1\) \+ refused 0$/m);
      expect(cli.stderr()).toMatch(/quarantined factory\/plant-a\/a1-pump01: bad_topic/);

      const bytes = fs.readFileSync(spoolPath);
      const raw: Buffer[] = [];
      for (let from = 0; from < bytes.length; ) {
        const nl = bytes.indexOf(0x0a, from);
        raw.push(bytes.subarray(from, nl));
        from = nl + 1;
      }
      expect(raw).toHaveLength(sent.length + 3);
      const lines = raw.slice(0, sent.length).map((b) => b.toString("utf8"));
      lines.forEach((line, i) => {
        const back = publishableLine(line)!;
        // The spool keeps the topic and the exact bytes published, in arrival order.
        expect(back).toEqual({ topic: sent[i].topic, payload: sent[i].payload });
        const receivedTs = JSON.parse(line).ingest_ts as number;
        expect(Math.abs(receivedTs - now)).toBeLessThan(30_000);
        const verdict = classify({ format: "mqtt", topic: back.topic, payload: back.payload }, { mode: "live", ingestTs: receivedTs });
        expect(verdict.outcome === "accepted" ? "accepted" : verdict.reason).toBe(sent[i].expect);
      });
      const binaryLine = raw[sent.length].toString("utf8");
      const spooled = publishableLine(binaryLine)!.payload;
      expect(Buffer.from(spooled.replace(/^base64:/, ""), "base64")).toEqual(binary);
      const verdict = classify({ format: "jsonl", line: binaryLine }, { mode: "replay", ingestTs: now });
      expect(verdict).toMatchObject({ outcome: "quarantined", reason: "unparseable" });
      const { topic, ingest_ts, ...message } = flat;
      expect(publishableLine(raw[sent.length + 1].toString("utf8"))).toEqual({ topic, payload: JSON.stringify(message) });
      expect(ingest_ts).toBe(5);
      expect(JSON.parse(raw[sent.length + 1].toString("utf8")).ingest_ts).toBeGreaterThan(now - 30_000);
      expect(publishableLine(raw[sent.length + 2].toString("utf8"))).toEqual({ topic, payload: "[1,2" });
    } finally {
      cli.child.kill("SIGKILL");
    }
  });

  test("without a local CA the mutual-TLS listener cannot start: the error says how to make one", async () => {
    const cli = startCli(["broker", "--port", "0", "--registry", path.join(dir, "no-registry"), "--spool", path.join(dir, "never.jsonl")]);
    expect(await cli.exit).toBe(1);
    expect(cli.stderr()).toMatch(/error: no local CA in .*no-registry/);
    expect(cli.stderr()).toMatch(/next: register a device with `iotpipe devices add --registry .*no-registry …`, or run without TLS: --no-tls --plain-port 1883/);
  });

  test("a port in use is a clear error with the next step, not a stack trace", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const cli = startCli(["broker", "--no-tls", "--plain-port", String(taken), "--spool", path.join(dir, "never.jsonl")]);
      expect(await cli.exit).toBe(1);
      expect(cli.stderr()).toMatch(new RegExp(`error: cannot listen on 127\\.0\\.0\\.1:${taken}`));
      expect(cli.stderr()).toMatch(/next: pick another port with --port/);
    } finally {
      blocker.close();
    }
  });
});
