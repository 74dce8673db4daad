-- Report scope: the sites with readings in a report's window (its lookback days and the report day), each with its first and last day and its readings, so that a report for a site the lake does not know (a typo) is refused instead of written as an empty record.
-- params: 1 lookback start 'YYYY-MM-DD' (date minus lookback days), 2 date 'YYYY-MM-DD' (report day)
-- reads: readings dt from lookback start to date (site, dt).
-- Not part of the bundle: the report job and `iotpipe report` run it before the compliance queries.
SELECT site,
       min(dt) AS first_day,
       max(dt) AS last_day,
       count(*) AS readings
FROM readings
WHERE dt BETWEEN ? AND ?
GROUP BY site
ORDER BY site
