-- description: The OCPI EVSE status → IRVE dynamique mapping, defined once (irve_dynamique and
--   irve_dynamique_events read it): etat_pdc, occupation_pdc and the etat_prise_type_* value of
--   the connector types present. A status not listed (UNKNOWN, anything else) maps to inconnu
--   everywhere (the readers default to it); PLANNED and REMOVED are never exported. occupe never
--   comes with hors_service or inconnu (QualiCharge's rule ERRT).
-- grain: one row per OCPI status
-- @param from timestamp 2000-01-01T00:00:00Z "unused (a current snapshot; kept for the model contract)"
-- @param to timestamp 2100-01-01T00:00:00Z "unused (a current snapshot; kept for the model contract)"
-- @param blocked_as enum(occupe|inconnu) occupe "occupation_pdc of a BLOCKED EVSE (QualiCharge reserves occupe for charging)"
-- @audit no_occupied_out_of_service: SELECT * FROM irve_status_map WHERE occupation_pdc = 'occupe' AND etat_pdc <> 'en_service'
SELECT 'AVAILABLE' AS status, 'en_service' AS etat_pdc, 'libre' AS occupation_pdc, 'fonctionnel' AS etat_prise
-- UNION ALL, not VALUES: sqlglot renders VALUES for some engines (BigQuery) as an UNNEST
-- of structs, which does not read back as four columns
UNION ALL SELECT 'CHARGING', 'en_service', 'occupe', 'fonctionnel'
UNION ALL SELECT 'BLOCKED', 'en_service', $blocked_as, 'fonctionnel'
UNION ALL SELECT 'RESERVED', 'en_service', 'reserve', 'fonctionnel'
UNION ALL SELECT 'INOPERATIVE', 'hors_service', 'inconnu', 'hors_service'
UNION ALL SELECT 'OUTOFORDER', 'hors_service', 'inconnu', 'hors_service'
