-- description: Per EVSE and day (UTC) over sessions starting in [from, to): sessions started,
--   kWh delivered, installed power (kW, the EVSE's most powerful connector), kWh per kW
--   installed, hours occupied by sessions (sessions ending before they start are left out of
--   it and counted in end_before_start), and the busiest hour of day in UTC (most session
--   starts, earliest on ties).
-- grain: EVSE (country_code, party_id, location_id, evse_uid) × day
-- @param from timestamp 2000-01-01T00:00:00Z "sessions starting at or after this time (UTC)"
-- @param to timestamp 2100-01-01T00:00:00Z "sessions starting before this time (UTC)"
-- @audit kwh_per_kw_not_negative: SELECT * FROM utilization WHERE kwh_per_kw < 0 OR sessions <= 0
-- @audit busiest_hour_in_day: SELECT * FROM utilization WHERE busiest_hour_utc < 0 OR busiest_hour_utc > 23 OR occupied_h < 0
WITH s AS (
    SELECT
        country_code, party_id, location_id, evse_uid,
        CAST(date_trunc('day', start_date_time) AS DATE) AS day,
        hour(start_date_time) AS start_hour,
        kwh,
        CASE
            WHEN end_date_time >= start_date_time
            THEN epoch(end_date_time - start_date_time) / 3600.0
        END AS hours,
        COALESCE(end_date_time < start_date_time, false) AS end_before_start
    FROM sessions
    WHERE start_date_time >= $from AND start_date_time < $to
        AND status IS DISTINCT FROM 'INVALID'
),
by_hour AS (
    SELECT country_code, party_id, location_id, evse_uid, day, start_hour, count(*) AS n
    FROM s
    GROUP BY country_code, party_id, location_id, evse_uid, day, start_hour
),
busiest AS (
    SELECT country_code, party_id, location_id, evse_uid, day,
        arg_max(start_hour, n * 100 - start_hour) AS busiest_hour
    FROM by_hour
    GROUP BY country_code, party_id, location_id, evse_uid, day
),
daily AS (
    SELECT country_code, party_id, location_id, evse_uid, day,
        count(*) AS sessions,
        COALESCE(sum(kwh), 0) AS kwh,
        COALESCE(sum(hours), 0) AS occupied_h,
        count(*) FILTER (WHERE end_before_start) AS end_before_start
    FROM s
    GROUP BY country_code, party_id, location_id, evse_uid, day
)
SELECT
    d.country_code,
    d.party_id,
    d.location_id,
    d.evse_uid,
    d.day,
    d.sessions,
    d.kwh,
    e.max_electric_power / 1000.0 AS installed_kw,
    d.kwh / NULLIF(e.max_electric_power / 1000.0, 0) AS kwh_per_kw,
    d.occupied_h,
    d.end_before_start,
    b.busiest_hour AS busiest_hour_utc
FROM daily AS d
JOIN busiest AS b
    ON b.country_code = d.country_code AND b.party_id = d.party_id
    AND b.location_id = d.location_id AND b.evse_uid = d.evse_uid AND b.day = d.day
LEFT JOIN evses AS e
    ON e.country_code = d.country_code AND e.party_id = d.party_id
    AND e.location_id = d.location_id AND e.evse_uid = d.evse_uid
ORDER BY d.country_code, d.party_id, d.location_id, d.evse_uid, d.day
