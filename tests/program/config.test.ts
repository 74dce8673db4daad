import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, parseStaticLimit, pulumiConfigDeclarations } from "../../config/schema";
import { loadStackConfig, parseStackConfig, StackConfigError } from "../../config/load";
import { PROJECT_DIR, readProject, readProjectKeys, readStackConfig, readStackFile, readStackFileKeys } from "../../config/stack-file";
import { renderConfigReference, renderProjectFile } from "../../config/pulumi-yaml";
import * as fs from "fs";
import * as path from "path";

function errorOf(raw: Record<string, unknown>): string {
  try {
    parseStackConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(StackConfigError);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe("Pulumi.yaml", () => {
  const project = readProject();

  it("declares every key of the schema with its type, default and description, and nothing else", () => {
    expect(project.name).toBe("iotpipe");
    expect(project.config).toEqual(pulumiConfigDeclarations());
  });

  it("is exactly what config/pulumi-yaml.ts renders (regenerate with `npx tsx config/pulumi-yaml.ts`)", () => {
    expect(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")).toBe(renderProjectFile());
  });

  it("renders the README reference with one row per key", () => {
    const rows = renderConfigReference().trim().split("\n").slice(2);
    expect(rows.map((r) => /^\| `iotpipe:(\w+)`/.exec(r)?.[1])).toEqual(Object.keys(CONFIG_KEYS));
    expect(rows.find((r) => r.includes("iotpipe:streamMode"))).toBe(`| \`iotpipe:streamMode\` | string | \`"on-demand"\` | ${CONFIG_KEYS.streamMode.description} |`);
  });

  it("uses only types a Pulumi project can declare", () => {
    for (const declaration of Object.values(project.config)) {
      expect(["string", "integer", "boolean", "array"]).toContain(declaration.type);
      if (declaration.type === "array") expect([{ type: "string" }, { type: "integer" }]).toContainEqual(declaration.items);
    }
  });

  it("every declared default passes the schema", () => {
    const defaults = parseStackConfig({});
    expect(defaults.streamMode).toBe("on-demand");
    expect(defaults.reportsObjectLockMode).toBe("COMPLIANCE");
    expect(defaults.deletionProtection).toBe(true);
    expect(defaults.forceDestroy).toBe(false);
    expect(Object.keys(defaults).sort()).toEqual(Object.keys(CONFIG_KEYS).sort());
  });
});

describe("stack files", () => {
  const dev = parseStackConfig(readProjectKeys("dev"));
  const prod = parseStackConfig(readProjectKeys("prod"));

  it("both parse and name a region", () => {
    expect(readStackConfig("dev")["aws:region"]).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
    expect(readStackConfig("prod")["aws:region"]).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
    expect(dev.environment).toBe("dev");
    expect(prod.environment).toBe("prod");
  });

  it("prod differs where production should", () => {
    expect(prod.streamRetentionHours).toBeGreaterThan(dev.streamRetentionHours);
    expect(prod.logRetentionDays).toBeGreaterThan(dev.logRetentionDays);
    expect(prod.streamMode).toBe("provisioned");
    expect(prod.flinkParallelism).toBeGreaterThan(dev.flinkParallelism);
    expect(prod.flinkAutoScaling).toBe(true);
    expect(prod.alarmIteratorAgeMs).toBeLessThan(dev.alarmIteratorAgeMs);
    expect(prod.alarmFirehoseFreshnessSeconds).toBeLessThan(dev.alarmFirehoseFreshnessSeconds);
    expect(prod.alarmQuarantineRatePercent).toBeLessThan(dev.alarmQuarantineRatePercent);
    expect(prod.reportsObjectLockMode).toBe("COMPLIANCE");
    expect(prod.reportsObjectLockDays).toBeGreaterThanOrEqual(7 * 365);
    expect(prod.deletionProtection).toBe(true);
    expect(prod.forceDestroy).toBe(false);
    expect(prod.alarmEmails.length).toBeGreaterThan(0);
    expect(dev.forceDestroy).toBe(true);
    expect(dev.reportsObjectLockMode).toBe("GOVERNANCE");
  });

  it("a stack file read by path (iotpipe replay --stack-config) gives what its stack gives", () => {
    expect(readStackFile(path.join(PROJECT_DIR, "Pulumi.prod.yaml"))).toEqual(readStackConfig("prod"));
    expect(readStackFileKeys(path.join(PROJECT_DIR, "Pulumi.dev.yaml"))).toEqual(readProjectKeys("dev"));
  });

  it("an unknown stack names the stacks that exist", () => {
    expect(() => readStackConfig("staging")).toThrow(/no stack file .*Pulumi\.staging\.yaml; stacks here: dev, prod, scale/);
  });
});

describe("bad config gets a clear error naming the key and what is allowed", () => {
  it.each([
    [{ streamMode: "fast" }, 'iotpipe:streamMode must be one of on-demand, provisioned; got "fast"'],
    [{ environment: "qa" }, 'iotpipe:environment must be one of dev, staging, prod; got "qa"'],
    [{ deviceLines: '["plant.a/line-1"]' }, `iotpipe:deviceLines 'plant.a/line-1': site 'plant.a' must be letters, digits, _ and - only, starting with a letter or digit; got "plant.a/line-1"`],
    [{ deviceLines: '["line-1"]' }, `iotpipe:deviceLines 'line-1' must be <site>/<line>, e.g. plant-a/line-1; got "line-1"`],
    [{ deviceLines: '["plant-a/line-1","plant-a/line-1"]' }, `iotpipe:deviceLines 'plant-a/line-1' is listed twice; got "plant-a/line-1"`],
    [{ reportsObjectLockMode: "compliance" }, 'iotpipe:reportsObjectLockMode must be one of COMPLIANCE, GOVERNANCE; got "compliance"'],
    [{ streamRetentionHours: "12" }, "iotpipe:streamRetentionHours must be at least 24; got 12"],
    [{ streamRetentionHours: "9000" }, "iotpipe:streamRetentionHours must be at most 8760; got 9000"],
    [{ streamRetentionHours: "a day" }, 'iotpipe:streamRetentionHours must be an integer; got "a day"'],
    [{ flinkParallelismPerKpu: "9" }, "iotpipe:flinkParallelismPerKpu must be at most 8; got 9"],
    [{ flinkAutoScaling: "yes" }, 'iotpipe:flinkAutoScaling must be true or false; got "yes"'],
    [{ allowedLatenessMs: "1500" }, "iotpipe:allowedLatenessMs must be whole seconds (a multiple of 1000); got 1500"],
    [{ athenaBytesScannedCutoffMb: "5" }, "iotpipe:athenaBytesScannedCutoffMb must be at least 10; got 5"],
    [{ rawDataIaDays: "10" }, "iotpipe:rawDataIaDays must be at least 30; got 10"],
    [{ logRetentionDays: "31" }, "iotpipe:logRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90"],
    [{ alarmEmails: '["ops@example.com","not-an-address"]' }, 'iotpipe:alarmEmails[1] must be an e-mail address; got "not-an-address"'],
    [{ alarmEmails: "ops@example.com" }, 'iotpipe:alarmEmails must be a list (YAML list, or JSON array with --path); got "ops@example.com"'],
    [{ reportTimezone: "CEST" }, 'iotpipe:reportTimezone must be an IANA time zone such as UTC, Europe/Berlin or America/Chicago; got "CEST"'],
    [{ reportSchedule: "0 1 * * *" }, 'iotpipe:reportSchedule must be an EventBridge Scheduler cron expression'],
    [{ reportSchedule: "cron(0 1 * * * *)" }, "exactly one of day-of-month/day-of-week set to ?"],
    [
      { reportSchedule: "cron(30 2 * * ? *)", reportTimezone: "Europe/Berlin" },
      "iotpipe:reportSchedule cron(30 2 * * ? *) names 02:30, a time that does not exist in Europe/Berlin on ",
    ],
    [{ reportSchedule: "cron(15 0 * * ? *)", reportTimezone: "America/Santiago" }, "(clocks jump from 00:00 to 01:00)"],
    [{ lakeStartDate: "2026-02-30" }, 'iotpipe:lakeStartDate must be a date YYYY-MM-DD; got "2026-02-30"'],
    [{ lakeStartDate: "yesterday" }, 'iotpipe:lakeStartDate must be a date YYYY-MM-DD; got "yesterday"'],
    [{ staticLimits: '["temp=0..1"]' }, "iotpipe:staticLimits[0] unknown metric 'temp'; known: temperature, vibration, pressure, current"],
    [{ staticLimits: '["pressure=10..1"]' }, "iotpipe:staticLimits[0] low 10 must be below high 1"],
    [{ staticLimits: '["pressure 1..2"]' }, "iotpipe:staticLimits[0] must look like <metric>[@<site>[/<line>]]=<low>..<high>"],
    [{ staticLimits: '["pressure=..2","pressure=..3"]' }, "iotpipe:staticLimits[1] a second limit for the same scope pressure@*/*"],
    [{ aggregateWindowSeconds: "[60,7]" }, "iotpipe:aggregateWindowSeconds 7 must divide a day (86400 s) so windows align to UTC days; got [60,7]"],
    [{ aggregateWindowSeconds: "[]" }, "iotpipe:aggregateWindowSeconds must list at least one window; got []"],
    [{ aggregateWindowSeconds: "[300,300]" }, "iotpipe:aggregateWindowSeconds has duplicates; got [300,300]"],
    [{ aggregateWindowSeconds: "[0,60]" }, "iotpipe:aggregateWindowSeconds each entry must be a positive integer; got [0,60]"],
    [{ aggregateWindowSeconds: "[1.5]" }, "iotpipe:aggregateWindowSeconds[0] must be an integer; got 1.5"],
    [{ aggregateWindowSeconds: "60" }, 'iotpipe:aggregateWindowSeconds must be a list (YAML list, or JSON array with --path); got "60"'],
    // The hold's rules are the definition's (analytics/definition.ts), reported under the key's name.
    [{ alertHoldSeconds: "0" }, "iotpipe:alertHoldSeconds must be a positive integer; got 0"],
    [{ alertHoldSeconds: "86401" }, "iotpipe:alertHoldSeconds must be at most 86400 (one day); got 86401"],
    [{ alertHoldSeconds: "2 minutes" }, 'iotpipe:alertHoldSeconds must be an integer; got "2 minutes"'],
    [{ alertHoldReadings: "0" }, "iotpipe:alertHoldReadings must be a positive integer; got 0"],
    [{ alertHoldReadings: "1001" }, "iotpipe:alertHoldReadings must be at most 1000; got 1001"],
    [{ alertHoldStepsSeconds: "[3600,600]" }, "iotpipe:alertHoldStepsSeconds must be ascending (3600 then 600); got [3600,600]"],
    [{ rawDataIaDays: "90", rawDataGlacierDays: "60" }, "iotpipe:rawDataGlacierDays must be at least 30 days after rawDataIaDays (90)"],
    [{ rawDataIaDays: "30", rawDataGlacierDays: "45" }, "iotpipe:rawDataGlacierDays must be at least 30 days after rawDataIaDays (30)"],
    [{ rawDataExpireDays: "60" }, "iotpipe:rawDataExpireDays must be 0 (keep forever) or greater than rawDataGlacierDays (90); got 60"],
    [{ environment: "prod", reportsObjectLockMode: "GOVERNANCE" }, 'iotpipe:reportsObjectLockMode must be COMPLIANCE when environment is prod'],
    [{ environment: "prod", deletionProtection: "false" }, "iotpipe:deletionProtection must be true when environment is prod"],
    [{ streamMod: "provisioned" }, "unknown key(s) iotpipe:streamMod; known keys: environment, streamMode,"],
  ])("%j", (raw, message) => {
    expect(errorOf(raw)).toContain(message);
  });

  it("reports every bad key at once, one line each", () => {
    const message = errorOf({ streamMode: "fast", logRetentionDays: "2", reportTimezone: "Nowhere" });
    expect(message.split("\n").filter((l) => l.startsWith("  iotpipe:"))).toHaveLength(3);
  });

  it("an invalid hold time gets one message, not the definition's as well", () => {
    expect(errorOf({ alertHoldSeconds: "0" }).split("\n").filter((l) => l.includes("alertHoldSeconds"))).toHaveLength(1);
    expect(errorOf({ alertHoldSeconds: "100000" }).split("\n").filter((l) => l.includes("alertHold"))).toEqual(["  iotpipe:alertHoldSeconds must be at most 86400 (one day); got 100000"]);
  });

  it("takes aggregate windows set item by item (`config set --path`, strings) as integers", () => {
    expect(parseStackConfig({ aggregateWindowSeconds: '["300", 3600]' }).aggregateWindowSeconds).toEqual([300, 3600]);
  });

  it("accepts typed values as well as the strings Pulumi passes", () => {
    expect(parseStackConfig({ streamRetentionHours: 48, flinkAutoScaling: true, alarmEmails: ["a@example.com"] })).toMatchObject({
      streamRetentionHours: 48,
      flinkAutoScaling: true,
      alarmEmails: ["a@example.com"],
    });
  });
});

describe("static limits", () => {
  it("parses scopes, empty bounds (kept from the next scope) and none (no bound)", () => {
    expect(parseStaticLimit("temperature=-20..120")).toEqual({ metric: "temperature", low: -20, high: 120 });
    expect(parseStaticLimit("vibration@plant-a=..12.5")).toEqual({ metric: "vibration", site: "plant-a", low: "inherit", high: 12.5 });
    expect(parseStaticLimit("pressure@plant-a/line-2=0.5..")).toEqual({ metric: "pressure", site: "plant-a", line: "line-2", low: 0.5, high: "inherit" });
    expect(parseStaticLimit("pressure@plant-a/line-2=none..9")).toEqual({ metric: "pressure", site: "plant-a", line: "line-2", low: "none", high: 9 });
    expect(parseStaticLimit("pressure=..")).toMatch(/^needs at least one bound/);
    expect(parseStaticLimit("pressure=none..none")).toMatch(/leaves no limit at all/);
    expect(parseStaticLimit("pressure=nan..3")).toMatch(/must look like/);
    expect(parseStaticLimit("pressure@bad id=..1")).toMatch(/not a valid site\/line id/);
  });
});

describe("loadStackConfig", () => {
  it("reads the iotpipe namespace of the running stack's config and ignores other namespaces", () => {
    pulumi.runtime.setAllConfig({ "aws:region": "eu-west-1", "iotpipe:streamMode": "provisioned", "iotpipe:alarmEmails": '["a@example.com"]' });
    const config = loadStackConfig();
    expect(config.streamMode).toBe("provisioned");
    expect(config.alarmEmails).toEqual(["a@example.com"]);
    pulumi.runtime.setAllConfig({ "iotpipe:streamMode": "fast" });
    expect(() => loadStackConfig()).toThrow('iotpipe:streamMode must be one of on-demand, provisioned; got "fast"');
  });
});

describe("problems reported together", () => {
  it("rejects a misspelled namespace, naming the key it was probably meant to be", () => {
    pulumi.runtime.setAllConfig({ "aws:region": "eu-west-1", "iotpip:environment": "prod", "IotPipe:streamMode": "provisioned", "pulumi:tags": "{}" });
    let message = "";
    try {
      loadStackConfig();
    } catch (e) {
      expect(e).toBeInstanceOf(StackConfigError);
      message = (e as Error).message;
    }
    expect(message).toContain('iotpip:environment is not read: its namespace "iotpip" is not "iotpipe"; did you mean iotpipe:environment?');
    expect(message).toContain("IotPipe:streamMode is not read");
    expect(message).not.toMatch(/aws:region|pulumi:tags/);
    pulumi.runtime.setAllConfig({});
  });

  it("lists a bad static limit beside a value of the wrong type, in one message", () => {
    const message = errorOf({ alertHoldSeconds: "two minutes", staticLimits: '["temperature=100..20", "humidity=0..1"]', retentionz: "1" });
    expect(message).toContain('iotpipe:alertHoldSeconds must be an integer; got "two minutes"');
    expect(message).toContain("iotpipe:staticLimits[0] low 100 must be below high 20");
    expect(message).toMatch(/iotpipe:staticLimits\[1\] unknown metric 'humidity'/);
    expect(message).toContain("unknown key(s) iotpipe:retentionz");
  });
});
