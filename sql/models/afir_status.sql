-- description: AFIR dynamic data (DATEX II EnergyInfrastructureStatusPublication, Mobilithek profile
--   01-00-00): per site, per refill point of afir_refill_points, its status since its last
--   change (evse_status_events: status and valid_from) and its ad-hoc prices (energyRateUpdate
--   of its AD_HOC_PAYMENT tariffs). `since` makes a delta: only the refill points whose status
--   changed, or whose ad-hoc tariff changed, at or after `since`; sites without one are left
--   out. The default (2000-01-01) is a full snapshot. OCPI status → DATEX II
--   RefillPointStatusEnum one to one (OUTOFORDER → outOfOrder).
-- grain: one row per site (country_code, party_id, location_id) with at least one refill point
-- @param from timestamp 2000-01-01T00:00:00Z "unused (a current snapshot; kept for the model contract)"
-- @param to timestamp 2100-01-01T00:00:00Z "unused (a current snapshot; kept for the model contract)"
-- @param since timestamp 2000-01-01T00:00:00Z "delta: refill points changed at or after this time (UTC); the default is a full snapshot"
-- @audit one_row_per_site: SELECT site_id FROM afir_status GROUP BY site_id HAVING count(*) > 1
-- @audit one_status_per_point: SELECT site_id FROM afir_status WHERE len(point_ids) <> len(list_distinct(point_ids))
WITH st_points AS (
    SELECT
        p.country_code,
        p.party_id,
        p.location_id,
        p.point_id,
        COALESCE(c.status, p.status) AS ocpi_status,
        COALESCE(c.valid_from, p.last_updated) AS status_since,
        {'aegiElectricChargingPointStatus': {
            'reference': {'targetClass': 'FacilityObject', 'idG': p.point_id, 'versionG': p.version},
            'lastUpdated': strftime(COALESCE(c.valid_from, p.last_updated), '%Y-%m-%dT%H:%M:%SZ'),
            'status': {'value': CASE COALESCE(c.status, p.status)
                WHEN 'AVAILABLE' THEN 'available' WHEN 'BLOCKED' THEN 'blocked'
                WHEN 'CHARGING' THEN 'charging' WHEN 'INOPERATIVE' THEN 'inoperative'
                WHEN 'OUTOFORDER' THEN 'outOfOrder' WHEN 'PLANNED' THEN 'planned'
                WHEN 'REMOVED' THEN 'removed' WHEN 'RESERVED' THEN 'reserved'
                ELSE 'unknown' END},
            'energyRateUpdate': CASE WHEN p.rates IS NOT NULL THEN list_transform(p.rates, lambda r: {
                'lastUpdated': r.lastUpdated,
                'energyRateReference': {'targetClass': 'EnergyRate', 'idG': r.idG},
                'energyPrice': r.energyPrice}) END
        }} AS point_status
    FROM afir_refill_points AS p
    LEFT JOIN evse_status_events AS c  -- its open event: the status since the last change (one per EVSE)
        ON c.country_code = p.country_code AND c.party_id = p.party_id
        AND c.location_id = p.location_id AND c.evse_uid = p.evse_uid AND c.valid_to IS NULL
    WHERE COALESCE(c.valid_from, p.last_updated) >= $since OR p.rates_updated >= $since
)
SELECT
    country_code,
    party_id,
    location_id,
    country_code || '*' || party_id || '*' || location_id AS site_id,
    max(status_since) AS last_updated,
    count(*) AS refill_points,
    array_agg(point_id ORDER BY point_id) AS point_ids,
    array_agg(ocpi_status ORDER BY point_id) AS statuses,
    {
        'reference': {'targetClass': 'FacilityObject', 'idG': country_code || '*' || party_id || '*' || location_id},
        'lastUpdated': strftime(max(status_since), '%Y-%m-%dT%H:%M:%SZ'),
        'energyInfrastructureStationStatus': [{
            'reference': {'targetClass': 'FacilityObject', 'idG': country_code || '*' || party_id || '*' || location_id || '*station'},
            'lastUpdated': strftime(max(status_since), '%Y-%m-%dT%H:%M:%SZ'),
            'refillPointStatus': array_agg(point_status ORDER BY point_id)
        }]
    } AS site
FROM st_points
GROUP BY country_code, party_id, location_id
ORDER BY country_code, party_id, location_id
