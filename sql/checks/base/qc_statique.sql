-- description: Points de recharge as QualiCharge sees them: every row of irve_statique (the
--   whole current snapshot, whatever its date_maj) with its operational unit (the AFIREV prefix,
--   first 5 characters of id_pdc_itinerance), coordinates split into lon/lat and IS_DC
--   (puissance_nominale >= 50 kW or a CCS or CHAdeMO socket, as QualiCharge's rules define it),
--   and insee_known: code_insee_commune is a commune of QualiCharge's table (Etalab contours
--   2024, from the COG table shipped with ocpiwh: $irve_config.communes).
-- grain: one row per point de recharge
-- @param irve_config string "{}" "IRVE configuration as JSON (filled from ocpiwh.toml)"
SELECT
    COALESCE(left(s.id_pdc_itinerance, 5), left(s.id_station_itinerance, 5), '?') AS unit,
    s.*,
    TRY_CAST(json_extract_string(s."coordonneesXY", '$[0]') AS DOUBLE) AS lon,
    TRY_CAST(json_extract_string(s."coordonneesXY", '$[1]') AS DOUBLE) AS lat,
    (COALESCE(s.puissance_nominale, 0) >= 50 OR s.prise_type_combo_ccs OR s.prise_type_chademo) AS is_dc,
    COALESCE(k.known, false) AS insee_known
FROM irve_statique AS s
LEFT JOIN (
    SELECT struct_extract(x, 'code') AS code, bool_or(struct_extract(x, 'in_qualicharge') = 'true') AS known
    FROM (SELECT unnest(from_json($irve_config, '{"communes":[{"code":"VARCHAR","in_qualicharge":"VARCHAR"}]}').communes) AS x)
    GROUP BY struct_extract(x, 'code')
) AS k ON k.code = s.code_insee_commune
