-- description: FRET: status changes that reached the warehouse long after they happened.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param max_mean_seconds float 300 "highest mean delay (s) between a status and its reception"
-- rule: FRET
-- number: 43
-- family: status
-- meaning: freshness of statuses: QualiCharge averages its reception time (updated_at) − horodatage; ocpiwh averages the first fetch of the location version showing the change − the EVSE's last_updated (QualiCharge's SQL keeps only the minutes and seconds of the delay; ocpiwh keeps all of it)
-- value: seconds
-- fails: mean(received − horodatage) > $max_mean_seconds s
-- source: src/prefect/quality/expectations/dynamic.py (FRET, mean_duration_second 300)
-- shape: delays mean max_mean_seconds
WITH seen AS (
    SELECT
        irve_id(evse.evse_id) AS id_pdc_itinerance,
        evse.status AS status,
        COALESCE(evse.last_updated, last_updated) AS horodatage,
        min(_fetched_at) AS received
    FROM (SELECT last_updated, _fetched_at, unnest(evses) AS evse FROM locations_history)
    WHERE evse.status IS NOT NULL
    GROUP BY ALL
)
SELECT
    COALESCE(left(id_pdc_itinerance, 5), '?') AS unit,
    id_pdc_itinerance || '@' || strftime(horodatage, '%Y-%m-%dT%H:%M:%SZ') AS item,
    date_diff('second', horodatage, received) AS delay
FROM seen
WHERE horodatage >= $since AND horodatage < $until
    AND id_pdc_itinerance IN (SELECT id_pdc_itinerance FROM qc_statuses)
