"""OCPI → IRVE statique at the edges of its rules (edge_fixtures.py): each test pins a rule a
mutant of sql/models/irve_statique.sql could break without any other test noticing
(docs/mutation.md). Expectations are written by hand from docs/irve.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from edge_fixtures import build_edge_lake

from ocpiwh import models, warehouse
from ocpiwh.irve.config import model_values


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_edge_lake(tmp_path_factory.mktemp("irve-edges") / "data")


def _run(lake: Path, irve_config: str | None = None) -> list[dict[str, Any]]:
    con = warehouse.connect(lake)
    try:
        model = models.get_model("irve_statique")
        values = model_values(lake, con, model.all_params)  # as `ocpiwh export` runs it
        if irve_config is not None:
            values["irve_config"] = irve_config
        return list(model.run(con, values).to_pylist())
    finally:
        con.close()


@pytest.fixture(scope="module")
def pdc(lake: Path) -> dict[str, dict[str, Any]]:
    rows = _run(lake)
    by_pdc = {r["id_pdc_itinerance"]: r for r in rows}
    assert len(by_pdc) == len(rows) == 11  # one row per EVSE, none doubled by a join
    return by_pdc


def test_ocpi_text_is_trimmed(pdc: dict[str, dict[str, Any]]) -> None:
    row = pdc["FRABCE101"]
    assert row["telephone_operateur"] == "+33 1 40 00 01 01"  # help_phone
    assert row["observations"] == "Entrée rue Neuve"  # directions
    assert row["horaires"] == "Mo 08:00-19:00"  # " 08:00" to "19:00 "
    assert row["tarification"] == "0,30 €/kWh"  # tariff_alt_text


def test_station_id_from_the_location_or_the_evse_prefix(pdc: dict[str, dict[str, Any]]) -> None:
    station = {k: r["id_station_itinerance"] for k, r in pdc.items()}
    # a station-shaped location id is kept when no EVSE id gives a prefix
    assert station["FRABC0131"] == "FRABCP0131"
    # a location id that is not station-shaped, and no prefix: no station id is invented
    assert station["FRABC0130"] is None
    # a station-shaped location id of another prefix than its EVSEs': prefix + P + location
    assert station["FRABCE132"] == "FRABCPFRXYZP0132"
    # a location id with no letter or digit: nothing to append to the prefix
    assert station["FRABCE133"] is None
    assert station["FRABCE140"] == "FRABCPSAME1"
    assert station["FRXYZE141"] == "FRXYZPSAME1"


def test_an_override_naming_a_party_applies_to_that_party_only(
    pdc: dict[str, dict[str, Any]],
) -> None:
    assert pdc["FRXYZE141"]["nom_station"] == "Renommée XYZ"  # FR, XYZ, SAME1
    assert pdc["FRABCE140"]["nom_station"] == "Site"  # FR, ABC, SAME1: its OCPI name


def test_two_postal_codes_of_one_city(pdc: dict[str, dict[str, Any]]) -> None:
    # 75011 and 75002 Paris: each location joins its own (postal code, city), both Paris
    assert pdc["FRABCE150"]["adresse_station"] == "1 rue de la Paix 75011 Paris"
    assert pdc["FRABCE150"]["code_insee_commune"] == "75056"
    assert pdc["FRABCE101"]["code_insee_commune"] == "75056"


@pytest.mark.parametrize(("key", "restriction"), [("FRABCE160", "TENANTS"), ("FRABCE161", "TAXIS")])
def test_tenants_and_taxis_reserve_access(
    pdc: dict[str, dict[str, Any]], key: str, restriction: str
) -> None:
    assert pdc[key]["condition_acces"] == "Accès réservé", restriction
    assert pdc["FRABCE150"]["condition_acces"] == "Accès libre"  # no restriction


def test_a_parking_height_of_zero_is_no_restriction(pdc: dict[str, dict[str, Any]]) -> None:
    assert pdc["FRABCE170"]["restriction_gabarit"] is None  # nothing configured either


def test_an_operator_party_is_matched_whatever_its_spelling(lake: Path) -> None:
    """The model's ``irve_config`` parameter is JSON a caller may pass as it is (``ocpiwh export
    irve_statique --param irve_config=…`` wins over ocpiwh.toml, which upper-cases parties
    itself): an operator's party spelled in lower case, with a separator, still matches."""
    config = {"operators": [{"party": "fr*abc", "siren_amenageur": "130025265"}]}
    rows = _run(lake, orjson.dumps(config).decode())
    siren = {r["id_pdc_itinerance"]: r["siren_amenageur"] for r in rows}
    assert siren["FRABCE150"] == "130025265"
    assert siren["FRXYZE141"] is None  # party XYZ: not this operator
