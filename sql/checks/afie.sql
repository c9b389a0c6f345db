-- description: AFIE: id_pdc_itinerance is not an AFIREV pdc id (FR___E…) or its prefix differs from the station's.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0 "most flagged points tolerated"
-- rule: AFIE
-- number: 24
-- family: static
-- meaning: id_pdc_itinerance is not an AFIREV pdc id (FR___E…) or its prefix differs from the station's
-- value: count
-- fails: points with a bad id > $threshold
-- source: src/prefect/quality/expectations/static.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT unit, COALESCE(id_pdc_itinerance, id_pdc_local) AS item,
    id_pdc_itinerance IS NULL OR id_pdc_itinerance NOT LIKE 'FR___E%'
        OR left(id_pdc_itinerance, 5) IS DISTINCT FROM left(id_station_itinerance, 5) AS bad
FROM qc_statique
