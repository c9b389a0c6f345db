-- Charging sessions: the latest version of each key (country_code, party_id, id).
-- Latest = greatest last_updated, ties broken by the latest batch. A key is hidden when a full
-- listing of a later batch than every batch that returned it no longer contained it (tombstone).
WITH ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY country_code, party_id, id ORDER BY last_updated DESC, _batch_id DESC
        ) AS _rank,
        max(_batch_id) OVER (PARTITION BY country_code, party_id, id) AS _last_seen_batch
    FROM _raw_sessions
    WHERE id IS NOT NULL AND last_updated IS NOT NULL
),
removed AS (
    SELECT country_code, party_id, id, max(_batch_id) AS _removed_batch
    FROM _raw_removed
    WHERE module = 'sessions'
    GROUP BY country_code, party_id, id
)
SELECT
    ranked.* EXCLUDE (_rank, _last_seen_batch),
    json_extract(ranked._raw, '$.charging_periods') AS charging_periods
FROM ranked
LEFT JOIN removed
    ON removed.country_code = ranked.country_code
    AND removed.party_id = ranked.party_id
    AND removed.id = ranked.id
WHERE ranked._rank = 1
    AND (removed._removed_batch IS NULL OR removed._removed_batch < ranked._last_seen_batch)
