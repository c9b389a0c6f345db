-- description: OCCT: point-days (UTC) of DC points directly connected (or raccordement unknown) with more than one occupe status and no session; share of the point-days with statuses.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param min_occupe int 1 "a point-day with more occupe statuses than this and no session is flagged"
-- @param threshold float 0.2 "highest share of flagged point-days tolerated (0.001 = 0.1 %)"
-- rule: OCCT
-- number: 21
-- family: status-session
-- meaning: DC direct point-days occupied without any session
-- value: ratio
-- fails: share of point-days with > $min_occupe occupe statuses and no session > $threshold
-- source: src/prefect/quality/expectations/dynamic.py (rule numbers: docs/schemas.md)
-- shape: flags
WITH st AS (
    SELECT unit, id_pdc_itinerance, CAST(horodatage AS DATE) AS day,
        count(*) FILTER (WHERE occupation_pdc = 'occupe') AS occupe
    FROM qc_statuses
    WHERE horodatage >= $since AND horodatage < $until
    GROUP BY ALL
),
se AS (
    SELECT unit, id_pdc_itinerance, CAST(start AS DATE) AS day, max(energy) AS max_energy, count(*) AS n
    FROM qc_sessions
    WHERE start >= $since AND start < $until
    GROUP BY ALL
),
dc AS (
    SELECT DISTINCT id_pdc_itinerance FROM qc_statique
    WHERE is_dc AND (raccordement IS NULL OR raccordement = 'Direct')
),
d AS (
    SELECT st.unit, COALESCE(st.id_pdc_itinerance, '?') || '@' || CAST(st.day AS VARCHAR) AS item,
        st.occupe > $min_occupe AND se.n IS NULL AS bad
    FROM st
    JOIN dc ON dc.id_pdc_itinerance = st.id_pdc_itinerance
    LEFT JOIN se ON se.id_pdc_itinerance = st.id_pdc_itinerance AND se.day = st.day
)
SELECT unit, item, bad FROM d
