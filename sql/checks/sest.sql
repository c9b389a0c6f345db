-- description: SEST: point-days with a charging session but no occupe status.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param min_kwh float 0.1 "sessions above this energy (kWh) count"
-- @param threshold float 0.01 "highest share of flagged point-days tolerated (0.001 = 0.1 %)"
-- rule: SEST
-- number: 22
-- family: status-session
-- meaning: point-days with a charging session but no occupe status
-- value: ratio
-- fails: share of point-days with a session > $min_kwh kWh and no occupe status > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
-- shape: flags
WITH st AS (
    SELECT unit, id_pdc_itinerance, CAST(horodatage AS DATE) AS day,
        count(*) FILTER (WHERE occupation_pdc = 'occupe') AS occupe
    FROM qc_statuses
    WHERE horodatage >= $since AND horodatage < $until
    GROUP BY ALL
),
se AS (
    SELECT unit, id_pdc_itinerance, CAST(start AS DATE) AS day, max(energy) AS max_energy, count(*) AS n
    FROM qc_sessions
    WHERE start >= $since AND start < $until
    GROUP BY ALL
),
d AS (
    SELECT se.unit, COALESCE(se.id_pdc_itinerance, '?') || '@' || CAST(se.day AS VARCHAR) AS item,
        COALESCE(st.occupe, 0) = 0 AS bad
    FROM se
    LEFT JOIN st ON st.id_pdc_itinerance = se.id_pdc_itinerance AND st.day = se.day
    WHERE se.max_energy > $min_kwh
)
SELECT unit, item, bad FROM d
