/**
 * Publishes a replay file (JSON Lines, contract/replay-line.ts) to an MQTT broker, one publish per line, the
 * way devices would: flat lines are sent as their device message, envelopes as their payload text exactly.
 * The publisher's own clock becomes the ingest time on the broker side, so the lines' `ingest_ts` is dropped.
 */
import * as fs from "node:fs";
import * as readline from "node:readline";
import { connectAsync, type MqttClient } from "mqtt";
import { ADDRESS_KEYS, DEFAULT_LINE, DEFAULT_SITE } from "../contract/replay-line";
import { deviceTopic } from "../contract/telemetry";

export interface PublishOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: string;
  input: string;
  /** QoS 1 (default): the broker acknowledges each publish once it is spooled. */
  qos?: 0 | 1;
  /** Publishes in flight before waiting for acknowledgements. */
  window?: number;
  onProgress?: (published: number) => void;
}

export interface PublishResult {
  /** Lines read from the file (blank lines excluded). */
  lines: number;
  published: number;
  /** Lines that could not be published because they name no topic (not JSON, or no address): line numbers. */
  unaddressable: number[];
}

/** Topic and payload bytes of one replay line, or null when the line does not say where it came from. */
export function publishableLine(text: string): { topic: string; payload: string } | null {
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof line !== "object" || line === null || Array.isArray(line)) return null;
  const record = line as Record<string, unknown>;
  const topic =
    typeof record.topic === "string"
      ? record.topic
      : typeof record.device_id === "string"
        ? deviceTopic(String(record.site ?? DEFAULT_SITE), String(record.line ?? DEFAULT_LINE), record.device_id)
        : null;
  if (topic === null) return null;
  if (typeof record.payload === "string") return { topic, payload: record.payload };
  const message = Object.fromEntries(Object.entries(record).filter(([key]) => !(ADDRESS_KEYS as readonly string[]).includes(key)));
  return { topic, payload: JSON.stringify(message) };
}

/** Publishes every line of `input`; resolves once the broker has acknowledged them all (QoS 1). */
export async function publishFile(options: PublishOptions): Promise<PublishResult> {
  if (!fs.existsSync(options.input)) throw new Error(`input file ${options.input} does not exist`);
  const qos = options.qos ?? 1;
  const window = options.window ?? 256;
  let client: MqttClient;
  try {
    client = await connectAsync(options.url, { clientId: `iotpipe-publish-${process.pid}`, reconnectPeriod: 0, connectTimeout: 5000 });
  } catch (error) {
    throw new Error(`cannot connect to the MQTT broker at ${options.url}: ${(error as Error).message}`);
  }
  const result: PublishResult = { lines: 0, published: 0, unaddressable: [] };
  try {
    const reader = readline.createInterface({ input: fs.createReadStream(options.input), crlfDelay: Infinity });
    let inFlight: Promise<unknown>[] = [];
    for await (const text of reader) {
      if (text.trim() === "") continue;
      result.lines++;
      const message = publishableLine(text);
      if (!message) {
        result.unaddressable.push(result.lines);
        continue;
      }
      inFlight.push(client.publishAsync(message.topic, message.payload, { qos }));
      if (inFlight.length >= window) {
        await Promise.all(inFlight);
        result.published += inFlight.length;
        inFlight = [];
        options.onProgress?.(result.published);
      }
    }
    await Promise.all(inFlight);
    result.published += inFlight.length;
    options.onProgress?.(result.published);
  } finally {
    await client.endAsync();
  }
  return result;
}
