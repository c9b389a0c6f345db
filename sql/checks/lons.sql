-- description: LONS: sessions lasting more than 7 days.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param max_days float 7 "a session longer than this (days) is flagged"
-- @param threshold float 0.001 "highest share of flagged sessions tolerated (0.001 = 0.1 %)"
-- rule: LONS
-- number: 15
-- family: session
-- meaning: sessions lasting more than 7 days
-- value: ratio
-- fails: share of sessions longer than $max_days days > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
WITH flags AS (
    SELECT unit, item, "end" - start > to_microseconds(CAST($max_days * 86400e6 AS BIGINT)) AS bad
    FROM qc_sessions
    WHERE start >= $since AND start < $until
)
SELECT
    unit,
    count(*) AS checked,
    count(*) FILTER (WHERE bad) AS flagged,
    count(*) FILTER (WHERE bad) / count(*) AS value,
    count(*) FILTER (WHERE bad) / count(*) > $threshold AS failed,
    COALESCE(list(item ORDER BY item) FILTER (WHERE bad), []) AS items
FROM flags
GROUP BY unit
ORDER BY unit
