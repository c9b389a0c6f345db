-- description: AFIP: id_station_itinerance is not an AFIREV station id (FR___P…).
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0 "most flagged points tolerated"
-- rule: AFIP
-- number: 23
-- family: static
-- meaning: id_station_itinerance is not an AFIREV station id (FR___P…)
-- value: count
-- fails: points whose station id is not FR___P… > $threshold
-- source: src/prefect/quality/expectations/static.py (rule numbers: docs/schemas.md)
WITH flags AS (
    SELECT unit, id_pdc_itinerance AS item, id_station_itinerance IS NULL OR id_station_itinerance NOT LIKE 'FR___P%' AS bad FROM qc_statique
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
