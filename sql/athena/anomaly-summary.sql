-- Anomaly summary: anomalous readings of the report day per site, line, metric and rule (count, devices, severities, worst score, first and last), for process engineers and compliance officers looking for patterns.
-- params: 1 date 'YYYY-MM-DD' (report day), 2 site (site id, or '*')
-- reads: anomalies dt = date (site, line, device_id, metric, rule, severity, score, event_ts).
SELECT site,
       line,
       metric,
       rule,
       count(*) AS anomalies,
       count(DISTINCT device_id) AS devices,
       count_if(severity = 'critical') AS critical,
       count_if(severity = 'warning') AS warning,
       round(max(score), 3) AS max_score,
       min(event_ts) AS first_at,
       max(event_ts) AS last_at
FROM anomalies
WHERE dt = ? AND ? IN ('*', site)
GROUP BY site, line, metric, rule
ORDER BY site, line, metric, rule
