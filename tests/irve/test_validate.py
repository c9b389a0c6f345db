"""Validation against the official Table Schemas (checks generated from the JSON, run in DuckDB)
and QualiCharge's stricter rules: one violating row per rule."""

from __future__ import annotations

import csv
import hashlib
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from ocpiwh import irve
from ocpiwh.irve.schema import schemas_dir

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SHARED = Path("/work/shared/irve")


def base_statique() -> dict[str, Any]:
    with (DATA / "exemple-valide-statique.csv").open(encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    row.update(nbre_pdc="1", telephone_operateur="01 44 27 63 50")
    return row


def table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows)


def rules(rows: list[dict[str, Any]], schema: str = "statique", **kw: Any) -> set[tuple[str, str]]:
    report = irve.validate(table(rows), schema, now=NOW, **kw)
    return {(e["rule"], e["field"]) for e in report.errors.to_pylist()}


@pytest.mark.parametrize("name", ["statique", "dynamique"])
def test_shipped_examples_validate_with_zero_errors(name: str) -> None:
    report = irve.validate(DATA / f"exemple-valide-{name}.csv", name, profile="irve")
    assert report.rows == 2 and report.ok, report.summary()


OFFICIAL_SHA256 = {
    "schema-statique.json": "f494d57aebc64a87694574de0545dbf4ff804fe8d53422104b08cb3e0457a4ff",
    "schema-dynamique.json": "8139db1a9b9385855e657822edf66faac3323fc064f22d8e3ecf4aa09b08de63",
    "exemple-valide-statique.csv": "571614e92d9fd4ae6204e2d4bca505174c53b35018d70c0e68fa39d296e222e3",
    "exemple-valide-dynamique.csv": "9659eaefa881e8c02a63a869b70f5c9282f28a2cb0820bab17508f1c7844c942",
}
"""SHA-256 of the official files (schéma IRVE v2.3.0, etalab, as published in
/work/shared/irve): pinned here so that the check runs on any machine, not only where that
folder exists. A schema upgrade changes them on purpose."""


def test_shipped_schemas_are_the_official_copies() -> None:
    shipped = {
        "schema-statique.json": schemas_dir() / "schema-statique.json",
        "schema-dynamique.json": schemas_dir() / "schema-dynamique.json",
        "exemple-valide-statique.csv": DATA / "exemple-valide-statique.csv",
        "exemple-valide-dynamique.csv": DATA / "exemple-valide-dynamique.csv",
    }
    for name, path in shipped.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == OFFICIAL_SHA256[name], name
        if SHARED.is_dir():  # and, where the published copies are at hand, the same bytes
            assert path.read_bytes() == (SHARED / name).read_bytes(), name


def test_base_row_passes_qualicharge() -> None:
    assert rules([base_statique()]) == set()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"contact_operateur": ""}, ("schema:required", "contact_operateur")),
        ({"contact_operateur": "not-an-email"}, ("schema:format", "contact_operateur")),
        ({"nbre_pdc": "deux"}, ("schema:type", "nbre_pdc")),
        ({"puissance_nominale": "22kW"}, ("schema:type", "puissance_nominale")),
        ({"puissance_nominale": "-1"}, ("schema:minimum", "puissance_nominale")),
        ({"prise_type_2": "oui"}, ("schema:type", "prise_type_2")),
        ({"date_maj": "05/04/2021"}, ("schema:type", "date_maj")),
        ({"coordonneesXY": "48.3,7.4"}, ("schema:type", "coordonneesXY")),
        ({"coordonneesXY": "[7.4,98.3]"}, ("schema:type", "coordonneesXY")),
        ({"code_insee_commune": "20000"}, ("schema:pattern", "code_insee_commune")),
        ({"id_pdc_itinerance": "FR*A68*E680210015"}, ("schema:pattern", "id_pdc_itinerance")),
        ({"horaires": "toujours"}, ("schema:pattern", "horaires")),
        ({"implantation_station": "Parking"}, ("schema:enum", "implantation_station")),
        ({"raccordement": "direct"}, ("schema:enum", "raccordement")),
    ],
)
def test_schema_rules(change: dict[str, str], expected: tuple[str, str]) -> None:
    row = base_statique() | change
    assert expected in rules([row], profile="irve")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"siren_amenageur": "130025266"}, ("qualicharge:siren_luhn", "siren_amenageur")),
        ({"siren_amenageur": "000000000"}, ("qualicharge:siren_luhn", "siren_amenageur")),
        ({"siren_amenageur": ""}, ("qualicharge:required", "siren_amenageur")),
        ({"nom_amenageur": ""}, ("qualicharge:required", "nom_amenageur")),
        ({"code_insee_commune": ""}, ("qualicharge:required", "code_insee_commune")),
        ({"raccordement": ""}, ("qualicharge:required", "raccordement")),
        ({"puissance_nominale": "1.2"}, ("qualicharge:power_range", "puissance_nominale")),
        ({"puissance_nominale": "22000"}, ("qualicharge:power_range", "puissance_nominale")),
        (
            {"id_station_itinerance": "ESZUNP1"},
            ("qualicharge:id_station_itinerance", "id_station_itinerance"),
        ),
        (
            {"id_station_itinerance": "FRA68E68021001"},
            ("qualicharge:id_station_itinerance", "id_station_itinerance"),
        ),
        (
            {"id_pdc_itinerance": "FRA68P680210015"},
            ("qualicharge:id_pdc_itinerance", "id_pdc_itinerance"),
        ),
        (
            {"id_pdc_itinerance": "FRB12E680210015"},
            ("qualicharge:prefix_mismatch", "id_pdc_itinerance"),
        ),
        ({"coordonneesXY": "[-73.98,40.75]"}, ("qualicharge:outside_france", "coordonneesXY")),
        ({"date_maj": "2026-03-11"}, ("qualicharge:future_date", "date_maj")),
        (
            {"date_mise_en_service": "2027-01-01"},
            ("qualicharge:future_date", "date_mise_en_service"),
        ),
        ({"num_pdl": ""}, ("qualicharge:num_pdl_required", "num_pdl")),
        ({"num_pdl": "1" * 65}, ("qualicharge:num_pdl_length", "num_pdl")),
        ({"restriction_gabarit": "x"}, ("qualicharge:restriction_gabarit", "restriction_gabarit")),
        ({"telephone_operateur": "appelez-nous"}, ("qualicharge:telephone", "telephone_operateur")),
        ({"nbre_pdc": "10"}, ("qualicharge:nbre_pdc_rows", "nbre_pdc")),
    ],
)
def test_qualicharge_rules(change: dict[str, str], expected: tuple[str, str]) -> None:
    row = base_statique() | change
    assert expected in rules([row])
    if expected[0].startswith("qualicharge:"):
        assert expected not in rules([row], profile="irve")


def test_overseas_territories_are_in_france() -> None:
    for xy in (
        "[55.45,-20.88]",
        "[-61.55,16.24]",
        "[-52.33,4.93]",
        "[45.16,-12.78]",
        "[9.15,42.2]",
    ):
        assert rules([base_statique() | {"coordonneesXY": xy}]) == set(), xy


def test_station_rules_across_rows() -> None:
    a = base_statique() | {"nbre_pdc": "2"}
    b = a | {"id_pdc_itinerance": "FRA68E680210016", "horaires": "24/7"}
    found = rules([a, b])
    assert ("qualicharge:station_consistency", "horaires") in found  # bulk rule (1)
    c = b | {"horaires": a["horaires"]}
    assert rules([a, c]) == set()
    dup = rules([a, a])
    assert ("qualicharge:duplicate_pdc", "id_pdc_itinerance") in dup
    other = base_statique() | {
        "id_station_itinerance": "FRA68P2",
        "id_pdc_itinerance": "FRA68E2",
        "adresse_station": "2 rue Autre 75001 Paris",
    }
    assert ("qualicharge:location_consistency", "adresse_station") in rules(
        [base_statique(), other]
    )


def dyn(**kw: str) -> dict[str, str]:
    row = {
        "id_pdc_itinerance": "FRA68E680210015",
        "etat_pdc": "en_service",
        "occupation_pdc": "libre",
        "horodatage": "2026-03-10T10:00:00Z",
        "etat_prise_type_2": "fonctionnel",
        "etat_prise_type_combo_ccs": "",
        "etat_prise_type_chademo": "",
        "etat_prise_type_ef": "",
    }
    row.update(kw)
    return row


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"etat_pdc": "hors_service", "occupation_pdc": "occupe"},
            "qualicharge:occupe_out_of_service",
        ),
        ({"etat_pdc": "inconnu", "occupation_pdc": "occupe"}, "qualicharge:occupe_out_of_service"),
        ({"horodatage": "2026-03-11T10:00:00Z"}, "qualicharge:future"),
        ({"horodatage": "2026-03-10T10:00:00"}, "qualicharge:naive_datetime"),
        ({"horodatage": "10/03/2026 10:00"}, "schema:type"),
        ({"occupation_pdc": "occupé"}, "schema:enum"),
        ({"etat_prise_type_2": "ok"}, "schema:enum"),
        ({"id_pdc_itinerance": "FRA68P680210015"}, "qualicharge:id_pdc_itinerance"),
    ],
)
def test_dynamique_rules(change: dict[str, str], expected: str) -> None:
    assert rules([dyn()], "dynamique") == set()
    assert expected in {r for r, _ in rules([dyn(**change)], "dynamique")}


def session(**kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id_pdc_itinerance": "FRA68E680210015",
        "start": "2026-03-09T10:00:00Z",
        "end": "2026-03-09T11:00:00Z",
        "energy": 12.5,
    }
    row.update(kw)
    return row


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"start": "2026-03-11T10:00:00Z", "end": "2026-03-11T11:00:00Z"}, "qualicharge:future"),
        ({"end": "2026-03-09T09:00:00Z"}, "qualicharge:start_after_end"),
        (
            {"end": "2026-03-16T10:00:01Z", "start": "2026-03-09T10:00:00Z"},
            "qualicharge:longer_than_7_days",
        ),
        ({"energy": -0.1}, "schema:minimum"),
        ({"energy": 1000.5}, "schema:maximum"),
        ({"start": "2026-02-20T10:00:00Z", "end": "2026-02-20T11:00:00Z"}, "qualicharge:too_old"),
        ({"start": "2026-03-09T10:00:00"}, "qualicharge:naive_datetime"),
        ({"id_pdc_itinerance": "ESZUNE1111ER7"}, "qualicharge:id_pdc_itinerance"),
    ],
)
def test_session_rules(change: dict[str, Any], expected: str) -> None:
    assert rules([session()], "sessions", max_session_age_days=15) == set()
    assert expected in {
        r for r, _ in rules([session(**change)], "sessions", max_session_age_days=15)
    }


def test_session_edge_cases_accepted() -> None:
    ok = [
        session(end="2026-03-09T10:00:00Z"),  # start == end
        session(start="2026-03-01T10:00:00Z", end="2026-03-08T10:00:00Z"),  # exactly 7 days
        session(energy=0.0),
        session(energy=1000.0),
    ]
    assert rules(ok, "sessions", max_session_age_days=15) == set()


def test_report_csv_and_summary(tmp_path: Path) -> None:
    bad = base_statique() | {
        "siren_amenageur": "123456789",
        "id_station_itinerance": "FRA68P2",
        "id_pdc_itinerance": "FRA68E2",
        "coordonneesXY": "[2.35,48.85]",
    }
    report = irve.validate(table([base_statique(), bad]), now=NOW)
    assert (report.rows, report.valid, report.invalid) == (2, 1, 1)
    report.write_csv(tmp_path / "r.csv")
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert rows == [
        {
            "row": "2",
            "key": "FRA68E2",
            "field": "siren_amenageur",
            "rule": "qualicharge:siren_luhn",
            "value": "123456789",
        }
    ]
    assert "qualicharge:siren_luhn" in report.summary()


def test_report_csv_quotes_and_empty_cells(tmp_path: Path) -> None:
    """Values with separators, quotes and line breaks come back as written; a missing key is
    an empty cell; by_rule counts most frequent first, then by rule and field."""
    values = ['Rue "A", 12', "a\nb", "", "y"]
    errors = pa.table(
        {
            "row": pa.array([3, 1, 2, 4], pa.int64()),
            "key": ["FRA68E3", None, "FRA68E2", "FRA68E4"],
            "field": ["adresse_station", "nom_station", "x", "x"],
            "rule": ["r1", "r2", "r2", "r2"],
            "value": values,
        }
    )
    report = irve.ValidationReport(schema="statique", profile="p", rows=4, errors=errors)
    report.write_csv(tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_text().startswith("row,key,field,rule,value\n")
    rows = list(csv.DictReader((tmp_path / "r.csv").open(newline="")))
    assert [r["value"] for r in rows] == values
    assert [r["key"] for r in rows] == ["FRA68E3", "", "FRA68E2", "FRA68E4"]
    assert [r["row"] for r in rows] == ["3", "1", "2", "4"]
    assert report.by_rule() == [
        ("r2", "x", 2),
        ("r1", "adresse_station", 1),
        ("r2", "nom_station", 1),
    ]


def _python_calls_to_validate(n: int) -> tuple[int, Any]:
    """Python function calls made while validating ``n`` rows (sys.setprofile counts them)."""
    base = base_statique()
    cols = {k: [v] * n for k, v in base.items()}
    cols["id_pdc_itinerance"] = [f"FRA68E{i:09d}" for i in range(n)]
    cols["id_station_itinerance"] = [f"FRA68P{i:09d}" for i in range(n)]
    cols["siren_amenageur"][7] = "123456789"
    data = pa.table(cols)
    calls = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(count)
    try:
        report = irve.validate(data, now=NOW)
    finally:
        sys.setprofile(None)
    return calls, report


def test_vectorized_on_many_rows() -> None:
    """One query over the table, no Python per row: validating 100 times more rows makes
    (almost) no more Python calls. A count, not a wall-clock bound: it holds on a busy machine
    and fails on a per-row Python loop, however fast."""
    small, small_report = _python_calls_to_validate(500)
    calls, report = _python_calls_to_validate(50_000)
    assert small_report.invalid == 1 and report.invalid == 1
    assert calls < small + 2_000, (small, calls)


def test_python_luhn_agrees() -> None:
    assert irve.siren_is_valid("130025265") and irve.siren_is_valid("732829320")
    assert not irve.siren_is_valid("130025266") and not irve.siren_is_valid("000000000")
    assert irve.normalize_id(" fr*a68*e680210015 ") == "FRA68E680210015"


def test_cli_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import ocpiwh.cli.export  # noqa: F401  (registers the commands until cli/commands.py does)
    from ocpiwh.cli.main import main

    src = tmp_path / "x.csv"
    shutil.copy(DATA / "exemple-valide-statique.csv", src)
    with pytest.raises(SystemExit) as ok:
        main(["irve", "validate", str(src), "--profile", "irve"])
    assert ok.value.code in (0, None)
    assert "2 valid, 0 invalid" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["irve", "validate", str(src), "--report", str(tmp_path / "r.csv")])
    assert exc.value.code == 1
    assert (tmp_path / "r.csv").read_text().startswith("row,key,field,rule,value")


def _as_text(data: pa.Table) -> pa.Table:
    """``data`` with every column as the text a CSV export writes (the text-only checks)."""
    import duckdb

    from ocpiwh.irve.validate import render_text

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("d", data)
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE d)").fetchall())
    cols = ", ".join(f'{render_text(c, str(t))} AS "{c}"' for c, t in types.items())
    text = con.sql(f"SELECT {cols} FROM d").to_arrow_table()
    con.close()
    return text


def _report(data: pa.Table, schema: str) -> list[tuple[Any, ...]]:
    report = irve.validate(data, schema, now=NOW, max_session_age_days=15)
    return sorted(tuple(e.values()) for e in report.errors.to_pylist())


def test_typed_columns_are_checked_as_their_csv_text() -> None:
    """The checks read typed values (timestamps, numbers, dates, booleans) instead of parsing
    their text again: on edge values (sub-second times, years out of four digits, infinities,
    NaN, -0.0, huge numbers, NULLs) the report is the one of the same rows given as text."""
    tz = UTC
    starts = [
        datetime(2026, 3, 1, 10, 0, 0, tzinfo=tz),
        datetime(2026, 3, 1, 10, 0, 0, 999_999, tzinfo=tz),  # truncated to the second
        datetime(2026, 3, 10, 12, 0, 0, 500_000, tzinfo=tz),  # not future once truncated
        datetime(999, 1, 1, tzinfo=tz),  # three-digit year: the text path decides
        datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=tz),  # before the epoch
        None,
    ]
    ends = [
        datetime(2026, 3, 1, 11, 0, tzinfo=tz),
        datetime(2026, 3, 1, 10, 0, 0, 1, tzinfo=tz),
        datetime(2026, 3, 10, 12, 0, 1, tzinfo=tz),
        datetime(999, 1, 2, tzinfo=tz),
        datetime(1970, 1, 1, tzinfo=tz),
        datetime(2026, 3, 1, tzinfo=tz),
    ]
    energy = [1.5, float("inf"), float("nan"), -0.0, 1e300, None]
    sessions = pa.table(
        {
            "id_pdc_itinerance": ["FRA68E680210015"] * 6,
            "start": pa.array(starts, pa.timestamp("us", tz="UTC")),
            "end": pa.array(ends, pa.timestamp("us", tz="UTC")),
            "energy": pa.array(energy, pa.float64()),
        }
    )
    typed = _report(sessions, "sessions")
    assert typed == _report(_as_text(sessions), "sessions")
    assert {r[3] for r in typed} >= {"schema:type", "schema:required", "qualicharge:too_old"}

    row = base_statique()
    rows = []
    for i, (nb, kw, day, free) in enumerate(
        [(1, 22.0, "2024-01-01", True), (None, float("nan"), "0999-01-01", None),
         (0, -0.0, None, False), (1, 1e300, "2999-12-31", True)]
    ):  # fmt: skip
        r = dict(row, id_pdc_itinerance=f"FRA68E68021001{i}", id_station_itinerance=f"FRA68P{i}")
        rows.append(r | {"nbre_pdc": nb, "puissance_nominale": kw, "gratuit": free})
        rows[-1]["date_maj"] = None if day is None else datetime.fromisoformat(day).date()
    statique = pa.Table.from_pylist(rows)
    typed = _report(statique, "statique")
    assert typed == _report(_as_text(statique), "statique")
    assert {r[3] for r in typed} >= {"schema:type", "qualicharge:power_range"}
