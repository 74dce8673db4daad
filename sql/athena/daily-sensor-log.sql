-- Daily sensor log: per device and metric, the day's minimum, maximum, mean, sample count and first/last reading (the classic temperature log), for quality and compliance officers signing off a production day.
-- params: 1 date 'YYYY-MM-DD' (report day), 2 site (site id, or '*' for every site), 3 date, 4 site
-- reads: readings dt = date (device_id, site, line, metric, value, unit, event_ts, late);
--        anomalies dt = date, rule static_limit (device_id, site, metric, value, limit_value) for the limits crossed that day.
-- Late readings (arrived behind the watermark) are part of the record and counted here, unlike the windowed aggregates.
WITH day_readings AS (
  SELECT device_id, site, line, metric, value, unit, event_ts, late
  FROM readings
  WHERE dt = ? AND ? IN ('*', site)
),
limits_crossed AS (
  -- The lowest upper limit and the highest lower limit crossed: the first line a reading went past on each side.
  SELECT device_id, metric,
         min(CASE WHEN value > limit_value THEN limit_value END) AS upper_limit,
         max(CASE WHEN value < limit_value THEN limit_value END) AS lower_limit
  FROM anomalies
  WHERE dt = ? AND ? IN ('*', site) AND rule = 'static_limit'
  GROUP BY device_id, metric
)
SELECT r.site,
       r.line,
       r.device_id,
       r.metric,
       max(r.unit) AS unit,
       count(*) AS sample_count,
       count_if(r.late) AS late_count,
       min(r.value) AS min_value,
       max(r.value) AS max_value,
       round(avg(r.value), 3) AS avg_value,
       min(r.event_ts) AS first_reading_at,
       min_by(r.value, r.event_ts) AS first_value,
       max(r.event_ts) AS last_reading_at,
       max_by(r.value, r.event_ts) AS last_value,
       max(l.lower_limit) AS lower_limit,
       max(l.upper_limit) AS upper_limit
FROM day_readings r
LEFT JOIN limits_crossed l ON l.device_id = r.device_id AND l.metric = r.metric
GROUP BY r.site, r.line, r.device_id, r.metric
ORDER BY r.site, r.line, r.device_id, r.metric
