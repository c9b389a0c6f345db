"""The validation probe (ocpiwh.irve.checkplan): checks evaluated once per distinct value (or
per station, per point de recharge) only decide which checks run on every row; the report must
be the one of every check run on every row (``check_table(probe=False)``), row for row."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from test_validate import NOW, base_statique

from ocpiwh.irve.checkplan import Derived, Group, Plan, check_sets, probe_query
from ocpiwh.irve.validate import check_table


def _errors(data: pa.Table, schema: str, probe: bool) -> tuple[int, list[Any], list[Any]]:
    """(rows checked, report rows, report column types) of ``check_table``."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("_input", data)
        con.execute("CREATE TEMP TABLE t AS SELECT * FROM _input")
        n = check_table(con, "t", schema, now=NOW, max_session_age_days=15, probe=probe)
        rows = con.execute('SELECT * FROM _irve_errors ORDER BY "row", field, rule').fetchall()
        types = con.execute("SELECT column_name, column_type FROM (DESCRIBE _irve_errors)")
        return n, rows, types.fetchall()
    finally:
        con.close()


def _stations(n: int, per_station: int = 4) -> list[dict[str, Any]]:
    """``n`` valid stations of ``per_station`` points de recharge (the station fields repeat)."""
    rows = []
    for s in range(n):
        for p in range(per_station):
            rows.append(
                base_statique()
                | {
                    "id_station_itinerance": f"FRA68P{s:04d}",
                    "id_pdc_itinerance": f"FRA68E{s:04d}{p}",
                    "nbre_pdc": str(per_station),
                    "coordonneesXY": f"[7.{s:04d},48.{s:04d}]",
                    "adresse_station": f"{s} rue X 68000 Colmar",
                }
            )
    return rows


MUTATIONS: list[dict[str, Any]] = [
    {"contact_operateur": "pas-un-email"},
    {"siren_amenageur": "130025266"},
    {"siren_amenageur": ""},
    {"nom_amenageur": None},
    {"puissance_nominale": "22kW"},
    {"puissance_nominale": "1.2"},
    {"prise_type_2": "oui"},
    {"date_maj": "05/04/2021"},
    {"date_maj": "2026-03-11"},
    {"coordonneesXY": "[-73.98,40.75]"},
    {"coordonneesXY": "48.3,7.4"},
    {"coordonneesXY": None},
    {"code_insee_commune": "20000"},
    {"id_pdc_itinerance": "FR*A68*E680210015"},
    {"id_pdc_itinerance": "FRB12E680210015"},
    {"id_station_itinerance": None},
    {"horaires": "toujours"},
    {"implantation_station": "Parking"},
    {"raccordement": "Direct", "num_pdl": ""},
    {"restriction_gabarit": "x"},
    {"telephone_operateur": "appelez-nous"},
    {"nbre_pdc": "10"},
    {"nbre_pdc": "deux"},
]


def test_probe_reports_what_every_check_on_every_row_reports() -> None:
    """Mutations spread over some rows of stations whose other rows are valid (so the station
    and location rules fire too), a duplicated point de recharge, rows without a station id:
    the same report, row for row, with and without the probe."""
    rows = _stations(len(MUTATIONS) + 3)
    for i, change in enumerate(MUTATIONS):
        rows[4 * i + i % 4] |= change  # one row of station i
    rows[-1] = rows[-2]  # duplicate point de recharge
    for row in rows[-8:-4]:  # a station at the coordinates of another, another address
        row["coordonneesXY"] = rows[0]["coordonneesXY"]
    data = pa.Table.from_pylist(rows)
    probed = _errors(data, "statique", probe=True)
    assert probed == _errors(data, "statique", probe=False)
    found = {(r[3], r[2]) for r in probed[1]}
    assert len(found) >= 25, found
    assert {
        ("qualicharge:station_consistency", "contact_operateur"),
        ("qualicharge:duplicate_pdc", "id_pdc_itinerance"),
        ("qualicharge:location_consistency", "adresse_station"),
        ("qualicharge:nbre_pdc_rows", "nbre_pdc"),
        ("qualicharge:outside_france", "coordonneesXY"),
        ("qualicharge:siren_luhn", "siren_amenageur"),
    } <= found


def test_a_value_failing_on_some_rows_is_reported_on_those_rows() -> None:
    """One bad value among 40 rows holding the same good one: the check runs once on the two
    distinct values, and the report names the rows holding the bad one, not the others."""
    rows = _stations(10)
    for i in (2, 16, 17):  # 1-based rows 3, 17, 18
        rows[i] |= {"contact_operateur": "pas-un-email"}
    n, errors, _ = _errors(pa.Table.from_pylist(rows), "statique", probe=True)
    assert n == 40
    bad = {(r[0], r[1], r[4]) for r in errors if r[3] == "schema:format"}
    assert bad == {
        (3, "FRA68E00002", "pas-un-email"),
        (17, "FRA68E00040", "pas-un-email"),
        (18, "FRA68E00041", "pas-un-email"),
    }
    # stations 0 and 4 hold two contacts: all their rows, the good ones too
    consistency = {r[0] for r in errors if r[3] == "qualicharge:station_consistency"}
    assert consistency == {1, 2, 3, 4, 17, 18, 19, 20}


def test_valid_rows_give_an_empty_report_of_the_same_columns() -> None:
    data = pa.Table.from_pylist(_stations(5))
    probed = _errors(data, "statique", probe=True)
    assert probed == _errors(data, "statique", probe=False)
    assert probed[0] == 20 and probed[1] == []
    assert [t for _, t in probed[2]] == ["BIGINT", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"]


@pytest.mark.parametrize("typed", [True, False])
def test_sessions_and_statuses_probe_equals_every_row(typed: bool) -> None:
    """Sessions (times read per row, typed or as text) and statuses, valid and not."""
    tz = UTC
    starts = [datetime(2026, 3, d, 10, tzinfo=tz) for d in (1, 2, 9, 9)]
    starts += [datetime(2026, 2, 1, tzinfo=tz), datetime(2026, 3, 11, tzinfo=tz), None]
    ends = [datetime(2026, 3, d, 11, tzinfo=tz) for d in (1, 2, 1, 9)]
    ends += [datetime(2026, 2, 9, tzinfo=tz), datetime(2026, 3, 11, 1, tzinfo=tz), None]
    pdc = ["FRA68E1", "FRA68E1", "FRA68E2", "bad", "FRA68E1", "FRA68E3", None]
    sessions = pa.table(
        {
            "id_pdc_itinerance": pdc,
            "start": pa.array(starts, pa.timestamp("us", tz="UTC")),
            "end": pa.array(ends, pa.timestamp("us", tz="UTC")),
            "energy": pa.array([1.5, -2.0, float("nan"), 3.0, 4.0, 5.0, None]),
        }
    )
    if not typed:
        sessions = pa.table({c: sessions[c].cast(pa.string()) for c in sessions.column_names})
    probed = _errors(sessions, "sessions", probe=True)
    assert probed == _errors(sessions, "sessions", probe=False)
    assert len({r[3] for r in probed[1]}) >= 5
    statuses = pa.Table.from_pylist(
        [
            {"id_pdc_itinerance": "FRA68E1", "etat_pdc": "en_service",
             "occupation_pdc": "libre", "horodatage": "2026-03-10T11:00:00Z",
             "etat_prise_type_2": "fonctionnel"},
            {"id_pdc_itinerance": "FRA68E2", "etat_pdc": "hors_service",
             "occupation_pdc": "occupe", "horodatage": "2026-03-10T11:00:00",
             "etat_prise_type_2": "cassé"},
        ]
    )  # fmt: skip
    probed = _errors(statuses, "dynamique", probe=True)
    assert probed == _errors(statuses, "dynamique", probe=False)
    assert {r[3] for r in probed[1]} >= {"qualicharge:occupe_out_of_service", "schema:enum"}


def test_checks_are_grouped_by_what_they_read() -> None:
    """A check reads the columns of its condition, of the derived columns it names (followed),
    and the key of the group whose facts it names (in the rendered SQL: a typed column's text is
    its rendering from the typed value); checks reading the same go together."""
    derived = Derived(
        columns={"_lower": 'lower("t_a")', "_twice": "_lower || _lower"},
        groups=[
            Group("_by_k", '"t_k"', 'SELECT "t_k" AS _key, count(*) AS _n FROM src', {"_n": "1"})
        ],
    )
    plan = Plan(derived, lambda sql: sql.replace('"t_d"', 'CAST("s_d" AS VARCHAR)'))
    reads = plan.reads(plan.render("_twice = 'x' AND _n > 1 AND \"t_d\" IS NULL"))
    assert reads.base == {'"t_a"', '"t_k"', '"s_d"'}
    assert reads.derived == {"_lower", "_twice", "_n"}
    assert reads.groups == {"_by_k"}
    sets = check_sets(plan, ['"t_a" = 1', "_lower = 'a'", '"t_a" > 2', "_n > 1", '"t_b" < 0'])
    assert [s.checks for s in sets] == [[0, 1, 2], [3], [4]]
    assert sets[0].reads.derived == {"_lower"}


def test_dates_in_the_future_found_on_distinct_values() -> None:
    """Typed dates: the probe reads the DATE values, deduplicated, then the rows."""
    rows = _stations(3)
    data = pa.Table.from_pylist(rows)
    dates = [date(2024, 1, 1)] * 12
    dates[5] = date(2027, 1, 1)
    data = data.set_column(data.schema.get_field_index("date_maj"), "date_maj", pa.array(dates))
    probed = _errors(data, "statique", probe=True)
    assert probed == _errors(data, "statique", probe=False)
    future = [(r[0], r[4]) for r in probed[1] if r[3] == "qualicharge:future_date"]
    assert future == [(6, "2027-01-01")]


def test_rows_without_a_key_read_the_facts_defaults_in_the_probe() -> None:
    """A check reading only a group's facts is probed once per key, and once on the facts'
    defaults when some row has no key (here only the default fails the check)."""
    derived = Derived(
        groups=[
            Group(
                "_by_k",
                '"t_k"',
                'SELECT "t_k" AS _key, count(*) AS _n FROM src WHERE "t_k" IS NOT NULL GROUP BY 1',
                {"_n": "5"},
            )
        ]
    )
    plan = Plan(derived, lambda sql: sql)
    sets = check_sets(plan, ["_n > 2"])
    src = "WITH src AS (SELECT * FROM (VALUES (1, 'a'), (2, 'a'), (3, NULL)) AS v(_row, \"t_k\"))"
    con = duckdb.connect()
    try:
        assert con.execute(probe_query(plan, src, sets, ["_n > 2"], set())).fetchall() == [(0,)]
        keyed = src.replace("NULL", "'b'")
        assert con.execute(probe_query(plan, keyed, sets, ["_n > 2"], set())).fetchall() == []
    finally:
        con.close()
