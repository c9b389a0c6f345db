"""code_insee_commune from postal code + city with the shipped COG table (real communes), the
shipped table is the generator's output, and an override always wins."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from ocpiwh.irve import geo
from ocpiwh.irve.refdata_build import COLUMNS, build


@pytest.mark.parametrize(
    ("postal_code", "city", "code"),
    [
        ("75011", "Paris", "75056"),  # arrondissements → the commune (QualiCharge's INSE)
        ("75116", "PARIS", "75056"),
        ("75008", "Paris 8e Arrondissement", "75056"),
        ("69003", "Lyon 3e", "69123"),
        ("13008", "Marseille", "13055"),
        ("20000", "Ajaccio", "2A004"),  # Corsica
        ("20200", "Bastia", "2B033"),
        ("97400", "Saint-Denis", "97411"),  # homonyms: La Réunion …
        ("93200", "St-Denis", "93066"),  # … and Seine-Saint-Denis
        ("97133", "Saint-Barthélemy", "97701"),
        ("97500", "Saint-Pierre", "97502"),  # shared postal code, told apart by the city
        ("97500", "Miquelon-Langlade", "97501"),
        ("75700", "Paris Cedex 07", "75056"),  # Cedex codes are not postal codes of a commune
        ("13291", "MARSEILLE CEDEX 02", "13055"),
        ("01300", "Arbignieu", "01015"),  # a delegated commune's old name → the new commune
        ("01400", "Châtillon-sur-Chalaronne", "01093"),
        ("57000", "Metz", "57463"),
    ],
)
def test_real_communes(postal_code: str, city: str, code: str) -> None:
    got, how = geo.resolve(postal_code, city)
    assert got == code, how


@pytest.mark.parametrize(
    ("postal_code", "city", "why"),
    [
        ("01400", "Nulle-Part", "shared by 10 communes and none is named 'Nulle-Part'"),
        ("01400", None, "no city is given"),
        ("12345", "", "unknown postal code 12345"),
        ("2A000", "Ajaccio", "not a French postal code"),
        (None, "Paris", "no postal code"),
        ("99999", "Saint-Denis", "no commune 'Saint-Denis' in department 99"),
    ],
)
def test_ambiguous_or_unknown_is_empty_with_the_reason(
    postal_code: str | None, city: str | None, why: str
) -> None:
    got, how = geo.resolve(postal_code, city)
    assert got is None and why in how


def test_table_gives_department_region_epci_and_qualicharge_membership() -> None:
    t = geo.communes()
    paris = t.by_code["75056"]
    assert (paris.departement, paris.region, paris.epci, paris.in_qualicharge) == (
        "75",
        "11",
        "200054781",
        True,
    )
    arr = t.by_code["75111"]
    assert (arr.kind, arr.parent, arr.in_qualicharge) == ("arrondissement", "75056", False)
    assert t.by_code["2A004"].departement == "2A" and t.by_code["97411"].region == "04"
    # communes created after 2024 are not in QualiCharge's 2024 table (rule INSE)
    assert not t.by_code["49126"].in_qualicharge


def test_shipped_table_is_the_generators_output() -> None:
    meta = json.loads((geo.REFDATA / "communes.meta.json").read_text(encoding="utf-8"))
    data = gzip.decompress((geo.REFDATA / "communes.csv.gz").read_bytes())
    assert hashlib.sha256(data).hexdigest() == meta["csv_sha256"]
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert len(rows) == meta["rows"] and list(rows[0]) == list(COLUMNS) == meta["columns"]
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    assert kinds == meta["rows_by_kind"]
    assert meta["source"]["package"] == "@etalab/decoupage-administratif"
    assert meta["source"]["version"] == "6.0.0"


def _tarball(path: Path, version: str, communes: list[dict[str, Any]]) -> Path:
    files = {
        "package/package.json": {"name": "@etalab/decoupage-administratif", "version": version},
        "package/data/communes.json": communes,
        "package/data/epci.json": [{"code": "200054781", "membres": [{"code": "75056"}]}],
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, obj in files.items():
            data = json.dumps(obj).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_generator_is_deterministic_and_records_what_it_wrote(tmp_path: Path) -> None:
    paris = {"code": "75056", "nom": "Paris", "type": "commune-actuelle", "departement": "75",
             "region": "11", "codesPostaux": ["75002", "75001"]}  # fmt: skip
    arr = {"code": "75101", "nom": "Paris 1er Arrondissement", "type": "arrondissement-municipal",
           "commune": "75056", "departement": "75", "region": "11", "codesPostaux": ["75001"]}  # fmt: skip
    current = _tarball(tmp_path / "cur.tgz", "9.9.9", [paris, arr])
    old = _tarball(tmp_path / "old.tgz", "1.0.0", [paris])
    a = build(current, old, tmp_path / "a")
    b = build(current, old, tmp_path / "b")
    assert (tmp_path / "a" / "communes.csv.gz").read_bytes() == (
        tmp_path / "b" / "communes.csv.gz"
    ).read_bytes()
    assert a == b and a["rows"] == 2 and a["rows_by_kind"] == {"arrondissement": 1, "commune": 1}
    text = gzip.decompress((tmp_path / "a" / "communes.csv.gz").read_bytes()).decode()
    assert text.splitlines()[1:] == [
        "75056,Paris,commune,,75,11,200054781,75001 75002,1",
        "75101,Paris 1er Arrondissement,arrondissement,75056,75,11,200054781,75001,0",
    ]
    assert hashlib.sha256(text.encode()).hexdigest() == a["csv_sha256"]


GEO_TOML = """
[irve]
overrides = "overrides.csv"
[irve.defaults]
contact_operateur = "support@alpha.example"
contact_amenageur = "amenageur@alpha.example"
raccordement = "Indirect"
restriction_gabarit = "Aucune"
horaires = "24/7"
siren_amenageur = "130025265"
telephone_operateur = "01 44 27 63 50"
code_insee_commune = "75111"
"""


def test_export_derives_override_wins_and_ambiguity_is_reported(tmp_path: Path) -> None:
    from ocpi_fixtures import connector, evse, location

    from ocpiwh import warehouse
    from ocpiwh.export import export
    from ocpiwh.lake import write_batch

    root = tmp_path / "data"
    root.mkdir()
    locs = [
        location(
            "FRGEOP1", [evse("A", "FR*GEO*E1A", [connector("1", "IEC_62196_T2")])], party="GEO"
        ),
        location(
            "FRGEOP2",
            [evse("B", "FR*GEO*E2B", [connector("1", "IEC_62196_T2")])],
            party="GEO",
            postal_code="01400",
            city="Nulle-Part",
        ),
        location(
            "FRGEOP3",
            [evse("C", "FR*GEO*E3C", [connector("1", "IEC_62196_T2")])],
            party="GEO",
            postal_code="20000",
            city="Ajaccio",
        ),
    ]
    write_batch(root, source="t", module="locations", version="2.2.1", objects=locs)
    warehouse.refresh(root)
    (root / "ocpiwh.toml").write_text('warehouse_id = "g"\n' + GEO_TOML)
    (root / "overrides.csv").write_text("location_id,code_insee_commune\nFRGEOP3,2A041\n")
    result = export(root, "irve_statique", tmp_path / "irve.csv", keep_invalid=True)
    with (tmp_path / "irve.csv").open(encoding="utf-8") as fh:
        codes = {r["id_pdc_itinerance"]: r["code_insee_commune"] for r in csv.DictReader(fh)}
    # derived (75002 Paris → 75056) beats the default; the override beats everything; the
    # default fills what cannot be derived (it is a default: the CPO asked for it)
    assert codes == {"FRGEOE1A": "75056", "FRGEOE2B": "75111", "FRGEOE3C": "2A041"}
    (root / "ocpiwh.toml").write_text(
        'warehouse_id = "g"\n' + GEO_TOML.replace('code_insee_commune = "75111"\n', "")
    )
    result = export(root, "irve_statique", tmp_path / "irve2.csv")
    assert result.validation is not None
    why = [
        e["value"]
        for e in result.validation.errors.to_pylist()
        if e["rule"] == "ocpiwh:insee_not_derived"
    ]
    assert why == ["postal code 01400 is shared by 10 communes and none is named 'Nulle-Part'"]
    assert result.rows == 2
