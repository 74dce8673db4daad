-- Excursions: every alert episode open at any time during the report day (start, end, duration, peak value, limit crossed), including episodes that span midnight, for compliance officers and auditors reviewing out-of-limit events.
-- params: 1 lookback start 'YYYY-MM-DD' (date minus lookback days), 2 date 'YYYY-MM-DD' (report day), 3 site (site id, or '*'),
--         4 date (episode started on or before the report day), 5 date (episode not cleared before the report day)
-- reads: alerts dt from lookback start to date (an episode's open row lands in the partition of the day it opened).
-- Nothing after the report day is read, so a report is reproducible: an episode still open at midnight is reported
-- as open (episode_end and duration null) and appears again, cleared, in the next day's report.
WITH transitions AS (
  SELECT device_id, site, line, metric, rule, state, event_ts, episode_start, episode_end,
         peak_value, limit_value, anomaly_count, severity
  FROM alerts
  WHERE dt BETWEEN ? AND ? AND ? IN ('*', site)
),
episodes AS (
  -- An episode is identified by its device, metric, rule and first anomalous reading; its latest transition
  -- carries the final peak, count and highest severity.
  SELECT site, line, device_id, metric, rule, episode_start,
         max(CASE WHEN state = 'cleared' THEN episode_end END) AS episode_end,
         max_by(peak_value, event_ts) AS peak_value,
         max_by(limit_value, event_ts) AS limit_value,
         max_by(anomaly_count, event_ts) AS anomaly_count,
         max_by(severity, event_ts) AS severity
  FROM transitions
  GROUP BY site, line, device_id, metric, rule, episode_start
)
SELECT site,
       line,
       device_id,
       metric,
       rule,
       severity,
       episode_start,
       episode_end,
       CASE WHEN episode_end IS NULL THEN 'open' ELSE 'cleared' END AS status,
       date_diff('second', episode_start, episode_end) AS duration_seconds,
       peak_value,
       limit_value,
       anomaly_count
FROM episodes
WHERE CAST(episode_start AS DATE) <= CAST(? AS DATE)
  AND (episode_end IS NULL OR CAST(episode_end AS DATE) >= CAST(? AS DATE))
ORDER BY episode_start, site, device_id, metric, rule
