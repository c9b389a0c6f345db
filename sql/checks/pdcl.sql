-- description: PDCL: nbre_pdc larger than the station's rows, or below 1.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0 "most flagged stations tolerated"
-- rule: PDCL
-- number: 47
-- family: static
-- meaning: nbre_pdc larger than the station's rows, or below 1
-- value: count
-- fails: stations with rows < nbre_pdc or nbre_pdc < 1 > $threshold
-- source: src/prefect/quality/expectations/static.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT min(unit) AS unit, id_station_itinerance AS item, count(*) < max(nbre_pdc) OR min(nbre_pdc) < 1 AS bad
FROM qc_statique
GROUP BY id_station_itinerance
