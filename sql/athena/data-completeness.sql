-- Data completeness: expected versus received readings per device and metric for the report day, from each sensor's typical reporting interval, with sensors silent all day, for auditors checking that the record is whole.
-- params: 1 lookback start 'YYYY-MM-DD' (date minus lookback days), 2 date 'YYYY-MM-DD' (report day), 3 site (site id, or '*'), 4 date, 5 site
-- reads: aggregates dt from lookback start to date (device_id, site, line, metric, window_seconds, window_start, sample_count, last_event_ts);
--        readings dt = date (device_id, site, line, metric).
-- A sensor is known if it reported at any time in the lookback window; one that reported nothing on the report day
-- is 'silent'. Its typical interval is the median, over its windows of the coarsest aggregate size, of the mean gap
-- between readings ending in the window (time from the previous window's last reading to this window's last,
-- divided by the window's readings): the exact gap when a window holds one reading, the mean for regular cadence.
-- The lookback comes from the aggregates (a few rows per sensor and hour), never from 8 days of readings; the
-- received count is the report day's readings, late ones included.
WITH windows AS (
  SELECT device_id, site, line, metric, window_seconds, window_start, sample_count, last_event_ts
  FROM aggregates
  WHERE dt BETWEEN ? AND ? AND ? IN ('*', site)
),
coarsest AS (
  SELECT device_id, site, line, metric, window_start, sample_count, last_event_ts
  FROM windows
  WHERE window_seconds = (SELECT max(window_seconds) FROM windows)
),
spans AS (
  SELECT site, line, device_id, metric, sample_count,
         date_diff('millisecond', lag(last_event_ts) OVER (PARTITION BY device_id, metric ORDER BY window_start), last_event_ts) AS span_ms
  FROM coarsest
),
cadence AS (
  SELECT site, line, device_id, metric, approx_percentile(CAST(span_ms AS double) / sample_count, 0.5) AS typical_interval_ms
  FROM spans
  WHERE span_ms > 0
  GROUP BY site, line, device_id, metric
),
received AS (
  SELECT device_id, site, line, metric, count(*) AS received_readings
  FROM readings
  WHERE dt = ? AND ? IN ('*', site)
  GROUP BY device_id, site, line, metric
),
known_sensors AS (
  SELECT site, line, device_id, metric FROM coarsest
  UNION
  SELECT site, line, device_id, metric FROM received
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
