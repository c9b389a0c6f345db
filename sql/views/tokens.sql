-- Tokens (charging cards and app users, eMSP-owned): the latest version of each key (country_code, party_id, id).
-- Latest = greatest last_updated, ties broken by the latest batch (a re-listing of the same
-- version wins). A key is hidden when a full listing in a later batch than that row no longer
-- contained it (tombstone in raw/removed); a later listing that returns it brings it back.
WITH latest AS (
    SELECT *
    FROM _raw_tokens
    WHERE id IS NOT NULL AND last_updated IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY country_code, party_id, id ORDER BY last_updated DESC, _batch_id DESC
    ) = 1
)
SELECT
    latest.*
FROM latest
WHERE NOT EXISTS (
    SELECT 1
    FROM _raw_removed AS removed
    WHERE removed.module = 'tokens'
        AND removed.country_code = latest.country_code
        AND removed.party_id = latest.party_id
        AND removed.id = latest.id
        AND removed._batch_id > latest._batch_id
)
