-- description: LOCP: too many stations per location (distinct stations / distinct coordinates).
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 1.5 "highest stations per distinct coordinates tolerated"
-- rule: LOCP
-- number: 46
-- family: static
-- meaning: too many stations per location (distinct stations / distinct coordinates)
-- value: ratio
-- fails: stations / distinct coordinates > $threshold
-- source: src/prefect/quality/expectations/static.py (rule numbers: docs/schemas.md)
WITH st AS (
    SELECT min(unit) AS unit, id_station_itinerance, min("coordonneesXY") AS xy
    FROM qc_statique
    GROUP BY id_station_itinerance
),
shared AS (
    SELECT unit, xy, count(*) AS n FROM st GROUP BY unit, xy
)
SELECT
    st.unit,
    count(*) AS checked,
    count(*) FILTER (WHERE sh.n > 1) AS flagged,
    count(*) / count(DISTINCT st.xy) AS value,
    count(*) / count(DISTINCT st.xy) > $threshold AS failed,
    COALESCE(list(st.id_station_itinerance ORDER BY st.id_station_itinerance) FILTER (WHERE sh.n > 1), []) AS items
FROM st
JOIN shared AS sh ON sh.unit = st.unit AND sh.xy IS NOT DISTINCT FROM st.xy
GROUP BY st.unit
ORDER BY st.unit
