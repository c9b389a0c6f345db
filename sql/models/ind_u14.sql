-- description: u14: energy (kWh) per supply type: DC or AC (station level: any point >= 50 kW or CCS/CHAdeMO), direct (raccordement Direct) with a valid or invalid num_pdl, or indirect (QualiCharge indicator u14). Sessions deduplicated per (point, start, end) keeping the highest energy, and kept only when energy < 1.1 × puissance_nominale × hours, as QualiCharge does. One row per
--   period (timestamp = period start, UTC), target and category.
-- grain: one row per period, target and supply type
-- @param from timestamp 2000-01-01T00:00:00Z "sessions/statuses at or after this time (UTC)"
-- @param to timestamp 2100-01-01T00:00:00Z "sessions/statuses before this time (UTC)"
-- @param period enum(d|w|m|q|y) d "period of the rows: day, week (from Monday), month, quarter, year (UTC)"
-- @param level enum(0|1|2|3|4|5|6) 0 "0 national (target 00), 1 region, 2 department, 3 EPCI (SIREN), 4 commune (INSEE), 5 operational unit (AFIREV prefix), 6 aménageur (SIREN)"
-- @param irve_config string "{}" "IRVE configuration as JSON (SIREN, INSEE code…; filled from ocpiwh.toml)"
-- @audit shape: SELECT * FROM ind_u14 WHERE code IS NULL OR level IS NULL OR target IS NULL OR period IS NULL OR value IS NULL OR "timestamp" IS NULL
-- @audit no_negative_value: SELECT * FROM ind_u14 WHERE value < 0
SELECT
    'u14' AS code,
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
        CASE WHEN p.station_dc THEN 'DC' ELSE 'AC' END || CASE WHEN p.raccordement = 'Direct' THEN CASE WHEN p.valid_pdl THEN '_direct_valid' ELSE '_direct_invalid' END ELSE '_indirect' END AS category,
        sum(s.energy) AS value,
        CAST(NULL AS VARCHAR) AS extras
    FROM (
        SELECT s.id_pdc_itinerance, s.start, s."end", max(s.energy) AS energy
        FROM qualicharge_sessions AS s
        GROUP BY ALL
    ) AS s
    JOIN (
        SELECT
            p.*,
            bool_or(p.is_dc) OVER (PARTITION BY p.id_station_itinerance) AS station_dc,
            NOT (p.num_pdl IS NULL OR p.num_pdl LIKE '% %' OR p.num_pdl LIKE '%123456789%'
                 OR p.num_pdl LIKE '000%' OR p.num_pdl IN ('', '11111111111111', '99999999999999')
                 OR NOT regexp_matches(p.num_pdl, '[0-9]')) AS valid_pdl
        FROM ind_pdc AS p
    ) AS p ON p.id_pdc_itinerance = s.id_pdc_itinerance
    WHERE s.energy < 1.1 * p.puissance_nominale * date_diff('second', s.start, s."end") / 3600.0
    GROUP BY ALL
)
WHERE target IS NOT NULL
ORDER BY "timestamp", target, category
