/**
 * `iotpipe devices add|list|remove|import` in-process: the registry file, the CA and each device's key and
 * certificate on disk (private keys 0600, never printed), refused input listed with its line numbers and nothing
 * registered, and removal revoking the certificate.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { X509Certificate } from "node:crypto";
import { caPaths, deviceCredentialPaths } from "../../local/device-ca";
import { loadRegistry } from "../../local/device-registry";
import { enrolDevices } from "../../local/devices";
import { cli } from "./run-cli";
import { REPORT_DAY, complianceLake } from "../reports/compliance-fixture";
import { writeLake } from "../reports/lake-fixture";

describe("iotpipe devices", () => {
  let dir: string;
  let registry: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "iotpipe-devices-"));
    registry = path.join(dir, "devices");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const add = (id: string, site = "plant-a", line = "line-1", serial = `SN-${id}`) =>
    cli("devices", "add", id, "--site", site, "--line", line, "--model", "PX-200", "--serial", serial, "--registry", registry);

  test("add creates the CA once and issues a client certificate for the thing name, keys 0600 and never printed", async () => {
    const first = await add("a1-press01");
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/created the local CA/);
    expect(first.out).toMatch(/registered a1-press01 \(plant-a\/line-1, model PX-200, serial SN-a1-press01\); publishes only to telemetry\/plant-a\/line-1\/a1-press01/);
    expect(first.out).toMatch(/mosquitto_pub -h 127\.0\.0\.1 -p 8883 --cafile .*ca\.cert\.pem --cert .*a1-press01\.cert\.pem --key .*a1-press01\.key\.pem -i a1-press01 -t telemetry\/plant-a\/line-1\/a1-press01/);
    const second = await add("a2-press01", "plant-a", "line-2");
    expect(second.out).not.toMatch(/created the local CA/);

    const files = deviceCredentialPaths(registry, "a1-press01");
    for (const key of [files.key, caPaths(registry).caKey]) expect(fs.statSync(key).mode & 0o777).toBe(0o600);
    for (const text of [first.out, first.err, second.out]) expect(text).not.toMatch(/PRIVATE KEY/);
    // The certificate names the device and chains to the CA; its serial is the one the registry trusts.
    const cert = new X509Certificate(fs.readFileSync(files.cert));
    const ca = new X509Certificate(fs.readFileSync(caPaths(registry).caCert));
    expect(cert.subject).toBe("CN=a1-press01");
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(ca.ca).toBe(true);
    const entry = loadRegistry(registry).devices.find((d) => d.device_id === "a1-press01")!;
    expect(entry).toMatchObject({ site: "plant-a", line: "line-1", model: "PX-200", serial: "SN-a1-press01", certificate_serial: cert.serialNumber.toLowerCase() });

    const list = await cli("devices", "list", "--registry", registry);
    expect(list.out.split("\n")[0]).toMatch(/^device\s+site\s+line\s+model\s+serial\s+registered\s+certificate until$/);
    expect(list.out).toMatch(/a2-press01\s+plant-a\s+line-2\s+PX-200\s+SN-a2-press01/);
    expect(list.out).toMatch(/2 device\(s\); 0 revoked certificate\(s\)/);
  });

  test("add refuses ids that are not topic levels or thing names, and duplicates of a device or a serial", async () => {
    await add("a1-press01");
    const duplicate = await add("a1-press01", "plant-a", "line-1", "SN-other");
    expect(duplicate.code).toBe(1);
    expect(duplicate.err).toMatch(/device a1-press01 is already registered/);
    const sameSerial = await add("a1-press02", "plant-a", "line-1", "SN-a1-press01");
    expect(sameSerial.err).toMatch(/serial SN-a1-press01 is already registered to a1-press01/);
    for (const [id, site, line] of [["a1/press", "plant-a", "line-1"], ["a1+press", "plant-a", "line-1"], ["a1.press", "plant-a", "line-1"], ["a1-press03", "plant a", "line-1"], ["a1-press03", "plant-a", "#"]]) {
      const refused = await add(id, site, line, `SN-${id.length}-${site.length}`);
      expect({ id, site, line, code: refused.code }).toEqual({ id, site, line, code: 1 });
    }
    expect(loadRegistry(registry).devices.map((d) => d.device_id)).toEqual(["a1-press01"]);
  });

  test("import registers a clean CSV; a file with bad rows is refused whole, every problem with its line", async () => {
    await add("a1-press01");
    const good = path.join(dir, "good.csv");
    fs.writeFileSync(good, "serial,device_id,site,line,model\r\nSN-2,a1-press02,plant-a,line-1,PX-200\r\n\r\nSN-3,b1-motor01,plant-b,line-1,\"MX-1\"\r\n");
    const imported = await cli("devices", "import", good, "--registry", registry);
    expect(imported.code).toBe(0);
    expect(imported.out).toMatch(/imported 2 device\(s\) from/);
    expect(loadRegistry(registry).devices.map((d) => [d.device_id, d.site, d.model])).toEqual([
      ["a1-press01", "plant-a", "PX-200"],
      ["a1-press02", "plant-a", "PX-200"],
      ["b1-motor01", "plant-b", "MX-1"],
    ]);

    const bad = path.join(dir, "bad.csv");
    fs.writeFileSync(
      bad,
      [
        "device_id,site,line,model,serial",
        "a1-press04,plant-a,line-1,PX-200,SN-4", // fine on its own
        "a1-press05,plant-a,line-1,PX-200", // a field short
        "a1-press02,plant-a,line-1,PX-200,SN-22", // already registered
        "a1-press06,plant-a,line-1,PX-200,SN-4", // repeats line 2's serial
        "a1-press07,plant a,line-1,PX-200,SN-7", // a space is not a topic level
        "",
      ].join("\n"),
    );
    const refused = await cli("devices", "import", bad, "--registry", registry);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/4 problem\(s\), nothing changed/);
    expect(refused.err).toMatch(/line 3: 4 field\(s\), the header has 5/);
    expect(refused.err).toMatch(/line 4: device a1-press02 is already registered/);
    expect(refused.err).toMatch(/line 5: serial SN-4 repeats .*line 2 \(a1-press04\)/);
    expect(refused.err).toMatch(/line 6: site: letters, digits/);
    expect(refused.err).toMatch(/nothing was registered/);
    expect(loadRegistry(registry).devices).toHaveLength(3);
    expect(fs.existsSync(deviceCredentialPaths(registry, "a1-press04").key)).toBe(false);

    const header = path.join(dir, "header.csv");
    fs.writeFileSync(header, "device,site,line,model,serial\nx,plant-a,line-1,m,s\n");
    expect((await cli("devices", "import", header, "--registry", registry)).err).toMatch(/line 1: header lacks device_id[\s\S]*line 1: header has unknown column\(s\) device/);
  });

  test("remove revokes the certificate and deletes the key; an unknown id names what the registry holds", async () => {
    await add("a1-press01");
    const serial = loadRegistry(registry).devices[0].certificate_serial;
    const removed = await cli("devices", "remove", "a1-press01", "--registry", registry);
    expect(removed.code).toBe(0);
    expect(removed.out).toMatch(new RegExp(`removed a1-press01; certificate ${serial} revoked`));
    const after = loadRegistry(registry);
    expect(after.devices).toEqual([]);
    expect(after.revoked).toEqual([{ certificate_serial: serial, device_id: "a1-press01", revoked_at: expect.any(String) }]);
    expect(fs.existsSync(deviceCredentialPaths(registry, "a1-press01").key)).toBe(false);
    const unknown = await cli("devices", "remove", "a1-press01", "--registry", registry);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/device a1-press01 is not in the registry .* \(it is empty\)/);
    expect((await cli("devices", "list", "--registry", registry)).out).toMatch(/no devices registered/);
  });

  test("report --registry lists a registered device that sent nothing on the day as silent", async () => {
    // Registered before the report day (`devices add` stamps now, after the fixture's day, which the inventory skips).
    const row = (id: string, line: string) => ({ device_id: id, site: "plant-a", line, model: "PX-200", serial: `SN-${id}` });
    await enrolDevices(registry, [row("dev-t1", "line-1"), row("dev-quiet1", "line-2")], (i) => `row ${i}`, { now: new Date("2026-11-01T00:00:00Z") });
    await add("dev-added-now", "plant-a", "line-2");
    const lake = path.join(dir, "lake");
    await writeLake(lake, complianceLake());
    const out = path.join(dir, "reports");
    const report = await cli("report", "--date", REPORT_DAY, "--lake", lake, "--site", "plant-a", "--out", out, "--registry", registry);
    expect(report.code).toBe(0);
    const csv = fs.readFileSync(path.join(out, REPORT_DAY, "plant-a", "device-inventory.csv"), "utf8");
    const header = csv.split("\n")[0];
    expect(header).toMatch(/device_id.*status.*model.*serial.*registered_at/);
    const rows = csv.trim().split("\n").slice(1);
    expect(rows.find((r) => r.includes("dev-quiet1"))).toMatch(/plant-a.*line-2.*dev-quiet1.*silent.*PX-200.*SN-dev-quiet1/);
    expect(rows.find((r) => r.includes("dev-t1"))).toMatch(/reporting.*PX-200.*SN-dev-t1/);
    expect(csv).not.toMatch(/dev-added-now/);
  });
});
