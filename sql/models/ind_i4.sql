-- description: i4: number of stations (QualiCharge indicator i4, an infrastructure snapshot of the
--   current points de recharge, ind_pdc): one row per target; timestamp = the
--   window end (or now, if earlier). Points without a target at the level asked (no SIREN, no
--   department) are left out.
-- grain: one row per target
-- @param from timestamp 2000-01-01T00:00:00Z "unused (snapshot)"
-- @param to timestamp 2100-01-01T00:00:00Z "snapshot time stamped on the rows (the current state is used)"
-- @param period enum(d|w|m|q|y) d "period of the rows: day, week (from Monday), month, quarter, year (UTC)"
-- @param level enum(0|1|2|3|4|5|6) 0 "0 national (target 00), 1 region, 2 department, 3 EPCI (SIREN), 4 commune (INSEE), 5 operational unit (AFIREV prefix), 6 aménageur (SIREN)"
-- @param irve_config string "{}" "IRVE configuration as JSON (SIREN, INSEE code…; filled from ocpiwh.toml)"
-- @audit shape: SELECT * FROM ind_i4 WHERE code IS NULL OR level IS NULL OR target IS NULL OR period IS NULL OR value IS NULL OR "timestamp" IS NULL
-- @audit no_negative_value: SELECT * FROM ind_i4 WHERE value < 0
SELECT
    'i4' AS code,
    CAST($level AS INTEGER) AS level,
    target,
    $period AS period,
    category,
    CAST(value AS DOUBLE) AS value,
    CAST(NULL AS VARCHAR) AS extras,
    least($to, get_current_timestamp()) AS "timestamp"
FROM (
    SELECT CASE $level WHEN '0' THEN '00' WHEN '1' THEN p.region WHEN '2' THEN p.department WHEN '3' THEN p.epci WHEN '4' THEN p.commune WHEN '5' THEN p.unit WHEN '6' THEN p.siren_amenageur END AS target, CAST(NULL AS VARCHAR) AS category, count(DISTINCT p.id_station_itinerance) AS value
    FROM ind_pdc AS p
    GROUP BY ALL
)
WHERE target IS NOT NULL
ORDER BY target, category
