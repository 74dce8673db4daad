/**
 * The committed Flink SQL: generated from the definition (no drift), valid Flink SQL grammar, sinks shaped
 * like the lake tables, and within Flink's streaming rules.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_ANALYTICS, holdSteps } from "../../analytics/definition";
import { FLINK_JUDGE_FUNCTION, FLINK_PROPERTY_KEYS, flinkInterval, flinkSqlFiles, splitStatements, substituteProperties } from "../../analytics/flink";
import { DEFAULT_INGEST_POLICY, DUPLICATE_REASON, QUARANTINE_REASONS } from "../../contract/ingest-policy";
import { LAKE_TABLES } from "../../lake/tables";

const ROOT = resolve(__dirname, "../..");
const SQL_DIR = join(ROOT, "sql/flink");
const files = flinkSqlFiles();
const all = files.map((f) => f.sql).join("\n");
/** Statements without their comments, for structural checks. */
const statements = files.flatMap((f) => splitStatements(f.sql).map((s) => ({ file: f.name, code: s.replace(/--[^\n]*/g, "").trim() })));

describe("committed Flink SQL", () => {
  it("is exactly what the generator writes (run `npm run gen:flink-sql` after changing the definition)", () => {
    const committed = readdirSync(SQL_DIR).filter((f) => f.endsWith(".sql")).sort();
    expect(committed).toEqual(files.map((f) => f.name));
    for (const f of files) expect(readFileSync(join(SQL_DIR, f.name), "utf8")).toBe(f.sql);
  });

  it("parses with dt-sql-parser's FlinkSQL grammar, statement by statement", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", join(__dirname, "flink-grammar.ts")], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    const report = JSON.parse(out) as { file: string; statements: number; errors: unknown[] }[];
    expect(report.map((r) => r.file)).toEqual(files.map((f) => f.name));
    for (const r of report) {
      expect(r.statements).toBeGreaterThan(0);
      expect({ file: r.file, errors: r.errors }).toEqual({ file: r.file, errors: [] });
    }
  });
});

describe("Flink SQL structure", () => {
  it("uses only the placeholders the Flink application component provides", () => {
    const used = [...new Set([...all.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]))].sort();
    expect(used).toEqual([...FLINK_PROPERTY_KEYS].sort());
    expect(() => substituteProperties("x ${nope}", {})).toThrow(/nope/);
  });

  it("declares one sink per lake table with its columns in order, timestamps as epoch-ms BIGINT", () => {
    for (const table of LAKE_TABLES) {
      const ddl = statements.find((s) => s.code.startsWith(`CREATE TABLE ${table.name}_sink (`));
      expect(ddl).toBeDefined();
      const body = ddl!.code.slice(ddl!.code.indexOf("(") + 1, ddl!.code.search(/\n\)( PARTITIONED BY \([a-z_, ]+\))? WITH/));
      const columns = body.split(",\n").map((c) => c.trim().split(/\s+/));
      expect(columns.map(([name]) => name.replace(/`/g, ""))).toEqual(table.columns.map((c) => c.name));
      table.columns.forEach((c, i) => {
        if (c.type === "timestamp") expect(columns[i][1]).toBe("BIGINT");
      });
      expect(ddl!.code).toContain(`'stream.arn' = '\${${table.name}.stream.arn}'`);
      expect(ddl!.code).toContain("'connector' = 'kinesis'");
    }
  });

  it("selects exactly each sink's lake columns, in the table's order, in every INSERT", () => {
    /** Top-level items of the SELECT list of an INSERT (test-side reading of the generated text). */
    const selectItems = (insert: string): string[] => {
      const body = insert.slice(insert.indexOf("SELECT ") + "SELECT ".length);
      const items: string[] = [];
      let depth = 0;
      let quoted = false;
      let start = 0;
      for (let i = 0; i < body.length; i++) {
        const ch = body[i];
        if (ch === "'") quoted = !quoted;
        if (quoted) continue;
        if (ch === "(") depth++;
        else if (ch === ")") depth--;
        else if (depth === 0 && ch === ",") {
          items.push(body.slice(start, i));
          start = i + 1;
        } else if (depth === 0 && /\sFROM\s/.test(body.slice(i - 1, i + 5))) {
          items.push(body.slice(start, i));
          return items.map((item) => item.trim());
        }
      }
      throw new Error(`no FROM in ${insert.slice(0, 200)}`);
    };
    const outputName = (item: string) => (/\sAS\s+(\w+)$/.exec(item)?.[1] ?? item.split(".").pop()!).replace(/`/g, "");
    let inserts = 0;
    for (const table of LAKE_TABLES) {
      for (const insert of statements.filter((s) => s.code.startsWith(`INSERT INTO ${table.name}_sink`))) {
        inserts++;
        expect({ insert: insert.code.slice(0, 60), columns: selectItems(insert.code).map(outputName) }).toEqual({ insert: insert.code.slice(0, 60), columns: table.columns.map((c) => c.name) });
      }
    }
    expect(inserts).toBeGreaterThanOrEqual(LAKE_TABLES.length);
  });

  it("keys the alerts stream by device id so the notifier sees a device's open/cleared in order", () => {
    // The Kinesis table sink gives records of an unpartitioned table random partition keys (connector docs,
    // "Sink Partitioning"); PARTITIONED BY makes the key the concatenated column values.
    const alerts = statements.find((s) => s.code.startsWith("CREATE TABLE alerts_sink ("))!;
    expect(alerts.code).toMatch(/\n\) PARTITIONED BY \(device_id\) WITH \(/);
    expect(alerts.code).not.toContain("sink.partitioner");
  });

  it("has one INSERT per sink path and every INSERT targets a declared sink", () => {
    const inserts = statements.filter((s) => s.code.startsWith("INSERT INTO"));
    const targets = inserts.map((s) => s.code.split(/\s+/)[2]);
    expect(new Set(targets)).toEqual(new Set(LAKE_TABLES.map((t) => `${t.name}_sink`)));
    expect(targets.filter((t) => t === "aggregates_sink")).toHaveLength(DEFAULT_ANALYTICS.windowSeconds.length);
  });

  it("keeps Flink's streaming rules: event-time watermark, UTC, idle timeout, window TVFs", () => {
    expect(all).toContain("SET 'table.local-time-zone' = 'UTC'");
    expect(all).toMatch(/SET 'table\.exec\.source\.idle-timeout' = '\d+ s'/);
    expect(all).toContain(`WATERMARK FOR event_ts AS event_ts - ${flinkInterval(DEFAULT_ANALYTICS.watermarkDelaySeconds * 1000)}`);
    for (const w of DEFAULT_ANALYTICS.windowSeconds) expect(all).toContain(`TABLE(TUMBLE(TABLE series, DESCRIPTOR(event_ts), ${flinkInterval(w * 1000)}))`);
    expect(all).not.toMatch(/GROUP BY[^;]*\bTUMBLE\(/);
  });

  it("every OVER window: one per SELECT, ordered by the event-time attribute, ending at CURRENT ROW, no STDDEV", () => {
    const withOver = statements.filter((s) => /\bOVER\b/.test(s.code));
    expect(withOver.length).toBeGreaterThan(5);
    for (const s of withOver) {
      const windows = [...s.code.matchAll(/WINDOW w AS \(([^)]*)\)/g)];
      expect({ file: s.file, windows: windows.length }).toEqual({ file: s.file, windows: 1 });
      expect(windows[0][1]).toMatch(/^PARTITION BY [a-z_, ]+ ORDER BY event_ts ROWS BETWEEN (\d+|UNBOUNDED) PRECEDING AND CURRENT ROW$/);
      expect([...s.code.matchAll(/OVER (\w+)/g)].every((m) => m[1] === "w")).toBe(true);
      expect(s.code).not.toMatch(/STDDEV|VAR_SAMP|VAR_POP/);
    }
  });

  it("emits every string as STRING, never as a blank-padded CHAR literal", () => {
    const outputs = statements.filter((s) => s.code.startsWith("INSERT INTO") || s.code.startsWith("CREATE TEMPORARY VIEW"));
    for (const s of outputs) {
      // A literal that becomes a column (AS name right after it) must be cast: CASE/UNION would pad it.
      expect({ file: s.file, bare: s.code.match(/(?<!CAST\()'[a-z_ ]+' AS [a-z_]+/g) }).toEqual({ file: s.file, bare: null });
    }
  });

  it("judges every raw message with the contract's validator and quarantines it with the original bytes", () => {
    // One source: the IoT rule's envelope with the published bytes (a second poller of the same shards would
    // compete for Kinesis' 5 reads/s per shard).
    expect(statements.filter((s) => /^CREATE TABLE \w+ \(/.test(s.code) && !/_sink \(/.test(s.code)).map((s) => s.code.split(/\s+/)[2])).toEqual(["raw_envelopes"]);
    const judged = statements.find((s) => s.code.startsWith("CREATE TEMPORARY VIEW judged_messages"))!.code;
    const { maxFutureSkewMs, maxPastSkewMs } = DEFAULT_INGEST_POLICY;
    expect(judged).toContain(`${FLINK_JUDGE_FUNCTION}(payload_base64, device_id, site, line, ingest_ts, CAST(${maxFutureSkewMs} AS BIGINT), CAST(${maxPastSkewMs} AS BIGINT)) AS verdict`);
    const quarantine = statements.filter((s) => s.code.startsWith("INSERT INTO quarantine_sink"));
    expect(quarantine).toHaveLength(2);
    // Rejections carry the judge's reason and raw_payload (the bytes as sent), never a re-serialised parse.
    expect(quarantine[0].code).toMatch(/SELECT COALESCE\(ingest_ts, UNIX_TIMESTAMP\(\) \* 1000\) AS received_ts, reason, detail, CAST\('flink' AS STRING\) AS source, device_id, site, line, raw_payload\s+FROM checked_messages\s+WHERE reason IS NOT NULL$/);
    // Duplicates are counted under their own reason, also with the bytes.
    expect(quarantine[1].code).toContain(`CAST('${DUPLICATE_REASON}' AS STRING) AS reason`);
    expect(quarantine[1].code).toMatch(/AS raw_payload\s+FROM deduplicated_messages\s+WHERE duplicate$/);
    // The OVER window's state holds whole rows: the payload text does not ride through it.
    expect(statements.find((s) => s.code.startsWith("CREATE TEMPORARY VIEW first_messages"))!.code).not.toContain("raw_payload");
    expect(Object.keys(QUARANTINE_REASONS)).not.toContain(DUPLICATE_REASON);
  });

  it("reads the claimed event time without a call Flink 1.20 fails on", () => {
    // JSON_VALUE ... RETURNING supports only VARCHAR, BOOLEAN, INTEGER, DOUBLE in 1.20 (BIGINT fails code
    // generation), and FROM_BASE64 throws on text that is not base64: every decode is behind the base64 check.
    expect(all).not.toMatch(/RETURNING (BIGINT|TIMESTAMP|DECIMAL|FLOAT|SMALLINT|TINYINT)/);
    const decodes = [...all.matchAll(/FROM_BASE64\(/g)].length;
    expect(decodes).toBeGreaterThan(0);
    const guards = [...all.matchAll(/CASE WHEN REGEXP\(payload_base64, '([^']+)'\) THEN CAST\(TRY_CAST\(JSON_VALUE\(FROM_BASE64\(payload_base64\)/g)];
    expect(guards.length).toBe(decodes);
    // Java's $ also matches before a final line break, which FROM_BASE64 would then throw on: \z ends the pattern.
    for (const [, pattern] of guards) expect(pattern.endsWith("\\z")).toBe(true);
  });

  it("bounds event time by the ingest time, so a fast device clock cannot push the watermark past it (source and series)", () => {
    // The watermark is event_ts - lateness per source subtask: a claimed ts ahead of ingest_ts would carry every
    // other device's readings on that subtask behind it. The local engine holds the same rule (tests/local/fast-clock.test.ts).
    const source = statements.find((s) => s.code.startsWith("CREATE TABLE raw_envelopes"))!.code;
    const claimed = /CASE WHEN REGEXP\(payload_base64, '[^']+'\) THEN CAST\(TRY_CAST\(JSON_VALUE\(FROM_BASE64\(payload_base64\), '\$\.ts' NULL ON ERROR\) AS DOUBLE\) AS BIGINT\) END/.exec(source)![0];
    expect(source).toContain(`AND ${claimed} <= ingest_ts THEN ${claimed} ELSE COALESCE(ingest_ts, CAST(0 AS BIGINT)) END, 3)`);
    expect(source).toContain("WATERMARK FOR event_ts AS event_ts - INTERVAL '5' MINUTE");
    const clamp = "CASE WHEN m.ts <= m.ingest_ts THEN m.ts ELSE m.ingest_ts END";
    expect(statements.find((s) => s.code.startsWith("CREATE TEMPORARY VIEW series"))!.code).toContain(`${clamp} AS event_ms`);
    const lateReadings = statements.filter((s) => s.code.startsWith("INSERT INTO readings_sink")).find((s) => s.code.includes("TRUE AS late"))!.code;
    expect(lateReadings).toContain(`${clamp} AS event_ts`);
  });

  it("keeps only counts and times in de-duplication state, never a message with its readings beyond the watermark", () => {
    // A bounded ROWS frame keeps its preceding input rows (whole messages, readings included) for the state TTL;
    // an unbounded frame keeps only its accumulators (COUNT, the first ts) per device and message id. (LAG/LEAD
    // allow no ROWS frame in Flink's validator, and the default RANGE frame counts equal event times together.)
    const first = statements.find((s) => s.code.startsWith("CREATE TEMPORARY VIEW first_messages"))!.code;
    expect(first).toContain("ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW");
    expect([...first.matchAll(/(\w+)\(([^()]*)\) OVER w/g)].map((m) => `${m[1]}(${m[2]})`)).toEqual(["COUNT(*)", "MIN(ts)"]);
    expect(all).not.toMatch(/\b(LAG|LEAD)\(/);
    // Every other OVER window reads one reading's columns per row, never a message's readings array.
    for (const s of statements.filter((x) => /\bOVER\b/.test(x.code) && x !== statements.find((y) => y.code === first))) {
      expect({ file: s.file, readingsArray: /\breadings\b/.test(s.code.split(/\bFROM\b/)[0]) }).toEqual({ file: s.file, readingsArray: false });
    }
  });

  it("drops exactly the duplicates from the series: same device and id within the window, neither late nor rejected", () => {
    const dedup = statements.find((s) => s.code.startsWith("CREATE TEMPORARY VIEW deduplicated_messages"))!.code;
    expect(dedup).toContain(`(dedup_key IS NOT NULL AND seen > 1 AND ts - first_ts <= ${DEFAULT_INGEST_POLICY.duplicateWindowMs}) AS duplicate`);
    const series = statements.find((s) => s.code.startsWith("CREATE TEMPORARY VIEW series"))!.code;
    expect(series).toMatch(/FROM deduplicated_messages AS m[\s\S]*WHERE NOT m\.duplicate$/);
    const first = statements.find((s) => s.code.startsWith("CREATE TEMPORARY VIEW first_messages"))!.code;
    expect(first).toContain("WHERE reason IS NULL AND NOT late");
  });
});

describe("interval literals", () => {
  // Calcite, Flink's validator, gives an interval literal's leading field 2 digits of precision by default:
  // INTERVAL '300' SECOND fails with "Interval field value 300 exceeds precision of SECOND(2) field".
  it("never has a leading field of more than 2 digits", () => {
    for (const m of all.matchAll(/INTERVAL '([^']*)' (\w+)/g)) {
      const leading = m[1].split(/[ :.]/)[0];
      expect({ literal: m[0], digits: leading.length <= 2 }).toEqual({ literal: m[0], digits: true });
    }
    expect(all).not.toMatch(/INTERVAL '\d{3,}'/);
  });

  it("uses the largest unit that keeps a whole amount within 2 digits, else DAY TO SECOND with milliseconds", () => {
    expect(flinkInterval(60_000)).toBe("INTERVAL '1' MINUTE");
    expect(flinkInterval(90_000)).toBe("INTERVAL '90' SECOND");
    expect(flinkInterval(300_000)).toBe("INTERVAL '5' MINUTE");
    expect(flinkInterval(3_600_000)).toBe("INTERVAL '1' HOUR");
    expect(flinkInterval(150_000)).toBe("INTERVAL '0 00:02:30.000' DAY TO SECOND");
    expect(flinkInterval(119_999)).toBe("INTERVAL '0 00:01:59.999' DAY TO SECOND");
    expect(flinkInterval(86_400_000 + 4)).toBe("INTERVAL '1 00:00:00.004' DAY TO SECOND");
    expect(() => flinkInterval(0)).toThrow();
    expect(() => flinkInterval(1.5)).toThrow();
  });

  it("closes alert episodes and notices silences with session gaps 1 ms short of each step, as the opening rules count", () => {
    // Flink session windows [t, t + gap) merge when they touch (TimeWindow.intersects: start <= other.end):
    // readings exactly the hold apart must fall into two sessions, since the second one opens an episode.
    for (const [i, s] of holdSteps(DEFAULT_ANALYTICS).entries()) {
      expect(all).toContain(`SESSION(event_ts, ${flinkInterval(s * 1000 - 1)})\n  HAVING MOD(MAX(event_ms * 16 + hold_step), 16) = ${i};`);
    }
    for (const [i, s] of DEFAULT_ANALYTICS.rules.dataGap.silenceStepsSeconds.entries()) {
      expect(all).toContain(`SESSION(event_ts, ${flinkInterval(s * 1000 - 1)})\n  HAVING MOD(MAX(event_ms * 16 + silence_step), 16) = ${i};`);
    }
    expect(all).toContain(`event_ms - pair_first_ms >= CASE MOD(pair_first_packed, 16) WHEN 0 THEN 1.2E5`);
  });
});

describe("splitStatements", () => {
  it("ignores semicolons in strings, quoted identifiers and comments", () => {
    const sql = "-- a; b\nSET 'x' = 'y;z';\nSELECT 'it''s;' AS `a;b`, \"c;d\" /* e; f */ FROM t;\n-- only a comment;\n";
    expect(splitStatements(sql)).toEqual(["-- a; b\nSET 'x' = 'y;z'", "SELECT 'it''s;' AS `a;b`, \"c;d\" /* e; f */ FROM t"]);
  });
});
