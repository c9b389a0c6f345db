-- description: POWL: puissance_nominale too low.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param min_kw float 1.3 "a point with puissance_nominale <= min_kw (kW) is flagged"
-- @param threshold float 0 "most flagged points tolerated"
-- rule: POWL
-- number: 39
-- family: static
-- meaning: puissance_nominale too low
-- value: count
-- fails: points with puissance_nominale <= $min_kw kW > $threshold
-- source: src/prefect/quality/expectations/static.py (rule numbers: docs/schemas.md)
WITH flags AS (
    SELECT unit, id_pdc_itinerance AS item, puissance_nominale <= $min_kw AS bad FROM qc_statique
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
