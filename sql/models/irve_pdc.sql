-- description: The points de recharge of the IRVE and QualiCharge files, defined once: the EVSEs of
--   the open-data locations (irve_sites) whose status is not REMOVED or PLANNED, with the IRVE id
--   (id_pdc_itinerance = irve_id(evse_id): upper-cased, without any character outside [A-Z0-9]) and the
--   connector types the dynamic files report (T2, CCS, CHAdeMO, E/F). irve_statique,
--   irve_dynamique, irve_dynamique_events and ind_pdc read it.
-- grain: one row per EVSE (country_code, party_id, location_id, evse_uid)
-- @param from timestamp 2000-01-01T00:00:00Z "unused (a current snapshot; kept for the model contract)"
-- @param to timestamp 2100-01-01T00:00:00Z "unused (a current snapshot; kept for the model contract)"
-- @audit one_row_per_evse: SELECT country_code, party_id, location_id, evse_uid FROM irve_pdc GROUP BY ALL HAVING count(*) > 1
WITH pdc_conn AS (
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
)
SELECT
    e.country_code,
    e.party_id,
    e.location_id,
    e.evse_uid,
    irve_id(e.evse_id) AS id_pdc_itinerance,
    e.status,
    e.last_updated,
    COALESCE(c.ef, false) AS ef,
    COALESCE(c.t2, false) AS t2,
    COALESCE(c.ccs, false) AS ccs,
    COALESCE(c.chademo, false) AS chademo
FROM evses AS e
JOIN irve_sites AS s
    ON s.country_code = e.country_code AND s.party_id = e.party_id AND s.location_id = e.location_id
LEFT JOIN pdc_conn AS c
    ON c.country_code = e.country_code AND c.party_id = e.party_id
    AND c.location_id = e.location_id AND c.evse_uid = e.evse_uid
WHERE s.open_data AND (e.status IS NULL OR e.status NOT IN ('REMOVED', 'PLANNED'))
