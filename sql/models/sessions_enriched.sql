-- description: Sessions and their CDRs side by side (a CDR without a session, or a session
--   without a CDR yet, still gets a row), with the location, EVSE, connector, power (kW) and
--   first tariff of the connector used; energy in kWh, durations in hours, times UTC. A CDR matches its session by session_id, else (2.1.1) by
--   location, EVSE and start time. Sessions/CDRs starting in [from, to).
-- grain: charging session (session_id, or cdr_id when the platform sent only a CDR)
-- @param from timestamp 2000-01-01T00:00:00Z "starting at or after this time (UTC)"
-- @param to timestamp 2100-01-01T00:00:00Z "starting before this time (UTC)"
-- @audit cdr_energy_not_below_zero: SELECT * FROM sessions_enriched WHERE cdr_kwh < 0 OR session_kwh < 0
-- @audit one_row_per_session: SELECT session_id FROM sessions_enriched WHERE session_id IS NOT NULL GROUP BY country_code, party_id, session_id HAVING count(*) > 1
WITH s AS (
    SELECT * FROM sessions WHERE start_date_time >= $from AND start_date_time < $to
),
c AS (
    SELECT * FROM cdrs WHERE start_date_time >= $from AND start_date_time < $to
),
joined AS (
    SELECT
        COALESCE(s.country_code, c.country_code) AS country_code,
        COALESCE(s.party_id, c.party_id) AS party_id,
        s.id AS session_id,
        c.id AS cdr_id,
        COALESCE(s.location_id, c.location_id) AS location_id,
        COALESCE(s.evse_uid, c.evse_uid) AS evse_uid,
        COALESCE(s.connector_id, c.connector_id) AS connector_id,
        COALESCE(s.start_date_time, c.start_date_time) AS start_date_time,
        COALESCE(c.end_date_time, s.end_date_time) AS end_date_time,
        s.status AS session_status,
        s.kwh AS session_kwh,
        c.total_energy AS cdr_kwh,
        c.total_time AS cdr_total_time_h,
        c.total_parking_time AS cdr_parking_time_h,
        COALESCE(c.currency, s.currency) AS currency,
        COALESCE(c.total_cost_excl_vat, s.total_cost_excl_vat) AS total_cost_excl_vat,
        COALESCE(c.total_cost_incl_vat, s.total_cost_incl_vat) AS total_cost_incl_vat,
        COALESCE(s.auth_method, c.auth_method) AS auth_method
    FROM s
    FULL OUTER JOIN c
        ON c.country_code = s.country_code
        AND c.party_id = s.party_id
        AND (
            c.session_id = s.id
            OR (
                c.session_id IS NULL
                AND c.location_id = s.location_id
                AND c.evse_uid = s.evse_uid
                AND c.start_date_time = s.start_date_time
            )
        )
)
SELECT
    j.country_code,
    j.party_id,
    j.session_id,
    j.cdr_id,
    j.location_id,
    l.name AS location_name,
    l.operator_name,
    l.city,
    l.country,
    j.evse_uid,
    e.evse_id,
    j.connector_id,
    k.standard AS connector_standard,
    k.power_type,
    k.max_electric_power / 1000.0 AS max_power_kw,
    k.power_derived,
    j.start_date_time,
    j.end_date_time,
    j.session_status,
    COALESCE(j.cdr_kwh, j.session_kwh) AS kwh,
    j.session_kwh,
    j.cdr_kwh,
    j.cdr_total_time_h,
    j.cdr_parking_time_h,
    j.currency,
    j.total_cost_excl_vat,
    j.total_cost_incl_vat,
    j.auth_method,
    t.id AS tariff_id,
    t.type AS tariff_type,
    t.currency AS tariff_currency
FROM joined AS j
LEFT JOIN locations AS l
    ON l.country_code = j.country_code AND l.party_id = j.party_id AND l.id = j.location_id
LEFT JOIN evses AS e
    ON e.country_code = j.country_code AND e.party_id = j.party_id
    AND e.location_id = j.location_id AND e.evse_uid = j.evse_uid
LEFT JOIN connectors AS k
    ON k.country_code = j.country_code AND k.party_id = j.party_id
    AND k.location_id = j.location_id AND k.evse_uid = j.evse_uid
    AND k.connector_id = j.connector_id
LEFT JOIN tariffs AS t
    ON t.country_code = j.country_code AND t.party_id = j.party_id AND t.id = k.tariff_ids[1]
ORDER BY j.start_date_time, j.session_id, j.cdr_id
