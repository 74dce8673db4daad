/**
 * The report job's IoT registry export (handlers/compliance-report/registry-export.ts) against a mocked IoT client
 * (aws-sdk-client-mock) and an in-memory lake: every page of ListThings, the thing type filter, things that are not
 * fleet devices left out with a reason, registration times carried from the previous day's snapshot, a day's
 * snapshot written once, and an IoT failure failing the export.
 */
import { IoTClient, ListThingsCommand } from "@aws-sdk/client-iot";
import { mockClient } from "aws-sdk-client-mock";
import { exportDeviceRegistry, type SnapshotStore } from "../../handlers/compliance-report/registry-export";
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
const iotMock = mockClient(IoTClient);
beforeEach(() => iotMock.reset());

describe("exportDeviceRegistry", () => {
  it("writes every page of fleet things as the day's snapshot, carrying registration times from the day before", async () => {
    iotMock
      .on(ListThingsCommand, { nextToken: undefined })
      .resolves({ things: [thing("a1-press01", { site: "plant-a", line: "line-1", model: "PX-200", serial: "SN-1" }), thing("gateway", { role: "bridge" })], nextToken: "page-2" })
      .on(ListThingsCommand, { nextToken: "page-2" })
      .resolves({ things: [thing("a2-press01", { site: "plant-a", line: "line-2", model: "PX-200", serial: "SN-2" }), thing("bad-site", { site: "plant a", line: "line-1" })] });
    const store = new MemoryStore();
    store.objects.set(snapshotKey("2026-11-09"), Buffer.from(snapshotJsonLines([{ device_id: "a1-press01", site: "plant-a", line: "line-1", model: "PX-200", serial: "SN-1", registered_at: Date.UTC(2026, 9, 1, 8) }])));

    const result = await exportDeviceRegistry({ iot: new IoTClient({ region: "eu-west-1" }), store, thingTypeName: "iotpipe-sensor", now: NOW }, "2026-11-10");

    expect(result).toEqual({
      location: "s3://lake/device_registry/dt=2026-11-10/registry.json",
      devices: 2,
      written: true,
      skipped: [
        { thingName: "gateway", reason: "attribute site missing or not a topic-level id" },
        { thingName: "bad-site", reason: "attribute site missing or not a topic-level id" },
      ],
    });
    const calls = iotMock.commandCalls(ListThingsCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { maxResults: 250, nextToken: undefined, thingTypeName: "iotpipe-sensor" },
      { maxResults: 250, nextToken: "page-2", thingTypeName: "iotpipe-sensor" },
    ]);
    expect(store.rows(snapshotKey("2026-11-10"))).toEqual([
      { device_id: "a1-press01", site: "plant-a", line: "line-1", model: "PX-200", serial: "SN-1", registered_at: "2026-10-01 08:00:00.000" },
      // New since yesterday's snapshot: registered at the export.
      { device_id: "a2-press01", site: "plant-a", line: "line-2", model: "PX-200", serial: "SN-2", registered_at: "2026-11-11 00:45:00.000" },
    ]);
  });

  it("the first snapshot cannot know registration times; a day already exported is kept as it was, without calling IoT", async () => {
    iotMock.on(ListThingsCommand).resolves({ things: [thing("a1-press01", { site: "plant-a", line: "line-1" })] });
    const store = new MemoryStore();
    const first = await exportDeviceRegistry({ iot: new IoTClient({ region: "eu-west-1" }), store, now: NOW }, "2026-11-10");
    expect(first).toMatchObject({ devices: 1, written: true });
    expect(store.rows(snapshotKey("2026-11-10"))).toEqual([{ device_id: "a1-press01", site: "plant-a", line: "line-1", model: null, serial: null, registered_at: null }]);
    expect(iotMock.commandCalls(ListThingsCommand)[0].args[0].input).toEqual({ maxResults: 250, nextToken: undefined });

    iotMock.reset();
    const again = await exportDeviceRegistry({ iot: new IoTClient({ region: "eu-west-1" }), store, now: NOW + 3_600_000 }, "2026-11-10");
    expect(again).toEqual({ location: "s3://lake/device_registry/dt=2026-11-10/registry.json", devices: 1, written: false, skipped: [] });
    expect(iotMock.commandCalls(ListThingsCommand)).toHaveLength(0);
  });

  it("an IoT failure fails the export and writes nothing", async () => {
    iotMock.on(ListThingsCommand).rejects(Object.assign(new Error("User is not authorized to perform: iot:ListThings"), { name: "AccessDeniedException" }));
    const store = new MemoryStore();
    await expect(exportDeviceRegistry({ iot: new IoTClient({ region: "eu-west-1" }), store, now: NOW }, "2026-11-10")).rejects.toThrow(/iot:ListThings/);
    expect(store.objects.size).toBe(0);
  });
});
