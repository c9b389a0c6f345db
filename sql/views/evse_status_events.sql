-- EVSE status changes observed in the history of location versions: one row per change.
-- valid_from is the EVSE's last_updated in the version where the new status first appears
-- (the location's last_updated when the EVSE has none); valid_to is the next change (NULL: current).
-- Changes between two fetched versions are invisible: the resolution is the sync interval.
WITH observed AS (
    SELECT
        country_code, party_id, location_id, evse.uid AS evse_uid, evse.evse_id AS evse_id,
        evse.status AS status, COALESCE(evse.last_updated, location_last_updated) AS observed_at,
        location_last_updated, _source
    FROM (
        SELECT country_code, party_id, id AS location_id, last_updated AS location_last_updated,
               _source, unnest(evses) AS evse
        FROM locations_history
    )
    WHERE evse.uid IS NOT NULL AND evse.status IS NOT NULL
),
changes AS (
    SELECT
        *,
        lag(status) OVER (
            PARTITION BY country_code, party_id, location_id, evse_uid
            ORDER BY location_last_updated, observed_at
        ) AS previous_status
    FROM observed
)
SELECT
    country_code,
    party_id,
    location_id,
    evse_uid,
    evse_id,
    status,
    observed_at AS valid_from,
    lead(observed_at) OVER (
        PARTITION BY country_code, party_id, location_id, evse_uid
        ORDER BY location_last_updated, observed_at
    ) AS valid_to,
    _source
FROM changes
WHERE previous_status IS DISTINCT FROM status
