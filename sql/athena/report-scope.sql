-- Report scope: the sites with readings in a report's window (its lookback days and the report day), each with its first and last day and its readings, so that a report for a site the lake does not know (a typo) is refused instead of written as an empty record.
-- params: 1 lookback start 'YYYY-MM-DD' (date minus lookback days), 2 date 'YYYY-MM-DD' (report day)
-- reads: aggregates dt from lookback start to date (a few rows per sensor and window, not every reading); each window size counts every on-time reading once, so a site's readings are its largest sum over one window size.
-- Not part of the bundle: the report job and `iotpipe report` run it before the compliance queries.
SELECT site,
       min(first_day) AS first_day,
       max(last_day) AS last_day,
       max(window_readings) AS readings
FROM (
  SELECT site, window_seconds, min(dt) AS first_day, max(dt) AS last_day, sum(sample_count) AS window_readings
  FROM aggregates
  WHERE dt BETWEEN ? AND ?
  GROUP BY site, window_seconds
) AS per_window
GROUP BY site
ORDER BY site
