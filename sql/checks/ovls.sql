-- description: OVLS: sessions overlapping the previous session of the same point.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param since timestamp 2000-01-01T00:00:00Z "window start (UTC, inclusive)"
-- @param until timestamp 2100-01-01T00:00:00Z "window end (UTC, exclusive)"
-- @param threshold float 0 "most flagged sessions tolerated"
-- rule: OVLS
-- number: 10
-- family: session
-- meaning: sessions starting before the previous session of the same point ended (code by ocpiwh; QualiCharge's rule 10, applied by its TIRUERT filter)
-- value: count
-- fails: overlapping sessions > $threshold
-- source: docs/schemas.md rule 10; src/prefect/tiruert/run.py (start < previous end; exact duplicates are DUPS)
-- shape: flags
SELECT unit, item, bad
FROM (
    SELECT
        unit,
        item,
        start,
        start < lag("end") OVER w
            AND NOT (start = lag(start) OVER w AND "end" = lag("end") OVER w) AS bad
    FROM qc_sessions
    WHERE id_pdc_itinerance IS NOT NULL AND start <= "end"
    WINDOW w AS (PARTITION BY id_pdc_itinerance ORDER BY start, "end", item)
)
WHERE start >= $since AND start < $until
