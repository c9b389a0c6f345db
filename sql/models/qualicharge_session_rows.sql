-- description: The charging sessions behind qualicharge_sessions and the quality base
--   qc_sessions, defined once: every non-credit CDR, plus the COMPLETED sessions no CDR closes
--   yet (matched by session_id, else by location, EVSE and start), starting in [from, to), at a
--   location that is open data (irve_sites: publish = false, ON_DRIVEWAY and undeclared OCPI
--   2.1.1 sites are left out). id_pdc_itinerance is the EVSE id without separators, upper case
--   (CDR cdr_location.evse_id, else the EVSE of the locations mirror); item is the OCPI id (the
--   CDR's session_id, else the CDR id; the session id for a session without CDR); received is
--   when ocpiwh fetched the CDR or session. Times are not truncated.
-- grain: one row per charging session (CDR, or completed session without CDR)
-- @param from timestamp 2000-01-01T00:00:00Z "sessions starting at or after this time (UTC)"
-- @param to timestamp 2100-01-01T00:00:00Z "sessions starting before this time (UTC)"
-- @param irve_config string "{}" "IRVE configuration as JSON (the open-data declarations of [irve]); filled from ocpiwh.toml"
-- @audit one_row_per_ocpi_object: SELECT country_code, party_id, source, ocpi_id FROM qualicharge_session_rows GROUP BY ALL HAVING count(*) > 1
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
        total_energy,
        _fetched_at
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
        kwh,
        _fetched_at
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
        c.start_date_time, c.end_date_time, c.total_energy AS energy, c.id AS ocpi_id,
        COALESCE(c.session_id, c.id) AS item, 'cdr' AS source, c._fetched_at AS received
    FROM c
    UNION ALL
    SELECT
        s_only.country_code, s_only.party_id, s_only.location_id, s_only.evse_uid,
        CAST(NULL AS VARCHAR) AS evse_id,
        s_only.start_date_time, s_only.end_date_time, s_only.kwh AS energy, s_only.id AS ocpi_id,
        s_only.id AS item, 'session' AS source, s_only._fetched_at AS received
    FROM s_only
)
SELECT
    k.country_code,
    k.party_id,
    k.ocpi_id,
    k.item,
    k.source,
    irve_id(COALESCE(k.evse_id, e.evse_id)) AS id_pdc_itinerance,
    k.start_date_time,
    k.end_date_time,
    k.energy,
    k.received
FROM candidates AS k
LEFT JOIN evses AS e
    ON e.country_code = k.country_code AND e.party_id = k.party_id
    AND e.location_id = k.location_id AND e.evse_uid = k.evse_uid
LEFT JOIN irve_sites AS site
    ON site.country_code = k.country_code AND site.party_id = k.party_id
    AND site.location_id = k.location_id
WHERE COALESCE(site.open_data, true)
