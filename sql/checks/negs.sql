-- description: NEGS: sessions ending before they start.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param threshold float 0 "most flagged sessions tolerated"
-- rule: NEGS
-- number: 14
-- family: session
-- meaning: sessions ending before they start
-- value: count
-- fails: sessions with start > end > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT unit, item, start > "end" AS bad FROM qc_sessions
WHERE start >= $since AND start < $until
