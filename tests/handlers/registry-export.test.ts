/**
 * The report job's IoT registry export (handlers/compliance-report/registry-export.ts) over IoT ListThings as sent
 * (handlers/shared/iot-list-things.ts, signed, to the loopback stand-in) and an in-memory lake: every page, the thing
 * type filter, things that are not fleet devices left out with a reason, registration times carried from the previous
 * day's snapshot, a day's snapshot written once, and an IoT failure failing the export.
 */
import { exportDeviceRegistry, type SnapshotStore } from "../../handlers/compliance-report/registry-export";
import { IotRestThingLister } from "../../handlers/shared/iot-list-things";
import { LoopbackAws, startLoopbackAws } from "./loopback-aws";
import { snapshotJsonLines, snapshotKey } from "../../reports/registry-snapshot";

class MemoryStore implements SnapshotStore {
  readonly objects = new Map<string, Buffer>();
  where(key: string): string {
    return `s3://lake/${key}`;
  }
  async read(key: string): Promise<Buffer | null> {
    return this.objects.get(key) ?? null;
  }
  async createIfAbsent(key: string, body: Buffer): Promise<boolean> {
    if (this.objects.has(key)) return false;
    this.objects.set(key, body);
    return true;
  }
  rows(key: string): Array<Record<string, unknown>> {
    return this.objects.get(key)!.toString("utf8").trim().split("\n").map((l) => JSON.parse(l));
  }
}

const thing = (name: string, attributes: Record<string, string>) => ({ thingName: name, thingArn: `arn:aws:iot:eu-west-1:123456789012:thing/${name}`, thingTypeName: "iotpipe-sensor", attributes, version: 1 });
const NOW = Date.UTC(2026, 10, 11, 0, 45);
let aws: LoopbackAws;
beforeAll(async () => (aws = await startLoopbackAws()));
afterAll(() => aws.close());
beforeEach(() => aws.reset());

/** ListThings pages by the nextToken asked for ("" = the first); the queries received, in order. */
function answerPages(pages: Record<string, { things: object[]; nextToken?: string }>): URLSearchParams[] {
  const received: URLSearchParams[] = [];
  aws.iot = (query) => {
    received.push(query);
    const page = pages[query.get("nextToken") ?? ""];
    return page ? { body: page } : { status: 400, body: { message: "unknown nextToken" } };
  };
  return received;
}
const iot = () => new IotRestThingLister({ env: aws.env, retries: 0 });
/** Every ListThings request reached the stand-in correctly signed (SigV4 for service iot, checked with the SDK's signer). */
function signed(requests: number): void {
  expect(aws.requests.filter((r) => r.service === "iot").map((r) => r.signatureProblem ?? "ok")).toEqual(Array(requests).fill("ok"));
}

describe("exportDeviceRegistry", () => {
  it("writes every page of fleet things as the day's snapshot, carrying registration times from the day before", async () => {
    const received = answerPages({
      "": { things: [thing("a1-press01", { site: "plant-a", line: "line-1", model: "PX-200", serial: "SN-1" }), thing("gateway", { role: "bridge" })], nextToken: "page/2+" },
      "page/2+": { things: [thing("a2-press01", { site: "plant-a", line: "line-2", model: "PX-200", serial: "SN-2" }), thing("bad-site", { site: "plant a", line: "line-1" })] },
    });
    const store = new MemoryStore();
    store.objects.set(snapshotKey("2026-11-09"), Buffer.from(snapshotJsonLines([{ device_id: "a1-press01", site: "plant-a", line: "line-1", model: "PX-200", serial: "SN-1", registered_at: Date.UTC(2026, 9, 1, 8) }])));

    const result = await exportDeviceRegistry({ iot: iot(), store, thingTypeName: "iotpipe-sensor", now: NOW }, "2026-11-10");

    expect(result).toEqual({
      location: "s3://lake/device_registry/dt=2026-11-10/registry.json",
      devices: 2,
      written: true,
      skipped: [
        { thingName: "gateway", reason: "attribute site missing or not a topic-level id" },
        { thingName: "bad-site", reason: "attribute site missing or not a topic-level id" },
      ],
    });
    // Every page, each request signed for IoT; the token goes back exactly (URL-encoded once).
    expect(received.map((q) => Object.fromEntries(q))).toEqual([
      { maxResults: "250", thingTypeName: "iotpipe-sensor" },
      { maxResults: "250", nextToken: "page/2+", thingTypeName: "iotpipe-sensor" },
    ]);
    signed(2);
    expect(store.rows(snapshotKey("2026-11-10"))).toEqual([
      { device_id: "a1-press01", site: "plant-a", line: "line-1", model: "PX-200", serial: "SN-1", registered_at: "2026-10-01 08:00:00.000" },
      // New since yesterday's snapshot: registered at the export.
      { device_id: "a2-press01", site: "plant-a", line: "line-2", model: "PX-200", serial: "SN-2", registered_at: "2026-11-11 00:45:00.000" },
    ]);
  });

  it("the first snapshot cannot know registration times; a day already exported is kept as it was, without calling IoT", async () => {
    const received = answerPages({ "": { things: [thing("a1-press01", { site: "plant-a", line: "line-1" })] } });
    const store = new MemoryStore();
    const first = await exportDeviceRegistry({ iot: iot(), store, now: NOW }, "2026-11-10");
    expect(first).toMatchObject({ devices: 1, written: true });
    expect(store.rows(snapshotKey("2026-11-10"))).toEqual([{ device_id: "a1-press01", site: "plant-a", line: "line-1", model: null, serial: null, registered_at: null }]);
    expect(received.map((q) => Object.fromEntries(q))).toEqual([{ maxResults: "250" }]);

    const again = await exportDeviceRegistry({ iot: iot(), store, now: NOW + 3_600_000 }, "2026-11-10");
    expect(again).toEqual({ location: "s3://lake/device_registry/dt=2026-11-10/registry.json", devices: 1, written: false, skipped: [] });
    expect(received).toHaveLength(1);
  });

  it("an IoT failure fails the export and writes nothing", async () => {
    aws.iot = () => ({ status: 403, body: { message: "User: arn:aws:sts::123456789012:assumed-role/report is not authorized to perform: iot:ListThings" } });
    const store = new MemoryStore();
    await expect(exportDeviceRegistry({ iot: iot(), store, now: NOW }, "2026-11-10")).rejects.toThrow(/IoT ListThings failed: HTTP 403.*not authorized to perform: iot:ListThings/);
    expect(store.objects.size).toBe(0);
  });
});
