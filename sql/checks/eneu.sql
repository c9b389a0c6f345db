-- description: ENEU: session energy above 1000 kWh.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param max_kwh float 1000 "a session with more energy than this (kWh) is flagged"
-- @param threshold float 0 "most flagged sessions tolerated"
-- rule: ENEU
-- number: 11
-- family: session
-- meaning: session energy above 1000 kWh
-- value: count
-- fails: sessions with energy > $max_kwh kWh > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT unit, item, energy > $max_kwh AS bad FROM qc_sessions
WHERE start >= $since AND start < $until
