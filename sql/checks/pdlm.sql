-- description: PDLM: DC station directly connected (or raccordement unknown) without a usable num_pdl.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0 "most flagged stations tolerated"
-- rule: PDLM
-- number: 20
-- family: static
-- meaning: DC station directly connected (or raccordement unknown) without a usable num_pdl
-- value: count
-- fails: DC direct stations with a missing or placeholder num_pdl > $threshold
-- source: src/prefect/quality/expectations/static.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT min(unit) AS unit, id_station_itinerance AS item,
    bool_or(is_dc AND (raccordement IS NULL OR raccordement = 'Direct')
        AND (num_pdl IS NULL OR num_pdl LIKE '% %' OR num_pdl LIKE '%NA%'
             OR num_pdl IN ('', '00000000000000', '012345678987654', '11111111111111', '99999999999999'))) AS bad
FROM qc_statique
GROUP BY id_station_itinerance
