-- Objects that could not be stored (unparseable, missing key or last_updated…), with the reason.
-- payload is the object as received after the privacy stage (JSON text).
SELECT _source, _batch_id, _fetched_at, _ocpi_version, module, reason, payload, url
FROM _raw_quarantine
