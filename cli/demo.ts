/**
 * The demo pipeline behind `npm run demo`: simulate a small factory with labelled faults, replay it into a
 * local lake, score what the analytics found against what was injected, optionally push a short live burst
 * through the embedded MQTT broker, and write the compliance report for the simulated day.
 *
 * Kept apart from the printing (commands/demo.ts) so the tests run the very same pipeline.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { connectAsync } from "mqtt";
import { startBroker, type BrokerStats } from "../local/broker";
import { publishFile } from "../local/broker-publish";
import { TelemetrySpool } from "../local/spool";
import { replay, type ReplayResult } from "../local/replay";
import { runLocalReport, type LocalReportResult } from "../local/report";
import { checkDelivery, readAlertEpisodes, scoreDetections, type DeliveryCheck, type Scorecard } from "../simulator/scoring";
import { writeSimulation, type SimulationConfig, type SimulationOutput } from "../simulator/simulate";

/** Where `npm run demo` works (gitignored). */
export const DEMO_DIR = ".iotpipe/demo";

/** Written into the demo directory so a later run knows it may empty it (and never empties anything else). */
const DEMO_MARKER = ".iotpipe-demo";

/** Empties a directory the demo made before; refuses a non-empty directory it did not make. */
function prepareDemoDir(dir: string): void {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0 && !fs.existsSync(path.join(dir, DEMO_MARKER))) {
    throw new Error(`refusing to empty ${dir}: it is not empty and was not made by the demo; pass an empty or new --dir`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, DEMO_MARKER), "made by `iotpipe demo`; the next demo run empties this directory\n");
}

/** A short live burst: one line of four devices for ten minutes, ending now. */
const BURST_MINUTES = 10;

export interface DemoOptions {
  /** Working directory: new, empty, or made by an earlier demo run (then emptied first). */
  dir: string;
  config: SimulationConfig;
  /** Also push a live burst through the embedded MQTT broker (127.0.0.1, ephemeral port). */
  mqtt: boolean;
  /** Also write the compliance report for the first simulated day. */
  report: boolean;
  /** Called as each step starts. */
  onStep?: (step: DemoStep) => void;
  /** Called as a long step advances: what is counted ("ticks", "chunks", "steps"), done of total. */
  onProgress?: (unit: ProgressUnit, done: number, total: number) => void;
}

export type DemoStep = "simulate" | "replay" | "score" | "mqtt" | "report";
export type ProgressUnit = "ticks" | "chunks" | "steps";

/** Replay input per durable chunk in the demo: small enough that validation shows progress. */
const DEMO_CHUNK_BYTES = 4 * 1024 * 1024;

export interface MqttBurst {
  url: string;
  published: number;
  /** Hostile publishes sent on purpose (a truncated payload, a wrong topic). */
  hostile: number;
  broker: BrokerStats;
  spoolPath: string;
  replay: ReplayResult;
}

export interface DemoResult {
  dir: string;
  lakeDir: string;
  simulation: SimulationOutput;
  replay: ReplayResult;
  scorecard: Scorecard;
  delivery: DeliveryCheck[];
  mqtt: MqttBurst | null;
  report: LocalReportResult | null;
  /** Wall-clock milliseconds per step. */
  timings: Partial<Record<DemoStep, number>>;
}

/** Runs the demo end to end and returns everything needed to print or check it. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const dir = path.resolve(options.dir);
  prepareDemoDir(dir);
  const timings: DemoResult["timings"] = {};
  const step = async <T>(name: DemoStep, work: () => Promise<T> | T): Promise<T> => {
    options.onStep?.(name);
    const started = Date.now();
    const result = await work();
    timings[name] = Date.now() - started;
    return result;
  };

  const simulation = await step("simulate", () =>
    writeSimulation(options.config, path.join(dir, "sim"), (done, total) => {
      if (done % 100 === 0 || done === total) options.onProgress?.("ticks", done, total);
    }),
  );
  const lakeDir = path.join(dir, "lake");
  const replayed = await step("replay", () =>
    replay({
      inputPath: simulation.messagesPath,
      lakeDir,
      chunkBytes: DEMO_CHUNK_BYTES,
      onProgress: (p) => options.onProgress?.(p.phase === "validate" ? "chunks" : "steps", p.done, p.total),
    }),
  );
  const scorecard = await step("score", async () => scoreDetections(simulation.truth.faults, await readAlertEpisodes(lakeDir)));
  const delivery = checkDelivery(simulation.truth.expected, replayed);
  const mqtt = options.mqtt ? await step("mqtt", () => mqttBurst(dir, options.config.seed)) : null;
  const report = options.report
    ? await step("report", () => runLocalReport({ date: simulation.truth.start_iso.slice(0, 10), lakeDir, outDir: path.join(dir, "reports") }))
    : null;
  return { dir, lakeDir, simulation, replay: replayed, scorecard, delivery, mqtt, report, timings };
}

/**
 * The live path in miniature: the embedded broker on an ephemeral loopback port, a burst of simulated
 * messages published over MQTT (plus two hostile ones), the spool replayed into its own lake. The demo asks for
 * the plain listener: it shows the ingest path in seconds with no certificates to issue; the mutual-TLS listener
 * and its device policy are `iotpipe broker`'s default and are proven by tests/local/broker-mtls.test.ts.
 */
async function mqttBurst(dir: string, seed: number): Promise<MqttBurst> {
  const root = path.join(dir, "mqtt");
  const now = Math.floor(Date.now() / 1000) * 1000;
  const burst = writeSimulation(
    {
      seed,
      start: now - BURST_MINUTES * 60_000,
      hours: BURST_MINUTES / 60,
      shape: { sites: 1, linesPerSite: 1, devicesPerLine: 4 },
      cadenceSeconds: 5,
      faultRate: 0,
    },
    path.join(root, "burst"),
  );
  const spoolPath = path.join(root, "spool.jsonl");
  const broker = await startBroker({ plain: { port: 0 }, spool: new TelemetrySpool(spoolPath) });
  const url = broker.plain!.url;
  let published = 0;
  const hostile = [
    { topic: "telemetry/plant-a/line-1/a1-pump01", payload: '{"ts":' },
    { topic: "factory/plant-a/a1-pump01", payload: JSON.stringify({ ts: now, readings: [{ metric: "temperature", value: 20 }] }) },
  ];
  try {
    published = (await publishFile({ url, input: burst.messagesPath })).published;
    const client = await connectAsync(url, { clientId: `iotpipe-demo-${process.pid}`, reconnectPeriod: 0 });
    try {
      for (const m of hostile) await client.publishAsync(m.topic, m.payload, { qos: 1 });
    } finally {
      await client.endAsync();
    }
  } finally {
    await broker.close();
  }
  const replayed = await replay({ inputPath: spoolPath, lakeDir: path.join(root, "lake") });
  return { url, published, hostile: hostile.length, broker: broker.stats, spoolPath, replay: replayed };
}
