-- Device inventory: every registered device and every device seen in the lookback window, with its metrics, when it was last seen, its readings on the report day (silent when none) and its alerts still open at the end of the day, for operations and auditors.
-- params: 1 lookback start 'YYYY-MM-DD' (date minus lookback days), 2 date 'YYYY-MM-DD' (report day), 3 site (site id, or '*'),
--         4 date, 5 site, 6 date (registry snapshot), 7 site, 8 date (registered before its end), 9 lookback start, 10 date, 11 site
-- reads: aggregates dt from lookback start to date (device_id, site, line, metric, last_event_ts);
--        readings dt = date (device_id, site, line, metric, event_ts);
--        device_registry dt = date: the registry snapshot the report job took for the day (device_id, site, line, model, serial, registered_at);
--        alerts dt from lookback start to date (device_id, site, metric, rule, state, episode_start).
-- The lookback comes from the aggregates (a few rows per sensor and hour), never from 8 days of readings; the report
-- day from its readings, late ones included. A registered device that sent nothing on the day is listed as silent, even
-- when it never reported at all; one registered after the day is not listed (unless seen). An unregistered device seen
-- in the window is listed with empty registry columns; one silent for longer than the lookback window and not
-- registered is not listed. An episode opened before the window and never cleared is not counted.
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
registered AS (
  SELECT device_id, site, line, model, serial, registered_at
  FROM device_registry
  WHERE dt = ? AND ? IN ('*', site) AND (registered_at IS NULL OR registered_at < CAST(? AS timestamp) + INTERVAL '1' DAY)
),
inventory AS (
  SELECT coalesce(d.site, r.site) AS site,
         coalesce(d.line, r.line) AS line,
         coalesce(d.device_id, r.device_id) AS device_id,
         coalesce(d.metrics, 0) AS metrics,
         d.last_seen_at,
         r.model,
         r.serial,
         r.registered_at
  FROM devices d
  FULL OUTER JOIN registered r ON r.device_id = d.device_id
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
SELECT i.site,
       i.line,
       i.device_id,
       i.metrics,
       i.last_seen_at,
       coalesce(c.readings, 0) AS readings_on_day,
       coalesce(o.open_alerts, 0) AS open_alerts,
       CASE WHEN coalesce(c.readings, 0) > 0 THEN 'reporting' ELSE 'silent' END AS status,
       i.model,
       i.serial,
       i.registered_at
FROM inventory i
LEFT JOIN day_counts c ON c.device_id = i.device_id
LEFT JOIN open_alerts o ON o.device_id = i.device_id
ORDER BY i.site, i.line, i.device_id
