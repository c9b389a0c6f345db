-- CDRs of OCPI 2.1.1 / 2.2.1 / 2.3.0 → one row shape named after 2.2.1.
-- 2.1.1 names: stop_date_time, auth_id, embedded `location` (with only the EVSE and connector used).
-- The scalars the output and `_error` share are parsed once per row (`checked`), see sessions.sql.
WITH parsed AS (
    SELECT _raw, json_transform(_raw, '{
        "country_code": "VARCHAR", "party_id": "VARCHAR", "id": "VARCHAR",
        "start_date_time": "VARCHAR", "end_date_time": "VARCHAR", "stop_date_time": "VARCHAR",
        "session_id": "VARCHAR", "auth_id": "VARCHAR",
        "cdr_token": {"country_code": "VARCHAR", "party_id": "VARCHAR", "uid": "VARCHAR",
                      "type": "VARCHAR", "contract_id": "VARCHAR"},
        "auth_method": "VARCHAR", "authorization_reference": "VARCHAR",
        "cdr_location": {"id": "VARCHAR", "evse_uid": "VARCHAR", "evse_id": "VARCHAR",
                         "connector_id": "VARCHAR", "connector_standard": "VARCHAR",
                         "connector_format": "VARCHAR", "connector_power_type": "VARCHAR"},
        "location": {"id": "VARCHAR", "evses": [{"uid": "VARCHAR", "evse_id": "VARCHAR",
                     "connectors": [{"id": "VARCHAR", "standard": "VARCHAR", "format": "VARCHAR",
                                     "power_type": "VARCHAR"}]}]},
        "meter_id": "VARCHAR", "currency": "VARCHAR", "total_cost": "JSON",
        "total_energy": "VARCHAR", "total_time": "VARCHAR", "total_parking_time": "VARCHAR",
        "credit": "VARCHAR", "credit_reference_id": "VARCHAR",
        "home_charging_compensation": "VARCHAR", "remark": "VARCHAR",
        "last_updated": "VARCHAR"}') AS o
    FROM batch
), scalars AS (
    SELECT _raw, o,
        ocpi_str(o.id) AS id,
        ocpi_str(o.start_date_time) AS start_s,
        ocpi_str(COALESCE(o.end_date_time, o.stop_date_time)) AS end_s,
        ocpi_str(o.total_energy) AS total_energy_s,
        ocpi_str(o.total_time) AS total_time_s,
        ocpi_str(o.last_updated) AS last_updated_s,
        json_type(o.total_cost) AS cost_type,
        ocpi_price_parts(o.total_cost) AS cost
    FROM parsed
), checked AS (
    SELECT *,
        TRY_CAST(start_s AS TIMESTAMPTZ) AS start_date_time,
        TRY_CAST(end_s AS TIMESTAMPTZ) AS end_date_time,
        TRY_CAST(total_energy_s AS DOUBLE) AS total_energy,
        TRY_CAST(total_time_s AS DOUBLE) AS total_time,
        TRY_CAST(last_updated_s AS TIMESTAMPTZ) AS last_updated
    FROM scalars
)
SELECT
    COALESCE(ocpi_str(o.country_code), $platform_cc) AS country_code,
    COALESCE(ocpi_str(o.party_id), $platform_party) AS party_id,
    id,
    start_date_time,
    end_date_time,
    ocpi_str(o.session_id) AS session_id,
    ocpi_str(o.cdr_token.uid) AS cdr_token_uid,
    ocpi_str(o.cdr_token.type) AS cdr_token_type,
    COALESCE(ocpi_str(o.cdr_token.contract_id), ocpi_str(o.auth_id)) AS cdr_token_contract_id,
    ocpi_str(o.cdr_token.country_code) AS cdr_token_country_code,
    ocpi_str(o.cdr_token.party_id) AS cdr_token_party_id,
    ocpi_str(o.auth_method) AS auth_method,
    ocpi_str(o.authorization_reference) AS authorization_reference,
    COALESCE(ocpi_str(o.cdr_location.id), ocpi_str(o.location.id)) AS location_id,
    COALESCE(ocpi_str(o.cdr_location.evse_uid), ocpi_str(o.location.evses[1].uid)) AS evse_uid,
    COALESCE(ocpi_str(o.cdr_location.evse_id), ocpi_str(o.location.evses[1].evse_id)) AS evse_id,
    COALESCE(ocpi_str(o.cdr_location.connector_id),
             ocpi_str(o.location.evses[1].connectors[1].id)) AS connector_id,
    COALESCE(ocpi_str(o.cdr_location.connector_standard),
             ocpi_str(o.location.evses[1].connectors[1].standard)) AS connector_standard,
    COALESCE(ocpi_str(o.cdr_location.connector_format),
             ocpi_str(o.location.evses[1].connectors[1].format)) AS connector_format,
    COALESCE(ocpi_str(o.cdr_location.connector_power_type),
             ocpi_str(o.location.evses[1].connectors[1].power_type)) AS connector_power_type,
    ocpi_str(o.meter_id) AS meter_id,
    ocpi_str(o.currency) AS currency,
    ocpi_cost_excl(cost_type, cost, o.total_cost) AS total_cost_excl_vat,
    ocpi_cost_incl(cost_type, cost, o.total_cost) AS total_cost_incl_vat,
    total_energy,
    total_time,
    ocpi_num(o.total_parking_time) AS total_parking_time,
    COALESCE(ocpi_bool(o.credit), false) AS credit,
    ocpi_str(o.credit_reference_id) AS credit_reference_id,
    ocpi_bool(o.home_charging_compensation) AS home_charging_compensation,
    ocpi_str(o.remark) AS remark,
    last_updated,
    CASE
        WHEN id IS NULL THEN 'missing id'
        WHEN last_updated IS NULL THEN 'missing or invalid last_updated'
        WHEN start_date_time IS NULL THEN 'missing or invalid start_date_time'
        WHEN end_s IS NOT NULL AND end_date_time IS NULL THEN 'invalid end_date_time'
        WHEN total_energy_s IS NOT NULL AND total_energy IS NULL THEN 'total_energy is not a number'
        WHEN total_time_s IS NOT NULL AND total_time IS NULL THEN 'total_time is not a number'
    END AS _error,
    _raw
FROM checked
