/**
 * The analytics as DuckDB SQL, for the local engine: the same stages as the Flink job (`stages.ts`), run as
 * CTEs over a relation of readings. Replay input is bounded history, so every window and every episode is
 * complete at the end of the input, as in Flink when a bounded source ends (the final watermark fires all
 * windows and closes all sessions).
 */
import { type AnalyticsDefinition, DEFAULT_ANALYTICS, validateDefinition } from "./definition";
import { duckdbDialect as d, sqlDouble } from "./dialect";
import { aggregateColumns, alertClearedColumns, alertOpenSelect, alertStages, anomalyRuleColumns, anomalySelects, anomalySteps, opensExpr, SERIES_KEY_COLUMNS, seriesWindowSpec, silenceClearedSelect, silenceEndedOpenSelect, silenceLastingHaving, silenceOpenColumns, type Stage, stepSql } from "./stages";
import { countedCondition, renderAggregate, renderStepColumn, type Step, type StepColumn, type WindowAggregate } from "./step";

export interface DuckdbAnalytics {
  aggregates: string;
  anomalies: string;
  alerts: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** On-time readings as the shared stages expect them (epoch-ms columns beside the timestamps). */
function seriesStage(input: string): CteStage {
  return {
    name: "series",
    about: "On-time readings (late ones are kept in the lake but judged by no window).",
    sql: `SELECT device_id, site, line, metric, CAST("value" AS DOUBLE) AS "value", event_ts,
    epoch_ms(event_ts) AS event_ms, epoch_ms(ingest_ts) AS ingest_ms, hash(device_id, site, line, metric) AS series_id,
    row_number() OVER () AS ${ROW_ID}
  FROM ${input}
  WHERE late IS NOT TRUE AND "value" IS NOT NULL AND event_ts IS NOT NULL`,
  };
}

/** A CTE; `materialized` when more than one later stage reads it (DuckDB would otherwise compute it twice). */
type CteStage = Stage & { materialized?: boolean };

/** Row identity the narrow window passes join back on (see scoringStages). */
const ROW_ID = "series_row";
/** Columns of the narrow series the window passes start from. */
const NARROW_COLUMNS = ["series_id", ROW_ID, "value", "event_ts", "event_ms", "ingest_ms"];
/** Columns every series window sorts on (the dialect's partition and order). */
const WINDOW_KEY = ["series_id", "event_ms", "ingest_ms", "value"];

/**
 * The same value from a cheaper window function, where DuckDB has one: every series window is `preceding` rows
 * up to the current one, so the count of its rows is the row number capped at the frame size, and the
 * extremes of a two-row frame are the current and the previous row's, and the earliest event time of a frame is
 * its first row's (event_ms leads the order). DuckDB answers these without the segment
 * tree its framed aggregates build (about a fifth of the scoring's window work). Exactly equal results.
 */
export function duckdbWindowAggregate(aggregate: WindowAggregate, preceding: number | "UNBOUNDED", over: string): string {
  if (aggregate.kind === "countIf" || aggregate.kind === "countFired") {
    // A count of the readings for which a condition holds: DuckDB sums integers into HUGEINT, whose segment tree
    // costs about twice a DOUBLE one (the flatline rule's two whole-history counts were a tenth of the scoring).
    // Ones and zeros add up exactly in a DOUBLE below 2^53 readings; the cast gives the column its type back.
    return `CAST(SUM(CASE WHEN ${countedCondition(aggregate)} THEN ${sqlDouble(1)} ELSE ${sqlDouble(0)} END) OVER ${over} AS HUGEINT)`;
  }
  if (preceding === "UNBOUNDED") return renderAggregate(aggregate, over);
  if (!d.seriesOrder.startsWith("event_ms,")) throw new Error("internal: the window rewrites assume event_ms leads the series order");
  switch (aggregate.kind) {
    case "count": return `LEAST(row_number() OVER ${over}, ${preceding + 1})`;
    case "min":
    case "max":
      // event_ms leads the window order, so its minimum over the frame is the frame's first row.
      if (aggregate.kind === "min" && aggregate.arg === "event_ms") return `first_value(event_ms) OVER ${over}`;
      if (preceding !== 1) return renderAggregate(aggregate, over);
      return `${aggregate.kind === "max" ? "GREATEST" : "LEAST"}(${aggregate.arg}, coalesce(lag(${aggregate.arg}) OVER ${over}, ${aggregate.arg}))`;
    default: return renderAggregate(aggregate, over);
  }
}

/** The rules' fired flags (`static_fired` …), from the rule definitions: a reading with none set is in no anomaly row and no alert. */
function firedFlags(def: AnalyticsDefinition): string[] {
  return anomalyRuleColumns(def, d).map((r) => r.fired);
}

/** Newest event time of each series (in `series_keys`): its last readings are where a silence that lasts begins. */
const SERIES_LAST_MS = "series_last_ms";
const LAST_READING = `event_ms = ${SERIES_LAST_MS}`;

/** Each reading's position in its series (window order), for frames counted over a subset of the readings. */
const SERIES_RANK = "series_rank";

/** A column of a window pass as DuckDB computes it: its value expression, what it reads, its name. */
interface PassColumn {
  alias: string;
  reads: string[];
  sql: string;
}

/** True when a column counts only readings on which a rule fired (a count the fired readings alone answer). */
function countsFiredOnly(column: StepColumn, fired: ReadonlySet<string>): boolean {
  return typeof column.value !== "string" && column.value.kind === "countFired" && column.value.flags.every((f) => fired.has(f));
}

/**
 * The scoring as CTEs, from the input relation to `anomaly_scored`. DuckDB's window operator sorts and
 * materializes every column of its input, so the chain is kept narrow while it windows:
 * - the passes start from the readings without their four key strings (`series_narrow`); the strings come
 *   back from a per-series table (`series_keys`, one row per series) just before the first step that reads one
 *   (the static limits), a join on a few hundred rows instead of one per reading;
 * - window steps of one pass share one SELECT with a named window each (one sort per pass);
 * - a pass after that join, when the rows are wide, windows a narrow projection (row id, sort key, the
 *   columns its aggregates read) and joins its results back on the row id;
 * - a pass that only counts readings on which a rule fired (the alert evidence) runs on those readings alone
 *   (`anomaly_candidates`, a few in a thousand), its ROWS frame turned into a RANGE over each reading's position
 *   in its series: the same counts, without sorting every reading again. `anomaly_scored` then holds the
 *   readings on which a rule fired — every reading an anomaly or alert row can come from.
 * With the rewrites of duckdbWindowAggregate and the plan's fired-only scratch table: scoring 500k readings on
 * one thread 4.5 s -> 2.9 s (EXPLAIN ANALYZE), and see bench:replay for 10 M.
 */
function scoringStages(def: AnalyticsDefinition, input: string): CteStage[] {
  const steps = anomalySteps(def, d);
  const ctes: CteStage[] = [
    { ...seriesStage(input), materialized: true },
    {
      name: "series_keys",
      about: "The key strings of each series, once.",
      sql: `SELECT series_id, ${SERIES_KEY_COLUMNS.map((k) => `any_value(${k}) AS ${k}`).join(", ")}, max(event_ms) AS ${SERIES_LAST_MS} FROM series GROUP BY series_id`,
    },
    { name: "series_narrow", about: "The readings as the window passes need them.", sql: `SELECT ${NARROW_COLUMNS.map((c) => d.id(c)).join(", ")} FROM series` },
  ];
  const available = new Set(NARROW_COLUMNS);
  const fired = firedFlags(def);
  let from = "series_narrow";
  let keyed = false;
  let ranked = false;
  const joinKeys = () => {
    ctes.push({ name: "anomaly_keyed", about: "The series key strings joined back (static limits read them).", sql: `SELECT * FROM ${from} JOIN series_keys USING (series_id)` });
    for (const k of SERIES_KEY_COLUMNS) available.add(k);
    from = "anomaly_keyed";
    keyed = true;
  };
  // Window aggregates already computed by an earlier pass, by frame and expression: a later pass that needs the
  // same one (the near sums' SUM of the values over the recent readings is the recent window's) reads that column
  // instead of building another segment tree. Same frame, same order, same rows: the same value.
  const windowed = new Map<string, { alias: string; pass: string }>();
  const reuseOrWindow = (column: StepColumn, step: Step, pass: string): PassColumn => {
    const { alias, reads, value } = column;
    if (typeof value === "string") return { alias, reads, sql: value };
    const preceding = step.window!.preceding;
    const key = `${preceding}|${duckdbWindowAggregate(value, preceding, "w")}`;
    const earlier = windowed.get(key);
    if (earlier && earlier.pass !== pass && available.has(earlier.alias)) return { alias, reads: [earlier.alias], sql: earlier.alias };
    if (!earlier) windowed.set(key, { alias, pass });
    return { alias, reads, sql: duckdbWindowAggregate(value, preceding, `w_${step.name}`) };
  };
  const item = (c: PassColumn) => `${c.sql} AS ${c.alias}`;
  for (let i = 0; i < steps.length; ) {
    const step = steps[i];
    const last = i === steps.length - 1;
    if (!step.window) {
      if (!keyed && (last || step.columns.some((c) => c.reads.some((r) => SERIES_KEY_COLUMNS.includes(r))))) joinKeys();
      ctes.push({ name: step.name, about: step.about, sql: stepSql(step, from, d) });
      for (const c of step.columns) available.add(c.alias);
      from = step.name;
      i++;
      continue;
    }
    const pass = step.window.pass;
    const group = steps.slice(i).filter((s, k) => steps.slice(i, i + k + 1).every((t) => t.window?.pass === pass));
    const name = `anomaly_pass_${pass}`;
    const columns = group.flatMap((g) => g.columns.map((c) => reuseOrWindow(c, g, name)));
    const windows = group.map((g) => `w_${g.name} AS (${seriesWindowSpec(d, g.window!.preceding)})`).join(",\n      ");
    const about = group.map((g) => g.about).join(" ");
    const sparse = ranked && fired.every((f) => available.has(f)) && group.every((g) => g.columns.every((c) => countsFiredOnly(c, new Set(fired))));
    if (sparse) {
      // Each series' last readings ride along (a lasting silence is judged from them): the filter reads its last time.
      if (!keyed) joinKeys();
      ctes.push({ name: "anomaly_candidates", about: "Readings on which a rule fired, and each series' last (silence is judged from it).", sql: `SELECT * FROM ${from} WHERE ${[...fired, LAST_READING].join(" OR ")}` });
      const counts = group.flatMap((g) =>
        g.columns.map((c) => renderStepColumn(c, `(PARTITION BY ${d.seriesPartition} ORDER BY ${SERIES_RANK} RANGE BETWEEN ${g.window!.preceding} PRECEDING AND CURRENT ROW)`)));
      ctes.push({ name: `anomaly_sparse_${pass}`, about, sql: `SELECT *,\n${counts.map((c) => `    ${c}`).join(",\n")}\n  FROM anomaly_candidates` });
    } else if (!keyed) {
      // The first pass also numbers each series' readings (no extra sort: same window order).
      const rank = ranked ? [] : [`row_number() OVER w_${group[0].name} AS ${SERIES_RANK}`];
      ranked = true;
      available.add(SERIES_RANK);
      ctes.push({ name, about, sql: `SELECT *,\n${[...columns.map(item), ...rank].map((c) => `    ${c}`).join(",\n")}\n  FROM ${from}\n  WINDOW ${windows}` });
    } else {
      const words = new Set(columns.flatMap((c) => c.reads));
      const reads = [...available].filter((c) => words.has(c) && !WINDOW_KEY.includes(c));
      const narrow = [ROW_ID, ...WINDOW_KEY, ...reads].map((c) => d.id(c)).join(", ");
      // The previous stage is read twice (narrow and whole): materialize it once.
      ctes[ctes.length - 1] = { ...ctes[ctes.length - 1], materialized: true };
      ctes.push({
        name,
        about,
        sql: `SELECT * FROM ${from} JOIN (
    SELECT ${ROW_ID},
${columns.map((c) => `      ${item(c)}`).join(",\n")}
    FROM (SELECT ${narrow} FROM ${from})
    WINDOW ${windows}
  ) USING (${ROW_ID})`,
      });
    }
    for (const c of columns) available.add(c.alias);
    from = sparse ? `anomaly_sparse_${pass}` : name;
    i += group.length;
    if (i === steps.length && !keyed) throw new Error("internal: the scoring must end with a plain step");
  }
  return ctes;
}

function withStages(stages: CteStage[], body: string): string {
  const ctes = stages.map((s) => `-- ${s.about}\n${s.name} AS ${s.materialized ? "MATERIALIZED " : ""}(\n  ${s.sql}\n)`).join(",\n");
  return `WITH\n${ctes}\n${body}`;
}

function checkInput(input: string): void {
  if (!IDENT.test(input)) throw new Error(`input relation '${input}' must be a plain (optionally schema-qualified) name`);
}

function aggregatesSql(def: AnalyticsDefinition, input: string): string {
  return withStages(
    [seriesStage(input)],
    def.windowSeconds
      .map((w) => `SELECT ${aggregateColumns(w, d)}
FROM series
GROUP BY device_id, site, line, metric, CAST(FLOOR(CAST(event_ms AS DOUBLE) / ${w * 1000}) AS BIGINT)`)
      .join("\nUNION ALL\n") + "\nORDER BY window_seconds, device_id, metric, window_start",
  );
}

/** anomalies and alerts SELECTs over the given stages (which end with `anomaly_scored`). */
function anomaliesAndAlerts(def: AnalyticsDefinition, scored: Stage[]): { anomalies: string; alerts: string } {
  const anomalies = withStages(
    scored,
    anomalySelects(def, d).map((s) => s.sql).join("\nUNION ALL\n") + "\nORDER BY device_id, metric, event_ts, rule",
  );
  const episodes: Stage = {
    name: "alert_episodes",
    about: "Episode number per series: a running count of openings (the session a Flink session window would form).",
    sql: `SELECT *, SUM(CASE WHEN ${opensExpr(def)} THEN 1 ELSE 0 END) OVER (
      PARTITION BY ${d.seriesPartition} ORDER BY ${d.seriesOrder}
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS episode
  FROM alert_transitions`,
  };
  const silences = def.rules.dataGap.enabled ? `
UNION ALL
${silenceEndedOpenSelect(def, d)}
UNION ALL
${silenceClearedSelect(def, d)}
UNION ALL
${silenceLastingSelect(def)}` : "";
  const alerts = withStages(
    [...scored, ...alertStages(def, d), episodes],
    `${alertOpenSelect(def, d)}
UNION ALL
SELECT ${alertClearedColumns(def, d)}
FROM alert_episodes
GROUP BY device_id, site, line, metric, series_id, episode${silences}
ORDER BY device_id, metric, event_ts, state`,
  );
  return { anomalies, alerts };
}

/**
 * Silences that last to the end of the input: a series whose last reading is older than the watermark by more
 * than the silence it allowed. The newest event time of the input minus the watermark delay plays the watermark
 * (in Flink: the other devices' progress closes the series' session window).
 */
function silenceLastingSelect(def: AnalyticsDefinition): string {
  const watermark = `(SELECT max(event_ms) FROM anomaly_scored) - ${def.watermarkDelaySeconds * 1000}`;
  return `SELECT ${silenceOpenColumns(def, d)}
FROM anomaly_scored
WHERE ${LAST_READING}
GROUP BY device_id, site, line, metric, series_id
HAVING ${silenceLastingHaving(def, watermark)}`;
}

/**
 * SELECT statements over a relation named `input` with the columns of the readings table (READINGS in
 * lake/tables.ts, with their DuckDB types: event_ts and ingest_ts TIMESTAMP). Queries ignore late rows themselves.
 * Each returns exactly the lake table's columns in lake/tables.ts order (no dt column).
 */
export function duckdbAnalytics(def: AnalyticsDefinition = DEFAULT_ANALYTICS, input = "input"): DuckdbAnalytics {
  validateDefinition(def);
  checkInput(input);
  return { aggregates: aggregatesSql(def, input), ...anomaliesAndAlerts(def, scoringStages(def, input)) };
}

/** The same analytics with the per-reading scoring run once: `prepare`, then the three SELECTs, then `cleanup`. */
export interface DuckdbAnalyticsPlan extends DuckdbAnalytics {
  /** Creates the temporary table of scored readings that `anomalies` and `alerts` read. */
  prepare: string[];
  /** Drops it. */
  cleanup: string[];
}

/**
 * Like `duckdbAnalytics`, for large replays: the anomaly and alert queries share one scoring pass (a TEMP
 * table named `scratch`) instead of each recomputing it. Same results, about half the work; the scored table keeps only the readings on which a rule fired.
 */
export function duckdbAnalyticsPlan(def: AnalyticsDefinition = DEFAULT_ANALYTICS, input = "input", scratch = "iotpipe_scored"): DuckdbAnalyticsPlan {
  validateDefinition(def);
  checkInput(input);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(scratch)) throw new Error(`scratch table name '${scratch}' must be a plain identifier`);
  // Both queries read only readings on which something fired (a few in a thousand): keep just those.
  const fired = firedFlags(def);
  const scoring = withStages(scoringStages(def, input), `SELECT * FROM anomaly_scored WHERE ${[...fired, "alert_fired", LAST_READING].join(" OR ")}`);
  const reuse: Stage = { name: "anomaly_scored", about: "Readings scored by the prepare step.", sql: `SELECT * FROM ${scratch}` };
  return {
    prepare: [`CREATE OR REPLACE TEMP TABLE ${scratch} AS\n${scoring}`],
    aggregates: aggregatesSql(def, input),
    ...anomaliesAndAlerts(def, [reuse]),
    cleanup: [`DROP TABLE IF EXISTS ${scratch}`],
  };
}

/**
 * Every reading scored by the steps written plainly, one SELECT per step with its own OVER window and no
 * rewrite — the shape the Flink job runs. Slow; it is the reference the tests hold the optimized rendering to.
 */
export function referenceScoringSql(def: AnalyticsDefinition = DEFAULT_ANALYTICS, input = "input"): string {
  validateDefinition(def);
  checkInput(input);
  let from = "series";
  const stages: CteStage[] = [seriesStage(input)];
  for (const step of anomalySteps(def, d)) {
    stages.push({ name: step.name, about: step.about, sql: stepSql(step, from, d) });
    from = step.name;
  }
  return withStages(stages, "SELECT * FROM anomaly_scored");
}

/**
 * The optimized rendering of the same scoring (what `duckdbAnalytics` runs). When alerts need confirmation it
 * holds only the readings on which a rule fired (the others are in no anomaly and no alert), with one more
 * column, `series_rank`.
 */
export function scoringSql(def: AnalyticsDefinition = DEFAULT_ANALYTICS, input = "input"): string {
  validateDefinition(def);
  checkInput(input);
  return withStages(scoringStages(def, input), "SELECT * FROM anomaly_scored");
}

/**
 * How many earlier readings of a series the scoring of one reading depends on at most: each window pass reads
 * the columns the passes before it computed over their own frames, so the deepest frame of each pass adds up.
 * A replay that adds to a lake scores its new readings after this many stored ones of each series and gets
 * exactly the scores one run over the whole history would give (every frame count is capped by then too).
 * Null when a step's frame is the series' whole history (the flatline rule's rate of repeats): then every
 * stored reading of the series is context.
 */
export function scoringContextRows(def: AnalyticsDefinition = DEFAULT_ANALYTICS): number | null {
  validateDefinition(def);
  const deepest = new Map<number, number>();
  for (const step of anomalySteps(def, d)) {
    if (!step.window) continue;
    if (step.window.preceding === "UNBOUNDED") return null;
    deepest.set(step.window.pass, Math.max(deepest.get(step.window.pass) ?? 0, step.window.preceding));
  }
  return [...deepest.values()].reduce((sum, rows) => sum + rows, 0);
}
