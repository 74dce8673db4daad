-- Data gaps: every stretch of the report day longer than the configured threshold in which a sensor (device and metric) sent no reading, for auditors and maintenance engineers explaining holes in the record.
-- params: 1 date 'YYYY-MM-DD' (report day), 2 site (site id, or '*'), 3 minimum gap in seconds (integer)
-- reads: readings dt = date (device_id, site, line, metric, event_ts).
-- Gaps are clipped to the report day: midnight to the first reading and the last reading to the next midnight
-- count as gaps too, so a gap spanning midnight shows in both days' reports, each with its own part.
-- Sensors silent all day are in data-completeness, not here.
WITH day_readings AS (
  SELECT device_id, site, line, metric, event_ts,
         CAST(CAST(dt AS DATE) AS timestamp) AS day_start
  FROM readings
  WHERE dt = ? AND ? IN ('*', site)
),
sequenced AS (
  SELECT site, line, device_id, metric, event_ts, day_start,
         lag(event_ts) OVER (PARTITION BY device_id, metric ORDER BY event_ts) AS previous_ts,
         lead(event_ts) OVER (PARTITION BY device_id, metric ORDER BY event_ts) AS next_ts
  FROM day_readings
),
gaps AS (
  SELECT site, line, device_id, metric, coalesce(previous_ts, day_start) AS gap_start, event_ts AS gap_end
  FROM sequenced
  UNION ALL
  SELECT site, line, device_id, metric, event_ts AS gap_start, day_start + INTERVAL '1' DAY AS gap_end
  FROM sequenced
  WHERE next_ts IS NULL
)
SELECT site,
       line,
       device_id,
       metric,
       gap_start,
       gap_end,
       date_diff('second', gap_start, gap_end) AS gap_seconds
FROM gaps
WHERE date_diff('second', gap_start, gap_end) > ?
ORDER BY site, line, device_id, metric, gap_start
