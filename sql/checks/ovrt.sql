-- description: OVRT: too many statuses per day on one point.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param max_per_day int 1440 "a point-day with more statuses than this is flagged"
-- @param threshold float 0 "most flagged point-days tolerated"
-- rule: OVRT
-- number: 53
-- family: status
-- meaning: too many statuses per day on one point
-- value: count
-- fails: point-days with > $max_per_day statuses > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
WITH d AS (
    SELECT unit, id_pdc_itinerance, CAST(horodatage AS DATE) AS day, count(*) AS n
    FROM qc_statuses
    WHERE horodatage >= $since AND horodatage < $until
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
