-- description: ENEA: energy above what the point's power allows in the session's duration.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param factor float 1.1 "tolerance on duration × puissance_nominale"
-- @param enex_min_kwh float 50 "ENEX range left out: energy above this …"
-- @param enex_factor float 2 "… and above enex_factor × duration × power"
-- @param threshold float 0.001 "highest share of flagged sessions tolerated (0.001 = 0.1 %)"
-- rule: ENEA
-- number: 38
-- family: session
-- meaning: energy above what the point's power allows in the session's duration
-- value: ratio
-- fails: share of sessions with energy > $factor × h × P > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT unit, item,
    duration_h > 0 AND energy > 1 AND energy <= 1000 AND power_kw > 2
    AND energy > duration_h * power_kw * $factor
    AND NOT (energy > $enex_min_kwh AND energy > duration_h * power_kw * $enex_factor) AS bad
FROM qc_sessions
WHERE start >= $since AND start < $until
