-- description: ADDR: one station at one place with several addresses.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0 "most flagged stations tolerated"
-- rule: ADDR
-- number: 29
-- family: static
-- meaning: one station at one place with several addresses
-- value: count
-- fails: (station, coordinates) with > 1 address > $threshold
-- source: src/prefect/quality/expectations/static.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT min(unit) AS unit, id_station_itinerance AS item, count(DISTINCT adresse_station) > 1 AS bad
FROM qc_statique
GROUP BY "coordonneesXY", id_station_itinerance
