-- Lenient OCPI scalar parsing shared by every normalize/*.sql file.
-- OCPI payloads in the wild carry '#NA', empty strings, numbers as strings and timestamps
-- without 'Z' (UTC implied); the connection runs with TimeZone='UTC' so naive times are UTC.
-- (Inside macros use json_extract*() rather than ->/->>: DuckDB may bind '->' as a lambda.)
CREATE OR REPLACE MACRO ocpi_str(s) AS NULLIF(NULLIF(trim(CAST(s AS VARCHAR)), ''), '#NA');
CREATE OR REPLACE MACRO ocpi_ts(s) AS TRY_CAST(ocpi_str(s) AS TIMESTAMPTZ);
CREATE OR REPLACE MACRO ocpi_num(s) AS TRY_CAST(ocpi_str(s) AS DOUBLE);
CREATE OR REPLACE MACRO ocpi_int(s) AS TRY_CAST(TRY_CAST(ocpi_str(s) AS DOUBLE) AS BIGINT);
CREATE OR REPLACE MACRO ocpi_bool(s) AS TRY_CAST(ocpi_str(s) AS BOOLEAN);
-- A value that is present but does not parse makes the object malformed.
CREATE OR REPLACE MACRO ocpi_bad_num(s) AS ocpi_str(s) IS NOT NULL AND ocpi_num(s) IS NULL;
CREATE OR REPLACE MACRO ocpi_bad_ts(s) AS ocpi_str(s) IS NOT NULL AND ocpi_ts(s) IS NULL;
-- Price: a number (2.1.1), {excl_vat, incl_vat} (2.2.1) or {before_taxes, taxes[]} (2.3.0).
CREATE OR REPLACE MACRO ocpi_price_excl(p) AS
    CASE WHEN json_type(p) = 'OBJECT'
         THEN COALESCE(ocpi_num(json_extract_string(p, 'excl_vat')),
                       ocpi_num(json_extract_string(p, 'before_taxes')))
         ELSE ocpi_num(p) END;
CREATE OR REPLACE MACRO ocpi_price_incl(p) AS
    CASE WHEN json_type(p) <> 'OBJECT' THEN NULL
         WHEN json_extract(p, 'incl_vat') IS NOT NULL
         THEN ocpi_num(json_extract_string(p, 'incl_vat'))
         WHEN json_type(json_extract(p, 'taxes')) = 'ARRAY'
         THEN ocpi_num(json_extract_string(p, 'before_taxes'))
              + COALESCE(list_sum(TRY_CAST(json_extract_string(p, '$.taxes[*].amount') AS DOUBLE[])), 0)
         ELSE NULL END;
-- A JSON array of strings (or null) → VARCHAR[] without '#NA'/empty entries.
CREATE OR REPLACE MACRO ocpi_str_list(j) AS
    CASE WHEN json_type(j) = 'ARRAY'
         THEN list_filter(json_extract_string(j, '$[*]'), lambda x: NULLIF(NULLIF(trim(x), ''), '#NA') IS NOT NULL)
         ELSE NULL END;
-- The same two prices from the value's JSON type and its members, each read once per row
-- (`ocpi_price_parts`): json_transform reads a member as json_extract_string does. A price
-- object without incl_vat (2.3.0's taxes, a null) takes ocpi_price_incl itself.
CREATE OR REPLACE MACRO ocpi_price_parts(p) AS
    json_transform(p, '{"excl_vat": "VARCHAR", "incl_vat": "VARCHAR", "before_taxes": "VARCHAR"}');
CREATE OR REPLACE MACRO ocpi_cost_excl(kind, parts, p) AS
    CASE WHEN kind = 'OBJECT'
         THEN COALESCE(ocpi_num(struct_extract(parts, 'excl_vat')),
                       ocpi_num(struct_extract(parts, 'before_taxes')))
         ELSE ocpi_num(p) END;
CREATE OR REPLACE MACRO ocpi_cost_incl(kind, parts, p) AS
    CASE WHEN kind <> 'OBJECT' THEN NULL
         WHEN struct_extract(parts, 'incl_vat') IS NOT NULL
         THEN ocpi_num(struct_extract(parts, 'incl_vat'))
         ELSE ocpi_price_incl(p) END;
