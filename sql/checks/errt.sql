-- description: ERRT: statuses occupe while hors_service or inconnu.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param threshold float 0 "most flagged statuses tolerated"
-- rule: ERRT
-- number: 37
-- family: status
-- meaning: statuses occupe while hors_service or inconnu
-- value: count
-- fails: occupe statuses of out-of-service/unknown points > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT unit, COALESCE(id_pdc_itinerance, '?') || '@' || strftime(horodatage, '%Y-%m-%dT%H:%M:%SZ') AS item,
    etat_pdc IN ('hors_service', 'inconnu') AND occupation_pdc = 'occupe' AS bad
FROM qc_statuses
WHERE horodatage >= $since AND horodatage < $until
