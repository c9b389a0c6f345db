-- description: The open-data boundary: every location, whether its points may reach the IRVE and
--   QualiCharge files (open_data) and why. A location with a publish flag (OCPI 2.2+) is open
--   data when publish is true and it is not ON_DRIVEWAY (a private driveway: a home charger). A
--   location without one (OCPI 2.1.1 has no publish flag and no ON_DRIVEWAY) is open data only
--   when declared public: a `public` column of the overrides CSV, else [irve] ocpi211_public;
--   undeclared → left out (ocpiwh export warns until it is declared). `public = false` in the
--   overrides CSV leaves out any location.
-- grain: one row per location (country_code, party_id, location_id)
-- @param from timestamp 2000-01-01T00:00:00Z "unused (a current snapshot; kept for the model contract)"
-- @param to timestamp 2100-01-01T00:00:00Z "unused (a current snapshot; kept for the model contract)"
-- @param irve_config string "{}" "IRVE configuration as JSON (see docs/irve.md); filled from ocpiwh.toml"
-- @audit one_row_per_location: SELECT country_code, party_id, location_id FROM irve_sites GROUP BY ALL HAVING count(*) > 1
WITH sites_cfg AS (
    SELECT from_json($irve_config, '{"ocpi211_public":"VARCHAR","by_location":[{"country_code":"VARCHAR","party_id":"VARCHAR","location_id":"VARCHAR","public":"VARCHAR"}]}') AS c
),
sites_declared AS (
    SELECT
        struct_extract(s, 'country_code') AS d_country_code,
        struct_extract(s, 'party_id') AS d_party_id,
        struct_extract(s, 'location_id') AS d_location_id,
        TRY_CAST(struct_extract(s, 'public') AS BOOLEAN) AS d_public
    FROM (SELECT unnest(c.by_location) AS s FROM sites_cfg)
    WHERE struct_extract(s, 'public') IS NOT NULL
),
sites_site AS (
    SELECT
        l.country_code,
        l.party_id,
        l.id AS location_id,
        json_extract_string(l._raw, '$.publish') IS NOT NULL AS has_flag,
        l.publish,
        COALESCE(l.parking_type, '') = 'ON_DRIVEWAY' AS driveway,
        bool_and(d.d_public) AS declared,
        TRY_CAST(min(sites_cfg.c.ocpi211_public) AS BOOLEAN) AS all_public
    FROM locations AS l
    CROSS JOIN sites_cfg
    LEFT JOIN sites_declared AS d
        ON d.d_location_id = l.id
        AND (d.d_country_code IS NULL OR d.d_country_code = l.country_code)
        AND (d.d_party_id IS NULL OR d.d_party_id = l.party_id)
    GROUP BY l.country_code, l.party_id, l.id, l._raw, l.publish, l.parking_type
)
SELECT
    country_code,
    party_id,
    location_id,
    CASE
        WHEN declared = false THEN false
        WHEN has_flag THEN publish AND NOT driveway
        ELSE COALESCE(declared, all_public, false)
    END AS open_data,
    CASE
        WHEN declared = false THEN 'declared not public (overrides CSV)'
        WHEN has_flag AND NOT publish THEN 'publish = false'
        WHEN has_flag AND driveway THEN 'ON_DRIVEWAY (a private driveway)'
        WHEN has_flag THEN 'publish = true'
        WHEN declared THEN 'declared public (overrides CSV)'
        WHEN all_public THEN 'declared public ([irve] ocpi211_public)'
        WHEN all_public = false THEN 'no publish flag, declared not public ([irve] ocpi211_public)'
        ELSE 'undeclared'
    END AS why
FROM sites_site
ORDER BY country_code, party_id, location_id
