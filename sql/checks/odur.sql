-- description: ODUR: zero-duration sessions delivering energy.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param min_kwh float 1 "energy above which a zero-duration session is flagged (kWh)"
-- @param max_kwh float 1000 "energy up to which it is flagged (above: ENEU)"
-- @param threshold float 0.001 "highest share of flagged sessions tolerated (0.001 = 0.1 %)"
-- rule: ODUR
-- number: 40
-- family: session
-- meaning: zero-duration sessions delivering energy
-- value: ratio
-- fails: share of sessions with end = start and $min_kwh < energy <= $max_kwh > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT unit, item, "end" = start AND energy > $min_kwh AND energy <= $max_kwh AS bad FROM qc_sessions
WHERE start >= $since AND start < $until
