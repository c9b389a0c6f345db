-- description: PDCM: stations with too many points de recharge.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param max_pdc int 50 "a station with more points than this is flagged"
-- @param threshold float 0.01 "highest share of flagged stations tolerated (0.001 = 0.1 %)"
-- rule: PDCM
-- number: 30
-- family: static
-- meaning: stations with too many points de recharge
-- value: ratio
-- fails: share of stations with > $max_pdc points > $threshold
-- source: src/prefect/quality/expectations/static.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT min(unit) AS unit, id_station_itinerance AS item, count(*) > $max_pdc AS bad
FROM qc_statique
GROUP BY id_station_itinerance
