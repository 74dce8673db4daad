/**
 * The Flink job's message judge (flink-app/telemetry_contract.py, Python in the PyFlink worker) and the
 * reference validator (contract/validation.ts classify, MQTT path, live mode) must give every message the same
 * verdict: the same reason, or the same accepted fields. Random and hostile messages from the shared
 * arbitraries go through both; python3 judges the whole batch in one process.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import fc from "fast-check";
import { classify } from "../../contract/validation";
import { DEFAULT_INGEST_POLICY } from "../../contract/ingest-policy";
import { FLINK_CONTRACT_MODULE, flinkContractModule } from "../../analytics/flink-contract";
import { CLOCK, mqttMessageArb, type MqttMessage } from "./arbitraries";

const REPO = path.resolve(__dirname, "../..");
const { maxFutureSkewMs, maxPastSkewMs } = DEFAULT_INGEST_POLICY;

/** Runs judge_envelope on each message, as the Flink SQL calls it (base64 payload, ids from the topic). */
const JUDGE = `
import json, sys
sys.path.insert(0, "flink-app")
from telemetry_contract import judge_envelope
for line in sys.stdin:
    m = json.loads(line)
    print(json.dumps(judge_envelope(m["payload"], m["device_id"], m["site"], m["line"], m["ingest_ts"], ${maxFutureSkewMs}, ${maxPastSkewMs})))
`;

interface PythonVerdict {
  reason: string | null;
  detail: string | null;
  raw_payload: string;
  msg_id: string | null;
  seq: number | null;
  ts: number | null;
  readings: [string, number, string | null][] | null;
}

function judgeInPython(messages: MqttMessage[]): PythonVerdict[] {
  const input = messages
    .map((m) => JSON.stringify({ payload: Buffer.from(m.payload).toString("base64"), device_id: m.device, site: m.site, line: m.line, ingest_ts: CLOCK }))
    .join("\n");
  const run = spawnSync("python3", ["-B", "-c", JUDGE], { cwd: REPO, input, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return run.stdout.trim().split("\n").map((l) => JSON.parse(l) as PythonVerdict);
}

/** What classify says, in the judge's shape (zero without sign: Python ints have no -0). */
function referenceVerdict(m: MqttMessage) {
  const verdict = classify({ format: "mqtt", topic: `telemetry/${m.site}/${m.line}/${m.device}`, payload: m.payload }, { mode: "live", ingestTs: CLOCK });
  if (verdict.outcome === "quarantined") return { reason: verdict.reason };
  const { msg_id, seq, ts, readings } = verdict.message;
  return { reason: null, msg_id: msg_id ?? null, seq: seq ?? null, ts, readings: readings.map((r) => [r.metric, r.value === 0 ? 0 : r.value, r.unit ?? null]) };
}

function judgeShape(v: PythonVerdict) {
  if (v.reason !== null) return { reason: v.reason };
  return { reason: null, msg_id: v.msg_id, seq: v.seq, ts: v.ts, readings: v.readings!.map(([metric, value, unit]) => [metric, value === 0 ? 0 : value, unit]) };
}

describe("Flink message judge ≡ contract classify (MQTT, live)", () => {
  it("gives the same verdict on 3000 random and hostile messages", () => {
    const messages = fc.sample(mqttMessageArb, { numRuns: 3000, seed: 20261123 });
    const judged = judgeInPython(messages);
    const reasons = new Map<string, number>();
    messages.forEach((m, i) => {
      const expected = referenceVerdict(m);
      reasons.set(String(expected.reason), (reasons.get(String(expected.reason)) ?? 0) + 1);
      const actual = judgeShape(judged[i]);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        throw new Error(`verdicts differ for payload ${JSON.stringify(Buffer.from(m.payload).toString("utf8").slice(0, 300))} ids ${m.site}/${m.line}/${m.device}: classify ${JSON.stringify(expected)}, Flink judge ${JSON.stringify(actual)} (${judged[i].detail})`);
      }
    });
    // The sample must exercise every outcome, or the equivalence says little.
    for (const reason of ["null", "unparseable", "bad_topic", "schema", "non_finite", "timestamp_out_of_range"]) {
      expect(reasons.get(reason) ?? 0).toBeGreaterThan(10);
    }
  });

  it("keeps the published bytes of every quarantined message: UTF-8 text, or base64 when not UTF-8", () => {
    const bytes = [Buffer.from("temp=71.5"), Buffer.from([0xff, 0x00, 0x7b]), Buffer.from(`{"ts":1,"readings":[]}`)];
    const judged = judgeInPython(bytes.map((payload) => ({ site: "plant-a", line: "line-1", device: "press-01", payload })));
    expect(judged.map((v) => [v.reason, v.raw_payload])).toEqual([
      ["unparseable", "temp=71.5"],
      ["unparseable", Buffer.from([0xff, 0x00, 0x7b]).toString("base64")],
      ["schema", `{"ts":1,"readings":[]}`],
    ]);
  });

  it("reads its limits from the committed contract_constants.py, which matches the TypeScript contract", () => {
    expect(fs.readFileSync(path.join(REPO, FLINK_CONTRACT_MODULE), "utf8")).toBe(flinkContractModule());
  });
});
