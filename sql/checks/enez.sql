-- description: ENEZ: sessions delivering no energy (ocpiwh rule, not QualiCharge's).
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param max_kwh float 0 "a session with at most this energy (kWh) is flagged"
-- @param threshold float 0.001 "highest share of flagged sessions tolerated (0.001 = 0.1 %)"
-- rule: ENEZ
-- family: session
-- meaning: sessions delivering no energy (ocpiwh rule, not QualiCharge's)
-- value: ratio
-- fails: share of sessions with energy <= $max_kwh kWh > $threshold
-- source: ocpiwh (QualiCharge accepts 0 kWh since API 0.33.0; u11 counts a session as successful above 0.5 kWh)
-- shape: flags
SELECT unit, item, energy <= $max_kwh AS bad FROM qc_sessions
WHERE start >= $since AND start < $until
