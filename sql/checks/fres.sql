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
WITH d AS (
    SELECT unit, item, date_diff('second', "end", received) / 86400.0 AS delay
    FROM qc_sessions
    WHERE start >= $since AND start < $until AND received IS NOT NULL AND "end" IS NOT NULL
)
SELECT
    unit,
    count(*) AS checked,
    count(*) FILTER (WHERE delay > $max_days) AS flagged,
    max(delay) AS value,
    max(delay) > $max_days AS failed,
    COALESCE(list(item ORDER BY item) FILTER (WHERE delay > $max_days), []) AS items
FROM d
GROUP BY unit
ORDER BY unit
