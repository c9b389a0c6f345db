-- description: IRVE statique (schema-irve-statique v2.3.1): the 40 columns in schema order, one
--   row per point de recharge of irve_pdc (EVSEs of the open-data locations of irve_sites,
--   REMOVED and PLANNED left out), mapped from OCPI as in docs/irve.md. One location = one station; station fields are the
--   same on every row of a station and nbre_pdc is its number of rows. Values OCPI does not carry
--   come from $irve_config (JSON built by `ocpiwh export` from the [irve] section of ocpiwh.toml
--   and its overrides CSV); precedence: station override > OCPI > operator table > defaults
--   (nom_enseigne: station override > operator table > defaults > OCPI operator name).
--   code_insee_commune: override, else derived from the postal code and city with the official
--   commune table ($irve_config.places, computed from ocpiwh/irve/refdata by ocpiwh; a location
--   of an ambiguous postal code has its own place, decided by its coordinates), else the
--   operator table or defaults. Nothing is invented: a value that is nowhere stays empty and
--   validation reports it.
--   from/to keep the stations whose date_maj (latest change) falls in [from, to): whole
--   stations, for incremental pushes.
-- grain: one row per point de recharge (id_pdc_itinerance)
-- @param from timestamp 2000-01-01T00:00:00Z "stations whose date_maj (last change, UTC) is at or after this time"
-- @param to timestamp 2100-01-01T00:00:00Z "stations last changed before this time (UTC)"
-- @param irve_config string "{}" "IRVE configuration as JSON (see docs/irve.md); `ocpiwh export` fills it from ocpiwh.toml"
-- @audit one_row_per_pdc: SELECT id_pdc_itinerance, count(*) AS n FROM irve_statique WHERE id_pdc_itinerance IS NOT NULL GROUP BY id_pdc_itinerance HAVING count(*) > 1
-- @audit nbre_pdc_is_rows: SELECT id_station_itinerance, min(nbre_pdc) AS nbre_pdc, count(*) AS n FROM irve_statique WHERE id_station_itinerance IS NOT NULL GROUP BY id_station_itinerance HAVING min(nbre_pdc) <> count(*) OR max(nbre_pdc) <> count(*)
-- @audit power_in_kw: SELECT * FROM irve_statique WHERE puissance_nominale > 4000
WITH cfg AS MATERIALIZED (
    SELECT from_json($irve_config, '{"defaults":{"nom_amenageur":"VARCHAR","siren_amenageur":"VARCHAR","contact_amenageur":"VARCHAR","nom_operateur":"VARCHAR","contact_operateur":"VARCHAR","telephone_operateur":"VARCHAR","nom_enseigne":"VARCHAR","id_station_itinerance":"VARCHAR","nom_station":"VARCHAR","implantation_station":"VARCHAR","code_insee_commune":"VARCHAR","gratuit":"VARCHAR","paiement_acte":"VARCHAR","paiement_cb":"VARCHAR","paiement_autre":"VARCHAR","tarification":"VARCHAR","condition_acces":"VARCHAR","horaires":"VARCHAR","accessibilite_pmr":"VARCHAR","restriction_gabarit":"VARCHAR","raccordement":"VARCHAR","num_pdl":"VARCHAR","date_mise_en_service":"VARCHAR","observations":"VARCHAR"},"operators":[{"party":"VARCHAR","operator_name":"VARCHAR","nom_amenageur":"VARCHAR","siren_amenageur":"VARCHAR","contact_amenageur":"VARCHAR","nom_operateur":"VARCHAR","contact_operateur":"VARCHAR","telephone_operateur":"VARCHAR","nom_enseigne":"VARCHAR","id_station_itinerance":"VARCHAR","nom_station":"VARCHAR","implantation_station":"VARCHAR","code_insee_commune":"VARCHAR","gratuit":"VARCHAR","paiement_acte":"VARCHAR","paiement_cb":"VARCHAR","paiement_autre":"VARCHAR","tarification":"VARCHAR","condition_acces":"VARCHAR","horaires":"VARCHAR","accessibilite_pmr":"VARCHAR","restriction_gabarit":"VARCHAR","raccordement":"VARCHAR","num_pdl":"VARCHAR","date_mise_en_service":"VARCHAR","observations":"VARCHAR"}],"by_location":[{"country_code":"VARCHAR","party_id":"VARCHAR","location_id":"VARCHAR","nom_amenageur":"VARCHAR","siren_amenageur":"VARCHAR","contact_amenageur":"VARCHAR","nom_operateur":"VARCHAR","contact_operateur":"VARCHAR","telephone_operateur":"VARCHAR","nom_enseigne":"VARCHAR","id_station_itinerance":"VARCHAR","nom_station":"VARCHAR","implantation_station":"VARCHAR","code_insee_commune":"VARCHAR","gratuit":"VARCHAR","paiement_acte":"VARCHAR","paiement_cb":"VARCHAR","paiement_autre":"VARCHAR","tarification":"VARCHAR","condition_acces":"VARCHAR","horaires":"VARCHAR","accessibilite_pmr":"VARCHAR","restriction_gabarit":"VARCHAR","raccordement":"VARCHAR","num_pdl":"VARCHAR","date_mise_en_service":"VARCHAR","observations":"VARCHAR"}],"by_station":[{"station":"VARCHAR","nom_amenageur":"VARCHAR","siren_amenageur":"VARCHAR","contact_amenageur":"VARCHAR","nom_operateur":"VARCHAR","contact_operateur":"VARCHAR","telephone_operateur":"VARCHAR","nom_enseigne":"VARCHAR","id_station_itinerance":"VARCHAR","nom_station":"VARCHAR","implantation_station":"VARCHAR","code_insee_commune":"VARCHAR","gratuit":"VARCHAR","paiement_acte":"VARCHAR","paiement_cb":"VARCHAR","paiement_autre":"VARCHAR","tarification":"VARCHAR","condition_acces":"VARCHAR","horaires":"VARCHAR","accessibilite_pmr":"VARCHAR","restriction_gabarit":"VARCHAR","raccordement":"VARCHAR","num_pdl":"VARCHAR","date_mise_en_service":"VARCHAR","observations":"VARCHAR"}],"places":[{"postal_code":"VARCHAR","city":"VARCHAR","code_insee_commune":"VARCHAR","how":"VARCHAR","country_code":"VARCHAR","party_id":"VARCHAR","location_id":"VARCHAR"}]}') AS c
),
d AS (
    SELECT
        struct_extract(c.defaults, 'nom_amenageur') AS d_nom_amenageur,
        struct_extract(c.defaults, 'siren_amenageur') AS d_siren_amenageur,
        struct_extract(c.defaults, 'contact_amenageur') AS d_contact_amenageur,
        struct_extract(c.defaults, 'nom_operateur') AS d_nom_operateur,
        struct_extract(c.defaults, 'contact_operateur') AS d_contact_operateur,
        struct_extract(c.defaults, 'telephone_operateur') AS d_telephone_operateur,
        struct_extract(c.defaults, 'nom_enseigne') AS d_nom_enseigne,
        struct_extract(c.defaults, 'id_station_itinerance') AS d_id_station_itinerance,
        struct_extract(c.defaults, 'nom_station') AS d_nom_station,
        struct_extract(c.defaults, 'implantation_station') AS d_implantation_station,
        struct_extract(c.defaults, 'code_insee_commune') AS d_code_insee_commune,
        struct_extract(c.defaults, 'gratuit') AS d_gratuit,
        struct_extract(c.defaults, 'paiement_acte') AS d_paiement_acte,
        struct_extract(c.defaults, 'paiement_cb') AS d_paiement_cb,
        struct_extract(c.defaults, 'paiement_autre') AS d_paiement_autre,
        struct_extract(c.defaults, 'tarification') AS d_tarification,
        struct_extract(c.defaults, 'condition_acces') AS d_condition_acces,
        struct_extract(c.defaults, 'horaires') AS d_horaires,
        struct_extract(c.defaults, 'accessibilite_pmr') AS d_accessibilite_pmr,
        struct_extract(c.defaults, 'restriction_gabarit') AS d_restriction_gabarit,
        struct_extract(c.defaults, 'raccordement') AS d_raccordement,
        struct_extract(c.defaults, 'num_pdl') AS d_num_pdl,
        struct_extract(c.defaults, 'date_mise_en_service') AS d_date_mise_en_service,
        struct_extract(c.defaults, 'observations') AS d_observations
    FROM cfg
),
ops AS (
    SELECT
        upper(regexp_replace(struct_extract(o, 'party'), '[^A-Za-z0-9]', '', 'g')) AS op_party,
        struct_extract(o, 'operator_name') AS op_operator_name,
        struct_extract(o, 'nom_amenageur') AS op_nom_amenageur,
        struct_extract(o, 'siren_amenageur') AS op_siren_amenageur,
        struct_extract(o, 'contact_amenageur') AS op_contact_amenageur,
        struct_extract(o, 'nom_operateur') AS op_nom_operateur,
        struct_extract(o, 'contact_operateur') AS op_contact_operateur,
        struct_extract(o, 'telephone_operateur') AS op_telephone_operateur,
        struct_extract(o, 'nom_enseigne') AS op_nom_enseigne,
        struct_extract(o, 'id_station_itinerance') AS op_id_station_itinerance,
        struct_extract(o, 'nom_station') AS op_nom_station,
        struct_extract(o, 'implantation_station') AS op_implantation_station,
        struct_extract(o, 'code_insee_commune') AS op_code_insee_commune,
        struct_extract(o, 'gratuit') AS op_gratuit,
        struct_extract(o, 'paiement_acte') AS op_paiement_acte,
        struct_extract(o, 'paiement_cb') AS op_paiement_cb,
        struct_extract(o, 'paiement_autre') AS op_paiement_autre,
        struct_extract(o, 'tarification') AS op_tarification,
        struct_extract(o, 'condition_acces') AS op_condition_acces,
        struct_extract(o, 'horaires') AS op_horaires,
        struct_extract(o, 'accessibilite_pmr') AS op_accessibilite_pmr,
        struct_extract(o, 'restriction_gabarit') AS op_restriction_gabarit,
        struct_extract(o, 'raccordement') AS op_raccordement,
        struct_extract(o, 'num_pdl') AS op_num_pdl,
        struct_extract(o, 'date_mise_en_service') AS op_date_mise_en_service,
        struct_extract(o, 'observations') AS op_observations
    FROM (SELECT unnest(c.operators) AS o FROM cfg)
),
by_loc AS (
    SELECT
        struct_extract(s, 'country_code') AS bl_country_code,
        struct_extract(s, 'party_id') AS bl_party_id,
        struct_extract(s, 'location_id') AS bl_location_id,
        struct_extract(s, 'nom_amenageur') AS bl_nom_amenageur,
        struct_extract(s, 'siren_amenageur') AS bl_siren_amenageur,
        struct_extract(s, 'contact_amenageur') AS bl_contact_amenageur,
        struct_extract(s, 'nom_operateur') AS bl_nom_operateur,
        struct_extract(s, 'contact_operateur') AS bl_contact_operateur,
        struct_extract(s, 'telephone_operateur') AS bl_telephone_operateur,
        struct_extract(s, 'nom_enseigne') AS bl_nom_enseigne,
        struct_extract(s, 'id_station_itinerance') AS bl_id_station_itinerance,
        struct_extract(s, 'nom_station') AS bl_nom_station,
        struct_extract(s, 'implantation_station') AS bl_implantation_station,
        struct_extract(s, 'code_insee_commune') AS bl_code_insee_commune,
        struct_extract(s, 'gratuit') AS bl_gratuit,
        struct_extract(s, 'paiement_acte') AS bl_paiement_acte,
        struct_extract(s, 'paiement_cb') AS bl_paiement_cb,
        struct_extract(s, 'paiement_autre') AS bl_paiement_autre,
        struct_extract(s, 'tarification') AS bl_tarification,
        struct_extract(s, 'condition_acces') AS bl_condition_acces,
        struct_extract(s, 'horaires') AS bl_horaires,
        struct_extract(s, 'accessibilite_pmr') AS bl_accessibilite_pmr,
        struct_extract(s, 'restriction_gabarit') AS bl_restriction_gabarit,
        struct_extract(s, 'raccordement') AS bl_raccordement,
        struct_extract(s, 'num_pdl') AS bl_num_pdl,
        struct_extract(s, 'date_mise_en_service') AS bl_date_mise_en_service,
        struct_extract(s, 'observations') AS bl_observations
    FROM (SELECT unnest(c.by_location) AS s FROM cfg)
),
places AS (
    SELECT
        struct_extract(p, 'postal_code') AS pl_postal_code,
        struct_extract(p, 'city') AS pl_city,
        struct_extract(p, 'code_insee_commune') AS pl_code_insee_commune,
        struct_extract(p, 'country_code') AS pl_country_code,
        struct_extract(p, 'party_id') AS pl_party_id,
        struct_extract(p, 'location_id') AS pl_location_id
    FROM (SELECT unnest(c.places) AS p FROM cfg)
),
by_st AS (
    SELECT
        struct_extract(s, 'station') AS bs_station,
        struct_extract(s, 'nom_amenageur') AS bs_nom_amenageur,
        struct_extract(s, 'siren_amenageur') AS bs_siren_amenageur,
        struct_extract(s, 'contact_amenageur') AS bs_contact_amenageur,
        struct_extract(s, 'nom_operateur') AS bs_nom_operateur,
        struct_extract(s, 'contact_operateur') AS bs_contact_operateur,
        struct_extract(s, 'telephone_operateur') AS bs_telephone_operateur,
        struct_extract(s, 'nom_enseigne') AS bs_nom_enseigne,
        struct_extract(s, 'id_station_itinerance') AS bs_id_station_itinerance,
        struct_extract(s, 'nom_station') AS bs_nom_station,
        struct_extract(s, 'implantation_station') AS bs_implantation_station,
        struct_extract(s, 'code_insee_commune') AS bs_code_insee_commune,
        struct_extract(s, 'gratuit') AS bs_gratuit,
        struct_extract(s, 'paiement_acte') AS bs_paiement_acte,
        struct_extract(s, 'paiement_cb') AS bs_paiement_cb,
        struct_extract(s, 'paiement_autre') AS bs_paiement_autre,
        struct_extract(s, 'tarification') AS bs_tarification,
        struct_extract(s, 'condition_acces') AS bs_condition_acces,
        struct_extract(s, 'horaires') AS bs_horaires,
        struct_extract(s, 'accessibilite_pmr') AS bs_accessibilite_pmr,
        struct_extract(s, 'restriction_gabarit') AS bs_restriction_gabarit,
        struct_extract(s, 'raccordement') AS bs_raccordement,
        struct_extract(s, 'num_pdl') AS bs_num_pdl,
        struct_extract(s, 'date_mise_en_service') AS bs_date_mise_en_service,
        struct_extract(s, 'observations') AS bs_observations
    FROM (SELECT unnest(c.by_station) AS s FROM cfg)
),
loc AS (
    SELECT
        l.country_code,
        l.party_id,
        l.id AS location_id,
        l.name,
        l.address,
        l.postal_code,
        l.city,
        l.country,
        l.latitude,
        l.longitude,
        l.operator_name,
        l.owner_name,
        l.parking_type,
        l.twentyfourseven,
        l.opening_times,
        l.last_updated,
        NULLIF(trim(json_extract_string(l._raw, '$.help_phone')), '') AS help_phone,
        NULLIF(trim(json_extract_string(l._raw, '$.directions[0].text')), '') AS directions,
        list_min(TRY_CAST(json_extract_string(l._raw, '$.parking_places[*].max_vehicle_height') AS DOUBLE[])) AS max_height_cm,
        COALESCE(irve_id(l.id), '') AS location_norm
    FROM locations AS l
    JOIN irve_sites AS site
        ON site.country_code = l.country_code AND site.party_id = l.party_id AND site.location_id = l.id
    WHERE site.open_data
),
hours_in AS (
    SELECT
        country_code,
        party_id,
        location_id,
        unnest(from_json(json_extract(opening_times, '$.regular_hours'), '[{"weekday":"BIGINT","period_begin":"VARCHAR","period_end":"VARCHAR"}]')) AS h
    FROM loc
    WHERE NOT COALESCE(twentyfourseven, false)
),
hours_days AS (
    SELECT DISTINCT
        country_code,
        party_id,
        location_id,
        struct_extract(h, 'weekday') AS wd,
        trim(struct_extract(h, 'period_begin')) AS t0,
        trim(struct_extract(h, 'period_end')) AS t1
    FROM hours_in
    WHERE struct_extract(h, 'weekday') BETWEEN 1 AND 7
),
hours_runs AS (
    SELECT
        country_code,
        party_id,
        location_id,
        t0,
        t1,
        wd,
        wd - row_number() OVER (PARTITION BY country_code, party_id, location_id, t0, t1 ORDER BY wd) AS run
    FROM hours_days
),
hours_rules AS (
    SELECT country_code, party_id, location_id, t0, t1, min(wd) AS d0, max(wd) AS d1
    FROM hours_runs
    GROUP BY country_code, party_id, location_id, t0, t1, run
),
hours AS (
    SELECT
        country_code,
        party_id,
        location_id,
        string_agg(
            CASE d0 WHEN 1 THEN 'Mo' WHEN 2 THEN 'Tu' WHEN 3 THEN 'We' WHEN 4 THEN 'Th'
                    WHEN 5 THEN 'Fr' WHEN 6 THEN 'Sa' ELSE 'Su' END
            || CASE WHEN d1 > d0 THEN '-' || CASE d1 WHEN 2 THEN 'Tu' WHEN 3 THEN 'We'
                    WHEN 4 THEN 'Th' WHEN 5 THEN 'Fr' WHEN 6 THEN 'Sa' ELSE 'Su' END ELSE '' END
            || ' ' || t0 || '-' || t1,
            ',' ORDER BY d0, t0, t1
        ) AS horaires
    FROM hours_rules
    GROUP BY country_code, party_id, location_id
),
conn AS (
    SELECT
        k.country_code,
        k.party_id,
        k.location_id,
        k.evse_uid,
        max(k.max_electric_power) AS max_w,
        COALESCE(bool_or(k.standard IN ('DOMESTIC_E', 'DOMESTIC_F')), false) AS ef,
        COALESCE(bool_or(k.standard = 'IEC_62196_T2'), false) AS t2,
        COALESCE(bool_or(k.standard IN ('IEC_62196_T2_COMBO', 'IEC_62196_T1_COMBO')), false) AS ccs,
        COALESCE(bool_or(k.standard = 'CHADEMO'), false) AS chademo,
        COALESCE(bool_or(k.standard IS NOT NULL AND k.standard NOT IN ('DOMESTIC_E', 'DOMESTIC_F',
            'IEC_62196_T2', 'IEC_62196_T2_COMBO', 'IEC_62196_T1_COMBO', 'CHADEMO')), false) AS autre,
        COALESCE(bool_or(k.standard = 'IEC_62196_T2' AND k.format = 'CABLE'), false) AS t2_cable,
        array_to_string(list_sort(list_distinct(list(CASE WHEN k.standard NOT IN ('DOMESTIC_E',
            'DOMESTIC_F', 'IEC_62196_T2', 'IEC_62196_T2_COMBO', 'IEC_62196_T1_COMBO', 'CHADEMO')
            THEN k.standard END))), ', ') AS other_standards
    FROM connectors AS k
    GROUP BY k.country_code, k.party_id, k.location_id, k.evse_uid
),
conn_tariff AS (
    SELECT DISTINCT country_code, party_id, location_id, evse_uid, unnest(tariff_ids) AS tariff_id
    FROM connectors
),
tariff AS (
    SELECT
        ct.country_code,
        ct.party_id,
        ct.location_id,
        ct.evse_uid,
        bool_or(t.type = 'AD_HOC_PAYMENT') AS ad_hoc,
        bool_and(
            COALESCE(list_max(TRY_CAST(json_extract_string(t.elements, '$[*].price_components[*].price') AS DOUBLE[])), 0) = 0
            AND COALESCE(t.min_price_excl_vat, 0) = 0
        ) AS free,
        arg_min(NULLIF(trim(json_extract_string(t.tariff_alt_text, '$[0].text')), ''), t.id) AS alt_text
    FROM conn_tariff AS ct
    JOIN tariffs AS t
        ON t.country_code = ct.country_code AND t.party_id = ct.party_id AND t.id = ct.tariff_id
    GROUP BY ct.country_code, ct.party_id, ct.location_id, ct.evse_uid
),
pdc AS (
    SELECT
        e.country_code,
        e.party_id,
        e.location_id,
        e.evse_uid,
        ip.id_pdc_itinerance AS pdc_id,
        e.capabilities,
        e.parking_restrictions,
        e.last_updated AS evse_last_updated,
        c.max_w,
        COALESCE(c.ef, false) AS ef,
        COALESCE(c.t2, false) AS t2,
        COALESCE(c.ccs, false) AS ccs,
        COALESCE(c.chademo, false) AS chademo,
        COALESCE(c.autre, false) AS autre,
        COALESCE(c.t2_cable, false) AS t2_cable,
        NULLIF(c.other_standards, '') AS other_standards,
        t.ad_hoc,
        t.free,
        t.alt_text
    FROM evses AS e
    JOIN irve_pdc AS ip
        ON ip.country_code = e.country_code AND ip.party_id = e.party_id
        AND ip.location_id = e.location_id AND ip.evse_uid = e.evse_uid
    JOIN loc ON loc.country_code = e.country_code AND loc.party_id = e.party_id AND loc.location_id = e.location_id
    LEFT JOIN conn AS c
        ON c.country_code = e.country_code AND c.party_id = e.party_id
        AND c.location_id = e.location_id AND c.evse_uid = e.evse_uid
    LEFT JOIN tariff AS t
        ON t.country_code = e.country_code AND t.party_id = e.party_id
        AND t.location_id = e.location_id AND t.evse_uid = e.evse_uid
),
loc_prefix AS (
    SELECT country_code, party_id, location_id, min(left(pdc_id, 5)) AS prefix
    FROM pdc
    WHERE regexp_full_match(COALESCE(pdc_id, ''), '[A-Z]{2}[A-Z0-9]{3}E[A-Z0-9]+')
    GROUP BY country_code, party_id, location_id
),
loc_station AS (
    SELECT
        loc.*,
        hours.horaires AS ocpi_horaires,
        CASE
            WHEN regexp_full_match(loc.location_norm, '[A-Z]{2}[A-Z0-9]{3}P[A-Z0-9]{1,29}')
                AND (p.prefix IS NULL OR left(loc.location_norm, 5) = p.prefix)
                THEN loc.location_norm
            WHEN p.prefix IS NOT NULL AND loc.location_norm <> ''
                THEN p.prefix || 'P' || left(loc.location_norm, 29)
        END AS auto_station
    FROM loc
    LEFT JOIN loc_prefix AS p
        ON p.country_code = loc.country_code AND p.party_id = loc.party_id AND p.location_id = loc.location_id
    LEFT JOIN hours
        ON hours.country_code = loc.country_code AND hours.party_id = loc.party_id AND hours.location_id = loc.location_id
),
resolved AS (
    SELECT
        ls.country_code,
        ls.party_id,
        ls.location_id,
        COALESCE(bl.bl_id_station_itinerance, bs.bs_id_station_itinerance, ls.auto_station, opn.op_id_station_itinerance, opp.op_id_station_itinerance, d.d_id_station_itinerance) AS id_station_itinerance,
        COALESCE(bl.bl_nom_amenageur, bs.bs_nom_amenageur, ls.owner_name, opn.op_nom_amenageur, opp.op_nom_amenageur, d.d_nom_amenageur) AS nom_amenageur,
        COALESCE(bl.bl_siren_amenageur, bs.bs_siren_amenageur, opn.op_siren_amenageur, opp.op_siren_amenageur, d.d_siren_amenageur) AS siren_amenageur,
        COALESCE(bl.bl_contact_amenageur, bs.bs_contact_amenageur, opn.op_contact_amenageur, opp.op_contact_amenageur, d.d_contact_amenageur) AS contact_amenageur,
        COALESCE(bl.bl_nom_operateur, bs.bs_nom_operateur, ls.operator_name, opn.op_nom_operateur, opp.op_nom_operateur, d.d_nom_operateur) AS nom_operateur,
        COALESCE(bl.bl_contact_operateur, bs.bs_contact_operateur, opn.op_contact_operateur, opp.op_contact_operateur, d.d_contact_operateur) AS contact_operateur,
        COALESCE(bl.bl_telephone_operateur, bs.bs_telephone_operateur, ls.help_phone, opn.op_telephone_operateur, opp.op_telephone_operateur, d.d_telephone_operateur) AS telephone_operateur,
        COALESCE(bl.bl_nom_enseigne, bs.bs_nom_enseigne, opn.op_nom_enseigne, opp.op_nom_enseigne, d.d_nom_enseigne, ls.operator_name) AS nom_enseigne,
        COALESCE(bl.bl_nom_station, bs.bs_nom_station, COALESCE(ls.name, ls.address), opn.op_nom_station, opp.op_nom_station, d.d_nom_station) AS nom_station,
        COALESCE(bl.bl_implantation_station, bs.bs_implantation_station, CASE
            WHEN ls.parking_type = 'ON_STREET' THEN 'Voirie'
            WHEN ls.parking_type = 'ALONG_MOTORWAY' THEN 'Station dédiée à la recharge rapide'
            WHEN ls.parking_type = 'ON_DRIVEWAY' THEN 'Parking privé réservé à la clientèle'
            WHEN ls.parking_type IN ('PARKING_GARAGE', 'UNDERGROUND_GARAGE', 'PARKING_LOT')
                THEN CASE WHEN cust.customers THEN 'Parking privé réservé à la clientèle' ELSE 'Parking public' END
        END, opn.op_implantation_station, opp.op_implantation_station, d.d_implantation_station) AS implantation_station,
        NULLIF(concat_ws(' ', ls.address, ls.postal_code, ls.city), '') AS adresse_station,
        COALESCE(bl.bl_code_insee_commune, bs.bs_code_insee_commune, pll.pl_code_insee_commune, pl.pl_code_insee_commune, opn.op_code_insee_commune, opp.op_code_insee_commune, d.d_code_insee_commune) AS code_insee_commune,
        CASE WHEN ls.longitude IS NOT NULL AND ls.latitude IS NOT NULL
            THEN '[' || rtrim(rtrim(printf('%.7f', ls.longitude), '0'), '.') || ',' || rtrim(rtrim(printf('%.7f', ls.latitude), '0'), '.') || ']' END AS coordonnees_xy,
        COALESCE(bl.bl_horaires, bs.bs_horaires, CASE WHEN ls.twentyfourseven THEN '24/7' ELSE ls.ocpi_horaires END, opn.op_horaires, opp.op_horaires, d.d_horaires) AS horaires,
        COALESCE(bl.bl_restriction_gabarit, bs.bs_restriction_gabarit, CASE WHEN ls.max_height_cm > 0 THEN 'Hauteur maximale ' || CAST(round(ls.max_height_cm / 100.0, 2) AS VARCHAR) || 'm' END, opn.op_restriction_gabarit, opp.op_restriction_gabarit, d.d_restriction_gabarit) AS restriction_gabarit,
        COALESCE(bl.bl_raccordement, bs.bs_raccordement, opn.op_raccordement, opp.op_raccordement, d.d_raccordement) AS raccordement,
        COALESCE(bl.bl_num_pdl, bs.bs_num_pdl, opn.op_num_pdl, opp.op_num_pdl, d.d_num_pdl) AS num_pdl,
        COALESCE(bl.bl_date_mise_en_service, bs.bs_date_mise_en_service, opn.op_date_mise_en_service, opp.op_date_mise_en_service, d.d_date_mise_en_service) AS date_mise_en_service,
        COALESCE(bl.bl_condition_acces, bs.bs_condition_acces, opn.op_condition_acces, opp.op_condition_acces, d.d_condition_acces) AS cfg_condition_acces,
        COALESCE(bl.bl_accessibilite_pmr, bs.bs_accessibilite_pmr, opn.op_accessibilite_pmr, opp.op_accessibilite_pmr, d.d_accessibilite_pmr) AS cfg_accessibilite_pmr,
        COALESCE(bl.bl_gratuit, bs.bs_gratuit, opn.op_gratuit, opp.op_gratuit, d.d_gratuit) AS cfg_gratuit,
        COALESCE(bl.bl_paiement_acte, bs.bs_paiement_acte, opn.op_paiement_acte, opp.op_paiement_acte, d.d_paiement_acte) AS cfg_paiement_acte,
        COALESCE(bl.bl_paiement_cb, bs.bs_paiement_cb, opn.op_paiement_cb, opp.op_paiement_cb, d.d_paiement_cb) AS cfg_paiement_cb,
        COALESCE(bl.bl_paiement_autre, bs.bs_paiement_autre, opn.op_paiement_autre, opp.op_paiement_autre, d.d_paiement_autre) AS cfg_paiement_autre,
        COALESCE(bl.bl_tarification, bs.bs_tarification, opn.op_tarification, opp.op_tarification, d.d_tarification) AS cfg_tarification,
        COALESCE(bl.bl_observations, bs.bs_observations, ls.directions, opn.op_observations, opp.op_observations, d.d_observations) AS observations,
        ls.last_updated
    FROM loc_station AS ls
    LEFT JOIN (
        SELECT country_code, party_id, location_id,
               bool_or(list_contains(COALESCE(parking_restrictions, []), 'CUSTOMERS')) AS customers
        FROM pdc
        GROUP BY country_code, party_id, location_id
    ) AS cust
        ON cust.country_code = ls.country_code AND cust.party_id = ls.party_id AND cust.location_id = ls.location_id
    CROSS JOIN d
    LEFT JOIN by_loc AS bl
        ON bl.bl_location_id = ls.location_id
        AND (bl.bl_country_code IS NULL OR bl.bl_country_code = ls.country_code)
        AND (bl.bl_party_id IS NULL OR bl.bl_party_id = ls.party_id)
    LEFT JOIN by_st AS bs ON bs.bs_station = ls.auto_station
    LEFT JOIN places AS pl
        ON pl.pl_postal_code = ls.postal_code AND pl.pl_city IS NOT DISTINCT FROM ls.city
        AND pl.pl_location_id IS NULL AND COALESCE(ls.country, 'FRA') = 'FRA'
    LEFT JOIN places AS pll
        ON pll.pl_location_id = ls.location_id AND pll.pl_country_code = ls.country_code
        AND pll.pl_party_id = ls.party_id
    LEFT JOIN ops AS opn ON opn.op_operator_name = ls.operator_name AND opn.op_party IS NULL
    LEFT JOIN ops AS opp ON opp.op_party = ls.country_code || ls.party_id AND opp.op_operator_name IS NULL
),
station_key AS (
    SELECT
        *,
        COALESCE(id_station_itinerance, country_code || '*' || party_id || '*' || location_id) AS skey
    FROM resolved
),
station_rep AS (
    SELECT *
    FROM station_key
    QUALIFY row_number() OVER (PARTITION BY skey ORDER BY country_code, party_id, location_id) = 1
),
rows AS (
    SELECT
        sk.skey,
        p.*,
        list_contains(COALESCE(p.capabilities, []), 'CREDIT_CARD_PAYABLE')
            OR list_contains(COALESCE(p.capabilities, []), 'DEBIT_CARD_PAYABLE')
            OR list_contains(COALESCE(p.capabilities, []), 'CONTACTLESS_CARD_SUPPORT')
            OR list_contains(COALESCE(p.capabilities, []), 'CHIP_CARD_SUPPORT')
            OR list_contains(COALESCE(p.capabilities, []), 'PED_TERMINAL') AS card,
        sk.cfg_accessibilite_pmr,
        sk.cfg_gratuit,
        sk.cfg_paiement_acte,
        sk.cfg_paiement_cb,
        sk.cfg_paiement_autre,
        sk.cfg_tarification,
        sk.observations AS loc_observations,
        bool_and(list_contains(COALESCE(p.parking_restrictions, []), 'CUSTOMERS')
                 OR list_contains(COALESCE(p.parking_restrictions, []), 'EMPLOYEES')
                 OR list_contains(COALESCE(p.parking_restrictions, []), 'TENANTS')
                 OR list_contains(COALESCE(p.parking_restrictions, []), 'TAXIS'))
            OVER (PARTITION BY sk.skey) AS all_reserved,
        bool_and(list_contains(COALESCE(p.parking_restrictions, []), 'MOTORCYCLES'))
            OVER (PARTITION BY sk.skey) AS all_two_wheels,
        count(*) OVER (PARTITION BY sk.skey) AS n_pdc,
        max(greatest(p.evse_last_updated, sk.last_updated)) OVER (PARTITION BY sk.skey) AS station_updated
    FROM pdc AS p
    JOIN station_key AS sk
        ON sk.country_code = p.country_code AND sk.party_id = p.party_id AND sk.location_id = p.location_id
)
SELECT
    s.nom_amenageur,
    s.siren_amenageur,
    s.contact_amenageur,
    s.nom_operateur,
    s.contact_operateur,
    s.telephone_operateur,
    s.nom_enseigne,
    s.id_station_itinerance,
    s.location_id AS id_station_local,
    s.nom_station,
    s.implantation_station,
    s.adresse_station,
    s.code_insee_commune,
    s.coordonnees_xy AS "coordonneesXY",
    r.n_pdc AS nbre_pdc,
    r.pdc_id AS id_pdc_itinerance,
    r.evse_uid AS id_pdc_local,
    round(r.max_w / 1000.0, 2) AS puissance_nominale,
    r.ef AS prise_type_ef,
    r.t2 AS prise_type_2,
    r.ccs AS prise_type_combo_ccs,
    r.chademo AS prise_type_chademo,
    r.autre AS prise_type_autre,
    COALESCE(TRY_CAST(r.cfg_gratuit AS BOOLEAN), r.free) AS gratuit,
    COALESCE(
        NULLIF(r.ad_hoc OR r.card, false),
        TRY_CAST(r.cfg_paiement_acte AS BOOLEAN),
        false
    ) AS paiement_acte,
    COALESCE(
        NULLIF(r.card, false),
        TRY_CAST(r.cfg_paiement_cb AS BOOLEAN),
        false
    ) AS paiement_cb,
    TRY_CAST(r.cfg_paiement_autre AS BOOLEAN) AS paiement_autre,
    COALESCE(r.cfg_tarification, r.alt_text) AS tarification,
    CASE WHEN r.all_reserved THEN 'Accès réservé' ELSE COALESCE(s.cfg_condition_acces, 'Accès libre') END AS condition_acces,
    list_contains(COALESCE(r.capabilities, []), 'RESERVABLE') AS reservation,
    s.horaires,
    CASE WHEN list_contains(COALESCE(r.parking_restrictions, []), 'DISABLED') THEN 'Réservé PMR'
         ELSE COALESCE(r.cfg_accessibilite_pmr, 'Accessibilité inconnue') END AS accessibilite_pmr,
    s.restriction_gabarit,
    COALESCE(r.all_two_wheels, false) AS station_deux_roues,
    s.raccordement,
    s.num_pdl,
    TRY_CAST(s.date_mise_en_service AS DATE) AS date_mise_en_service,
    NULLIF(concat_ws(' ; ', r.loc_observations,
        CASE WHEN r.other_standards IS NOT NULL THEN 'Autres prises : ' || r.other_standards END), '') AS observations,
    CAST(r.station_updated AS DATE) AS date_maj,
    r.t2_cable AS cable_t2_attache
FROM rows AS r
JOIN station_rep AS s ON s.skey = r.skey
WHERE r.station_updated >= $from AND r.station_updated < $to
ORDER BY s.id_station_itinerance, r.pdc_id, r.country_code, r.party_id, r.location_id, r.evse_uid
