-- description: INSE: code_insee_commune is not a commune of QualiCharge's table.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0 "most flagged points tolerated"
-- rule: INSE
-- number: 2
-- family: static
-- meaning: code_insee_commune missing or not a commune of QualiCharge's table (contours 2024: no arrondissements)
-- value: count
-- fails: points with an unknown or missing INSEE code > $threshold
-- source: src/prefect/quality/expectations/static.py (LEFT JOIN city, a NULL code included)
-- shape: flags
SELECT unit, id_pdc_itinerance AS item, NOT insee_known AS bad
FROM qc_statique
