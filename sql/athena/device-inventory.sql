-- Device inventory: every device seen in the lookback window with its metrics, when it was last seen, its readings on the report day and its alerts still open at the end of the day, for operations and auditors.
-- params: 1 lookback start 'YYYY-MM-DD' (date minus lookback days), 2 date 'YYYY-MM-DD' (report day), 3 site (site id, or '*'),
--         4 date, 5 site, 6 lookback start, 7 date, 8 site
-- reads: aggregates dt from lookback start to date (device_id, site, line, metric, last_event_ts);
--        readings dt = date (device_id, site, line, metric, event_ts);
--        alerts dt from lookback start to date (device_id, site, metric, rule, state, episode_start).
-- The lookback comes from the aggregates (a few rows per sensor and hour), never from 8 days of readings; the report
-- day from its readings, late ones included. A device silent for longer than the lookback window is not listed; an
-- episode opened before the window and never cleared is not counted.
WITH windows AS (
  SELECT device_id, site, line, metric, last_event_ts
  FROM aggregates
  WHERE dt BETWEEN ? AND ? AND ? IN ('*', site)
),
day AS (
  SELECT device_id, site, line, metric, count(*) AS readings, max(event_ts) AS last_event_ts
  FROM readings
  WHERE dt = ? AND ? IN ('*', site)
  GROUP BY device_id, site, line, metric
),
seen AS (
  SELECT device_id, site, line, metric, last_event_ts FROM windows
  UNION ALL
  SELECT device_id, site, line, metric, last_event_ts FROM day
),
devices AS (
  SELECT site, line, device_id, count(DISTINCT metric) AS metrics, max(last_event_ts) AS last_seen_at
  FROM seen
  GROUP BY site, line, device_id
),
day_counts AS (
  SELECT device_id, CAST(sum(readings) AS bigint) AS readings
  FROM day
  GROUP BY device_id
),
episodes AS (
  SELECT device_id, metric, rule, episode_start, count_if(state = 'cleared') AS clears
  FROM alerts
  WHERE dt BETWEEN ? AND ? AND ? IN ('*', site)
  GROUP BY device_id, metric, rule, episode_start
),
open_alerts AS (
  SELECT device_id, count(*) AS open_alerts
  FROM episodes
  WHERE clears = 0
  GROUP BY device_id
)
SELECT d.site,
       d.line,
       d.device_id,
       d.metrics,
       d.last_seen_at,
       coalesce(c.readings, 0) AS readings_on_day,
       coalesce(o.open_alerts, 0) AS open_alerts
FROM devices d
LEFT JOIN day_counts c ON c.device_id = d.device_id
LEFT JOIN open_alerts o ON o.device_id = d.device_id
ORDER BY d.site, d.line, d.device_id
