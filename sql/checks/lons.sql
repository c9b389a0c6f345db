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
-- shape: flags
SELECT unit, item, "end" - start > to_microseconds(CAST($max_days * 86400e6 AS BIGINT)) AS bad
FROM qc_sessions
WHERE start >= $since AND start < $until
