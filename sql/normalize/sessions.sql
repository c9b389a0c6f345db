-- Sessions of OCPI 2.1.1 / 2.2.1 / 2.3.0 → one row shape named after 2.2.1.
-- Input: table `batch(_raw VARCHAR)` of privacy-filtered objects; params $version, $platform_cc, $platform_party.
-- The scalars the output and `_error` share are parsed once per row (`checked`).
WITH parsed AS (
    SELECT _raw, json_transform(_raw, '{
        "country_code": "VARCHAR", "party_id": "VARCHAR", "id": "VARCHAR",
        "start_date_time": "VARCHAR", "start_datetime": "VARCHAR",
        "end_date_time": "VARCHAR", "end_datetime": "VARCHAR",
        "kwh": "VARCHAR", "auth_method": "VARCHAR", "authorization_reference": "VARCHAR",
        "auth_id": "VARCHAR",
        "cdr_token": {"country_code": "VARCHAR", "party_id": "VARCHAR", "uid": "VARCHAR",
                      "type": "VARCHAR", "contract_id": "VARCHAR"},
        "location_id": "VARCHAR", "evse_uid": "VARCHAR", "connector_id": "VARCHAR",
        "location": {"id": "VARCHAR", "evses": [{"uid": "VARCHAR", "evse_id": "VARCHAR",
                     "connectors": [{"id": "VARCHAR"}]}]},
        "meter_id": "VARCHAR", "currency": "VARCHAR", "total_cost": "JSON",
        "status": "VARCHAR", "last_updated": "VARCHAR"}') AS o
    FROM batch
), scalars AS (
    SELECT _raw, o,
        ocpi_str(o.id) AS id,
        ocpi_str(COALESCE(o.start_date_time, o.start_datetime)) AS start_s,
        ocpi_str(COALESCE(o.end_date_time, o.end_datetime)) AS end_s,
        ocpi_str(o.kwh) AS kwh_s,
        ocpi_str(o.last_updated) AS last_updated_s,
        json_type(o.total_cost) AS cost_type,
        ocpi_price_parts(o.total_cost) AS cost
    FROM parsed
), checked AS (
    SELECT *,
        TRY_CAST(start_s AS TIMESTAMPTZ) AS start_date_time,
        TRY_CAST(end_s AS TIMESTAMPTZ) AS end_date_time,
        TRY_CAST(kwh_s AS DOUBLE) AS kwh,
        TRY_CAST(last_updated_s AS TIMESTAMPTZ) AS last_updated
    FROM scalars
)
SELECT
    COALESCE(ocpi_str(o.country_code), $platform_cc) AS country_code,
    COALESCE(ocpi_str(o.party_id), $platform_party) AS party_id,
    id,
    start_date_time,
    end_date_time,
    kwh,
    ocpi_str(o.cdr_token.uid) AS cdr_token_uid,
    ocpi_str(o.cdr_token.type) AS cdr_token_type,
    COALESCE(ocpi_str(o.cdr_token.contract_id), ocpi_str(o.auth_id)) AS cdr_token_contract_id,
    ocpi_str(o.cdr_token.country_code) AS cdr_token_country_code,
    ocpi_str(o.cdr_token.party_id) AS cdr_token_party_id,
    ocpi_str(o.auth_method) AS auth_method,
    ocpi_str(o.authorization_reference) AS authorization_reference,
    COALESCE(ocpi_str(o.location_id), ocpi_str(o.location.id)) AS location_id,
    COALESCE(ocpi_str(o.evse_uid), ocpi_str(o.location.evses[1].uid)) AS evse_uid,
    COALESCE(ocpi_str(o.connector_id), ocpi_str(o.location.evses[1].connectors[1].id)) AS connector_id,
    ocpi_str(o.meter_id) AS meter_id,
    ocpi_str(o.currency) AS currency,
    ocpi_cost_excl(cost_type, cost, o.total_cost) AS total_cost_excl_vat,
    ocpi_cost_incl(cost_type, cost, o.total_cost) AS total_cost_incl_vat,
    ocpi_str(o.status) AS status,
    last_updated,
    CASE
        WHEN id IS NULL THEN 'missing id'
        WHEN last_updated IS NULL THEN 'missing or invalid last_updated'
        WHEN start_date_time IS NULL THEN 'missing or invalid start_date_time'
        WHEN end_s IS NOT NULL AND end_date_time IS NULL THEN 'invalid end_date_time'
        WHEN kwh_s IS NOT NULL AND kwh IS NULL THEN 'kwh is not a number'
    END AS _error,
    _raw
FROM checked
