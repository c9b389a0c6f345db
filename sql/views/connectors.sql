-- Connectors of the current locations: one row per connector of each EVSE.
-- Power in W: max_electric_power as served, or voltage × amperage × phases (power_derived).
WITH e AS (
    SELECT
        country_code, party_id, id AS location_id, last_updated AS location_last_updated,
        _source, _batch_id, _fetched_at, _ocpi_version, unnest(evses) AS evse
    FROM locations
),
c AS (
    SELECT *, unnest(evse.connectors) AS connector FROM e
)
SELECT
    country_code,
    party_id,
    location_id,
    evse.uid AS evse_uid,
    evse.evse_id AS evse_id,
    connector.id AS connector_id,
    connector.standard AS standard,
    connector.format AS format,
    connector.power_type AS power_type,
    connector.max_voltage AS max_voltage,
    connector.max_amperage AS max_amperage,
    connector.max_electric_power AS max_electric_power,
    connector.power_derived AS power_derived,
    connector.tariff_ids AS tariff_ids,
    connector.terms_and_conditions AS terms_and_conditions,
    COALESCE(connector.last_updated, evse.last_updated, location_last_updated) AS last_updated,
    _source,
    _batch_id,
    _fetched_at,
    _ocpi_version
FROM c
