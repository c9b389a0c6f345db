-- description: u9: energy (kWh) per power range (QualiCharge indicator u9). Sessions are qualicharge_sessions (CDRs, else completed sessions) starting in [from, to), on the points of ind_pdc. One row per
--   period (timestamp = period start, UTC), target and category.
-- grain: one row per period, target and power range
-- @param from timestamp 2000-01-01T00:00:00Z "sessions/statuses at or after this time (UTC)"
-- @param to timestamp 2100-01-01T00:00:00Z "sessions/statuses before this time (UTC)"
-- @param period enum(d|w|m|q|y) d "period of the rows: day, week (from Monday), month, quarter, year (UTC)"
-- @param level enum(0|1|2|3|4|5|6) 0 "0 national (target 00), 1 region, 2 department, 3 EPCI (SIREN), 4 commune (INSEE), 5 operational unit (AFIREV prefix), 6 aménageur (SIREN)"
-- @param irve_config string "{}" "IRVE configuration as JSON (SIREN, INSEE code…; filled from ocpiwh.toml)"
-- @audit shape: SELECT * FROM ind_u9 WHERE code IS NULL OR level IS NULL OR target IS NULL OR period IS NULL OR value IS NULL OR "timestamp" IS NULL
-- @audit no_negative_value: SELECT * FROM ind_u9 WHERE value < 0
SELECT
    'u9' AS code,
    CAST($level AS INTEGER) AS level,
    target,
    $period AS period,
    category,
    CAST(value AS DOUBLE) AS value,
    extras,
    bucket AS "timestamp"
FROM (
    SELECT
        timezone('UTC', date_trunc(CASE $period WHEN 'd' THEN 'day' WHEN 'w' THEN 'week' WHEN 'm' THEN 'month' WHEN 'q' THEN 'quarter' ELSE 'year' END, timezone('UTC', s.start))) AS bucket,
        CASE $level WHEN '0' THEN '00' WHEN '1' THEN p.region WHEN '2' THEN p.department WHEN '3' THEN p.epci WHEN '4' THEN p.commune WHEN '5' THEN p.unit WHEN '6' THEN p.siren_amenageur END AS target,
        p.category AS category,
        sum(s.energy) AS value,
        CAST(NULL AS VARCHAR) AS extras
    FROM qualicharge_sessions AS s JOIN ind_pdc AS p ON p.id_pdc_itinerance = s.id_pdc_itinerance
    
    GROUP BY ALL
)
WHERE target IS NOT NULL
ORDER BY "timestamp", target, category
