-- description: BLK1: rows of one station that differ on a field QualiCharge's bulk endpoint wants equal.
-- grain: one row per operational unit (unit, checked, flagged, value, failed, items)
-- @param threshold float 0 "most flagged stations tolerated"
-- rule: BLK1
-- number: 1
-- family: static
-- meaning: POST /statique/bulk refuses a batch whose rows of one id_station_itinerance differ on any of 19 station fields (consistency rule 1; code by ocpiwh)
-- value: count
-- fails: inconsistent stations > $threshold
-- source: docs/schemas.md "Consistency rules for batch submissions" (1)
-- shape: flags
SELECT
    min(unit) AS unit,
    id_station_itinerance AS item,
    count(DISTINCT to_json([
        nom_amenageur, siren_amenageur, contact_amenageur, nom_operateur, contact_operateur,
        telephone_operateur, nom_enseigne, nom_station, implantation_station,
        CAST(nbre_pdc AS VARCHAR), condition_acces, horaires, CAST(station_deux_roues AS VARCHAR),
        CAST(date_maj AS VARCHAR), num_pdl, id_station_local, raccordement,
        CAST(date_mise_en_service AS VARCHAR), "coordonneesXY"
    ])) > 1 AS bad
FROM qc_statique
WHERE id_station_itinerance IS NOT NULL
GROUP BY id_station_itinerance
