-- description: DECL: points that never had a status before the window end (QualiCharge's SQL cannot fire: INNER JOIN with IS NULL; this is the intended rule).
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param threshold float 0.02 "highest share of flagged points tolerated (0.001 = 0.1 %)"
-- rule: DECL
-- number: 52
-- family: pdc
-- meaning: points that never had a status
-- value: ratio
-- fails: share of points without any status > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
-- shape: flags
WITH last AS (
    SELECT id_pdc_itinerance, max(horodatage) AS last_status
    FROM qc_statuses
    WHERE horodatage < $until
    GROUP BY id_pdc_itinerance
),
p AS (
    SELECT DISTINCT s.unit, s.id_pdc_itinerance AS item, l.last_status
    FROM qc_statique AS s
    LEFT JOIN last AS l ON l.id_pdc_itinerance = s.id_pdc_itinerance
    WHERE s.id_pdc_itinerance IS NOT NULL
)
SELECT unit, item, last_status IS NULL AS bad FROM p
