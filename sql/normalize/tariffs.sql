-- Tariffs → one row per tariff version; elements stay in _raw (nested, read by the views).
WITH parsed AS (
    SELECT _raw, json_transform(_raw, '{
        "country_code": "VARCHAR", "party_id": "VARCHAR", "id": "VARCHAR",
        "currency": "VARCHAR", "type": "VARCHAR", "tariff_alt_url": "VARCHAR",
        "min_price": "JSON", "max_price": "JSON", "tax_included": "VARCHAR",
        "start_date_time": "VARCHAR", "end_date_time": "VARCHAR",
        "last_updated": "VARCHAR"}') AS o
    FROM batch
)
SELECT
    COALESCE(ocpi_str(o.country_code), $platform_cc) AS country_code,
    COALESCE(ocpi_str(o.party_id), $platform_party) AS party_id,
    ocpi_str(o.id) AS id,
    ocpi_str(o.currency) AS currency,
    ocpi_str(o.type) AS type,
    ocpi_str(o.tariff_alt_url) AS tariff_alt_url,
    ocpi_price_excl(o.min_price) AS min_price_excl_vat,
    ocpi_price_excl(o.max_price) AS max_price_excl_vat,
    ocpi_str(o.tax_included) AS tax_included,
    ocpi_ts(o.start_date_time) AS start_date_time,
    ocpi_ts(o.end_date_time) AS end_date_time,
    ocpi_ts(o.last_updated) AS last_updated,
    CASE
        WHEN ocpi_str(o.id) IS NULL THEN 'missing id'
        WHEN ocpi_ts(o.last_updated) IS NULL THEN 'missing or invalid last_updated'
    END AS _error,
    _raw
FROM parsed
