-- The macros a batch is typed with when none of its strings can begin or end with a space
-- (ocpiwh/jsontexts.py `unpadded`): the typing connection reads this schema before `main`
-- (search_path), and every macro that calls ocpi_str (ocpi_ts, ocpi_num ...) then calls
-- this one. It is _macros.sql's ocpi_str without trim(), which is ~20 % of the typing's
-- instructions and a no-op on such a batch.
CREATE SCHEMA IF NOT EXISTS ocpi_unpadded;
CREATE OR REPLACE MACRO ocpi_unpadded.ocpi_str(s) AS NULLIF(NULLIF(CAST(s AS VARCHAR), ''), '#NA');
