-- description: DUPT: duplicated statuses (same point and horodatage).
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param threshold float 0.01 "highest share of flagged statuses tolerated (0.001 = 0.1 %)"
-- rule: DUPT
-- number: 44
-- family: status
-- meaning: duplicated statuses (same point and horodatage)
-- value: ratio
-- fails: share of duplicates > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT unit, COALESCE(id_pdc_itinerance, '?') || '@' || strftime(horodatage, '%Y-%m-%dT%H:%M:%SZ') AS item,
    row_number() OVER (PARTITION BY id_pdc_itinerance, horodatage ORDER BY etat_pdc, occupation_pdc) > 1 AS bad
FROM qc_statuses
WHERE horodatage >= $since AND horodatage < $until
