-- description: Delivered energy (kWh) and session counts per operator (the location's
--   operator name) and party, per day, week (ISO, from Monday) or month (UTC), for sessions
--   starting in [from, to). INVALID sessions are left out.
-- grain: period_start × operator_name × country_code × party_id
-- @param from timestamp 2000-01-01T00:00:00Z "sessions starting at or after this time (UTC)"
-- @param to timestamp 2100-01-01T00:00:00Z "sessions starting before this time (UTC)"
-- @param grain enum(day|week|month) month "period length"
-- @audit no_negative_energy: SELECT * FROM energy_by_operator WHERE kwh < 0 OR sessions <= 0
-- @audit one_row_per_group: SELECT period_start, operator_name, country_code, party_id FROM energy_by_operator GROUP BY period_start, operator_name, country_code, party_id HAVING count(*) > 1
SELECT
    date_trunc($grain, s.start_date_time) AS period_start,
    COALESCE(l.operator_name, '(unknown)') AS operator_name,
    s.country_code,
    s.party_id,
    count(*) AS sessions,
    COALESCE(sum(s.kwh), 0) AS kwh
FROM sessions AS s
LEFT JOIN locations AS l
    ON l.country_code = s.country_code AND l.party_id = s.party_id AND l.id = s.location_id
WHERE s.start_date_time >= $from
    AND s.start_date_time < $to
    AND s.status IS DISTINCT FROM 'INVALID'
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
