-- description: Every observed status change of the points de recharge of irve_statique whose
--   horodatage falls in [from, to), in the 8 columns of schema-irve-dynamique v2.3.1 (the event
--   stream QualiCharge's status bulk endpoint takes), from evse_status_events. Same status mapping
--   as irve_dynamique; PLANNED and REMOVED states are left out; chronological order. The
--   resolution is the sync interval: a status that came and went between two fetches is unseen.
-- grain: one row per status change (id_pdc_itinerance, horodatage)
-- @param from timestamp 2000-01-01T00:00:00Z "changes at or after this time (UTC)"
-- @param to timestamp 2100-01-01T00:00:00Z "changes before this time (UTC)"
-- @param blocked_as enum(occupe|inconnu) occupe "occupation_pdc of a BLOCKED EVSE (QualiCharge reserves occupe for charging)"
-- @audit no_occupied_out_of_service: SELECT * FROM irve_dynamique_events WHERE occupation_pdc = 'occupe' AND etat_pdc <> 'en_service'
WITH pdc AS (
    SELECT
        e.country_code,
        e.party_id,
        e.location_id,
        e.evse_uid,
        NULLIF(regexp_replace(upper(trim(e.evse_id)), '[^A-Z0-9]', '', 'g'), '') AS id_pdc_itinerance
    FROM evses AS e
    JOIN locations AS l
        ON l.country_code = e.country_code AND l.party_id = e.party_id AND l.id = e.location_id
    WHERE l.publish AND (e.status IS NULL OR e.status NOT IN ('REMOVED', 'PLANNED'))
),
conn AS (
    SELECT
        country_code,
        party_id,
        location_id,
        evse_uid,
        bool_or(standard IN ('DOMESTIC_E', 'DOMESTIC_F')) AS ef,
        bool_or(standard = 'IEC_62196_T2') AS t2,
        bool_or(standard IN ('IEC_62196_T2_COMBO', 'IEC_62196_T1_COMBO')) AS ccs,
        bool_or(standard = 'CHADEMO') AS chademo
    FROM connectors
    GROUP BY country_code, party_id, location_id, evse_uid
),
events AS (
    SELECT
        p.id_pdc_itinerance,
        p.country_code,
        p.party_id,
        p.location_id,
        p.evse_uid,
        ev.status,
        date_trunc('second', ev.valid_from) AS horodatage,
        CASE
            WHEN ev.status IN ('AVAILABLE', 'CHARGING', 'BLOCKED', 'RESERVED') THEN 'en_service'
            WHEN ev.status IN ('INOPERATIVE', 'OUTOFORDER') THEN 'hors_service'
            ELSE 'inconnu'
        END AS etat_pdc,
        CASE ev.status
            WHEN 'AVAILABLE' THEN 'libre'
            WHEN 'CHARGING' THEN 'occupe'
            WHEN 'BLOCKED' THEN $blocked_as
            WHEN 'RESERVED' THEN 'reserve'
            ELSE 'inconnu'
        END AS occupation_pdc,
        CASE
            WHEN ev.status IN ('AVAILABLE', 'CHARGING', 'BLOCKED', 'RESERVED') THEN 'fonctionnel'
            WHEN ev.status IN ('INOPERATIVE', 'OUTOFORDER') THEN 'hors_service'
            ELSE 'inconnu'
        END AS etat_prise,
        c.ef,
        c.t2,
        c.ccs,
        c.chademo
    FROM evse_status_events AS ev
    JOIN pdc AS p
        ON p.country_code = ev.country_code AND p.party_id = ev.party_id
        AND p.location_id = ev.location_id AND p.evse_uid = ev.evse_uid
    LEFT JOIN conn AS c
        ON c.country_code = p.country_code AND c.party_id = p.party_id
        AND c.location_id = p.location_id AND c.evse_uid = p.evse_uid
    WHERE ev.valid_from >= $from AND ev.valid_from < $to
        AND ev.status NOT IN ('REMOVED', 'PLANNED')
)
SELECT
    id_pdc_itinerance,
    etat_pdc,
    occupation_pdc,
    horodatage,
    CASE WHEN t2 THEN etat_prise END AS etat_prise_type_2,
    CASE WHEN ccs THEN etat_prise END AS etat_prise_type_combo_ccs,
    CASE WHEN chademo THEN etat_prise END AS etat_prise_type_chademo,
    CASE WHEN ef THEN etat_prise END AS etat_prise_type_ef
FROM events
ORDER BY horodatage, id_pdc_itinerance, country_code, party_id, location_id, evse_uid
