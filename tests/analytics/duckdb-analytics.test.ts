/**
 * The analytics on DuckDB, on small crafted inputs: exact aggregates and window edges, late readings left out,
 * each anomaly rule firing on its case and silent on a clean series, alert episodes opening and clearing once.
 */
import { memoryDuckDb } from "./memory-duckdb";
import { type AnalyticsDefinition, DEFAULT_ANALYTICS } from "../../analytics/definition";
import { duckdbAnalytics, duckdbAnalyticsPlan, referenceScoringSql, scoringSql } from "../../analytics/duckdb";
import { AGGREGATES, ALERTS, ANOMALIES, duckdbColumnDefinitions, READINGS } from "../../lake/tables";

const T0 = Date.UTC(2026, 0, 1); // 2026-01-01T00:00:00Z

interface Reading {
  device?: string;
  site?: string;
  line?: string;
  metric?: string;
  ms: number;
  value: number;
  late?: boolean;
}

/** A clean 1 Hz series whose values cycle through 20.0 … 21.0 (mean 20.5) with no anomaly in it. */
function cleanSeries(n: number, opts: Partial<Reading> = {}): Reading[] {
  return Array.from({ length: n }, (_, i) => ({ ...opts, ms: T0 + i * 1000, value: 20 + ((i * 7) % 11) / 10 }));
}

const db = memoryDuckDb();

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function load(readings: Reading[]): Promise<void> {
  await db().run(`CREATE OR REPLACE TABLE input (${duckdbColumnDefinitions(READINGS)})`);
  const rows = readings.map((r, i) =>
    `(${sqlText(r.device ?? "dev-1")}, ${sqlText(r.site ?? "plant-a")}, ${sqlText(r.line ?? "line-1")}, ${sqlText(r.metric ?? "temperature")},
      ${r.value}, 'degC', epoch_ms(${r.ms}::BIGINT), epoch_ms(${r.ms}::BIGINT), 'm${i}', ${r.late ? "TRUE" : "FALSE"})`);
  for (let i = 0; i < rows.length; i += 500) await db().run(`INSERT INTO input VALUES ${rows.slice(i, i + 500).join(",")}`);
}

type Row = Record<string, unknown>;

async function query(sql: string): Promise<Row[]> {
  const reader = await db().runAndReadAll(sql);
  return reader.getRowObjectsJS() as Row[];
}

const ms = (v: unknown) => (v === null ? null : (v as Date).getTime());
/** `rule@second` of each anomaly row (seconds after T0). */
const fired = (anomalies: Row[]) => anomalies.map((a) => `${a.rule}@${(ms(a.event_ts)! - T0) / 1000}`);

async function run(readings: Reading[], def: AnalyticsDefinition = DEFAULT_ANALYTICS) {
  await load(readings);
  const q = duckdbAnalytics(def);
  return {
    aggregates: await query(q.aggregates),
    anomalies: await query(q.anomalies),
    alerts: await query(q.alerts),
    columns: {
      aggregates: (await db().runAndReadAll(q.aggregates)).columnNames(),
      anomalies: (await db().runAndReadAll(q.anomalies)).columnNames(),
      alerts: (await db().runAndReadAll(q.alerts)).columnNames(),
    },
  };
}

describe("output shape", () => {
  it("returns exactly the lake tables' columns, in order", async () => {
    const out = await run(cleanSeries(5));
    expect(out.columns.aggregates).toEqual(AGGREGATES.columns.map((c) => c.name));
    expect(out.columns.anomalies).toEqual(ANOMALIES.columns.map((c) => c.name));
    expect(out.columns.alerts).toEqual(ALERTS.columns.map((c) => c.name));
  });

  it("reads another relation name when told, and refuses a name that is not an identifier", () => {
    expect(duckdbAnalytics(DEFAULT_ANALYTICS, "staging.readings").anomalies).toContain("FROM staging.readings");
    expect(() => duckdbAnalytics(DEFAULT_ANALYTICS, "x; DROP TABLE y")).toThrow(/plain/);
  });
});

describe("duckdbAnalyticsPlan", () => {
  it("gives the same rows as duckdbAnalytics with one shared scoring pass", async () => {
    const readings = cleanSeries(700);
    for (const i of [300, 310, 620]) readings[i].value = 35;
    const direct = await run(readings);
    const plan = duckdbAnalyticsPlan(DEFAULT_ANALYTICS, "input", "scored_tmp");
    for (const s of plan.prepare) await db().run(s);
    expect(await query(plan.aggregates)).toEqual(direct.aggregates);
    expect(await query(plan.anomalies)).toEqual(direct.anomalies);
    expect(await query(plan.alerts)).toEqual(direct.alerts);
    expect(direct.alerts.length).toBe(4);
    for (const s of plan.cleanup) await db().run(s);
    await expect(query("SELECT * FROM scored_tmp")).rejects.toThrow();
  });
});

/** A small deterministic generator (an LCG), so the crafted series are the same on every run. */
function seededRandom(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/**
 * Loads the readings and checks the optimized scoring against the plain steps: every column of every reading on
 * which a rule fired is equal; a reading on which none fired (which no anomaly or alert can come from) is equal
 * or left out, and alerts on nothing. Returns the reference rows.
 */
async function expectScoringEqualsReference(def: AnalyticsDefinition, readings: Reading[]): Promise<Row[]> {
  await load(readings);
  const byRow = (rows: Row[]) => new Map(rows.map((r) => [r.series_row, r]));
  const reference = byRow(await query(referenceScoringSql(def, "input")));
  const optimized = byRow((await query(scoringSql(def, "input"))).map(({ series_rank: _, series_last_ms: __, ...rest }) => rest));
  expect(reference.size).toBe(readings.length);
  const anyFired = (r: Row) => Object.keys(r).some((k) => k.endsWith("_fired") && k !== "alert_fired" && r[k] === true);
  // Each series' last readings stay too: a silence that lasts to the end of the input is judged from them.
  const lastMs = new Map<unknown, number>();
  for (const r of reference.values()) lastMs.set(r.series_id, Math.max(lastMs.get(r.series_id) ?? -Infinity, Number(r.event_ms)));
  const kept = (r: Row) => anyFired(r) || Number(r.event_ms) === lastMs.get(r.series_id);
  const firing = [...reference.values()].filter(kept).length;
  for (const [row, expected] of reference) {
    if (anyFired(expected)) expect(optimized.get(row)).toEqual(expected);
    else {
      expect(expected.alert_fired).not.toBe(true);
      if (optimized.has(row)) expect(optimized.get(row)).toEqual(expected);
    }
  }
  // Readings on which nothing fired (but the last) are dropped only when alerts need confirmation (the evidence pass).
  expect(optimized.size).toBe(def.alerts.confirmation.readings > 1 ? firing : readings.length);
  return [...reference.values()];
}

describe("the optimized DuckDB scoring", () => {
  it("equals the steps run plainly, one OVER window per SELECT as in Flink, on every column of every reading", async () => {
    // Three devices of 1,500 readings alternating between two metrics (six series of 750 and 45 readings: the
    // 1,320-row span never fills here; the short-window variants below fill every frame) with what the rewrites
    // must get right: tied event times (ties ordered by ingest time, then value), stuck runs, spikes, gaps.
    const random = seededRandom(7);
    const readings: Reading[] = [];
    for (const device of ["dev-1", "dev-2", "dev-3"]) {
      let ms = T0;
      for (let i = 0; i < (device === "dev-3" ? 90 : 1500); i++) {
        ms += random() < 0.05 ? 0 : random() < 0.01 ? 120_000 : 1000;
        const value = i % 400 > 360 ? 42 : random() < 0.01 ? 90 : 20 + random();
        readings.push({ device, metric: i % 2 ? "temperature" : "pressure", ms, value });
      }
    }
    const reference = await expectScoringEqualsReference(DEFAULT_ANALYTICS, readings);
    expect(reference.filter((r) => r.alert_fired).length).toBeGreaterThan(0);
  });

  // Every shape of definition that changes the generated passes: windows of one and two rows (the lag and
  // row_number rewrites), no evidence pass, no static limit at all (the key strings joined only at the end),
  // per-line and per-site overrides, rules off. Short windows so every frame fills and slides.
  const base = DEFAULT_ANALYTICS;
  const small: AnalyticsDefinition = {
    ...base,
    baseline: { ...base.baseline, recentRows: 5, referenceRows: 40, minReferenceRows: 10 },
    rules: { ...base.rules, rateOfChange: { ...base.rules.rateOfChange, baselineRows: 20, minBaselineRows: 5 }, flatline: { ...base.rules.flatline, rows: 6, maxRunProbability: 0.5 } },
    alerts: { ...base.alerts, confirmation: { readings: 2, window: 4 } },
  };
  const variants: [string, AnalyticsDefinition][] = [
    ["short windows", small],
    ["confirmation.readings = 1", { ...small, alerts: { ...small.alerts, confirmation: { readings: 1, window: 1 } } }],
    ["confirmation over two readings", { ...small, alerts: { ...small.alerts, confirmation: { readings: 2, window: 2 } } }],
    ["flatline.rows = 2", { ...small, rules: { ...small.rules, flatline: { ...small.rules.flatline, rows: 2 } } }],
    ["recentRows = 1, referenceRows = 2", { ...small, baseline: { ...small.baseline, recentRows: 1, referenceRows: 2, minReferenceRows: 2 } }],
    ["rateOfChange.baselineRows = 1", { ...small, rules: { ...small.rules, rateOfChange: { ...small.rules.rateOfChange, baselineRows: 1, minBaselineRows: 1 } } }],
    ["no static limits", { ...small, rules: { ...small.rules, staticLimit: { enabled: true, defaults: {}, overrides: [] } } }],
    ["no static limits, no evidence pass", { ...small, rules: { ...small.rules, staticLimit: { enabled: false, defaults: {}, overrides: [] } }, alerts: { ...small.alerts, confirmation: { readings: 1, window: 3 } } }],
    ["per-line and per-site overrides", { ...small, rules: { ...small.rules, staticLimit: { enabled: true, defaults: { temperature: { low: 19, high: 60, severity: "warning" } }, overrides: [
      { site: "plant-b", line: "line-2", metric: "temperature", low: 20.2, high: 20.8, severity: "critical" },
      { site: "plant-b", metric: "temperature", high: 41, severity: "warning" },
      { site: "plant-a", metric: "pressure", low: 20.5, severity: "critical" },
    ] } } }],
    ["every rule off", { ...small, rules: {
      staticLimit: { ...small.rules.staticLimit, enabled: false }, deviation: { ...small.rules.deviation, enabled: false }, levelShift: { ...small.rules.levelShift, enabled: false },
      rateOfChange: { ...small.rules.rateOfChange, enabled: false }, flatline: { ...small.rules.flatline, enabled: false }, dataGap: { ...small.rules.dataGap, enabled: false },
    } }],
  ];
  it.each(variants)("equals the plain steps with %s", async (_, def) => {
    const random = seededRandom(11);
    const readings: Reading[] = [];
    for (const [device, site, line, n] of [["dev-1", "plant-a", "line-1", 300], ["dev-2", "plant-b", "line-2", 300], ["dev-3", "plant-b", "line-3", 7]] as const) {
      for (const metric of ["temperature", "pressure"]) {
        let ms = T0;
        for (let i = 0; i < n; i++) {
          ms += random() < 0.1 ? 0 : random() < 0.02 ? 120_000 : 1000;
          const value = i % 80 > 70 ? 42 : random() < 0.03 ? 90 : random() < 0.3 ? 20 : 20 + Math.round(random() * 10) / 10;
          readings.push({ device, site, line, metric, ms, value });
        }
      }
    }
    const reference = await expectScoringEqualsReference(def, readings);
    const alerting = reference.filter((r) => r.alert_fired).length;
    if (def.rules.deviation.enabled) expect(alerting).toBeGreaterThan(0);
    // The plan's scratch table keeps only readings on which a rule fired: enough for both of its readers.
    const direct = duckdbAnalytics(def);
    const plan = duckdbAnalyticsPlan(def, "input", "scored_variant");
    for (const statement of plan.prepare) await db().run(statement);
    // Rows tied on the queries' ORDER BY (same series and event time) may come in either order: compare as sets.
    const rows = async (sql: string) => (await query(sql)).map((r) => JSON.stringify(r, (_, v) => (typeof v === "bigint" ? `${v}n` : v))).sort();
    expect(await rows(plan.anomalies)).toEqual(await rows(direct.anomalies));
    expect(await rows(plan.alerts)).toEqual(await rows(direct.alerts));
    for (const statement of plan.cleanup) await db().run(statement);
  });
});

describe("aggregates", () => {
  it("computes exact statistics over [start, end) windows; a reading at window_end is in the next window", async () => {
    const out = await run([
      { ms: T0, value: 10 },
      { ms: T0 + 30_000, value: 20 },
      { ms: T0 + 59_999, value: 30 },
      { ms: T0 + 60_000, value: 40 },
      { ms: T0 + 10_000, value: 1000, late: true },
      { ms: T0 + 5_000, value: -5, metric: "vibration" },
    ]);
    const minute = out.aggregates.filter((a) => a.window_seconds === 60 && a.metric === "temperature");
    expect(minute.map((a) => ({ ...a, window_start: ms(a.window_start), window_end: ms(a.window_end), first_event_ts: ms(a.first_event_ts), last_event_ts: ms(a.last_event_ts) }))).toEqual([
      {
        device_id: "dev-1", site: "plant-a", line: "line-1", metric: "temperature", window_seconds: 60,
        window_start: T0, window_end: T0 + 60_000, sample_count: 3n, valid_count: 3n,
        min_value: 10, max_value: 30, avg_value: 20, stddev_value: 10, first_event_ts: T0, last_event_ts: T0 + 59_999,
      },
      {
        device_id: "dev-1", site: "plant-a", line: "line-1", metric: "temperature", window_seconds: 60,
        window_start: T0 + 60_000, window_end: T0 + 120_000, sample_count: 1n, valid_count: 1n,
        min_value: 40, max_value: 40, avg_value: 40, stddev_value: null, first_event_ts: T0 + 60_000, last_event_ts: T0 + 60_000,
      },
    ]);
    const hour = out.aggregates.find((a) => a.window_seconds === 3600 && a.metric === "temperature")!;
    expect(ms(hour.window_start)).toBe(T0);
    expect(ms(hour.window_end)).toBe(T0 + 3_600_000);
    expect(hour.sample_count).toBe(4n);
    expect(hour.avg_value).toBe(25);
    expect(hour.stddev_value as number).toBeCloseTo(Math.sqrt(500 / 3), 12);
    // -5 mm/s is outside vibration's plausible range [0, 200]: counted, not valid.
    const vibration = out.aggregates.find((a) => a.window_seconds === 60 && a.metric === "vibration")!;
    expect([vibration.sample_count, vibration.valid_count]).toEqual([1n, 0n]);
  });

  it("honours configured window lengths", async () => {
    const def = { ...DEFAULT_ANALYTICS, windowSeconds: [300] };
    const out = await run([{ ms: T0 + 299_999, value: 1 }, { ms: T0 + 300_000, value: 2 }], def);
    expect(out.aggregates.map((a) => [a.window_seconds, ms(a.window_start), a.sample_count])).toEqual([
      [300, T0, 1n],
      [300, T0 + 300_000, 1n],
    ]);
  });
});

describe("anomaly rules", () => {

  it("a clean series raises nothing", async () => {
    const out = await run(cleanSeries(400));
    expect(out.anomalies).toEqual([]);
    expect(out.alerts).toEqual([]);
  });

  it("static_limit fires outside the metric's default range, with the limit crossed", async () => {
    const readings = cleanSeries(120);
    readings[100].value = 500; // temperature's plausible maximum is 400 degC
    const out = await run(readings);
    const hit = out.anomalies.filter((a) => a.rule === "static_limit");
    expect(fired(hit)).toEqual(["static_limit@100"]);
    expect(hit[0]).toMatchObject({ value: 500, limit_value: 400, baseline: null, severity: "critical" });
    expect(hit[0].score as number).toBeCloseTo(1 + 100 / 460, 12);
  });

  it("a line override beats a site override, which beats the default", async () => {
    const def: AnalyticsDefinition = structuredClone(DEFAULT_ANALYTICS);
    def.rules.staticLimit.overrides = [
      { site: "plant-a", metric: "temperature", high: 30, severity: "warning" },
      { site: "plant-a", line: "line-2", metric: "temperature", high: 50, severity: "critical" },
    ];
    const readings = [
      ...cleanSeries(5, { line: "line-1" }).map((r, i) => (i === 4 ? { ...r, value: 40 } : r)),
      ...cleanSeries(5, { line: "line-2", device: "dev-2" }).map((r, i) => (i === 4 ? { ...r, value: 40 } : r)),
      ...cleanSeries(5, { site: "plant-b", device: "dev-3" }).map((r, i) => (i === 4 ? { ...r, value: 40 } : r)),
    ];
    const out = await run(readings, def);
    expect(out.anomalies.map((a) => [a.device_id, a.rule, a.limit_value, a.severity])).toEqual([["dev-1", "static_limit", 30, "warning"]]);
  });

  it("deviation fires on a spike against the trailing reference", async () => {
    // The reference needs minReferenceRows readings before the recentRows most recent ones.
    const { minReferenceRows, recentRows } = DEFAULT_ANALYTICS.baseline;
    expect(minReferenceRows + recentRows).toBe(400);
    const readings = cleanSeries(500);
    readings[398].value = 30; // its reference is one reading short (279): not judged
    readings[399].value = 30; // the 400th reading: 280 reference + 120 recent (itself included)
    const out = await run(readings);
    const hit = out.anomalies.filter((a) => a.rule === "deviation");
    expect(fired(hit)).toEqual(["deviation@399"]);
    expect(hit[0].baseline as number).toBeCloseTo(20.5, 1);
    expect(hit[0].limit_value as number).toBeGreaterThan(hit[0].baseline as number);
    expect(hit[0].limit_value as number).toBeLessThan(30);
    expect(hit[0].severity).toBe("critical");
  });

  it("level_shift fires on a sustained shift too small for the per-reading rules", async () => {
    // +1.1 is about 3.4 standard deviations of these readings (0.32): past minShiftStd (3), short of deviation's 6.
    const readings = cleanSeries(600).map((r, i) => (i >= 300 ? { ...r, value: r.value + 1.1 } : r));
    const out = await run(readings);
    expect(out.anomalies.filter((a) => a.rule === "deviation" || a.rule === "static_limit")).toEqual([]);
    const shift = out.anomalies.filter((a) => a.rule === "level_shift").map((a) => (ms(a.event_ts)! - T0) / 1000);
    expect(shift.length).toBeGreaterThan(10);
    expect(Math.min(...shift)).toBeGreaterThanOrEqual(300);
    expect(Math.min(...shift)).toBeLessThan(300 + DEFAULT_ANALYTICS.baseline.recentRows);
  });

  it("level_shift stays silent until its reference outgrows the recent window", async () => {
    // With a short minimum reference, the deviation rule judges from 60 reference readings, but the spread of
    // 120-reading means cannot be measured on fewer than 121 (the old rule fired here from the 180th reading).
    const def: AnalyticsDefinition = structuredClone(DEFAULT_ANALYTICS);
    def.baseline.minReferenceRows = 60;
    const readings = cleanSeries(400).map((r, i) => (i >= 130 ? { ...r, value: r.value + 1.5 } : r));
    const shift = (await run(readings, def)).anomalies.filter((a) => a.rule === "level_shift").map((a) => (ms(a.event_ts)! - T0) / 1000);
    // Reading i has a reference of i + 1 − 120 readings: 121 first at i = 240.
    expect(Math.min(...shift)).toBeGreaterThanOrEqual(240);
    expect(Math.min(...shift)).toBeLessThan(260);
  });

  it("rate_of_change fires on a jump between consecutive readings", async () => {
    // Steps of the clean series are +0.7 or -0.4 (RMS ~0.55): a jump of 6 is beyond 8 typical steps.
    const readings = cleanSeries(200).map((r, i) => (i >= 150 ? { ...r, value: r.value + 6 } : r));
    const out = await run(readings);
    const hit = out.anomalies.filter((a) => a.rule === "rate_of_change");
    expect(fired(hit)).toContain("rate_of_change@150");
    expect(hit.find((a) => ms(a.event_ts) === T0 + 150_000)!.baseline).toBe(readings[149].value);
  });

  it("flatline fires once a varying sensor repeats the same value for `rows` readings", async () => {
    const rows = DEFAULT_ANALYTICS.rules.flatline.rows;
    const readings = cleanSeries(250).map((r, i) => (i >= 150 && i < 200 ? { ...r, value: 20.5 } : r));
    const out = await run(readings);
    const hit = out.anomalies.filter((a) => a.rule === "flatline");
    expect(ms(hit[0].event_ts)).toBe(T0 + (150 + rows - 1) * 1000);
    expect(hit.every((a) => a.value === 20.5 && a.baseline === 20.5)).toBe(true);
    expect(hit.length).toBe(200 - (150 + rows - 1));
  });

  it("a sensor that never varies is not judged stuck", async () => {
    const out = await run(cleanSeries(200).map((r) => ({ ...r, value: 7 })));
    expect(out.anomalies).toEqual([]);
  });

  it("data_gap fires on the reading after a silence reaching the allowed silence: 10 × the typical interval, at least a minute", async () => {
    const readings = cleanSeries(200).map((r, i) => (i >= 150 ? { ...r, ms: r.ms + 179_000 } : r));
    const out = await run(readings);
    const hit = out.anomalies.filter((a) => a.rule === "data_gap");
    expect(fired(hit)).toEqual(["data_gap@329"]);
    // 180 s of silence against 10 × 1 s = 10 s, floored at the first step: 60 s.
    expect(hit[0].score as number).toBeCloseTo(3, 6);
  });

  it("the allowed silence follows the series' cadence, with no cap: 30-minute data is allowed its hours", async () => {
    const halfHour = 1_800_000;
    const readings = Array.from({ length: 200 }, (_, i) => ({ ms: T0 + i * halfHour + (i >= 150 ? 3 * halfHour : 0), value: 20 + ((i * 7) % 11) / 10 }));
    // Three missing readings (2 h of silence) are within 10 × 30 min; the shipped defaults once flagged every reading.
    expect((await run(readings)).anomalies).toEqual([]);
    const gap = readings.map((r, i) => (i >= 150 ? { ...r, ms: r.ms + 20 * halfHour } : r));
    const hit = (await run(gap)).anomalies.filter((a) => a.rule === "data_gap");
    // 12 h of silence against 10 × 30 min = 5 h, rounded up to the 12 h step.
    expect(hit.map((a) => a.score)).toEqual([1]);
  });
  it("a stuck sensor is flagged for as long as it stays stuck, however long", async () => {
    const rows = DEFAULT_ANALYTICS.rules.flatline.rows;
    const readings = cleanSeries(1400).map((r, i) => (i >= 400 ? { ...r, value: 20.5 } : r));
    const out = await run(readings);
    const hit = out.anomalies.filter((a) => a.rule === "flatline");
    expect(hit.length).toBe(1400 - (400 + rows - 1));
    const alerts = out.alerts.filter((a) => a.rule === "flatline");
    expect(alerts.map((a) => [a.state, (ms(a.event_ts)! - T0) / 1000])).toEqual([
      ["open", 400 + rows - 1],
      ["cleared", 1399 + DEFAULT_ANALYTICS.alerts.holdSeconds],
    ]);
  });

  it("a shift within the series' normal spread is not a level shift (minShiftStd)", async () => {
    const readings = cleanSeries(600).map((r, i) => (i >= 300 ? { ...r, value: r.value + 0.6 } : r));
    expect((await run(readings)).anomalies).toEqual([]);
  });

  it("one bad reading does not contaminate the level-shift rule that follows it", async () => {
    const random = seededRandom(3);
    const readings = cleanSeries(1000).map((r) => ({ ...r, value: 20 + random() }));
    readings[700].value = 500;
    const out = await run(readings);
    expect(out.anomalies.filter((a) => a.rule === "level_shift")).toEqual([]);
    expect(fired(out.anomalies.filter((a) => a.rule !== "rate_of_change"))).toEqual(["deviation@700", "static_limit@700"]);
  });

  it("late readings are judged by no rule", async () => {
    const readings = cleanSeries(200);
    readings[150] = { ...readings[150], value: 500, late: true };
    const out = await run(readings);
    expect(out.anomalies).toEqual([]);
  });
});

describe("silence alerts", () => {
  const byDevice = (rows: Row[]) => rows.filter((a) => a.rule === "data_gap").map((a) => [a.device_id, a.state, (ms(a.event_ts)! - T0) / 1000, ms(a.episode_start) === null ? null : (ms(a.episode_start)! - T0) / 1000, ms(a.episode_end) === null ? null : (ms(a.episode_end)! - T0) / 1000, a.peak_value, a.limit_value]);

  it("opens while the silence lasts (the other devices' progress is the watermark) and clears at the return with the real span", async () => {
    const delay = DEFAULT_ANALYTICS.watermarkDelaySeconds;
    const quiet = cleanSeries(300, { device: "dev-1" }); // silent from 299 s on
    const busy = cleanSeries(400 + delay, { device: "dev-2" }).map((r, i) => (i >= 200 ? { ...r, ms: r.ms + 299_000 } : r)); // 300 s gap after 199 s
    const out = await run([...quiet, ...busy]);
    expect(byDevice(out.alerts)).toEqual([
      // Still silent at the end: open only, at its last reading + the 60 s it allowed.
      ["dev-1", "open", 359, 299, null, 60, 60],
      ["dev-2", "open", 259, 199, null, 60, 60],
      ["dev-2", "cleared", 499, 199, 499, 300, 60],
    ]);
  });

  it("a series whose last reading is within its allowed silence of the watermark is not alerted", async () => {
    const delay = DEFAULT_ANALYTICS.watermarkDelaySeconds;
    const quiet = cleanSeries(300, { device: "dev-1" });
    const busy = cleanSeries(300 + delay + 59, { device: "dev-2" }); // watermark = 358 s: 59 s after dev-1's last
    expect(byDevice((await run([...quiet, ...busy])).alerts)).toEqual([]);
  });
});

describe("alerts", () => {
  const hold = DEFAULT_ANALYTICS.alerts.holdSeconds * 1000;

  it("one open and one clear per episode, not per reading; the hold time separates episodes", async () => {
    const readings = cleanSeries(900);
    for (const i of [400, 410, 420]) readings[i].value = 35; // one episode: 10 s apart
    readings[800].value = 35; // another, long after the first cleared
    // Level shift off: three spikes move the recent mean of this noiseless series by a (real) shift.
    const def: AnalyticsDefinition = structuredClone(DEFAULT_ANALYTICS);
    def.rules.levelShift.enabled = false;
    const out = await run(readings, def);
    // Isolated readings count toward an alert only when critical: the warning-level ones (the step back down after
    // a spike, judged against typical steps that now include the spike) stay in the anomalies table, unconfirmed.
    const seconds = (rows: Row[]) => [...new Set(rows.map((a) => ms(a.event_ts)!))].sort((a, b) => a - b);
    const counted = seconds(out.anomalies.filter((a) => a.severity === "critical"));
    const warningsOnly = seconds(out.anomalies).filter((t) => !counted.includes(t));
    expect(warningsOnly.map((t) => (t - T0) / 1000)).toEqual([401, 411, 801]);
    const first = counted.filter((t) => t < T0 + 700_000);
    const second = counted.filter((t) => t >= T0 + 700_000);
    expect(second).toEqual([T0 + 800_000]);

    expect(out.alerts.map((a) => [a.state, ms(a.event_ts)])).toEqual([
      ["open", T0 + 400_000],
      ["cleared", first[first.length - 1] + hold],
      ["open", T0 + 800_000],
      ["cleared", second[second.length - 1] + hold],
    ]);
    const [open, cleared] = out.alerts;
    expect(open).toMatchObject({ rule: "deviation", episode_end: null, peak_value: 35, anomaly_count: 1n, severity: "critical" });
    expect(ms(open.episode_start)).toBe(T0 + 400_000);
    expect(cleared).toMatchObject({ rule: "deviation", peak_value: 35, anomaly_count: BigInt(first.length), severity: "critical" });
    expect(ms(cleared.episode_start)).toBe(T0 + 400_000);
    expect(ms(cleared.episode_end)).toBe(first[first.length - 1] + hold);
  });

  it("warning-level statistical readings alert only once confirmed: `readings` of the last `window` anomalous", async () => {
    const { readings: need, window } = DEFAULT_ANALYTICS.alerts.confirmation;
    expect([need, window]).toEqual([10, 30]);
    const def: AnalyticsDefinition = structuredClone(DEFAULT_ANALYTICS);
    def.rules.levelShift.enabled = false;
    def.rules.rateOfChange.enabled = false;
    const series = cleanSeries(900);
    // Values 2.5-3.5 above the mean of 20.5: past 6 reference std (~0.32, ~0.45 once the first burst is in the
    // reference) but short of the critical score 2, so every one of them is a deviation warning.
    for (let i = 450; i < 450 + need - 1; i++) series[i].value = 23; // 9 in a row: never confirmed
    for (let i = 700; i < 712; i++) series[i].value = 24; // 12 in a row: confirmed at the 10th
    const out = await run(series, def);
    expect(fired(out.anomalies)).toEqual([
      ...Array.from({ length: need - 1 }, (_, k) => `deviation@${450 + k}`),
      ...Array.from({ length: 12 }, (_, k) => `deviation@${700 + k}`),
    ]);
    expect(out.anomalies.every((a) => a.severity === "warning")).toBe(true);
    expect(out.alerts.map((a) => [a.state, (ms(a.event_ts)! - T0) / 1000, a.anomaly_count, a.severity])).toEqual([
      ["open", 709, 1n, "warning"],
      ["cleared", 711 + hold / 1000, 3n, "warning"],
    ]);

    // Without confirmation every anomalous reading counts: both bursts alert from their first reading.
    def.alerts.confirmation = { readings: 1, window: 1 };
    const unconfirmed = await run(series, def);
    expect(unconfirmed.anomalies).toEqual(out.anomalies);
    expect(unconfirmed.alerts.filter((a) => a.state === "open").map((a) => (ms(a.event_ts)! - T0) / 1000)).toEqual([450, 700]);
  });

  it("the hold follows the series' cadence: 5-minute data keeps one episode across anomalous readings 15 minutes apart", async () => {
    const fiveMinutes = 300_000;
    const readings = cleanSeries(500).map((r, i) => ({ ...r, ms: T0 + i * fiveMinutes }));
    for (const i of [450, 453, 456]) readings[i].value = 500;
    // Level shift off: three spikes move the recent mean of this noiseless series by a (real) shift.
    const def: AnalyticsDefinition = structuredClone(DEFAULT_ANALYTICS);
    def.rules.levelShift.enabled = false;
    const out = await run(readings, def);
    // Hold = max(120 s, 10 × 5 min) rounded up to the 1 h step.
    expect(out.alerts.map((a) => [a.state, (ms(a.event_ts)! - T0) / fiveMinutes, a.anomaly_count])).toEqual([
      ["open", 450, 1n],
      ["cleared", 456 + 12, 4n],
    ]);
    // The three readings past the limit and the critical step back down after the first (its typical step was small).
    expect(fired(out.anomalies.filter((a) => a.severity === "critical")).map((f) => f.replace(/@(\d+)/, (_, t) => `@${Number(t) / 300}`))).toEqual([
      "deviation@450", "rate_of_change@450", "static_limit@450", "rate_of_change@451", "deviation@453", "static_limit@453", "deviation@456", "static_limit@456",
    ]);
    const [, cleared] = out.alerts;
    expect(cleared).toMatchObject({ rule: "static_limit", peak_value: 500, limit_value: 400 });
  });

  it("an anomaly exactly one hold time after the last opens a new episode", async () => {
    const def: AnalyticsDefinition = structuredClone(DEFAULT_ANALYTICS);
    def.rules.deviation.enabled = false;
    def.rules.levelShift.enabled = false;
    def.rules.rateOfChange.enabled = false;
    const readings = cleanSeries(400);
    const holdReadings = DEFAULT_ANALYTICS.alerts.holdSeconds;
    readings[100].value = 500;
    readings[100 + holdReadings].value = 500; // exactly the hold time later: new episode
    readings[100 + 2 * holdReadings - 1].value = 500; // 1 s short of the hold time: same episode
    const out = await run(readings, def);
    expect(out.alerts.map((a) => [a.state, (ms(a.event_ts)! - T0) / 1000, a.anomaly_count])).toEqual([
      ["open", 100, 1n],
      ["cleared", 100 + holdReadings, 1n],
      ["open", 100 + holdReadings, 1n],
      ["cleared", 100 + 3 * holdReadings - 1, 2n],
    ]);
  });
});
