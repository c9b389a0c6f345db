-- description: Every observed status change of the points de recharge of irve_statique whose
--   horodatage falls in [from, to), in the 8 columns of schema-irve-dynamique v2.3.1 (the event
--   stream QualiCharge's status bulk endpoint takes), from evse_status_events. Same points (irve_pdc)
--   and status mapping (irve_status_map) as irve_dynamique; PLANNED and REMOVED states are left out; chronological order. The
--   resolution is the sync interval: a status that came and went between two fetches is unseen.
-- grain: one row per status change (id_pdc_itinerance, horodatage)
-- @param from timestamp 2000-01-01T00:00:00Z "changes at or after this time (UTC)"
-- @param to timestamp 2100-01-01T00:00:00Z "changes before this time (UTC)"
-- @audit no_occupied_out_of_service: SELECT * FROM irve_dynamique_events WHERE occupation_pdc = 'occupe' AND etat_pdc <> 'en_service'
SELECT
    p.id_pdc_itinerance,
    COALESCE(m.etat_pdc, 'inconnu') AS etat_pdc,
    COALESCE(m.occupation_pdc, 'inconnu') AS occupation_pdc,
    date_trunc('second', ev.valid_from) AS horodatage,
    CASE WHEN p.t2 THEN COALESCE(m.etat_prise, 'inconnu') END AS etat_prise_type_2,
    CASE WHEN p.ccs THEN COALESCE(m.etat_prise, 'inconnu') END AS etat_prise_type_combo_ccs,
    CASE WHEN p.chademo THEN COALESCE(m.etat_prise, 'inconnu') END AS etat_prise_type_chademo,
    CASE WHEN p.ef THEN COALESCE(m.etat_prise, 'inconnu') END AS etat_prise_type_ef
FROM evse_status_events AS ev
JOIN irve_pdc AS p
    ON p.country_code = ev.country_code AND p.party_id = ev.party_id
    AND p.location_id = ev.location_id AND p.evse_uid = ev.evse_uid
LEFT JOIN irve_status_map AS m ON m.status = ev.status
WHERE ev.valid_from >= $from AND ev.valid_from < $to
    AND ev.status NOT IN ('REMOVED', 'PLANNED')
ORDER BY date_trunc('second', ev.valid_from), p.id_pdc_itinerance, p.country_code, p.party_id, p.location_id, p.evse_uid
