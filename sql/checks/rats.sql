-- description: RATS: statuses/sessions ratio of the DC points directly connected (or raccordement unknown) with sessions in the window; value = the unit's ratio, items = points whose own ratio is out of range.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param min_ratio float 1 "lowest statuses/sessions ratio accepted"
-- @param max_ratio float 30 "highest ratio accepted"
-- rule: RATS
-- number: 49
-- family: status-session
-- meaning: statuses per session out of range on DC direct points
-- value: ratio
-- fails: statuses / sessions outside [$min_ratio, $max_ratio]
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
WITH dc AS (
    SELECT DISTINCT unit, id_pdc_itinerance
    FROM qc_statique
    WHERE is_dc AND (raccordement IS NULL OR raccordement = 'Direct') AND id_pdc_itinerance IS NOT NULL
),
st AS (
    SELECT id_pdc_itinerance, count(*) AS n FROM qc_statuses
    WHERE horodatage >= $since AND horodatage < $until GROUP BY id_pdc_itinerance
),
se AS (
    SELECT id_pdc_itinerance, count(*) AS n FROM qc_sessions
    WHERE start >= $since AND start < $until GROUP BY id_pdc_itinerance
),
p AS (
    SELECT dc.unit, dc.id_pdc_itinerance AS item, COALESCE(st.n, 0) AS statuses, se.n AS sessions,
        COALESCE(st.n, 0) / se.n AS ratio
    FROM dc
    JOIN se ON se.id_pdc_itinerance = dc.id_pdc_itinerance
    LEFT JOIN st ON st.id_pdc_itinerance = dc.id_pdc_itinerance
)
SELECT
    unit,
    count(*) AS checked,
    count(*) FILTER (WHERE ratio < $min_ratio OR ratio > $max_ratio) AS flagged,
    sum(statuses) / sum(sessions) AS value,
    sum(statuses) / sum(sessions) < $min_ratio OR sum(statuses) / sum(sessions) > $max_ratio AS failed,
    COALESCE(list(item ORDER BY item) FILTER (WHERE ratio < $min_ratio OR ratio > $max_ratio), []) AS items
FROM p
GROUP BY unit
ORDER BY unit
