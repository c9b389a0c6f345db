-- description: DUPS: duplicated sessions (same point, start and end); the copies after the first (by OCPI id) are flagged.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param threshold float 0.001 "highest share of flagged sessions tolerated (0.001 = 0.1 %)"
-- rule: DUPS
-- number: 17
-- family: session
-- meaning: duplicated sessions (same point, start and end)
-- value: ratio
-- fails: share of duplicates > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT unit, item,
    row_number() OVER (PARTITION BY id_pdc_itinerance, start, "end" ORDER BY item) > 1 AS bad
FROM qc_sessions
WHERE start >= $since AND start < $until
