-- description: IRVE dynamique (schema-irve-dynamique v2.3.1): the latest state of every point de
--   recharge of irve_statique (published locations, REMOVED and PLANNED EVSEs left out), in the 8
--   columns of the schema. OCPI EVSE status → etat_pdc / occupation_pdc / etat_prise_type_* as in
--   docs/irve.md (never `occupe` with `hors_service` or `inconnu`); horodatage = the EVSE's
--   last_updated (UTC, to the second). etat_prise_type_* is empty when the point has no connector
--   of that type.
-- grain: one row per point de recharge (id_pdc_itinerance)
-- @param from timestamp 2000-01-01T00:00:00Z "points whose state dates from this time (UTC) or later"
-- @param to timestamp 2100-01-01T00:00:00Z "points whose state dates from before this time (UTC)"
-- @param blocked_as enum(occupe|inconnu) occupe "occupation_pdc of a BLOCKED EVSE (QualiCharge reserves occupe for charging)"
-- @audit no_occupied_out_of_service: SELECT * FROM irve_dynamique WHERE occupation_pdc = 'occupe' AND etat_pdc <> 'en_service'
-- @audit one_row_per_pdc: SELECT id_pdc_itinerance, count(*) AS n FROM irve_dynamique GROUP BY id_pdc_itinerance HAVING count(*) > 1
WITH pdc AS (
    SELECT
        e.country_code,
        e.party_id,
        e.location_id,
        e.evse_uid,
        NULLIF(regexp_replace(upper(trim(e.evse_id)), '[^A-Z0-9]', '', 'g'), '') AS id_pdc_itinerance,
        e.status,
        e.last_updated
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
state AS (
    SELECT
        p.*,
        CASE
            WHEN p.status IN ('AVAILABLE', 'CHARGING', 'BLOCKED', 'RESERVED') THEN 'en_service'
            WHEN p.status IN ('INOPERATIVE', 'OUTOFORDER') THEN 'hors_service'
            ELSE 'inconnu'
        END AS etat_pdc,
        CASE p.status
            WHEN 'AVAILABLE' THEN 'libre'
            WHEN 'CHARGING' THEN 'occupe'
            WHEN 'BLOCKED' THEN $blocked_as
            WHEN 'RESERVED' THEN 'reserve'
            ELSE 'inconnu'
        END AS occupation_pdc,
        CASE
            WHEN p.status IN ('AVAILABLE', 'CHARGING', 'BLOCKED', 'RESERVED') THEN 'fonctionnel'
            WHEN p.status IN ('INOPERATIVE', 'OUTOFORDER') THEN 'hors_service'
            ELSE 'inconnu'
        END AS etat_prise,
        c.ef,
        c.t2,
        c.ccs,
        c.chademo
    FROM pdc AS p
    LEFT JOIN conn AS c
        ON c.country_code = p.country_code AND c.party_id = p.party_id
        AND c.location_id = p.location_id AND c.evse_uid = p.evse_uid
)
SELECT
    id_pdc_itinerance,
    etat_pdc,
    occupation_pdc,
    date_trunc('second', last_updated) AS horodatage,
    CASE WHEN t2 THEN etat_prise END AS etat_prise_type_2,
    CASE WHEN ccs THEN etat_prise END AS etat_prise_type_combo_ccs,
    CASE WHEN chademo THEN etat_prise END AS etat_prise_type_chademo,
    CASE WHEN ef THEN etat_prise END AS etat_prise_type_ef
FROM state
WHERE last_updated >= $from AND last_updated < $to
ORDER BY id_pdc_itinerance, country_code, party_id, location_id, evse_uid
