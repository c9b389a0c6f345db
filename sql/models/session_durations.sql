-- description: One row per session starting in [from, to): how long it lasted (hours), the
--   energy it delivered (kWh) and its mean power (kW); times are UTC. Running sessions (no end
--   yet) have NULL duration and power; a session ending before it starts (impossible, a
--   platform error) is flagged by end_before_start and gets NULL duration and power, so it
--   never enters an average.
-- grain: session (country_code, party_id, session_id)
-- @param from timestamp 2000-01-01T00:00:00Z "sessions starting at or after this time (UTC)"
-- @param to timestamp 2100-01-01T00:00:00Z "sessions starting before this time (UTC)"
-- @audit non_negative: SELECT * FROM session_durations WHERE duration_h < 0 OR kwh < 0 OR mean_power_kw < 0
-- @audit one_row_per_session: SELECT country_code, party_id, session_id, count(*) AS n FROM session_durations GROUP BY country_code, party_id, session_id HAVING count(*) > 1
SELECT
    country_code,
    party_id,
    id AS session_id,
    location_id,
    evse_uid,
    connector_id,
    status,
    start_date_time,
    end_date_time,
    CASE
        WHEN end_date_time >= start_date_time
        THEN epoch(end_date_time - start_date_time) / 3600.0
    END AS duration_h,
    kwh,
    CASE
        WHEN end_date_time > start_date_time
        THEN kwh / (epoch(end_date_time - start_date_time) / 3600.0)
    END AS mean_power_kw,
    COALESCE(end_date_time < start_date_time, false) AS end_before_start
FROM sessions
WHERE start_date_time >= $from AND start_date_time < $to
ORDER BY start_date_time, country_code, party_id, session_id
