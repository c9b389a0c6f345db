-- description: Charging sessions as QualiCharge receives them (the rows of
--   qualicharge_session_rows, the set of qualicharge_sessions: every non-credit CDR, plus the
--   COMPLETED sessions no CDR closes, at an open-data location), with the OCPI id kept (`item`),
--   the operational unit, and the point's puissance_nominale, IS_DC and raccordement from
--   qc_statique, and `received`: when ocpiwh fetched the CDR (or the completed session), the
--   earliest it could have been pushed (rule FRES). Times are not truncated; no window (checks
--   filter on start).
-- grain: one row per charging session
SELECT
    COALESCE(left(k.id_pdc_itinerance, 5), '?') AS unit,
    k.id_pdc_itinerance,
    k.start_date_time AS start,
    k.end_date_time AS "end",
    k.energy,
    k.item,
    k.source,
    k.received,
    date_diff('second', k.start_date_time, k.end_date_time) / 3600.0 AS duration_h,
    p.puissance_nominale AS power_kw,
    COALESCE(p.is_dc, false) AS is_dc,
    p.raccordement,
    p.id_station_itinerance
FROM qualicharge_session_rows AS k
LEFT JOIN (
    SELECT id_pdc_itinerance, max(puissance_nominale) AS puissance_nominale, bool_or(is_dc) AS is_dc,
           min(raccordement) AS raccordement, min(id_station_itinerance) AS id_station_itinerance
    FROM qc_statique
    GROUP BY id_pdc_itinerance
) AS p ON p.id_pdc_itinerance = k.id_pdc_itinerance
