-- Locations with their EVSEs and connectors (nested lists), OCPI 2.1.1 / 2.2.1 / 2.3.0 → 2.2.1 names.
-- 2.1.1: `type` (LocationType) instead of `parking_type`, no `publish` (everything listed is public),
-- connector `voltage`/`amperage`/`tariff_id`. Connector power is `max_electric_power` when given,
-- else derived from voltage × amperage × phases (the spec's rule), flagged in `power_derived`.
WITH parsed AS (
    SELECT _raw, json_transform(_raw, '{
        "country_code": "VARCHAR", "party_id": "VARCHAR", "id": "VARCHAR",
        "publish": "VARCHAR", "type": "VARCHAR", "parking_type": "VARCHAR",
        "name": "VARCHAR", "address": "VARCHAR", "city": "VARCHAR", "postal_code": "VARCHAR",
        "state": "VARCHAR", "country": "VARCHAR",
        "coordinates": {"latitude": "VARCHAR", "longitude": "VARCHAR"},
        "operator": {"name": "VARCHAR"}, "suboperator": {"name": "VARCHAR"}, "owner": {"name": "VARCHAR"},
        "facilities": "JSON", "time_zone": "VARCHAR", "charging_when_closed": "VARCHAR",
        "opening_times": {"twentyfourseven": "VARCHAR"},
        "evses": [{
            "uid": "VARCHAR", "evse_id": "VARCHAR", "status": "VARCHAR", "capabilities": "JSON",
            "floor_level": "VARCHAR", "coordinates": {"latitude": "VARCHAR", "longitude": "VARCHAR"},
            "physical_reference": "VARCHAR", "parking_restrictions": "JSON", "last_updated": "VARCHAR",
            "connectors": [{
                "id": "VARCHAR", "standard": "VARCHAR", "format": "VARCHAR", "power_type": "VARCHAR",
                "max_voltage": "VARCHAR", "voltage": "VARCHAR", "max_amperage": "VARCHAR",
                "amperage": "VARCHAR", "max_electric_power": "VARCHAR", "tariff_ids": "JSON",
                "tariff_id": "VARCHAR", "terms_and_conditions": "VARCHAR", "last_updated": "VARCHAR"}]
        }],
        "last_updated": "VARCHAR"}') AS o
    FROM batch
),
typed AS (
    SELECT
        _raw,
        o,
        list_transform(COALESCE(o.evses, []), lambda e: {
            'uid': ocpi_str(e.uid),
            'evse_id': ocpi_str(e.evse_id),
            'status': ocpi_str(e.status),
            'capabilities': ocpi_str_list(e.capabilities),
            'floor_level': ocpi_str(e.floor_level),
            'latitude': ocpi_num(e.coordinates.latitude),
            'longitude': ocpi_num(e.coordinates.longitude),
            'physical_reference': ocpi_str(e.physical_reference),
            'parking_restrictions': ocpi_str_list(e.parking_restrictions),
            'last_updated': ocpi_ts(e.last_updated),
            'connectors': list_transform(COALESCE(e.connectors, []), lambda c: {
                'id': ocpi_str(c.id),
                'standard': ocpi_str(c.standard),
                'format': ocpi_str(c.format),
                'power_type': ocpi_str(c.power_type),
                'max_voltage': COALESCE(ocpi_int(c.max_voltage), ocpi_int(c.voltage)),
                'max_amperage': COALESCE(ocpi_int(c.max_amperage), ocpi_int(c.amperage)),
                'max_electric_power': COALESCE(
                    ocpi_int(c.max_electric_power),
                    COALESCE(ocpi_int(c.max_voltage), ocpi_int(c.voltage))
                    * COALESCE(ocpi_int(c.max_amperage), ocpi_int(c.amperage))
                    * CASE ocpi_str(c.power_type) WHEN 'AC_3_PHASE' THEN 3
                           WHEN 'AC_2_PHASE' THEN 2 WHEN 'AC_2_PHASE_SPLIT' THEN 2 ELSE 1 END),
                'power_derived': ocpi_int(c.max_electric_power) IS NULL,
                'tariff_ids': COALESCE(ocpi_str_list(c.tariff_ids),
                                       CASE WHEN ocpi_str(c.tariff_id) IS NOT NULL
                                            THEN [ocpi_str(c.tariff_id)] END),
                'terms_and_conditions': ocpi_str(c.terms_and_conditions),
                'last_updated': ocpi_ts(c.last_updated)
            })
        }) AS evses
    FROM parsed
)
SELECT
    COALESCE(ocpi_str(o.country_code), $platform_cc) AS country_code,
    COALESCE(ocpi_str(o.party_id), $platform_party) AS party_id,
    ocpi_str(o.id) AS id,
    COALESCE(ocpi_bool(o.publish), true) AS publish,
    COALESCE(ocpi_str(o.parking_type), ocpi_str(o.type)) AS parking_type,
    ocpi_str(o.name) AS name,
    ocpi_str(o.address) AS address,
    ocpi_str(o.city) AS city,
    ocpi_str(o.postal_code) AS postal_code,
    ocpi_str(o.state) AS state,
    ocpi_str(o.country) AS country,
    ocpi_num(o.coordinates.latitude) AS latitude,
    ocpi_num(o.coordinates.longitude) AS longitude,
    ocpi_str(o.operator.name) AS operator_name,
    ocpi_str(o.suboperator.name) AS suboperator_name,
    ocpi_str(o.owner.name) AS owner_name,
    ocpi_str_list(o.facilities) AS facilities,
    ocpi_str(o.time_zone) AS time_zone,
    ocpi_bool(o.charging_when_closed) AS charging_when_closed,
    ocpi_bool(o.opening_times.twentyfourseven) AS twentyfourseven,
    evses,
    ocpi_ts(o.last_updated) AS last_updated,
    CASE
        WHEN ocpi_str(o.id) IS NULL THEN 'missing id'
        WHEN ocpi_ts(o.last_updated) IS NULL THEN 'missing or invalid last_updated'
        WHEN list_bool_or(list_transform(evses, lambda e: e.uid IS NULL)) THEN 'an EVSE has no uid'
    END AS _error,
    _raw
FROM typed
