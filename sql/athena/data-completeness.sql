-- Data completeness: expected versus received readings per device and metric for the report day, from each sensor's typical reporting interval, with sensors silent all day, for auditors checking that the record is whole.
-- params: 1 lookback start 'YYYY-MM-DD' (date minus lookback days), 2 date 'YYYY-MM-DD' (report day), 3 site (site id, or '*'), 4 date
-- reads: readings dt from lookback start to date (device_id, site, line, metric, event_ts).
-- A sensor is known if it reported at any time in the lookback window; one that reported nothing on the report day
-- is 'silent'. Its typical interval is the median gap between consecutive readings over the window.
WITH history AS (
  SELECT device_id, site, line, metric, event_ts, dt
  FROM readings
  WHERE dt BETWEEN ? AND ? AND ? IN ('*', site)
),
intervals AS (
  SELECT site, line, device_id, metric,
         date_diff('millisecond', lag(event_ts) OVER (PARTITION BY device_id, metric ORDER BY event_ts), event_ts) AS interval_ms
  FROM history
),
cadence AS (
  SELECT site, line, device_id, metric, approx_percentile(interval_ms, 0.5) AS typical_interval_ms
  FROM intervals
  WHERE interval_ms > 0
  GROUP BY site, line, device_id, metric
),
known_sensors AS (
  SELECT DISTINCT site, line, device_id, metric
  FROM history
),
received AS (
  SELECT device_id, metric, count(*) AS received_readings
  FROM history
  WHERE dt = ?
  GROUP BY device_id, metric
),
expected AS (
  SELECT k.site, k.line, k.device_id, k.metric, c.typical_interval_ms,
         CAST(round(CAST(86400000 AS double) / c.typical_interval_ms) AS bigint) AS expected_readings,
         coalesce(r.received_readings, 0) AS received_readings
  FROM known_sensors k
  LEFT JOIN cadence c ON c.device_id = k.device_id AND c.metric = k.metric
  LEFT JOIN received r ON r.device_id = k.device_id AND r.metric = k.metric
)
SELECT site,
       line,
       device_id,
       metric,
       round(typical_interval_ms / CAST(1000 AS double), 3) AS typical_interval_seconds,
       expected_readings,
       received_readings,
       round(CAST(100 * received_readings AS double) / nullif(expected_readings, 0), 1) AS completeness_pct,
       CASE
         WHEN received_readings = 0 THEN 'silent'
         WHEN expected_readings IS NULL THEN 'unknown_cadence'
         WHEN received_readings < expected_readings THEN 'incomplete'
         ELSE 'complete'
       END AS status
FROM expected
ORDER BY site, line, device_id, metric
