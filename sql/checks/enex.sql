-- description: ENEX: energy far above what the point's power allows.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param min_kwh float 50 "a session is flagged above this energy (kWh) …"
-- @param factor float 2 "… and above factor × duration × puissance_nominale"
-- @param threshold float 0 "most flagged sessions tolerated"
-- rule: ENEX
-- number: 41
-- family: session
-- meaning: energy far above what the point's power allows
-- value: count
-- fails: sessions with energy > $min_kwh kWh and > $factor × h × P > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT unit, item,
    duration_h >= 0 AND power_kw IS NOT NULL AND energy > $min_kwh AND energy > duration_h * power_kw * $factor AS bad
FROM qc_sessions
WHERE start >= $since AND start < $until
