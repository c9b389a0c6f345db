-- description: AFIR refill points (DATEX II `ElectricChargingPoint`), defined once for afir_table and
--   afir_status: the EVSEs of irve_pdc (the open-data locations, REMOVED and PLANNED left out),
--   each with its connectors (DATEX II connector type, W, V, A), current type, powers, the
--   ad-hoc energy rates of its AD_HOC_PAYMENT tariffs, and its static content as a DuckDB
--   struct (`point`). versionG is a hash of that static content: it changes when, and only
--   when, what afir_table publishes about the point changes (a status change does not).
--   A power type OCPI does not define gets no current type (the site is then invalid).
--   Ids: site `CC*PARTY*location_id`, refill point `CC*PARTY*location_id*evse_uid`.
-- grain: one row per refill point (country_code, party_id, location_id, evse_uid)
-- @param from timestamp 2000-01-01T00:00:00Z "unused (a current snapshot; kept for the model contract)"
-- @param to timestamp 2100-01-01T00:00:00Z "unused (a current snapshot; kept for the model contract)"
-- @audit one_row_per_point: SELECT country_code, party_id, location_id, evse_uid FROM afir_refill_points GROUP BY ALL HAVING count(*) > 1
WITH rp_conn AS (
    SELECT
        k.country_code,
        k.party_id,
        k.location_id,
        k.evse_uid,
        array_agg({
            'connectorType': {'value': CASE
                WHEN k.standard = 'CHADEMO' THEN 'chademo'
                WHEN k.standard LIKE 'DOMESTIC\__' ESCAPE '\' THEN 'domestic' || right(k.standard, 1)
                WHEN k.standard = 'IEC_60309_2_single_16' THEN 'iec60309x2single16'
                WHEN k.standard = 'IEC_60309_2_three_16' THEN 'iec60309x2three16'
                WHEN k.standard = 'IEC_60309_2_three_32' THEN 'iec60309x2three32'
                WHEN k.standard = 'IEC_60309_2_three_64' THEN 'iec60309x2three64'
                WHEN k.standard = 'IEC_62196_T1' THEN 'iec62196T1'
                WHEN k.standard = 'IEC_62196_T1_COMBO' THEN 'iec62196T1COMBO'
                WHEN k.standard = 'IEC_62196_T2' THEN 'iec62196T2'
                WHEN k.standard = 'IEC_62196_T2_COMBO' THEN 'iec62196T2COMBO'
                WHEN k.standard = 'IEC_62196_T3A' THEN 'iec62196T3A'
                WHEN k.standard = 'IEC_62196_T3C' THEN 'iec62196T3C'
                WHEN k.standard = 'MCS' THEN 'mcs'
                WHEN k.standard = 'PANTOGRAPH_BOTTOM_UP' THEN 'pantographBottomUp'
                WHEN k.standard = 'PANTOGRAPH_TOP_DOWN' THEN 'pantographTopDown'
                WHEN k.standard = 'SAE_J3400' THEN 'teslaConnectorAmerica'
                WHEN k.standard = 'TESLA_R' THEN 'teslaR'
                WHEN k.standard = 'TESLA_S' THEN 'teslaS'
                ELSE 'other' END},
            'otherConnector': CASE
                WHEN k.standard IS NULL OR k.standard IN ('CHAOJI', 'GBT_AC', 'GBT_DC')
                    OR k.standard LIKE 'NEMA%' THEN COALESCE(k.standard, 'unknown') END,
            'connectorFormat': CASE k.format
                WHEN 'SOCKET' THEN {'value': 'socket'}
                WHEN 'CABLE' THEN {'value': 'otherCable'} END,
            'maxPowerAtSocket': k.max_electric_power,
            'voltage': k.max_voltage,
            'maximumCurrent': k.max_amperage
        } ORDER BY k.connector_id) AS connectors,
        count(*) AS n_connectors,
        max(k.max_electric_power) AS max_w,
        bool_or(k.max_electric_power IS NULL) AS power_unknown,
        arg_max(k.power_type, k.max_electric_power) AS power_type,
        list_sort(list_distinct(array_agg(k.max_electric_power))) AS powers,
        list_sort(list_distinct(array_agg(k.max_voltage))) AS voltages
    FROM connectors AS k
    GROUP BY k.country_code, k.party_id, k.location_id, k.evse_uid
),
rp_pnc AS (
    -- OCPI 2.3.0 ConnectorCapability ISO_15118_2/20_PLUG_AND_CHARGE on any connector of the EVSE
    -- (not in the normalized views: read from the location's raw object, only where it occurs)
    SELECT country_code, party_id, location_id, evse_uid
    FROM (
        SELECT
            country_code,
            party_id,
            id AS location_id,
            json_extract_string(ev, '$.uid') AS evse_uid,
            flatten(from_json(json_extract(ev, '$.connectors[*].capabilities'), '[["VARCHAR"]]')) AS caps
        FROM (
            SELECT country_code, party_id, id, unnest(from_json(json_extract(_raw, '$.evses'), '["JSON"]')) AS ev
            FROM locations
            WHERE contains(_raw::VARCHAR, '_PLUG_AND_CHARGE')
        )
    )
    WHERE list_has_any(caps, ['ISO_15118_2_PLUG_AND_CHARGE', 'ISO_15118_20_PLUG_AND_CHARGE'])
    GROUP BY ALL
),
rp_tariff_ids AS (
    SELECT DISTINCT country_code, party_id, location_id, evse_uid, unnest(tariff_ids) AS tariff_id
    FROM connectors
),
rp_price AS (
    SELECT
        t.country_code,
        t.party_id,
        t.id,
        array_agg({
            'priceType': {'value': CASE struct_extract(pc, 'type')
                WHEN 'ENERGY' THEN 'pricePerKWh' WHEN 'TIME' THEN 'pricePerMinute'
                ELSE 'basePrice' END},
            'value': round(CASE WHEN struct_extract(pc, 'type') = 'TIME'
                THEN TRY_CAST(struct_extract(pc, 'price') AS DOUBLE) / 60
                ELSE TRY_CAST(struct_extract(pc, 'price') AS DOUBLE) END, 4),
            'taxIncluded': COALESCE(t.tax_included = 'YES', false),
            'taxRate': TRY_CAST(struct_extract(pc, 'vat') AS DOUBLE)
        } ORDER BY struct_extract(pc, 'type')) AS prices
    FROM (
        SELECT country_code, party_id, id, tax_included,
               unnest(from_json(json_extract(el, '$.price_components'), '[{"type":"VARCHAR","price":"VARCHAR","vat":"VARCHAR"}]')) AS pc
        FROM (
            SELECT country_code, party_id, id, tax_included,
                   unnest(from_json(elements, '["JSON"]')) AS el
            FROM tariffs
            WHERE type = 'AD_HOC_PAYMENT'
        )
        WHERE json_extract(el, '$.restrictions') IS NULL
    ) AS t
    WHERE struct_extract(pc, 'type') IN ('ENERGY', 'TIME', 'FLAT')
        AND TRY_CAST(struct_extract(pc, 'price') AS DOUBLE) IS NOT NULL
    GROUP BY t.country_code, t.party_id, t.id
),
rp_rates AS (
    SELECT
        r.country_code,
        r.party_id,
        r.location_id,
        r.evse_uid,
        array_agg({
            'idG': t.country_code || '*' || t.party_id || '*' || t.id,
            'ratePolicy': {'value': 'adHoc'},
            'lastUpdated': strftime(t.last_updated, '%Y-%m-%dT%H:%M:%SZ'),
            'applicableCurrency': [t.currency],
            'energyPrice': p.prices
        } ORDER BY t.id) AS rates,
        max(t.last_updated) AS rates_updated
    FROM rp_tariff_ids AS r
    JOIN tariffs AS t
        ON t.country_code = r.country_code AND t.party_id = r.party_id AND t.id = r.tariff_id
    JOIN rp_price AS p ON p.country_code = t.country_code AND p.party_id = t.party_id AND p.id = t.id
    WHERE t.type = 'AD_HOC_PAYMENT' AND t.currency IS NOT NULL
    GROUP BY r.country_code, r.party_id, r.location_id, r.evse_uid
),
rp_static AS (
    SELECT
        e.country_code,
        e.party_id,
        e.location_id,
        e.evse_uid,
        e.evse_id,
        e.status,
        e.capabilities,
        e.parking_restrictions,
        e.last_updated,
        c.max_w,
        COALESCE(c.power_unknown, true) AS power_unknown,
        r.rates,
        r.rates_updated,
        e.country_code || '*' || e.party_id || '*' || e.location_id || '*' || e.evse_uid AS point_id,
        list_sort(list_distinct(list_filter(list_transform(e.capabilities, lambda k: CASE k
            WHEN 'CREDIT_CARD_PAYABLE' THEN 'paymentCreditCard'
            WHEN 'DEBIT_CARD_PAYABLE' THEN 'paymentDebitCard'
            WHEN 'CHIP_CARD_SUPPORT' THEN 'emv'
            WHEN 'CONTACTLESS_CARD_SUPPORT' THEN 'nfc' END), lambda m: m IS NOT NULL))) AS pay,
        {
            'externalIdentifier': CASE WHEN e.evse_id IS NOT NULL THEN [{
                'identifier': e.evse_id,
                'typeOfIdentifier': {'value': 'extendedG', 'extendedValueG': 'evseId'}}] END,
            'deliveryUnit': {'value': 'kWh'},
            'reservation': CASE WHEN list_contains(e.capabilities, 'RESERVABLE') THEN {'value': 'optional'} END,
            'currentType': CASE
                WHEN c.power_type = 'DC' THEN {'value': 'dc'}
                WHEN c.power_type IN ('AC_1_PHASE', 'AC_2_PHASE', 'AC_2_PHASE_SPLIT', 'AC_3_PHASE')
                    THEN {'value': 'ac'} END,
            'numberOfConnectors': c.n_connectors,
            'availableVoltage': NULLIF(list_filter(c.voltages, lambda v: v IS NOT NULL), []),
            -- the profile: "the first value must be the maximum"
            'availableChargingPower': NULLIF(list_reverse_sort(list_filter(c.powers, lambda w: w IS NOT NULL)), []),
            'smartRechargingServices': CASE WHEN pnc.evse_uid IS NOT NULL THEN [{'value': 'plugAndCharge'}] END,
            'connector': c.connectors,
            -- the EVSE's payment terminal on its ad-hoc rates (AFIR A20-A22, where the profile's
            -- example puts it)
            'electricEnergy': CASE WHEN r.rates IS NOT NULL THEN [{'energyRate': list_transform(r.rates,
                lambda x: struct_insert(x, payment := CASE WHEN len(pay) > 0
                    THEN {'paymentMeans': list_transform(pay, lambda m: {'value': m})} END))}] END
        } AS body
    FROM evses AS e
    JOIN irve_pdc AS ip
        ON ip.country_code = e.country_code AND ip.party_id = e.party_id
        AND ip.location_id = e.location_id AND ip.evse_uid = e.evse_uid
    LEFT JOIN rp_conn AS c
        ON c.country_code = e.country_code AND c.party_id = e.party_id
        AND c.location_id = e.location_id AND c.evse_uid = e.evse_uid
    LEFT JOIN rp_rates AS r
        ON r.country_code = e.country_code AND r.party_id = e.party_id
        AND r.location_id = e.location_id AND r.evse_uid = e.evse_uid
    LEFT JOIN rp_pnc AS pnc
        ON pnc.country_code = e.country_code AND pnc.party_id = e.party_id
        AND pnc.location_id = e.location_id AND pnc.evse_uid = e.evse_uid
)
SELECT
    country_code,
    party_id,
    location_id,
    evse_uid,
    evse_id,
    status,
    capabilities,
    parking_restrictions,
    last_updated,
    max_w,
    power_unknown,
    rates,
    rates_updated,
    point_id,
    left(md5(to_json(body)::VARCHAR), 12) AS version,
    {
        'idG': point_id,
        'versionG': left(md5(to_json(body)::VARCHAR), 12),
        'lastUpdated': strftime(last_updated, '%Y-%m-%dT%H:%M:%SZ'),
        'externalIdentifier': body.externalIdentifier,
        'deliveryUnit': body.deliveryUnit,
        'reservation': body.reservation,
        'currentType': body.currentType,
        'numberOfConnectors': body.numberOfConnectors,
        'availableVoltage': body.availableVoltage,
        'availableChargingPower': body.availableChargingPower,
        'smartRechargingServices': body.smartRechargingServices,
        'connector': body.connector,
        'electricEnergy': body.electricEnergy
    } AS point
FROM rp_static
