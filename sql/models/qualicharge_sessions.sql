-- description: Charging sessions for QualiCharge (`id_pdc_itinerance, start, end, energy`, energy
--   in kWh, times UTC to the second) starting in [from, to): every non-credit CDR, plus the
--   COMPLETED sessions no CDR closes yet (matched by session_id, else by location, EVSE and start).
--   id_pdc_itinerance is the EVSE id without separators, upper case (CDR cdr_location.evse_id,
--   else the EVSE of the locations mirror). Sessions at a location that is not open data
--   (irve_sites: publish = false, ON_DRIVEWAY, an undeclared OCPI 2.1.1 site) are left out. QualiCharge's hard rules (no future date, start <= end,
--   at most 7 days, 0 <= energy <= 1000 kWh, maximum age) are checked by `ocpiwh export`, which
--   leaves failing rows out and lists them with their reason.
-- grain: one row per charging session (CDR, or completed session without CDR)
-- @param from timestamp 2000-01-01T00:00:00Z "sessions starting at or after this time (UTC)"
-- @param to timestamp 2100-01-01T00:00:00Z "sessions starting before this time (UTC)"
-- @param irve_config string "{}" "IRVE configuration as JSON (the open-data declarations of [irve]); filled from ocpiwh.toml"
-- @audit energy_in_kwh: SELECT * FROM qualicharge_sessions WHERE energy > 100000
WITH c AS (
    SELECT
        country_code,
        party_id,
        id,
        session_id,
        location_id,
        evse_uid,
        evse_id,
        start_date_time,
        end_date_time,
        total_energy
    FROM cdrs
    WHERE NOT COALESCE(credit, false)
        AND start_date_time >= $from AND start_date_time < $to
),
s AS (
    SELECT
        country_code,
        party_id,
        id,
        location_id,
        evse_uid,
        start_date_time,
        end_date_time,
        kwh
    FROM sessions
    WHERE status = 'COMPLETED' AND end_date_time IS NOT NULL
        AND start_date_time >= $from AND start_date_time < $to
),
by_id AS (
    SELECT DISTINCT country_code, party_id, session_id FROM c WHERE session_id IS NOT NULL
),
by_place AS (
    SELECT DISTINCT country_code, party_id, location_id, evse_uid, start_date_time
    FROM c
    WHERE session_id IS NULL
),
s_only AS (
    SELECT s.*
    FROM s
    LEFT JOIN by_id
        ON by_id.country_code = s.country_code AND by_id.party_id = s.party_id
        AND by_id.session_id = s.id
    LEFT JOIN by_place
        ON by_place.country_code = s.country_code AND by_place.party_id = s.party_id
        AND by_place.location_id = s.location_id AND by_place.evse_uid = s.evse_uid
        AND by_place.start_date_time = s.start_date_time
    WHERE by_id.session_id IS NULL AND by_place.start_date_time IS NULL
),
candidates AS (
    SELECT
        c.country_code, c.party_id, c.location_id, c.evse_uid, c.evse_id,
        c.start_date_time, c.end_date_time, c.total_energy AS energy, c.id AS ocpi_id
    FROM c
    UNION ALL
    SELECT
        s_only.country_code, s_only.party_id, s_only.location_id, s_only.evse_uid,
        CAST(NULL AS VARCHAR) AS evse_id,
        s_only.start_date_time, s_only.end_date_time, s_only.kwh AS energy, s_only.id AS ocpi_id
    FROM s_only
)
SELECT
    NULLIF(regexp_replace(upper(trim(COALESCE(k.evse_id, e.evse_id))), '[^A-Z0-9]', '', 'g'), '')
        AS id_pdc_itinerance,
    date_trunc('second', k.start_date_time) AS start,
    date_trunc('second', k.end_date_time) AS "end",
    k.energy
FROM candidates AS k
LEFT JOIN evses AS e
    ON e.country_code = k.country_code AND e.party_id = k.party_id
    AND e.location_id = k.location_id AND e.evse_uid = k.evse_uid
LEFT JOIN irve_sites AS site
    ON site.country_code = k.country_code AND site.party_id = k.party_id
    AND site.location_id = k.location_id
WHERE COALESCE(site.open_data, true)
ORDER BY start, id_pdc_itinerance, k.country_code, k.party_id, k.ocpi_id
