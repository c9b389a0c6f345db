-- description: OPEM2: operator phone (telephone_operateur) missing.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0 "most flagged points tolerated"
-- rule: OPEM2
-- number: 6
-- family: static
-- meaning: operator phone (telephone_operateur) missing
-- value: count
-- fails: points without telephone_operateur > $threshold
-- source: src/prefect/quality/expectations/static.py (rule numbers: docs/schemas.md)
WITH flags AS (
    SELECT unit, id_pdc_itinerance AS item, telephone_operateur IS NULL AS bad FROM qc_statique
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
