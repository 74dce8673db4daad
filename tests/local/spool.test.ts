/** Messages spooled from MQTT replay to the verdicts live ingest gave them. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { classify } from "../../contract/validation";
import { TelemetrySpool } from "../../local/spool";
import { replay } from "../../local/replay";
import { CLOCK } from "../contract/arbitraries";

describe("TelemetrySpool", () => {
  it("appends envelope lines that replay to the live verdicts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "iotpipe-spool-test-"));
    try {
      const spool = new TelemetrySpool(join(dir, "spool", "telemetry.jsonl"));
      const received: [string, string | Buffer][] = [
        ["telemetry/plant-a/line-1/press-01", `{"msg_id":"a","ts":${CLOCK - 60_000},"readings":[{"metric":"pressure","value":6.1,"unit":"bar"}]}`],
        ["telemetry/plant-a/line-1/press-01", `{"msg_id":"a","ts":${CLOCK - 60_000},"readings":[{"metric":"pressure","value":6.1,"unit":"bar"}]}`],
        ["telemetry/plant-a/line-1/press-01", "{\"ts\":"],
        ["telemetry/plant-a/line-1/press-01", Buffer.from([0xff, 0xfe])],
        ["telemetry/plant-a/x'; DROP TABLE t;--/press-01", `{"ts":${CLOCK},"readings":[{"metric":"pressure","value":6}]}`],
      ];
      received.forEach(([topic, payload], i) => spool.append(topic, payload, CLOCK - 1000 + i));
      expect(spool.count).toBe(5);
      expect(readFileSync(spool.path, "utf8").trimEnd().split("\n")).toHaveLength(5);

      const live = received.map(([topic, payload], i) => classify({ format: "mqtt", topic, payload }, { mode: "live", ingestTs: CLOCK - 1000 + i }));
      const result = await replay({ inputPath: spool.path, lakeDir: join(dir, "lake"), now: CLOCK, mode: "live" });
      expect(result.counts).toEqual({ input: 5, accepted: 1, quarantined: 3, duplicates: 1, late: 0 });
      expect(result.byReason).toMatchObject({ unparseable: 2, bad_topic: 1 });
      expect(live.map((v) => (v.outcome === "quarantined" ? v.reason : v.outcome))).toEqual(["accepted", "accepted", "unparseable", "unparseable", "bad_topic"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
