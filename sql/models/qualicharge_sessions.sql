-- description: Charging sessions for QualiCharge (`id_pdc_itinerance, start, end, energy`, energy
--   in kWh, times UTC to the second) starting in [from, to): every non-credit CDR, plus the
--   COMPLETED sessions no CDR closes yet, at an open-data location (the rows of
--   qualicharge_session_rows, which says how sessions are matched and ids derived).
--   QualiCharge's hard rules (no future date, start <= end, at most 7 days, 0 <= energy <= 1000 kWh, maximum age) are checked by `ocpiwh export`, which
--   leaves failing rows out and lists them with their reason.
-- grain: one row per charging session (CDR, or completed session without CDR)
-- @param from timestamp 2000-01-01T00:00:00Z "sessions starting at or after this time (UTC)"
-- @param to timestamp 2100-01-01T00:00:00Z "sessions starting before this time (UTC)"
-- @param irve_config string "{}" "IRVE configuration as JSON (the open-data declarations of [irve]); filled from ocpiwh.toml"
-- @audit energy_in_kwh: SELECT * FROM qualicharge_sessions WHERE energy > 100000
SELECT
    id_pdc_itinerance,
    date_trunc('second', start_date_time) AS start,
    date_trunc('second', end_date_time) AS "end",
    energy
FROM qualicharge_session_rows
ORDER BY start, id_pdc_itinerance, country_code, party_id, ocpi_id
