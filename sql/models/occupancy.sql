-- description: Share of time spent in each status over [from, to), per EVSE or per location,
--   from evse_status_events. Only observed time counts (an EVSE first seen after `from` is
--   measured from then on; the current status lasts until `to` or now, whichever is first).
--   status_h is the hours spent in the status, share its fraction of the observed time.
-- grain: (location_id, evse_uid or NULL at location level) × status
-- @param from timestamp 2000-01-01T00:00:00Z "window start (UTC)"
-- @param to timestamp 2100-01-01T00:00:00Z "window end (UTC), exclusive"
-- @param per enum(evse|location) evse "level of detail"
-- @audit shares_sum_to_one: SELECT country_code, party_id, location_id, evse_uid, sum(share) AS total FROM occupancy GROUP BY country_code, party_id, location_id, evse_uid HAVING abs(sum(share) - 1) > 1e-9
-- @audit share_in_range: SELECT * FROM occupancy WHERE share < 0 OR share > 1 OR status_h < 0
WITH clipped AS (
    SELECT
        country_code,
        party_id,
        location_id,
        CASE WHEN $per = 'evse' THEN evse_uid END AS evse_uid,
        status,
        greatest(valid_from, $from) AS t0,
        least(COALESCE(valid_to, least($to, now())), $to) AS t1
    FROM evse_status_events
    WHERE valid_from < $to AND (valid_to IS NULL OR valid_to > $from)
),
per_status AS (
    SELECT
        country_code, party_id, location_id, evse_uid, status,
        sum(epoch(t1 - t0)) / 3600.0 AS hours
    FROM clipped
    WHERE t1 > t0
    GROUP BY country_code, party_id, location_id, evse_uid, status
)
SELECT
    country_code,
    party_id,
    location_id,
    evse_uid,
    status,
    hours AS status_h,
    hours / sum(hours) OVER (PARTITION BY country_code, party_id, location_id, evse_uid) AS share
FROM per_status
ORDER BY country_code, party_id, location_id, evse_uid, status
