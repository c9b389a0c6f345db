-- description: BLK2: rows at the same coordonneesXY with different addresses or INSEE codes.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0 "most flagged places tolerated"
-- rule: BLK2
-- number: 2
-- family: static
-- meaning: POST /statique/bulk refuses a batch whose rows at one coordonneesXY differ on adresse_station or code_insee_commune (consistency rule 2; code by ocpiwh)
-- value: count
-- fails: inconsistent places > $threshold
-- source: docs/schemas.md "Consistency rules for batch submissions" (2)
-- shape: flags
SELECT
    min(unit) AS unit,
    "coordonneesXY" AS item,
    count(DISTINCT to_json([adresse_station, code_insee_commune])) > 1 AS bad
FROM qc_statique
WHERE "coordonneesXY" IS NOT NULL
GROUP BY "coordonneesXY"
