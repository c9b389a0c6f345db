"""OCPI → IRVE statique on hand-made locations (every connector standard, parking type,
capability and opening-hours shape): a golden CSV plus targeted checks of the mapping rules.

Regenerate golden/irve_statique.csv after a deliberate change with OCPIWH_UPDATE_GOLDEN=1 and
review the diff by hand: the file is the specification.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ocpi_fixtures import build_lake

from ocpiwh import irve, models, warehouse
from ocpiwh.errors import UsageError
from ocpiwh.export import export
from ocpiwh.irve.config import model_values

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 2, 1, tzinfo=UTC)
CONFIG = """
[irve]
overrides = "overrides.csv"
ocpi211_public = true

[irve.defaults]
contact_operateur = "support@alpha.example"
contact_amenageur = "amenageur@alpha.example"
raccordement = "Indirect"
restriction_gabarit = "Aucune"
horaires = "Mo-Su 06:00-22:00"
implantation_station = "Parking public"
nom_amenageur = "Défaut SA"

[irve.operators."FR*ABC"]
siren_amenageur = "130025265"
telephone_operateur = "+33 9 70 00 00 00"
code_insee_commune = "75102"

[irve.operators."XYZ Energie"]
nom_enseigne = "Réseau XYZ"
siren_amenageur = "732829320"
"""
OVERRIDES = (
    "location_id,id_station_itinerance,raccordement,num_pdl,date_mise_en_service,nom_station\n"
    "FRABCP0006,,Direct,12345678901234,2024-05-02,\n"
    "site 42/b,FRXYZP42B,,,,Quarante-deux\n"
    ",FRABCPPARK5,,,,Parking de la rue\n"
)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_lake(tmp_path_factory.mktemp("irve") / "data")
    (root / "ocpiwh.toml").write_text('warehouse_id = "test"\n' + CONFIG)
    (root / "overrides.csv").write_text(OVERRIDES)
    return root


@pytest.fixture(scope="module")
def rows(lake: Path) -> list[dict[str, Any]]:
    con = warehouse.connect(lake)
    try:
        model = models.get_model("irve_statique")
        table = model.run(con, model_values(lake, con, model.all_params))  # as models run

    finally:
        con.close()
    return list(table.to_pylist())


def by_pdc(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["id_pdc_itinerance"]: r for r in rows if r["id_pdc_itinerance"]}


def test_golden_csv(lake: Path, tmp_path: Path) -> None:
    out = tmp_path / "irve.csv"
    export(lake, "irve_statique", out, keep_invalid=True, now=NOW)
    got = out.read_text(encoding="utf-8")
    expected = GOLDEN / "irve_statique.csv"
    if os.environ.get("OCPIWH_UPDATE_GOLDEN") or not expected.exists():
        expected.parent.mkdir(exist_ok=True)
        expected.write_text(got, encoding="utf-8")
    assert got == expected.read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(got)))
    assert header == irve.field_names("statique")  # the 40 columns, schema order


def test_ids_are_normalized_and_power_in_kw(rows: list[dict[str, Any]]) -> None:
    pdc = by_pdc(rows)
    assert "FRABCE2PARK1" in pdc  # "fr-abc-e2park1": separators gone, upper case
    assert pdc["FRABCE7T1"]["puissance_nominale"] == 350.0  # 350000 W
    assert pdc["FRABCE6MOTO"]["puissance_nominale"] == 3.68  # 230 V × 16 A, AC_1_PHASE
    assert pdc["FRABCE1STD03"]["puissance_nominale"] == 11.04  # 230 V × 16 A × 3 phases
    assert all(r["puissance_nominale"] < 1000 for r in rows)


@pytest.mark.parametrize(
    ("std", "flag"),
    [
        ("DOMESTIC_E", "prise_type_ef"),
        ("DOMESTIC_F", "prise_type_ef"),
        ("IEC_62196_T2", "prise_type_2"),
        ("IEC_62196_T2_COMBO", "prise_type_combo_ccs"),
        ("IEC_62196_T1_COMBO", "prise_type_combo_ccs"),
        ("CHADEMO", "prise_type_chademo"),
        ("IEC_62196_T1", "prise_type_autre"),
        ("TESLA_S", "prise_type_autre"),
        ("MCS", "prise_type_autre"),
        ("DOMESTIC_G", "prise_type_autre"),
        ("GBT_DC", "prise_type_autre"),
    ],
)
def test_every_connector_standard(rows: list[dict[str, Any]], std: str, flag: str) -> None:
    from ocpi_fixtures import STANDARDS

    row = by_pdc(rows)[f"FRABCE1STD{STANDARDS.index(std) + 1:02d}"]
    flags = (
        "prise_type_ef",
        "prise_type_2",
        "prise_type_combo_ccs",
        "prise_type_chademo",
        "prise_type_autre",
    )
    assert {f for f in flags if row[f]} == {flag}
    if flag == "prise_type_autre":
        assert row["observations"] == f"Autres prises : {std}"


def test_every_standard_is_mapped(rows: list[dict[str, Any]]) -> None:
    from ocpi_fixtures import STANDARDS

    pdc = by_pdc(rows)
    for i, _ in enumerate(STANDARDS, start=1):
        r = pdc[f"FRABCE1STD{i:02d}"]
        assert (
            sum(
                bool(r[f])
                for f in (
                    "prise_type_ef",
                    "prise_type_2",
                    "prise_type_combo_ccs",
                    "prise_type_chademo",
                    "prise_type_autre",
                )
            )
            == 1
        )


@pytest.mark.parametrize(
    ("pdc", "implantation", "acces"),
    [
        ("FRABCE2PARK1", "Station dédiée à la recharge rapide", "Accès libre"),
        ("FRABCE2PARK2", "Parking public", "Accès libre"),
        ("FRABCE2PARK3", "Parking privé réservé à la clientèle", "Accès réservé"),  # CUSTOMERS
        ("FRABCE2PARK5", "Voirie", "Accès libre"),
        ("FRABCE2PARK6", "Parking public", "Accès libre"),
        ("FRABCE2PARK7", "Parking public", "Accès libre"),  # no parking_type: config default
        ("FRABCE2PARKC1", "Parking privé réservé à la clientèle", "Accès réservé"),
        ("FRSIME0211", "Parking public", "Accès libre"),  # 2.1.1 type PARKING_LOT
    ],
)
def test_every_parking_type(
    rows: list[dict[str, Any]], pdc: str, implantation: str, acces: str
) -> None:
    row = by_pdc(rows)[pdc]
    assert (row["implantation_station"], row["condition_acces"]) == (implantation, acces)


def test_private_driveways_never_reach_the_files(rows: list[dict[str, Any]]) -> None:
    assert "FRABCE2PARK4" not in by_pdc(rows)  # ON_DRIVEWAY: a home charger


def test_capabilities(rows: list[dict[str, Any]]) -> None:
    from ocpi_fixtures import CAPABILITIES

    pdc = by_pdc(rows)
    cards = {
        "CHIP_CARD_SUPPORT",
        "CONTACTLESS_CARD_SUPPORT",
        "CREDIT_CARD_PAYABLE",
        "DEBIT_CARD_PAYABLE",
        "PED_TERMINAL",
    }
    for i, cap in enumerate(CAPABILITIES, start=1):
        r = pdc[f"FRABCE3CAP{i:02d}"]
        assert r["paiement_cb"] is (cap in cards), cap
        assert r["paiement_acte"] is (cap in cards), cap
        assert r["reservation"] is (cap == "RESERVABLE"), cap
        assert r["gratuit"] is True and r["cable_t2_attache"] is True
    assert pdc["FRABCE3ADHOC"]["paiement_acte"] is True  # AD_HOC_PAYMENT tariff
    assert pdc["FRABCE3ADHOC"]["paiement_cb"] is False
    assert pdc["FRABCE3NOTAR"]["gratuit"] is None  # no tariff known: not invented


@pytest.mark.parametrize(
    ("pdc", "horaires"),
    [
        ("FRABCE4H1", "Mo-Fr 08:00-19:00"),
        ("FRABCE4H2", "Mo-Fr 08:00-12:00,Mo-Fr 14:00-18:00"),
        ("FRABCE4H3", "Mo 08:00-12:00,We 08:00-12:00,Fr 08:00-12:00"),
        ("FRABCE4H4", "Sa 09:00-17:00,Su 10:00-16:00"),
        ("FRABCE4H5", "Mo-Su 00:00-23:59"),
        ("FRABCE4H6", "Mo-Fr 07:00-21:00,Th 21:00-23:00,Sa 07:00-19:00"),
        ("FRABCE4H7", "Mo-Su 06:00-22:00"),  # no regular hours: config default
        ("FRABCE4H8", "Mo-Su 06:00-22:00"),  # no opening_times: config default
        ("FRABCE4H9", "24/7"),
        ("FRSIME0211", "Mo-Tu 06:00-22:00"),  # 2.1.1 shape
    ],
)
def test_opening_hours_shapes(rows: list[dict[str, Any]], pdc: str, horaires: str) -> None:
    assert by_pdc(rows)[pdc]["horaires"] == horaires


def test_exclusions_and_station_consistency(rows: list[dict[str, Any]]) -> None:
    pdc = by_pdc(rows)
    assert "FRABCE5OK" in pdc
    assert not {"FRABCE5GONE", "FRABCE5SOON", "FRABCE5PRIV"} & set(
        pdc
    )  # REMOVED, PLANNED, unpublished
    stations: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        stations.setdefault(r["id_station_itinerance"], []).append(r)
    for station, members in stations.items():
        assert all(m["nbre_pdc"] == len(members) for m in members), station
        for f in irve.validate.__globals__["QC_STATION_FIELDS"]:
            assert len({str(m[f]) for m in members}) == 1, (station, f)
    assert stations["FRABCP0005"][0]["nbre_pdc"] == 1


def test_station_level_aggregates(rows: list[dict[str, Any]]) -> None:
    pdc = by_pdc(rows)
    pmr, moto = pdc["FRABCE6PMR"], pdc["FRABCE6MOTO"]
    assert pmr["accessibilite_pmr"] == "Réservé PMR"
    assert moto["accessibilite_pmr"] == "Accessibilité inconnue"
    assert pmr["station_deux_roues"] is moto["station_deux_roues"] is True
    assert str(pmr["date_maj"]) == str(moto["date_maj"]) == "2026-01-15"  # max over the station
    assert pmr["observations"] == "Niveau -1, près des ascenseurs"
    assert pdc["FRABCE230V1"]["restriction_gabarit"] == "Hauteur maximale 1.9m"  # 2.3.0, cm
    assert pdc["FRABCE230V1"]["coordonneesXY"] == "[2.3318,48.8686]"


def test_config_precedence_and_overrides(rows: list[dict[str, Any]]) -> None:
    pdc = by_pdc(rows)
    # OCPI first (owner name), then operator table, then defaults
    assert pdc["FRABCE5OK"]["nom_amenageur"] == "Ville de Paris"
    assert pdc["FRABCE5OK"]["siren_amenageur"] == "130025265"  # operator FR*ABC
    assert pdc["FRABCE5OK"]["telephone_operateur"] == "+33970000000"  # E.164
    assert pdc["FRABCE6PMR"]["telephone_operateur"] == "+33 1 44 27 63 50"  # OCPI help_phone
    assert pdc["FRABCE5OK"]["contact_operateur"] == "support@alpha.example"  # defaults
    # overrides CSV keyed by location id: Direct connection with its PDL and date
    assert (pdc["FRABCE6PMR"]["raccordement"], pdc["FRABCE6PMR"]["num_pdl"]) == (
        "Direct",
        "12345678901234",
    )
    assert str(pdc["FRABCE6PMR"]["date_mise_en_service"]) == "2024-05-02"
    # keyed by location id, renaming the station; operator matched by name
    xyz = pdc["FRXYZE42B1"]
    assert (xyz["id_station_itinerance"], xyz["nom_station"]) == ("FRXYZP42B", "Quarante-deux")
    assert (xyz["nom_enseigne"], xyz["siren_amenageur"]) == ("Réseau XYZ", "732829320")
    # derived from the postal code and city (75002 Paris → the commune, 75056), which wins
    # over an operator table's code (75102, an arrondissement QualiCharge does not know)
    assert xyz["code_insee_commune"] == "75056"
    assert pdc["FRABCE5OK"]["code_insee_commune"] == "75056"
    # keyed by the computed station id
    assert pdc["FRABCE2PARK5"]["nom_station"] == "Parking de la rue"


def test_missing_values_reported_per_station(lake: Path, tmp_path: Path) -> None:
    result = export(lake, "irve_statique", tmp_path / "irve.csv", now=NOW)
    assert result.validation is not None
    errors = result.validation.errors.to_pylist()
    insee = {
        e["key"]
        for e in errors
        if e["field"] == "code_insee_commune" and e["rule"] == "qualicharge:required"
    }
    assert insee == set()  # every location has a postal code and city the COG table knows
    assert any(e["rule"] == "schema:required" and e["field"] == "id_pdc_itinerance" for e in errors)
    # the station of an invalid row is left out whole, so nbre_pdc stays its number of rows
    written = list(csv.DictReader((tmp_path / "irve.csv").open(encoding="utf-8")))
    assert not [r for r in written if r["id_station_itinerance"] == "FRABCP0007"]
    assert any(e["rule"] == "export:station_incomplete" and e["key"] == "FRABCE7T1" for e in errors)
    assert irve.validate(tmp_path / "irve.csv", "statique", now=NOW).ok


def test_config_errors_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown IRVE field"):
        irve.IrveConfig.from_mapping({"defaults": {"sirenn": "1"}})
    with pytest.raises(UsageError, match="must be one of"):
        irve.IrveConfig.from_mapping({"defaults": {"raccordement": "Maybe"}})
    with pytest.raises(UsageError, match="per station"):
        irve.IrveConfig.from_mapping({"defaults": {"id_station_itinerance": "FRABCP1"}})
    (tmp_path / "o.csv").write_text("nom_station\nx\n")
    with pytest.raises(UsageError, match="location_id"):
        irve.IrveConfig.from_mapping({"overrides": "o.csv"}, base=tmp_path)


def test_config_reaches_sql_as_a_bound_parameter(lake: Path) -> None:
    model = models.get_model("irve_statique")
    assert "irve_config" in model.params
    hostile = irve.IrveConfig.from_mapping(
        {"ocpi211_public": True, "defaults": {"nom_amenageur": "x'); DROP TABLE t; --"}}
    )
    con = warehouse.connect(lake)
    try:
        table = model.run(con, {"irve_config": hostile.to_json()})
    finally:
        con.close()
    assert table.num_rows > 0
    assert "x'); DROP TABLE t; --" in set(table.column("nom_amenageur").to_pylist())  # a value


def _window(lake: Path, start: str, end: str) -> set[str]:
    con = warehouse.connect(lake)
    try:
        model = models.get_model("irve_statique")
        values = {**model_values(lake, con, model.all_params), "from": start, "to": end}
        return {r["id_pdc_itinerance"] for r in model.run(con, values).to_pylist()}
    finally:
        con.close()


def test_the_window_is_half_open_on_the_station_update(lake: Path) -> None:
    # station FRABCP6… was last updated at 2026-01-15T23:59:59Z (its EVSE FR*ABC*E6PMR): a
    # window starting there holds it, and only it; a window ending there does not.
    last = "2026-01-15T23:59:59Z"
    assert _window(lake, last, "2026-01-16T00:00:00Z") == {"FRABCE6PMR", "FRABCE6MOTO"}
    assert not {"FRABCE6PMR", "FRABCE6MOTO"} & _window(lake, "2026-01-15T00:00:00Z", last)
