-- description: INAC: points whose latest status is older than a month.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param max_age_days float 30 "a point whose latest status (before the window end) is older than this is flagged"
-- @param threshold float 0.02 "highest share of flagged points tolerated (0.001 = 0.1 %)"
-- rule: INAC
-- number: 51
-- family: pdc
-- meaning: points whose latest status is older than a month
-- value: ratio
-- fails: share of points silent for > $max_age_days days > $threshold
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
SELECT unit, item, last_status < $until - to_microseconds(CAST($max_age_days * 86400e6 AS BIGINT)) AS bad FROM p
