-- Tokens (eMSP-owned; mirrored only where the platform exposes them as SENDER).
-- The key is (country_code, party_id, uid); 2.1.1 `auth_id` is the contract id.
WITH parsed AS (
    SELECT _raw, json_transform(_raw, '{
        "country_code": "VARCHAR", "party_id": "VARCHAR", "uid": "VARCHAR", "type": "VARCHAR",
        "contract_id": "VARCHAR", "auth_id": "VARCHAR", "visual_number": "VARCHAR",
        "issuer": "VARCHAR", "group_id": "VARCHAR", "valid": "VARCHAR", "whitelist": "VARCHAR",
        "language": "VARCHAR", "default_profile_type": "VARCHAR",
        "last_updated": "VARCHAR"}') AS o
    FROM batch
)
SELECT
    COALESCE(ocpi_str(o.country_code), $platform_cc) AS country_code,
    COALESCE(ocpi_str(o.party_id), $platform_party) AS party_id,
    ocpi_str(o.uid) AS id,
    ocpi_str(o.uid) AS uid,
    ocpi_str(o.type) AS type,
    COALESCE(ocpi_str(o.contract_id), ocpi_str(o.auth_id)) AS contract_id,
    ocpi_str(o.visual_number) AS visual_number,
    ocpi_str(o.issuer) AS issuer,
    ocpi_str(o.group_id) AS group_id,
    ocpi_bool(o.valid) AS valid,
    ocpi_str(o.whitelist) AS whitelist,
    ocpi_str(o.language) AS language,
    ocpi_str(o.default_profile_type) AS default_profile_type,
    ocpi_ts(o.last_updated) AS last_updated,
    CASE
        WHEN ocpi_str(o.uid) IS NULL THEN 'missing uid'
        WHEN ocpi_ts(o.last_updated) IS NULL THEN 'missing or invalid last_updated'
    END AS _error,
    _raw
FROM parsed
