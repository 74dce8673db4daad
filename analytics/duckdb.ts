/**
 * The analytics as DuckDB SQL, for the local engine: the same stages as the Flink job (`stages.ts`), run as
 * CTEs over a relation of readings. Replay input is bounded history, so every window and every episode is
 * complete at the end of the input, as in Flink when a bounded source ends (the final watermark fires all
 * windows and closes all sessions).
 */
import { READINGS } from "../lake/tables";
import { type AnalyticsDefinition, DEFAULT_ANALYTICS, validateDefinition } from "./definition";
import { duckdbDialect as d } from "./dialect";
import { aggregateColumns, alertClearedColumns, alertOpenSelect, alertStages, anomalySelects, anomalySteps, opensExpr, seriesWindowSpec, type Stage, stepSql } from "./stages";

export interface DuckdbAnalytics {
  aggregates: string;
  anomalies: string;
  alerts: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** On-time readings as the shared stages expect them (epoch-ms columns beside the timestamps). */
function seriesStage(input: string): Stage {
  return {
    name: "series",
    about: "On-time readings (late ones are kept in the lake but judged by no window).",
    sql: `SELECT device_id, site, line, metric, CAST("value" AS DOUBLE) AS "value", event_ts,
    epoch_ms(event_ts) AS event_ms, epoch_ms(ingest_ts) AS ingest_ms, hash(device_id, site, line, metric) AS series_id
  FROM ${input}
  WHERE late IS NOT TRUE AND "value" IS NOT NULL AND event_ts IS NOT NULL`,
  };
}

/**
 * The anomaly steps as CTEs. Window steps of one pass go into one SELECT with a named window each, so DuckDB
 * sorts the series once per pass instead of once per window.
 */
function anomalyCtes(def: AnalyticsDefinition): Stage[] {
  const steps = anomalySteps(def, d);
  const ctes: Stage[] = [];
  let from = "series";
  for (let i = 0; i < steps.length; ) {
    const step = steps[i];
    if (!step.window) {
      ctes.push({ name: step.name, about: step.about, sql: stepSql(step, from, d) });
      from = step.name;
      i++;
      continue;
    }
    const pass = step.window.pass;
    const group = steps.slice(i).filter((s, k) => steps.slice(i, i + k + 1).every((t) => t.window?.pass === pass));
    const name = `anomaly_pass_${pass}`;
    const columns = group.flatMap((g) => g.columns.map((c) => c.replace(/OVER w\b/g, `OVER w_${g.name}`)));
    const windows = group.map((g) => `w_${g.name} AS (${seriesWindowSpec(d, g.window!.preceding)})`).join(",\n    ");
    ctes.push({
      name,
      about: group.map((g) => g.about).join(" "),
      sql: `SELECT *,\n${columns.map((c) => `    ${c}`).join(",\n")}\n  FROM ${from}\n  WINDOW ${windows}`,
    });
    from = name;
    i += group.length;
  }
  return ctes;
}

function withStages(stages: Stage[], body: string): string {
  const ctes = stages.map((s) => `-- ${s.about}\n${s.name} AS (\n  ${s.sql}\n)`).join(",\n");
  return `WITH\n${ctes}\n${body}`;
}

function checkInput(input: string): void {
  if (!IDENT.test(input)) throw new Error(`input relation '${input}' must be a plain (optionally schema-qualified) name`);
  const readingColumns = READINGS.columns.map((c) => c.name).join(",");
  if (readingColumns !== "device_id,site,line,metric,value,unit,event_ts,ingest_ts,msg_id,late") {
    throw new Error(`readings lake columns changed (${readingColumns}); update analytics/duckdb.ts`);
  }
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
  const alerts = withStages(
    [...scored, ...alertStages(def, d), episodes],
    `${alertOpenSelect(def, d)}
UNION ALL
SELECT ${alertClearedColumns(def, d)}
FROM alert_episodes
GROUP BY device_id, site, line, metric, series_id, episode
ORDER BY device_id, metric, event_ts, state`,
  );
  return { anomalies, alerts };
}

/**
 * SELECT statements over a relation named `input` (columns of READINGS in lake/tables.ts: device_id, site,
 * line, metric, value, unit, event_ts TIMESTAMP, ingest_ts TIMESTAMP, msg_id, late BOOLEAN). Queries ignore
 * late rows themselves. Each returns exactly the lake table's columns in lake/tables.ts order (no dt column).
 */
export function duckdbAnalytics(def: AnalyticsDefinition = DEFAULT_ANALYTICS, input = "input"): DuckdbAnalytics {
  validateDefinition(def);
  checkInput(input);
  return { aggregates: aggregatesSql(def, input), ...anomaliesAndAlerts(def, [seriesStage(input), ...anomalyCtes(def)]) };
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
 * table named `scratch`) instead of each recomputing it. Same results, about half the work.
 */
export function duckdbAnalyticsPlan(def: AnalyticsDefinition = DEFAULT_ANALYTICS, input = "input", scratch = "iotpipe_scored"): DuckdbAnalyticsPlan {
  validateDefinition(def);
  checkInput(input);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(scratch)) throw new Error(`scratch table name '${scratch}' must be a plain identifier`);
  const scoring = withStages([seriesStage(input), ...anomalyCtes(def)], "SELECT * FROM anomaly_scored");
  const reuse: Stage = { name: "anomaly_scored", about: "Readings scored by the prepare step.", sql: `SELECT * FROM ${scratch}` };
  return {
    prepare: [`CREATE OR REPLACE TEMP TABLE ${scratch} AS\n${scoring}`],
    aggregates: aggregatesSql(def, input),
    ...anomaliesAndAlerts(def, [reuse]),
    cleanup: [`DROP TABLE IF EXISTS ${scratch}`],
  };
}
