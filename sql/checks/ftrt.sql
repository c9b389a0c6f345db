-- description: FTRT: status dates before 2024 or in the future.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param min_date timestamp 2024-01-01T00:00:00Z "statuses dated before this are flagged"
-- @param threshold float 0 "most flagged statuses tolerated"
-- rule: FTRT
-- number: 36
-- family: status
-- meaning: status dates before 2024 or in the future
-- value: count
-- fails: statuses dated before $min_date, in the future or undated > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT unit, COALESCE(id_pdc_itinerance, '?') || '@' || COALESCE(strftime(horodatage, '%Y-%m-%dT%H:%M:%SZ'), 'null') AS item,
    horodatage IS NULL OR horodatage < $min_date OR horodatage > get_current_timestamp() AS bad
FROM qc_statuses
