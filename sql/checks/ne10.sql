-- description: NE10: DC direct stations whose num_pdl is not 14 digits.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0.1 "highest share of flagged DC direct stations tolerated (0.001 = 0.1 %)"
-- rule: NE10
-- number: 34
-- family: static
-- meaning: DC direct stations whose num_pdl is not 14 digits
-- value: ratio
-- fails: share of DC direct stations without a 14-digit num_pdl > $threshold
-- source: src/prefect/quality/expectations/static.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT min(unit) AS unit, id_station_itinerance AS item,
    NOT regexp_full_match(COALESCE(min(num_pdl), ''), '[0-9]{14}') AS bad
FROM qc_statique
WHERE is_dc AND raccordement = 'Direct'
GROUP BY id_station_itinerance
