-- description: ERRT: statuses occupe while hors_service or inconnu.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param threshold float 0 "most flagged statuses tolerated"
-- rule: ERRT
-- number: 37
-- family: status
-- meaning: statuses occupe while hors_service or inconnu
-- value: count
-- fails: occupe statuses of out-of-service/unknown points > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
WITH flags AS (
    SELECT unit, COALESCE(id_pdc_itinerance, '?') || '@' || strftime(horodatage, '%Y-%m-%dT%H:%M:%SZ') AS item,
        etat_pdc IN ('hors_service', 'inconnu') AND occupation_pdc = 'occupe' AS bad
    FROM qc_statuses
    WHERE horodatage >= $since AND horodatage < $until
)
SELECT
    unit,
    count(*) AS checked,
    count(*) FILTER (WHERE bad) AS flagged,
    CAST(count(*) FILTER (WHERE bad) AS DOUBLE) AS value,
    CAST(count(*) FILTER (WHERE bad) AS DOUBLE) > $threshold AS failed,
    COALESCE(list(item ORDER BY item) FILTER (WHERE bad), []) AS items
FROM flags
GROUP BY unit
ORDER BY unit
