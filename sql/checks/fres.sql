-- description: FRES: sessions that reached the warehouse too long after they ended to be pushed in time.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param max_days float 15 "longest delay (days) between a session's end and its reception"
-- rule: FRES
-- number: 42
-- family: session
-- meaning: freshness of sessions: QualiCharge measures its own reception time (updated_at) − end; OCPI has no push time, so ocpiwh measures when it fetched the CDR (or completed session) − end, the earliest a push could happen
-- value: days
-- fails: max(received − end) > $max_days days
-- source: src/prefect/quality/expectations/dynamic.py (FRES, max_duration_day 15)
-- shape: delays max max_days
SELECT unit, item, date_diff('second', "end", received) / 86400.0 AS delay
FROM qc_sessions
WHERE start >= $since AND start < $until AND received IS NOT NULL AND "end" IS NOT NULL
