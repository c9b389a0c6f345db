-- description: Status events as QualiCharge receives them: every row of irve_dynamique_events
--   (one per observed change of a point's state, whole history) with its operational unit.
-- grain: one row per status change (id_pdc_itinerance, horodatage)
-- @param blocked_as enum(occupe|inconnu) occupe "occupation_pdc of a BLOCKED EVSE"
SELECT
    COALESCE(left(id_pdc_itinerance, 5), '?') AS unit,
    id_pdc_itinerance,
    etat_pdc,
    occupation_pdc,
    horodatage
FROM irve_dynamique_events
