-- description: CRDF: coordinates outside metropolitan France's bounding box.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param lon_min float -5 "west bound"
-- @param lon_max float 10 "east bound"
-- @param lat_min float 41 "south bound"
-- @param lat_max float 52 "north bound"
-- @param threshold float 0 "most flagged points tolerated"
-- rule: CRDF
-- number: 3
-- family: static
-- meaning: coordinates outside metropolitan France's bounding box
-- value: count
-- fails: points outside lon [$lon_min, $lon_max] × lat [$lat_min, $lat_max] > $threshold
-- source: src/prefect/quality/expectations/static.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT unit, id_pdc_itinerance AS item,
    lon IS NULL OR lat IS NULL OR lon < $lon_min OR lon > $lon_max OR lat < $lat_min OR lat > $lat_max AS bad
FROM qc_statique
