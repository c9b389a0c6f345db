-- description: OVRS: too many sessions per day on one point.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param max_per_day int 60 "a point-day with more sessions than this is flagged"
-- @param threshold float 0 "most flagged point-days tolerated"
-- rule: OVRS
-- number: 13
-- family: session
-- meaning: too many sessions per day on one point
-- value: count
-- fails: point-days with > $max_per_day sessions > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
WITH d AS (
    SELECT unit, id_pdc_itinerance, CAST(start AS DATE) AS day, count(*) AS n
    FROM qc_sessions
    WHERE start >= $since AND start < $until
    GROUP BY ALL
)
SELECT
    unit,
    count(*) AS checked,
    count(*) FILTER (WHERE n > $max_per_day) AS flagged,
    CAST(count(*) FILTER (WHERE n > $max_per_day) AS DOUBLE) AS value,
    count(*) FILTER (WHERE n > $max_per_day) > $threshold AS failed,
    COALESCE(list(COALESCE(id_pdc_itinerance, '?') || '@' || CAST(day AS VARCHAR) ORDER BY id_pdc_itinerance, day) FILTER (WHERE n > $max_per_day), []) AS items
FROM d
GROUP BY unit
ORDER BY unit
