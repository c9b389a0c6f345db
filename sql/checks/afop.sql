-- description: AFOP: one AFIREV prefix (first 5 characters of id_station_itinerance) with several operators.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0 "most flagged stations tolerated"
-- rule: AFOP
-- number: 48
-- family: static
-- meaning: stations of one AFIREV prefix with different nom_operateur (code by ocpiwh)
-- value: count
-- fails: stations of a prefix with > 1 operator > $threshold
-- source: docs/schemas.md rule 48
-- shape: flags
SELECT
    left(id_station_itinerance, 5) AS unit,
    id_station_itinerance AS item,
    count(DISTINCT nom_operateur) OVER (PARTITION BY left(id_station_itinerance, 5)) > 1 AS bad
FROM (SELECT DISTINCT id_station_itinerance, nom_operateur FROM qc_statique WHERE id_station_itinerance IS NOT NULL)
