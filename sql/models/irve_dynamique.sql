-- description: IRVE dynamique (schema-irve-dynamique v2.3.1): the latest state of every point de
--   recharge of irve_pdc (the EVSEs of the open-data locations of irve_sites, REMOVED and
--   PLANNED left out), in the 8 columns of the schema. OCPI EVSE status → etat_pdc / occupation_pdc / etat_prise_type_* by
--   irve_status_map (never `occupe` with `hors_service` or `inconnu`); horodatage = the EVSE's
--   last_updated (UTC, to the second). etat_prise_type_* is empty when the point has no connector
--   of that type.
-- grain: one row per point de recharge (id_pdc_itinerance)
-- @param from timestamp 2000-01-01T00:00:00Z "points whose state dates from this time (UTC) or later"
-- @param to timestamp 2100-01-01T00:00:00Z "points whose state dates from before this time (UTC)"
-- @audit no_occupied_out_of_service: SELECT * FROM irve_dynamique WHERE occupation_pdc = 'occupe' AND etat_pdc <> 'en_service'
-- @audit one_row_per_pdc: SELECT id_pdc_itinerance, count(*) AS n FROM irve_dynamique GROUP BY id_pdc_itinerance HAVING count(*) > 1
SELECT
    p.id_pdc_itinerance,
    COALESCE(m.etat_pdc, 'inconnu') AS etat_pdc,
    COALESCE(m.occupation_pdc, 'inconnu') AS occupation_pdc,
    date_trunc('second', p.last_updated) AS horodatage,
    CASE WHEN p.t2 THEN COALESCE(m.etat_prise, 'inconnu') END AS etat_prise_type_2,
    CASE WHEN p.ccs THEN COALESCE(m.etat_prise, 'inconnu') END AS etat_prise_type_combo_ccs,
    CASE WHEN p.chademo THEN COALESCE(m.etat_prise, 'inconnu') END AS etat_prise_type_chademo,
    CASE WHEN p.ef THEN COALESCE(m.etat_prise, 'inconnu') END AS etat_prise_type_ef
FROM irve_pdc AS p
LEFT JOIN irve_status_map AS m ON m.status = p.status
WHERE p.last_updated >= $from AND p.last_updated < $to
ORDER BY p.id_pdc_itinerance, p.country_code, p.party_id, p.location_id, p.evse_uid
