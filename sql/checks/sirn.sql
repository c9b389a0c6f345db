-- description: SIRN: one siren_amenageur with several nom_amenageur.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0 "most flagged points tolerated"
-- rule: SIRN
-- number: 54
-- family: static
-- meaning: a SIREN used with different aménageur names (code by ocpiwh)
-- value: count
-- fails: points whose SIREN has > 1 nom_amenageur > $threshold
-- source: docs/schemas.md rule 54
-- shape: flags
SELECT
    s.unit,
    s.id_pdc_itinerance AS item,
    COALESCE(n.names > 1, false) AS bad
FROM qc_statique AS s
LEFT JOIN (
    SELECT siren_amenageur, count(DISTINCT nom_amenageur) AS names
    FROM qc_statique
    WHERE siren_amenageur IS NOT NULL
    GROUP BY siren_amenageur
) AS n ON n.siren_amenageur = s.siren_amenageur
