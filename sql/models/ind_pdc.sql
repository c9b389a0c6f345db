-- description: Points de recharge for the indicators (the pdc set of irve_statique: EVSEs of
--   open-data locations of irve_pdc, REMOVED and PLANNED left out) with what the levels need: operational
--   unit (AFIREV prefix), aménageur SIREN, INSEE code (override, else derived from postal code
--   and city, or coordinates where they are ambiguous, else config), commune / department / region / EPCI from the shipped COG table
--   ($irve_config.communes; commune only when QualiCharge's table knows it), raccordement, num_pdl
--   (from $irve_config: station override > operator table by name > by party > defaults, as in
--   irve_statique), puissance_nominale (kW) and QualiCharge's power range (p_cat, category).
--   The station is irve_statique's (override, else the location id when it is a station id,
--   else <prefix>P<location id>). department = the commune's, else the first 2 characters of the
--   INSEE code (3 for 97x), else of the postal code (20xxx: 2A below 20200, else 2B). A current snapshot: from
--   and to do not filter it (kept for the model contract).
-- grain: one row per point de recharge (id_pdc_itinerance)
-- @param from timestamp 2000-01-01T00:00:00Z "unused (the pdc list is the current snapshot)"
-- @param to timestamp 2100-01-01T00:00:00Z "unused (the pdc list is the current snapshot)"
-- @param irve_config string "{}" "IRVE configuration as JSON (filled from ocpiwh.toml by export and the indicators command)"
-- @audit one_row_per_pdc: SELECT id_pdc_itinerance, count(*) AS n FROM ind_pdc GROUP BY id_pdc_itinerance HAVING count(*) > 1
-- @audit power_in_kw: SELECT * FROM ind_pdc WHERE puissance_nominale > 4000
WITH cfg AS MATERIALIZED (
    SELECT from_json($irve_config, '{"defaults":{"siren_amenageur":"VARCHAR","code_insee_commune":"VARCHAR","raccordement":"VARCHAR","num_pdl":"VARCHAR"},"operators":[{"party":"VARCHAR","operator_name":"VARCHAR","siren_amenageur":"VARCHAR","code_insee_commune":"VARCHAR","raccordement":"VARCHAR","num_pdl":"VARCHAR"}],"by_location":[{"country_code":"VARCHAR","party_id":"VARCHAR","location_id":"VARCHAR","id_station_itinerance":"VARCHAR","siren_amenageur":"VARCHAR","code_insee_commune":"VARCHAR","raccordement":"VARCHAR","num_pdl":"VARCHAR"}],"by_station":[{"station":"VARCHAR","siren_amenageur":"VARCHAR","code_insee_commune":"VARCHAR","raccordement":"VARCHAR","num_pdl":"VARCHAR"}],"places":[{"postal_code":"VARCHAR","city":"VARCHAR","code_insee_commune":"VARCHAR","country_code":"VARCHAR","party_id":"VARCHAR","location_id":"VARCHAR"}],"communes":[{"code":"VARCHAR","departement":"VARCHAR","region":"VARCHAR","epci":"VARCHAR","in_qualicharge":"VARCHAR"}]}') AS c
),
d AS (SELECT c.defaults AS v FROM cfg),
ops AS (SELECT unnest(c.operators) AS o FROM cfg),
by_loc AS (SELECT unnest(c.by_location) AS o FROM cfg),
by_st AS (SELECT unnest(c.by_station) AS o FROM cfg),
places AS (SELECT unnest(c.places) AS o FROM cfg),
communes AS (SELECT unnest(c.communes) AS o FROM cfg),
pdc AS (
    SELECT
        e.country_code,
        e.party_id,
        e.location_id,
        e.id_pdc_itinerance,
        COALESCE(irve_id(l.id), '') AS location_norm,
        l.operator_name,
        l.postal_code,
        l.city,
        l.country,
        round(max(c.max_electric_power) / 1000.0, 2) AS puissance_nominale,
        bool_or(c.standard IN ('IEC_62196_T2_COMBO', 'IEC_62196_T1_COMBO', 'CHADEMO')) AS dc_socket
    FROM irve_pdc AS e
    JOIN locations AS l ON l.country_code = e.country_code AND l.party_id = e.party_id AND l.id = e.location_id
    LEFT JOIN connectors AS c
        ON c.country_code = e.country_code AND c.party_id = e.party_id
        AND c.location_id = e.location_id AND c.evse_uid = e.evse_uid
    GROUP BY ALL
),
prefix AS (
    SELECT country_code, party_id, location_id, min(left(id_pdc_itinerance, 5)) AS prefix
    FROM pdc
    WHERE regexp_full_match(COALESCE(id_pdc_itinerance, ''), '[A-Z]{2}[A-Z0-9]{3}E[A-Z0-9]+')
    GROUP BY ALL
),
station AS (
    SELECT
        p.*,
        CASE
            WHEN regexp_full_match(p.location_norm, '[A-Z]{2}[A-Z0-9]{3}P[A-Z0-9]{1,29}')
                AND (x.prefix IS NULL OR left(p.location_norm, 5) = x.prefix) THEN p.location_norm
            WHEN x.prefix IS NOT NULL AND p.location_norm <> '' THEN x.prefix || 'P' || left(p.location_norm, 29)
        END AS auto_station
    FROM pdc AS p
    LEFT JOIN prefix AS x ON x.country_code = p.country_code AND x.party_id = p.party_id AND x.location_id = p.location_id
),
resolved AS (
    SELECT
        s.*,
        COALESCE(bl.o.id_station_itinerance, s.auto_station) AS id_station_itinerance,
        COALESCE(bl.o.siren_amenageur, bs.o.siren_amenageur, opn.o.siren_amenageur, opp.o.siren_amenageur, d.v.siren_amenageur) AS siren_amenageur,
        COALESCE(bl.o.code_insee_commune, bs.o.code_insee_commune, pll.o.code_insee_commune, pl.o.code_insee_commune, opn.o.code_insee_commune, opp.o.code_insee_commune, d.v.code_insee_commune) AS code_insee_commune,
        COALESCE(bl.o.raccordement, bs.o.raccordement, opn.o.raccordement, opp.o.raccordement, d.v.raccordement) AS raccordement,
        COALESCE(bl.o.num_pdl, bs.o.num_pdl, opn.o.num_pdl, opp.o.num_pdl, d.v.num_pdl) AS num_pdl
    FROM station AS s
    CROSS JOIN d
    LEFT JOIN by_loc AS bl
        ON bl.o.location_id = s.location_id
        AND (bl.o.country_code IS NULL OR bl.o.country_code = s.country_code)
        AND (bl.o.party_id IS NULL OR bl.o.party_id = s.party_id)
    LEFT JOIN by_st AS bs ON bs.o.station = s.auto_station
    LEFT JOIN places AS pl
        ON pl.o.postal_code = s.postal_code AND pl.o.city IS NOT DISTINCT FROM s.city
        AND pl.o.location_id IS NULL AND COALESCE(s.country, 'FRA') = 'FRA'
    LEFT JOIN places AS pll
        ON pll.o.location_id = s.location_id AND pll.o.country_code = s.country_code
        AND pll.o.party_id = s.party_id
    LEFT JOIN ops AS opn ON opn.o.operator_name = s.operator_name AND opn.o.party IS NULL
    LEFT JOIN ops AS opp ON opp.o.party = s.country_code || s.party_id AND opp.o.operator_name IS NULL
)
SELECT
    r.id_pdc_itinerance,
    r.id_station_itinerance,
    left(r.id_pdc_itinerance, 5) AS unit,
    r.siren_amenageur,
    r.code_insee_commune,
    CASE WHEN k.o.in_qualicharge = 'true' THEN r.code_insee_commune END AS commune,
    k.o.region AS region,
    k.o.epci AS epci,
    CASE
        WHEN k.o.departement IS NOT NULL THEN k.o.departement
        WHEN code_insee_commune IS NULL AND COALESCE(country, 'FRA') <> 'FRA' THEN NULL
        WHEN code_insee_commune LIKE '97%' THEN left(code_insee_commune, 3)
        WHEN code_insee_commune IS NOT NULL THEN left(code_insee_commune, 2)
        WHEN regexp_full_match(COALESCE(postal_code, ''), '97[0-9]{3}') THEN left(postal_code, 3)
        WHEN regexp_full_match(COALESCE(postal_code, ''), '20[0-9]{3}') THEN CASE WHEN postal_code < '20200' THEN '2A' ELSE '2B' END
        WHEN regexp_full_match(COALESCE(postal_code, ''), '[0-9]{5}') THEN left(postal_code, 2)
    END AS department,
    raccordement,
    num_pdl,
    puissance_nominale,
    COALESCE(puissance_nominale >= 50 OR dc_socket, false) AS is_dc,
    CASE
        WHEN puissance_nominale < 7.4 THEN 1
        WHEN puissance_nominale <= 22 THEN 2
        WHEN puissance_nominale < 50 THEN 3
        WHEN puissance_nominale < 150 THEN 4
        WHEN puissance_nominale < 350 THEN 5
        WHEN puissance_nominale >= 350 THEN 6
    END AS p_cat,
    CASE
        WHEN puissance_nominale < 7.4 THEN '[0.0, 7.4)'
        WHEN puissance_nominale <= 22 THEN '[7.4, 22.0]'
        WHEN puissance_nominale < 50 THEN '(22.0, 50.0)'
        WHEN puissance_nominale < 150 THEN '[50.0, 150.0)'
        WHEN puissance_nominale < 350 THEN '[150.0, 350.0)'
        WHEN puissance_nominale >= 350 THEN '[350.0, )'
    END AS category
FROM resolved AS r
LEFT JOIN communes AS k ON k.o.code = r.code_insee_commune
WHERE r.id_pdc_itinerance IS NOT NULL
ORDER BY r.id_pdc_itinerance
