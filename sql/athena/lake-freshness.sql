-- Lake freshness: the end of the report day's latest aggregate window, for the report job, which waits until windows ending at midnight are in the lake (the watermark passed midnight and Firehose delivered them) before it reports, and otherwise marks the report incomplete.
-- params: 1 date 'YYYY-MM-DD' (report day), 2 site (site id, or '*')
-- reads: aggregates dt = date (site, window_end).
SELECT max(window_end) AS last_window_end,
       count(*) AS windows
FROM aggregates
WHERE dt = ? AND ? IN ('*', site)
