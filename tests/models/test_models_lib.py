"""Model parameters (typed, bound), DAG, lineage, dialects, audits, CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot
from golden_lake import GOLDEN, build_lake, golden_cases
from sqlglot import exp

import ocpiwh.cli.models  # noqa: F401  (registers the command group)
from ocpiwh import models, warehouse
from ocpiwh.cli.main import main
from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.quality.checks import load_registry


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_lake(GOLDEN / "energy_by_operator" / "day", tmp_path_factory.mktemp("wh"))


def run_cli(lake: Path, *args: str) -> None:
    try:
        main(["--warehouse", str(lake), *args])
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise


def test_every_model_is_well_formed() -> None:
    ms = models.load_models()
    assert set(ms) >= {
        "session_durations",
        "energy_by_operator",
        "sessions_enriched",
        "occupancy",
        "utilization",
    }
    assert models.check_models(ms.values()) == []
    for m in ms.values():
        assert m.description and m.grain and m.audits, m.name
        assert {"from", "to"} <= set(m.params), m.name


def test_parameters_are_typed() -> None:
    m = models.get_model("energy_by_operator")
    b = m.bind({"from": "2024-03-01", "to": "2024-03-02T12:00:00+02:00", "grain": "day"})
    assert b["from"] == datetime(2024, 3, 1, tzinfo=UTC)
    assert b["to"] == datetime(2024, 3, 2, 10, tzinfo=UTC)
    assert m.bind({})["grain"] == "month"
    with pytest.raises(UsageError, match=r"grain.*enum\(day\|week\|month\)"):
        m.bind({"grain": "year"})
    with pytest.raises(UsageError, match=r"must be a timestamp"):
        m.bind({"from": "yesterday"})
    with pytest.raises(UsageError, match=r"no parameter 'form'.*valid: from \(timestamp\)"):
        m.bind({"form": "2024-01-01"})


@pytest.mark.parametrize(
    "typ,text,value",
    [
        ("int", "42", 42),
        ("float", "2.5", 2.5),
        ("bool", "yes", True),
        ("bool", "0", False),
        ("date", "2024-02-29", date(2024, 2, 29)),
        ("string", "x'; --", "x'; --"),
    ],
)
def test_param_types(typ: str, text: str, value: object) -> None:
    assert models.Param("p", typ, None).parse(text) == value


def test_ill_typed_int_is_refused() -> None:
    with pytest.raises(ValueError):
        models.Param("p", "int", None).parse("4.5")


def test_values_are_bound_never_pasted(tmp_path: Path) -> None:
    (tmp_path / "by_party.sql").write_text(
        "-- description: sessions of one party\n-- grain: session\n"
        '-- @param party string "SIM" "party id"\n'
        "SELECT id FROM sessions WHERE party_id = $party\n"
    )
    m = models.load_models(tmp_path)["by_party"]
    root = build_lake(GOLDEN / "energy_by_operator" / "day", tmp_path / "wh")
    con = warehouse.connect(root)
    evil = "x'; DROP VIEW sessions; --"
    assert m.run(con, {"party": evil}).num_rows == 0
    assert m.run(con, {"party": "SIM"}).num_rows == 5  # the view still exists
    assert "DROP" not in m.expanded_sql
    con.close()


def test_a_model_reads_another_model(tmp_path: Path) -> None:
    for name in ("session_durations",):
        (tmp_path / f"{name}.sql").write_text((models.models_dir() / f"{name}.sql").read_text())
    (tmp_path / "long_sessions.sql").write_text(
        "-- description: sessions longer than a threshold\n-- grain: session\n"
        '-- @param min_hours float 1.0 "threshold"\n'
        "-- @audit long: SELECT * FROM long_sessions WHERE duration_h < $min_hours\n"
        "SELECT session_id, duration_h FROM session_durations WHERE duration_h >= $min_hours"
        " ORDER BY session_id\n"
    )
    ms = models.load_models(tmp_path)
    m = ms["long_sessions"]
    assert m.model_dependencies == ["session_durations"]
    assert m.views == {"sessions"}
    assert set(m.all_params) == {"from", "to", "min_hours"}
    root = build_lake(GOLDEN / "session_durations" / "march", tmp_path / "wh")
    con = warehouse.connect(root)
    got = m.run(con, {"min_hours": "1", "to": "2024-04-01"}).to_pylist()
    assert got == [{"session_id": "S1", "duration_h": 1.5}]
    assert {k: v.num_rows for k, v in m.run_audits(con, {"min_hours": 1}).items()} == {"long": 0}
    con.close()
    assert m.lineage()["duration_h"] == {
        ("sessions", "start_date_time"),
        ("sessions", "end_date_time"),
    }
    sql, _ = models.compile(m, "spark")
    sqlglot.parse_one(sql, read="spark")
    assert "session_durations AS" in sql


def test_a_cycle_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("-- description: a\nSELECT * FROM b\n")
    (tmp_path / "b.sql").write_text("-- description: b\nSELECT * FROM a\n")
    with pytest.raises(OcpiwhError, match="cycle"):
        _ = models.load_models(tmp_path)["a"].model_dependencies


def test_lineage_names_view_columns() -> None:
    lin = models.get_model("energy_by_operator").lineage()
    assert lin["kwh"] == {("sessions", "kwh")}
    assert lin["operator_name"] == {("locations", "operator_name")}
    assert lin["sessions"] == set()  # count(*)
    enriched = models.get_model("sessions_enriched").lineage()
    assert ("cdrs", "total_energy") in enriched["kwh"] and ("sessions", "kwh") in enriched["kwh"]
    assert enriched["max_power_kw"] == {("connectors", "max_electric_power")}


ROUND_TRIP = ["duckdb", "bigquery"]
"""Dialects whose compiled SQL sqlglot reads back into DuckDB SQL that runs. Spark's is run on
Spark (tests/spark), Trino's checked against Trino's documented functions (tests/spark)."""


@pytest.fixture(scope="module")
def golden_lakes(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    base = tmp_path_factory.mktemp("golden-lakes")
    return {case: build_lake(case, base / f"{i}") for i, case in enumerate(golden_cases())}


@pytest.mark.parametrize("dialect", ROUND_TRIP)
@pytest.mark.parametrize("case", golden_cases(), ids=lambda c: f"{c.parent.name}-{c.name}")
def test_compiled_sql_returns_the_same_rows(
    golden_lakes: dict[Path, Path], case: Path, dialect: str
) -> None:
    """`models compile` output, read back into DuckDB and run, returns the model's rows."""
    model = models.get_model(case.parent.name)
    params = json.loads((case / "params.json").read_text())
    sql, _ = models.compile(model, dialect)
    back = sqlglot.transpile(sql, read=dialect, write="duckdb")[0]
    bound = model.bind(params)
    used = {p.name for p in sqlglot.parse_one(back, read="duckdb").find_all(exp.Placeholder)}
    values = {u: bound[u.removeprefix("p_") if u not in bound else u] for u in used if u}
    con = warehouse.connect(golden_lakes[case])
    try:
        want = model.run(con, params)
        got = warehouse.run_sql(con, back, values)
    finally:
        con.close()
    assert want.num_rows > 0 or case.parent.name in {"ind_u13"}, "empty case"
    assert got.column_names == want.column_names
    assert got.to_pylist() == want.to_pylist()


def test_unknown_dialect_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown dialect"):
        models.compile(models.get_model("utilization"), "cobol")


def test_a_failing_audit_is_reported(tmp_path: Path, lake: Path) -> None:
    (tmp_path / "bad.sql").write_text(
        "-- description: d\n-- grain: g\n"
        "-- @audit never_empty: SELECT * FROM bad WHERE id IS NOT NULL\n"
        "SELECT id FROM sessions\n"
    )
    m = models.load_models(tmp_path)["bad"]
    con = warehouse.connect(lake)
    assert m.run_audits(con)["never_empty"].num_rows == 5
    con.close()


def test_audit_file_beside_the_model(tmp_path: Path) -> None:
    (tmp_path / "m.sql").write_text("-- description: d\nSELECT 1 AS x\n")
    (tmp_path / "m.audits.sql").write_text(
        "-- @audit positive\nSELECT *\nFROM m\nWHERE x <= 0;\n-- @audit other\nSELECT 1 WHERE false\n"
    )
    m = models.load_models(tmp_path)["m"]
    assert m.audits == {
        "positive": "SELECT *\nFROM m\nWHERE x <= 0",
        "other": "SELECT 1 WHERE false",
    }


def test_cli_run_csv_with_audit(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(
        lake,
        "models",
        "run",
        "energy_by_operator",
        "--param",
        "grain=month",
        "--param",
        "from=2024-03-01",
        "--format",
        "csv",
        "--audit",
    )
    captured = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert [(r["operator_name"], r["kwh"]) for r in rows] == [
        ("(unknown)", "1"),
        ("Alpha", "42.5"),
        ("Beta", "7.5"),
    ]
    assert "audit no_negative_energy: ok" in captured.err


def test_cli_bad_param_exit_2(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run_cli(lake, "models", "run", "energy_by_operator", "--param", "grain=year")
    assert exc.value.code == 2
    assert "enum(day|week|month)" in capsys.readouterr().err


def test_cli_list_show_compile(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(lake, "models", "list")
    assert "occupancy" in capsys.readouterr().out
    run_cli(lake, "models", "show", "energy_by_operator", "--lineage")
    assert "sessions.kwh" in capsys.readouterr().out
    run_cli(lake, "models", "compile", "energy_by_operator", "--dialect", "postgres")
    setup, query = sqlglot.parse(capsys.readouterr().out, read="postgres")
    assert setup is not None and query is not None and "UTC" in setup.sql()
    run_cli(lake, "models", "compile", "energy_by_operator", "-d", "postgres", "--no-session")
    sqlglot.parse_one(capsys.readouterr().out, read="postgres")


def test_cli_json_output(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(lake, "models", "run", "session_durations", "--format", "json")
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {x["session_id"] for x in lines} == {"S1", "S2", "S3", "S4", "S5"}


ID_MODELS = ["irve_statique", "irve_dynamique", "irve_dynamique_events", "ind_pdc"]
ID_MODELS += ["qualicharge_sessions", "ind_e4", "ind_u12", "ind_u13", "qc_sessions"]
"""Models (and the quality base qc_sessions) that read EVSE ids through the IRVE id rule
(``upper(trim(evse_id))``)."""


def _ids_spelled_loosely(obj: object) -> object:
    """Every ``evse_id`` lower-cased and padded: what platforms send, the rule undoes."""
    if isinstance(obj, dict):
        return {
            k: f"  {v.lower()} "
            if k == "evse_id" and isinstance(v, str)
            else _ids_spelled_loosely(v)
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_ids_spelled_loosely(v) for v in obj]
    return obj


INGEST_TIME = ("received",)
"""Columns stamped with when ocpiwh fetched the rows (qc_sessions, for FRES): the two lakes of
the test are built a moment apart, so these differ whatever the ids."""


def _without_ingest_time(table: pa.Table) -> pa.Table:
    return table.drop_columns([c for c in INGEST_TIME if c in table.column_names])


@pytest.mark.parametrize("case", ["ind_pdc/unit_day", "ind_u12/unit_day", "utilization/two_days"])
def test_evse_id_spelling_changes_no_output(tmp_path: Path, case: str) -> None:
    """Each copy of the id rule is defended: a model that forgot upper() or trim() would
    return other ids, or lose a join, once the ids are not spelled in upper case."""
    source = GOLDEN / case
    loose = tmp_path / "loose"
    (loose / "input").mkdir(parents=True)
    for path in (source / "input").glob("*.json"):
        data = _ids_spelled_loosely(json.loads(path.read_text()))
        (loose / "input" / path.name).write_text(json.dumps(data))
    assert any("  fr" in p.read_text().lower() for p in (loose / "input").glob("*.json"))
    params = json.loads((source / "params.json").read_text())
    cons = [
        warehouse.connect(build_lake(c, tmp_path / n)) for c, n in ((source, "a"), (loose, "b"))
    ]
    registry = load_registry()
    filled: set[str] = set()
    try:
        for name in ID_MODELS:
            model = registry[name]
            own = {k: v for k, v in params.items() if k in model.all_params}
            want, got = (_without_ingest_time(model.run(con, own)) for con in cons)
            filled |= {name} if want.num_rows else set()
            # sorted: qc_sessions (a UNION ALL base) has no ORDER BY
            assert sorted(map(str, got.to_pylist())) == sorted(map(str, want.to_pylist())), name
    finally:
        for con in cons:
            con.close()
    assert {"irve_statique", "irve_dynamique", "ind_pdc", "qc_sessions"} <= filled, filled
