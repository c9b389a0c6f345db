-- description: Charging sessions as QualiCharge receives them (the set of qualicharge_sessions:
--   every non-credit CDR, plus the COMPLETED sessions no CDR closes), with the OCPI id kept
--   (`item`: the CDR's session_id, else the CDR id; the session id for sessions without CDR),
--   the operational unit, and the point's puissance_nominale, IS_DC and raccordement from
--   qc_statique, and `received`: when ocpiwh fetched the CDR (or the completed session), the
--   earliest it could have been pushed (rule FRES). Times are not truncated; no window (checks
--   filter on start).
-- grain: one row per charging session
SELECT
    COALESCE(left(k.id_pdc_itinerance, 5), '?') AS unit,
    k.*,
    date_diff('second', k.start, k."end") / 3600.0 AS duration_h,
    p.puissance_nominale AS power_kw,
    COALESCE(p.is_dc, false) AS is_dc,
    p.raccordement,
    p.id_station_itinerance
FROM (
    SELECT
        NULLIF(regexp_replace(upper(trim(COALESCE(c.evse_id, e.evse_id))), '[^A-Z0-9]', '', 'g'), '') AS id_pdc_itinerance,
        c.start_date_time AS start,
        c.end_date_time AS "end",
        c.total_energy AS energy,
        COALESCE(c.session_id, c.id) AS item,
        'cdr' AS source,
        c._fetched_at AS received
    FROM cdrs AS c
    LEFT JOIN evses AS e
        ON e.country_code = c.country_code AND e.party_id = c.party_id
        AND e.location_id = c.location_id AND e.evse_uid = c.evse_uid
    WHERE NOT COALESCE(c.credit, false)
    UNION ALL
    SELECT
        NULLIF(regexp_replace(upper(trim(e.evse_id)), '[^A-Z0-9]', '', 'g'), '') AS id_pdc_itinerance,
        s.start_date_time AS start,
        s.end_date_time AS "end",
        s.kwh AS energy,
        s.id AS item,
        'session' AS source,
        s._fetched_at AS received
    FROM sessions AS s
    LEFT JOIN evses AS e
        ON e.country_code = s.country_code AND e.party_id = s.party_id
        AND e.location_id = s.location_id AND e.evse_uid = s.evse_uid
    WHERE s.status = 'COMPLETED' AND s.end_date_time IS NOT NULL
        AND NOT EXISTS (
            SELECT 1 FROM cdrs AS c
            WHERE c.country_code = s.country_code AND c.party_id = s.party_id
                AND NOT COALESCE(c.credit, false)
                AND (c.session_id = s.id
                    OR (c.session_id IS NULL AND c.location_id = s.location_id
                        AND c.evse_uid = s.evse_uid AND c.start_date_time = s.start_date_time))
        )
) AS k
LEFT JOIN (
    SELECT id_pdc_itinerance, max(puissance_nominale) AS puissance_nominale, bool_or(is_dc) AS is_dc,
           min(raccordement) AS raccordement, min(id_station_itinerance) AS id_station_itinerance
    FROM qc_statique
    GROUP BY id_pdc_itinerance
) AS p ON p.id_pdc_itinerance = k.id_pdc_itinerance
