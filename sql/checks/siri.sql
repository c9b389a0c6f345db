-- description: SIRI: siren_amenageur is not a valid SIREN (9 digits, Luhn checksum, not 000000000).
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0 "most flagged points tolerated"
-- rule: SIRI
-- number: 55
-- family: static
-- meaning: siren_amenageur is not a valid SIREN (9 digits, Luhn checksum, not 000000000)
-- value: count
-- fails: points with an invalid SIREN > $threshold
-- source: src/prefect/quality/expectations/static.py (rule numbers: docs/schemas.md)
-- shape: flags
SELECT unit, item,
    siren IS NOT NULL AND (s9 IS NULL OR s9 = '000000000' OR (CAST(substr(s9, 9, 1) AS INTEGER) + (2 * CAST(substr(s9, 8, 1) AS INTEGER)) % 10 + (2 * CAST(substr(s9, 8, 1) AS INTEGER)) // 10 + CAST(substr(s9, 7, 1) AS INTEGER) + (2 * CAST(substr(s9, 6, 1) AS INTEGER)) % 10 + (2 * CAST(substr(s9, 6, 1) AS INTEGER)) // 10 + CAST(substr(s9, 5, 1) AS INTEGER) + (2 * CAST(substr(s9, 4, 1) AS INTEGER)) % 10 + (2 * CAST(substr(s9, 4, 1) AS INTEGER)) // 10 + CAST(substr(s9, 3, 1) AS INTEGER) + (2 * CAST(substr(s9, 2, 1) AS INTEGER)) % 10 + (2 * CAST(substr(s9, 2, 1) AS INTEGER)) // 10 + CAST(substr(s9, 1, 1) AS INTEGER)) % 10 <> 0) AS bad
FROM (
    SELECT unit, id_pdc_itinerance AS item, siren_amenageur AS siren,
        CASE WHEN regexp_full_match(siren_amenageur, '[0-9]{9}') THEN siren_amenageur END AS s9
    FROM qc_statique
)
