-- Tariffs: every distinct version ever fetched, one row per key and last_updated
-- (a version written twice by overlapping sync windows appears once: the copy of the latest batch).
-- valid_to is the last_updated of the next version of the same key (NULL for the newest one).
WITH versions AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY country_code, party_id, id, last_updated ORDER BY _batch_id DESC
        ) AS _copy
    FROM _raw_tariffs
    WHERE id IS NOT NULL AND last_updated IS NOT NULL
)
SELECT
    * EXCLUDE (_copy),
    json_extract(_raw, '$.elements') AS elements,
    json_extract(_raw, '$.tariff_alt_text') AS tariff_alt_text,
    lead(last_updated) OVER (
        PARTITION BY country_code, party_id, id ORDER BY last_updated
    ) AS valid_to
FROM versions
WHERE _copy = 1
