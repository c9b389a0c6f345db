-- EVSEs of the current locations: one row per EVSE (REMOVED ones included: filter on status).
-- max_electric_power is the most powerful connector's (an EVSE charges one vehicle at a time).
WITH e AS (
    SELECT
        country_code, party_id, id AS location_id, last_updated AS location_last_updated,
        _source, _batch_id, _fetched_at, _ocpi_version, unnest(evses) AS evse
    FROM locations
)
SELECT
    country_code,
    party_id,
    location_id,
    evse.uid AS evse_uid,
    evse.evse_id AS evse_id,
    evse.status AS status,
    evse.capabilities AS capabilities,
    evse.floor_level AS floor_level,
    evse.latitude AS latitude,
    evse.longitude AS longitude,
    evse.physical_reference AS physical_reference,
    evse.parking_restrictions AS parking_restrictions,
    len(evse.connectors) AS connector_count,
    list_max(list_transform(evse.connectors, lambda c: c.max_electric_power)) AS max_electric_power,
    COALESCE(evse.last_updated, location_last_updated) AS last_updated,
    _source,
    _batch_id,
    _fetched_at,
    _ocpi_version
FROM e
