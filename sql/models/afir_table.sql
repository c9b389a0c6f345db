-- description: AFIR static data (DATEX II EnergyInfrastructureTablePublication, Mobilithek profile
--   01-00-00): one EnergyInfrastructureSite per open-data location, holding one
--   EnergyInfrastructureStation with the refill points of afir_refill_points. `site` is the
--   site as a DuckDB struct (NULL fields are dropped when written); `missing` lists the AFIR
--   entries OCPI did not give for this site (never invented; see docs/afir.md). The
--   publication envelope (creator, table id, times) is added by `ocpiwh export`.
-- grain: one row per site (country_code, party_id, location_id)
-- @param from timestamp 2000-01-01T00:00:00Z "unused (a current snapshot; kept for the model contract)"
-- @param to timestamp 2100-01-01T00:00:00Z "unused (a current snapshot; kept for the model contract)"
-- @param afir_config string "{}" "AFIR configuration as JSON (see docs/afir.md); filled from ocpiwh.toml"
-- @audit one_row_per_site: SELECT site_id FROM afir_table GROUP BY site_id HAVING count(*) > 1
WITH tbl_cfg AS (
    SELECT from_json($afir_config, '{"lang":"VARCHAR","service_type":"VARCHAR","operator_name":"VARCHAR","helpdesk_phone":"VARCHAR"}') AS c
),
tbl_hours AS (
    SELECT
        country_code,
        party_id,
        location_id,
        array_agg({
            'recurringTimePeriodOfDay': [{
                -- local times with the trailing "Z" the profile requires "for technical reasons"
                -- (it does not mean UTC); an end at 24:00 is midnight, 00:00
                'startTimeOfPeriod': struct_extract(h, 'period_begin') || ':00Z',
                'endTimeOfPeriod': replace(struct_extract(h, 'period_end'), '24:00', '00:00') || ':00Z'}],
            'recurringDayWeekMonthPeriod': [{'comDayWeekMonth': {'applicableDay': [{'value':
                ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'][struct_extract(h, 'weekday')]}]}}]
        } ORDER BY struct_extract(h, 'weekday'), struct_extract(h, 'period_begin')) AS periods
    FROM (
        SELECT
            country_code,
            party_id,
            id AS location_id,
            unnest(from_json(json_extract(opening_times, '$.regular_hours'), '[{"weekday":"BIGINT","period_begin":"VARCHAR","period_end":"VARCHAR"}]')) AS h
        FROM locations
        WHERE NOT COALESCE(twentyfourseven, false)
    )
    WHERE struct_extract(h, 'weekday') BETWEEN 1 AND 7
        AND regexp_full_match(COALESCE(struct_extract(h, 'period_begin'), ''), '([01][0-9]|2[0-3]):[0-5][0-9]')
        AND regexp_full_match(COALESCE(struct_extract(h, 'period_end'), ''), '([01][0-9]|2[0-3]):[0-5][0-9]|24:00')
    GROUP BY country_code, party_id, location_id
),
tbl_points AS (
    SELECT
        country_code,
        party_id,
        location_id,
        array_agg({'aegiElectricChargingPoint': point} ORDER BY point_id) AS points,
        count(*) AS n_points,
        CAST(sum(max_w) AS BIGINT) AS total_w,
        bool_or(power_unknown) AS power_unknown,
        bool_or(rates IS NULL) AS some_without_ad_hoc,
        bool_or(evse_id IS NULL) AS some_without_evse_id,
        bool_or(list_contains(parking_restrictions, 'DISABLED')) AS disabled,
        list_sort(list_distinct(flatten(array_agg(list_filter(list_transform(capabilities, lambda k: CASE k
            WHEN 'RFID_READER' THEN 'rfid'
            WHEN 'CREDIT_CARD_PAYABLE' THEN 'creditCard'
            WHEN 'DEBIT_CARD_PAYABLE' THEN 'debitCard'
            WHEN 'CONTACTLESS_CARD_SUPPORT' THEN 'nfc'
            WHEN 'PED_TERMINAL' THEN 'pinpad'
            WHEN 'CHIP_CARD_SUPPORT' THEN 'creditCard'
            WHEN 'REMOTE_START_STOP_CAPABLE' THEN 'apps' END), lambda a: a IS NOT NULL))))) AS auth,
        max(last_updated) AS points_updated,
        string_agg(version, ',' ORDER BY point_id) AS versions
    FROM afir_refill_points
    GROUP BY country_code, party_id, location_id
),
tbl_site AS (
    SELECT
        l.country_code,
        l.party_id,
        l.id AS location_id,
        l.country_code || '*' || l.party_id || '*' || l.id AS site_id,
        greatest(l.last_updated, p.points_updated) AS last_updated,
        p.n_points,
        COALESCE(NULLIF(trim(tbl_cfg.c.lang), ''), 'en') AS lang,
        COALESCE(NULLIF(trim(l.operator_name), ''), NULLIF(trim(tbl_cfg.c.operator_name), '')) AS operator_name,
        COALESCE(NULLIF(trim(json_extract_string(l._raw, '$.help_phone')), ''), NULLIF(trim(tbl_cfg.c.helpdesk_phone), '')) AS helpdesk_phone,
        NULLIF(trim(l.owner_name), '') AS owner_name,
        -- Location.energy_mix (every version): 100 % renewable (AFIR B10), g/kWh impacts; parsed
        -- only where present
        CASE WHEN contains(l._raw, '"energy_mix"') THEN
            TRY_CAST(json_extract_string(l._raw, '$.energy_mix.is_green_energy') AS BOOLEAN) END AS green,
        CASE WHEN contains(l._raw, '"CARBON_DIOXIDE"') THEN list_max(list_transform(list_filter(
            from_json(json_extract(l._raw, '$.energy_mix.environ_impact'), '[{"category":"VARCHAR","source":"VARCHAR","amount":"DOUBLE"}]'),
            lambda i: COALESCE(i.category, i.source) = 'CARBON_DIOXIDE'), lambda i: i.amount)) END AS co2_g_kwh,
        CASE WHEN contains(l._raw, '"NUCLEAR_WASTE"') THEN list_max(list_transform(list_filter(
            from_json(json_extract(l._raw, '$.energy_mix.environ_impact'), '[{"category":"VARCHAR","source":"VARCHAR","amount":"DOUBLE"}]'),
            lambda i: COALESCE(i.category, i.source) = 'NUCLEAR_WASTE'), lambda i: i.amount)) END AS nuclear_g_kwh,
        NULLIF(trim(l.name), '') AS name,
        NULLIF(trim(l.address), '') AS address,
        NULLIF(trim(l.city), '') AS city,
        NULLIF(trim(l.postal_code), '') AS postal_code,
        -- OCPI gives ISO 3166-1 alpha-3; DATEX II wants alpha-2 (the countries of the EEA and CH)
        CASE upper(l.country)
            WHEN 'AUT' THEN 'AT' WHEN 'BEL' THEN 'BE' WHEN 'BGR' THEN 'BG' WHEN 'HRV' THEN 'HR'
            WHEN 'CYP' THEN 'CY' WHEN 'CZE' THEN 'CZ' WHEN 'DNK' THEN 'DK' WHEN 'EST' THEN 'EE'
            WHEN 'FIN' THEN 'FI' WHEN 'FRA' THEN 'FR' WHEN 'DEU' THEN 'DE' WHEN 'GRC' THEN 'GR'
            WHEN 'HUN' THEN 'HU' WHEN 'IRL' THEN 'IE' WHEN 'ITA' THEN 'IT' WHEN 'LVA' THEN 'LV'
            WHEN 'LTU' THEN 'LT' WHEN 'LUX' THEN 'LU' WHEN 'MLT' THEN 'MT' WHEN 'NLD' THEN 'NL'
            WHEN 'POL' THEN 'PL' WHEN 'PRT' THEN 'PT' WHEN 'ROU' THEN 'RO' WHEN 'SVK' THEN 'SK'
            WHEN 'SVN' THEN 'SI' WHEN 'ESP' THEN 'ES' WHEN 'SWE' THEN 'SE' WHEN 'ISL' THEN 'IS'
            WHEN 'LIE' THEN 'LI' WHEN 'NOR' THEN 'NO' WHEN 'CHE' THEN 'CH'
        END AS country2,
        l.latitude,
        l.longitude,
        NULLIF(trim(l.time_zone), '') AS time_zone,
        l.parking_type,
        COALESCE(l.twentyfourseven, false) AS open_24_7,
        h.periods,
        p.points,
        p.total_w,
        p.power_unknown,
        p.some_without_ad_hoc,
        p.some_without_evse_id,
        p.disabled,
        p.auth,
        p.versions,
        -- OCPI 2.3.0 Location.parking_places, parsed only where present (most lakes have none)
        CASE WHEN contains(l._raw, '"parking_places"') THEN list_transform(list_sort(list_filter(
            from_json(json_extract(l._raw, '$.parking_places'), '[{"id":"VARCHAR","physical_reference":"VARCHAR","vehicle_types":["VARCHAR"],"max_vehicle_weight":"DOUBLE","max_vehicle_height":"DOUBLE","max_vehicle_length":"DOUBLE","max_vehicle_width":"DOUBLE","parking_space_length":"DOUBLE","parking_space_width":"DOUBLE","roofed":"BOOLEAN","lighting":"BOOLEAN"}]'),
            lambda q: NULLIF(trim(q.id), '') IS NOT NULL)), lambda q: struct_insert(q,
            types := list_sort(list_distinct(list_filter(list_transform(q.vehicle_types, lambda v: CASE v
                WHEN 'MOTORCYCLE' THEN 'motorcycle'
                WHEN 'PERSONAL_VEHICLE' THEN 'car'
                WHEN 'PERSONAL_VEHICLE_WITH_TRAILER' THEN 'carWithTrailer'
                WHEN 'VAN' THEN 'van'
                WHEN 'SEMI_TRACTOR' THEN 'heavyGoodsVehicle'
                WHEN 'RIGID' THEN 'heavyGoodsVehicle'
                WHEN 'TRUCK_WITH_TRAILER' THEN 'heavyGoodsVehicleWithTrailer'
                WHEN 'BUS' THEN 'bus' END), lambda t: t IS NOT NULL))),
            eu := list_sort(list_distinct(flatten(list_transform(q.vehicle_types, lambda v: CASE v
                WHEN 'MOTORCYCLE' THEN ['l']
                WHEN 'PERSONAL_VEHICLE' THEN ['m1']
                WHEN 'PERSONAL_VEHICLE_WITH_TRAILER' THEN ['m1', 'o']
                WHEN 'VAN' THEN ['n1']
                WHEN 'RIGID' THEN ['n2', 'n3']
                WHEN 'TRUCK_WITH_TRAILER' THEN ['n2', 'n3', 'o']
                WHEN 'BUS' THEN ['m2', 'm3']
                ELSE []::VARCHAR[] END)))))) END AS parking_places,
        COALESCE(NULLIF(trim(tbl_cfg.c.service_type), ''), 'unattended') AS service_type
    FROM locations AS l
    CROSS JOIN tbl_cfg
    JOIN tbl_points AS p
        ON p.country_code = l.country_code AND p.party_id = l.party_id AND p.location_id = l.id
    LEFT JOIN tbl_hours AS h
        ON h.country_code = l.country_code AND h.party_id = l.party_id AND h.location_id = l.id
),
tbl_spaces AS (
    -- one DedicatedParkingSpaces per OCPI 2.3.0 Parking (one space each, ordered by id); cm → m,
    -- kg → t; vehicle types as DATEX II types and, where OCPI's own UNECE column names an EU
    -- category, as euVehicleCategory; DISABLED → a space for persons with disabilities
    SELECT
        *,
        NULLIF(list_transform(parking_places, lambda p: {
            'idG': site_id || '*parking*' || p.id,
            'versionG': left(md5(to_json(p)::VARCHAR), 12),
            'name': CASE WHEN NULLIF(trim(p.physical_reference), '') IS NOT NULL
                THEN {'values': [{'lang': lang, 'value': trim(p.physical_reference)}]} END,
            'numberOfSpaces': 1,
            'userSpecific': CASE WHEN list_contains(p.vehicle_types, 'DISABLED')
                THEN [{'value': 'personsWithDisabilities'}] END,
            'applicableForVehicles': CASE WHEN len(p.types) > 0 OR len(p.eu) > 0
                OR p.max_vehicle_weight IS NOT NULL OR p.max_vehicle_height IS NOT NULL
                OR p.max_vehicle_length IS NOT NULL OR p.max_vehicle_width IS NOT NULL THEN [{
                'vehicleType': NULLIF(list_transform(p.types, lambda t: {'value': t}), []),
                'grossWeightCharacteristic': CASE WHEN p.max_vehicle_weight IS NOT NULL THEN [{
                    'comparisonOperator': {'value': 'lessThanOrEqualTo'},
                    'grossVehicleWeight': round(p.max_vehicle_weight / 1000, 3),
                    'typeOfWeight': {'value': 'actual'}}] END,
                'heightCharacteristic': CASE WHEN p.max_vehicle_height IS NOT NULL THEN [{
                    'comparisonOperator': {'value': 'lessThanOrEqualTo'},
                    'vehicleHeight': round(p.max_vehicle_height / 100, 2)}] END,
                'lengthCharacteristic': CASE WHEN p.max_vehicle_length IS NOT NULL THEN [{
                    'comparisonOperator': {'value': 'lessThanOrEqualTo'},
                    'vehicleLength': round(p.max_vehicle_length / 100, 2)}] END,
                'widthCharacteristic': CASE WHEN p.max_vehicle_width IS NOT NULL THEN [{
                    'comparisonOperator': {'value': 'lessThanOrEqualTo'},
                    'vehicleWidth': round(p.max_vehicle_width / 100, 2)}] END,
                'comVehicleCharacteristicsExtensionG': CASE WHEN len(p.eu) > 0 THEN
                    {'VehicleCharacteristicsExtended': {'euVehicleCategory': list_transform(p.eu, lambda c: {'value': c})}} END
                }] END,
            'dimension': CASE WHEN p.parking_space_length IS NOT NULL OR p.parking_space_width IS NOT NULL THEN {
                'length': round(p.parking_space_length / 100, 2),
                'width': round(p.parking_space_width / 100, 2)} END,
            'amenities': CASE WHEN p.roofed IS NOT NULL OR p.lighting IS NOT NULL THEN {
                'illuminated': p.lighting, 'roofed': p.roofed} END
        }), []) AS parking,
        len(list_filter(parking_places, lambda p: list_contains(p.vehicle_types, 'DISABLED'))) AS n_disabled_spaces
    FROM tbl_site
),
tbl_struct AS (
    SELECT
        *,
        CASE WHEN latitude IS NOT NULL AND longitude IS NOT NULL THEN
            {'locPointLocation': {'coordinatesForDisplay': {'latitude': latitude, 'longitude': longitude}}}
        END AS point_location,
        CASE WHEN open_24_7 THEN {'afacOpenAllHours': {'closureInformation': NULL}}
            WHEN periods IS NOT NULL THEN {'afacOperatingHoursSpecification': {
                'idG': site_id || '*hours',
                'versionG': left(md5(to_json(periods)::VARCHAR), 12),
                'overallPeriod': {
                    'overallStartTime': strftime(last_updated, '%Y-%m-%dT%H:%M:%SZ'),
                    'validPeriod': periods}}}
        END AS hours,
        list_filter([
            CASE WHEN latitude IS NULL OR longitude IS NULL THEN 'coordinates' END,
            CASE WHEN address IS NULL OR city IS NULL OR postal_code IS NULL THEN 'address' END,
            CASE WHEN country2 IS NULL THEN 'countryCode' END,
            CASE WHEN operator_name IS NULL THEN 'operator' END,
            CASE WHEN helpdesk_phone IS NULL THEN 'helpdesk' END,
            CASE WHEN NOT open_24_7 AND periods IS NULL THEN 'operatingHours' END,
            CASE WHEN power_unknown THEN 'maxPowerAtSocket' END,
            CASE WHEN some_without_evse_id THEN 'evseId' END,
            CASE WHEN some_without_ad_hoc THEN 'adHocPrice' END,
            CASE WHEN len(auth) = 0 THEN 'authenticationAndIdentificationMethods' END
        ], lambda x: x IS NOT NULL) AS missing
    FROM tbl_spaces
)
SELECT
    country_code,
    party_id,
    location_id,
    site_id,
    last_updated,
    n_points AS refill_points,
    missing,
    {
        'idG': site_id,
        'versionG': left(md5(concat_ws('|', versions, name, address, city, postal_code, country2,
            latitude, longitude, operator_name, owner_name, helpdesk_phone, parking_type,
            to_json(hours)::VARCHAR, service_type, lang, to_json(parking)::VARCHAR)), 12),
        'name': CASE WHEN name IS NOT NULL THEN {'values': [{'lang': lang, 'value': name}]} END,
        'lastUpdated': strftime(last_updated, '%Y-%m-%dT%H:%M:%SZ'),
        'typeOfSite': CASE parking_type
            WHEN 'ON_STREET' THEN {'value': 'onstreet'}
            WHEN 'PARKING_GARAGE' THEN {'value': 'inBuilding'}
            WHEN 'UNDERGROUND_GARAGE' THEN {'value': 'inBuilding'}
            WHEN 'PARKING_LOT' THEN {'value': 'openSpace'}
            WHEN 'ALONG_MOTORWAY' THEN {'value': 'openSpace'}
            WHEN 'ON_DRIVEWAY' THEN {'value': 'other'} END,
        'operatingHours': hours,
        'locationReference': CASE WHEN point_location IS NOT NULL THEN {'locPointLocation': {
            'coordinatesForDisplay': point_location.locPointLocation.coordinatesForDisplay,
            'locLocationExtensionG': {'FacilityLocation': {
                'timeZone': time_zone,
                'address': {
                    'postcode': postal_code,
                    'city': CASE WHEN city IS NOT NULL THEN {'values': [{'lang': lang, 'value': city}]} END,
                    'countryCode': country2,
                    'addressLine': CASE WHEN address IS NOT NULL THEN [{
                        'order': 0,
                        'type': {'value': 'street'},
                        'text': {'values': [{'lang': lang, 'value': address}]}}] END}}}}} END,
        'operator': CASE WHEN operator_name IS NOT NULL THEN {'afacAnOrganisation': {
            'name': {'values': [{'lang': lang, 'value': operator_name}]},
            'externalIdentifier': [{
                'identifier': country_code || '*' || party_id,
                'typeOfIdentifier': {'value': 'extendedG', 'extendedValueG': 'operatorId'}}]}} END,
        'owner': CASE WHEN owner_name IS NOT NULL THEN {'afacAnOrganisation': {
            'name': {'values': [{'lang': lang, 'value': owner_name}]}}} END,
        'helpdesk': CASE WHEN helpdesk_phone IS NOT NULL THEN {'afacAnOrganisation': {
            'name': {'values': [{'lang': lang, 'value': COALESCE(operator_name, country_code || '*' || party_id)}]},
            'organisationUnit': [{'contactInformation': [{'afacContactInformation': {
                'telephoneNumber': helpdesk_phone}}]}]}} END,
        'energyInfrastructureStation': [{
            'idG': site_id || '*station',
            'versionG': left(md5(concat_ws('|', versions, service_type, to_json(auth)::VARCHAR,
                to_json(parking)::VARCHAR, green, co2_g_kwh, nuclear_g_kwh)), 12),
            'lastUpdated': strftime(last_updated, '%Y-%m-%dT%H:%M:%SZ'),
            'accessibility': CASE WHEN disabled OR COALESCE(n_disabled_spaces, 0) > 0 THEN [{'value': 'disabilityAccessible'}] END,
            'totalMaximumPower': total_w,
            'authenticationAndIdentificationMethods': NULLIF(list_transform(auth, lambda a: {'value': a}), []),
            'numberOfRefillPoints': n_points,
            'locationReference': point_location,
            'dedicatedParkingSpaces': parking,
            'serviceType': [{'serviceType': {'value': service_type}}],
            'refillPoint': points,
            'electricEnergy': CASE WHEN green IS NOT NULL OR co2_g_kwh IS NOT NULL OR nuclear_g_kwh IS NOT NULL
                THEN [{'isGreenEnergy': green, 'carbonDioxideImpact': co2_g_kwh, 'nuclearWasteImpact': nuclear_g_kwh}] END
        }]
    } AS site
FROM tbl_struct
ORDER BY country_code, party_id, location_id
