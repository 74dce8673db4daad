/** `iotpipe demo` (`npm run demo`): the product's front door; prints what was injected beside what was found. */
import * as path from "node:path";
import type { Command } from "commander";
import { ConservationError } from "../../local/conservation";
import { summaryText } from "../../reports/summary";
import type { FaultLabel } from "../../simulator/faults";
import { DEFAULT_SIMULATION, type SimulationConfig } from "../../simulator/simulate";
import { DEMO_DIR, runDemo, type DemoResult, type DemoStep } from "../demo";
import { CliError, EXIT } from "../errors";
import type { Io } from "../io";
import { integerIn, positiveNumber } from "../options";
import { progressBar, type Progress } from "../progress";
import { reasonSummary } from "./replay";

/** The demo factory: 2 sites × 2 lines × 4 devices, 6 hours every 5 s (DEFAULT_SIMULATION). */
export const DEMO_SIMULATION: SimulationConfig = DEFAULT_SIMULATION;

const STEP_TITLES: Record<DemoStep, string> = {
  simulate: "simulating the factory",
  replay: "replaying into the lake (validate, de-duplicate, analyse)",
  score: "scoring detections against the labels",
  mqtt: "live burst through the embedded MQTT broker",
  report: "writing the compliance report",
};

/** "850 ms", "12.3 s", "4 min 05 s". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${String(seconds).padStart(2, "0")} s`;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function span(f: FaultLabel): string {
  return duration(f.end - f.start).replace(/\.0 s$/, " s");
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => "  " + r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
}

function relative(p: string): string {
  return path.relative(process.cwd(), p) || p;
}

/** Everything the demo prints after its steps, in reading order. */
export function renderDemo(r: DemoResult): string[] {
  const t = r.simulation.truth;
  const c = t.config;
  const out: string[] = [];
  const devices = t.devices.length;
  out.push(
    "",
    `Factory: ${c.shape.sites} sites × ${c.shape.linesPerSite} lines × ${c.shape.devicesPerLine} devices = ${devices} devices, ` +
      `4 metrics each, every ${c.cadenceSeconds} s for ${c.hours} h from ${t.start_iso.slice(0, 16).replace("T", " ")} UTC (seed ${c.seed})`,
    `  ${t.expected.lines} messages written to ${relative(r.simulation.messagesPath)}, ground truth in ${relative(r.simulation.labelsPath)}`,
  );

  const sc = r.scorecard;
  out.push("", `Signal faults injected, and what the analytics found (alerts in ${relative(path.join(r.lakeDir, "alerts"))}):`);
  const rows = [["fault", "kind", "device", "metric", "start", "lasted", "result", "delay", "rule(s) that fired"]];
  for (const f of sc.findings) {
    rows.push([
      f.fault.id,
      f.fault.kind,
      f.fault.device_id,
      f.fault.metric ?? "(all)",
      clock(f.fault.start),
      span(f.fault),
      f.detected ? "detected" : "MISSED",
      f.delayMs === null ? "-" : duration(f.delayMs),
      f.rules.join(", ") || `expected: ${f.fault.expected_rules.join(" or ")}`,
    ]);
  }
  out.push(...table(rows));
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  out.push(
    `  recall ${sc.detected}/${sc.total} = ${pct(sc.recall)}` + (sc.medianDelayMs === null ? "" : `, median detection delay ${duration(sc.medianDelayMs)}`) +
      " (a dropout is alerted while it lasts, once the device is silent for 10 of its intervals, at least a minute)",
  );
  const deviceHours = devices * c.hours;
  const byRule = new Map<string, number>();
  for (const a of sc.falseAlerts) byRule.set(a.rule, (byRule.get(a.rule) ?? 0) + 1);
  out.push(
    `  false alerts: ${sc.falseAlerts.length} (${(sc.falseAlerts.length / deviceHours).toFixed(2)} per device-hour${
      byRule.size ? `; ${[...byRule].map(([rule, n]) => `${rule} ${n}`).join(", ")}` : ""
    })` + (sc.explained.length ? `; ${sc.explained.length} more explained by injected faults (a baseline settling after one, or a gap while messages were an hour late)` : ""),
  );

  out.push("", "Delivery faults injected, and how the ingest path accounted for them:");
  const drows = [["", "injected", "counted", ""]];
  for (const d of r.delivery) drows.push([d.what, String(d.expected), String(d.actual), d.ok ? "ok" : "MISMATCH"]);
  out.push(...table(drows));
  out.push(`  ${r.replay.conservation}  ✓`);

  if (r.mqtt) {
    const m = r.mqtt;
    out.push(
      "",
      `MQTT path: embedded broker on ${m.url}, ${m.published} messages + ${m.hostile} hostile publishes → ${relative(m.spoolPath)}`,
      `  broker (live check): accepted ${m.broker.accepted}, quarantined ${m.broker.quarantined} (${reasonSummary(m.broker.byReason as Record<string, number>)})`,
      `  replay of the spool: ${m.replay.conservation}  ✓`,
    );
  }

  out.push("", `Lake: ${relative(r.lakeDir)}/  (readings, aggregates, anomalies, alerts, quarantine as Parquet under <table>/dt=YYYY-MM-DD/)`);
  if (r.report) {
    out.push("", summaryText(r.report.summary, relative(r.report.htmlPath)));
    if (c.hours < 24) out.push(`(The demo simulates ${c.hours} of the day's 24 hours, so the report finds every sensor incomplete.)`);
  }

  const date = t.start_iso.slice(0, 10);
  const lake = relative(r.lakeDir);
  const next: Array<[string, string]> = [
    ...(r.report ? ([[`open ${relative(r.report.htmlPath)}`, `the compliance report for ${date}`]] as Array<[string, string]>) : []),
    [`npm run iotpipe -- report --date ${date} --lake ${lake} --site plant-a`, "one site's report"],
    [`npm run iotpipe -- simulate --out data/sim --hours 24`, "your own factory; then replay --input data/sim/messages.jsonl --out data/lake"],
    [`npm run iotpipe -- devices add --help`, "register devices, then `iotpipe broker`: MQTT over mutual TLS on 127.0.0.1:8883 into a spool for replay"],
    [`npm run iotpipe -- sql --lake ${lake} "SELECT rule, count(*) AS n FROM anomalies GROUP BY rule"`, "query the lake (plain Parquet) with SQL"],
    ["npm run bench:anomaly; npm run bench:replay; npm test", "benchmarks and the test suite"],
  ];
  const width = Math.max(...next.map(([command]) => command.length));
  out.push("", "Next:", ...next.map(([command, why]) => `  ${command.padEnd(width)}  # ${why}`));
  const total = Object.values(r.timings).reduce((a, b) => a + (b ?? 0), 0);
  out.push("", `Done in ${duration(total)} (${Object.entries(r.timings).map(([k, v]) => `${k} ${duration(v!)}`).join(", ")}).`);
  return out;
}

interface DemoFlags {
  dir: string;
  seed: number;
  hours: number;
  sites: number;
  lines: number;
  devices: number;
  mqtt: boolean;
  report: boolean;
}

export function registerDemo(program: Command, io: Io): void {
  const d = DEMO_SIMULATION;
  program
    .command("demo")
    .description("Simulate a small factory, replay it, and compare what the analytics found with what was injected")
    .option("--dir <dir>", "working directory: new, empty, or an earlier demo's (emptied first)", DEMO_DIR)
    .option("--seed <n>", "random seed", integerIn(0, 2 ** 32 - 1), d.seed)
    .option("--hours <h>", "simulated hours", positiveNumber(48), d.hours)
    .option("--sites <n>", "sites", integerIn(1, 26), d.shape.sites)
    .option("--lines <n>", "lines per site", integerIn(1, 20), d.shape.linesPerSite)
    .option("--devices <n>", "devices per line", integerIn(1, 50), d.shape.devicesPerLine)
    .option("--no-mqtt", "skip the live burst through the embedded MQTT broker")
    .option("--no-report", "skip the compliance report")
    .action(async (flags: DemoFlags) => {
      const config: SimulationConfig = {
        ...d,
        seed: flags.seed,
        hours: flags.hours,
        shape: { sites: flags.sites, linesPerSite: flags.lines, devicesPerLine: flags.devices },
      };
      io.out(`iotpipe demo: a simulated factory with labelled faults, through the local engine (${relative(flags.dir)})`);
      // One bar per counted unit (simulation ticks, then replay chunks validated, then lake tables written).
      let bar: { unit: string; progress: Progress } | null = null;
      const stopBar = () => {
        bar?.progress.stop();
        bar = null;
      };
      let result: DemoResult;
      try {
        result = await runDemo({
          dir: flags.dir,
          config,
          mqtt: flags.mqtt,
          report: flags.report,
          onStep: (step) => {
            stopBar();
            io.out(`→ ${STEP_TITLES[step]}`);
          },
          onProgress: (unit, done, total) => {
            if (bar?.unit !== unit) {
              stopBar();
              bar = { unit, progress: progressBar({ ticks: "simulate", chunks: "validate", steps: "analyse" }[unit], unit) };
            }
            bar.progress.update(done, total);
          },
        });
      } catch (error) {
        if (error instanceof ConservationError) throw new CliError(error.message, "this is a bug: keep .iotpipe/demo and report it", EXIT.conservation);
        throw new CliError(`demo failed: ${(error as Error).message}`, "run `npm ci` on a clean checkout, then `npm run demo` again; IOTPIPE_DEBUG=1 shows the stack");
      } finally {
        stopBar();
      }
      for (const line of renderDemo(result)) io.out(line);
      if (result.delivery.some((d) => !d.ok)) {
        throw new CliError("the ingest path did not account for the injected delivery faults as expected (see MISMATCH above)", "report it with .iotpipe/demo/sim/", EXIT.failed);
      }
    });
}
