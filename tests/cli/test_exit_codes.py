"""The exit-code table of docs/cli.md: 0 ok, 1 failure during work, 2 usage, 130 interrupted."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from ocpiwh import catalogue, docgen
from ocpiwh.cli.main import main


def code(*args: str) -> int:
    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


CASES = [
    # (what, arguments, expected exit code); {wh} is the warehouse folder
    ("ok", ["-w", "{wh}", "sql", "SELECT 1"], 0),
    ("help", ["models", "--help"], 0),
    ("SQL error", ["-w", "{wh}", "sql", "SELECT nope"], 1),
    ("unknown option", ["sql", "SELECT 1", "--nope"], 2),
    ("global option after the command", ["sql", "SELECT 1", "-w", "x"], 2),
    ("unknown command", ["nope"], 2),
    ("bad --format", ["-w", "{wh}", "sql", "SELECT 1", "--format", "xlsx"], 2),
    ("unknown suffix", ["-w", "{wh}", "sql", "SELECT 1", "--out", "x.xlsx"], 2),
    ("unknown model", ["-w", "{wh}", "models", "run", "nope"], 2),
    ("bad --param", ["-w", "{wh}", "models", "run", "energy_by_operator", "-p", "grain=year"], 2),
    ("no warehouse", ["-w", "{missing}", "sql", "SELECT 1"], 2),
    ("two statements", ["-w", "{wh}", "sql", "SELECT 1; SELECT 2"], 2),
    (
        "export ok",
        [
            "-w",
            "{wh}",
            "-q",
            "export",
            "sessions_enriched",
            "--allow-pseudonymous",
            "-o",
            "{tmp}/s.csv",
        ],
        0,
    ),
    ("export of nothing", ["-w", "{wh}", "export", "nope", "--out", "{tmp}/x.csv"], 2),
    ("export of pseudonyms", ["-w", "{wh}", "export", "sessions", "--out", "{tmp}/x.csv"], 2),
    (
        "export into no folder",
        ["-w", "{wh}", "export", "sessions_enriched", "-o", "{tmp}/no/x.csv"],
        2,
    ),
    ("unknown dialect", ["models", "compile", "energy_by_operator", "-d", "cobol"], 2),
    ("lake ddl, unknown dialect", ["-w", "{wh}", "lake", "ddl", "-d", "cobol"], 2),
    ("privacy show, unknown module", ["-w", "{wh}", "privacy", "show", "nope"], 2),
]


@pytest.mark.parametrize(("what", "args", "expected"), CASES, ids=[c[0] for c in CASES])
def test_exit_codes(
    sessions_lake: Path, tmp_path: Path, what: str, args: list[str], expected: int
) -> None:
    argv = [a.format(wh=sessions_lake, missing=tmp_path / "missing", tmp=tmp_path) for a in args]
    assert code(*argv) == expected, what


@pytest.mark.parametrize(
    "raised",
    # DuckDB's client, Ctrl-C landing in a query it runs: the KeyboardInterrupt becomes this
    [KeyboardInterrupt, RuntimeError("Query interrupted")],
    ids=["KeyboardInterrupt", "duckdb"],
)
def test_ctrl_c_in_a_command_exits_130_with_one_line(
    sessions_lake: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raised: BaseException,
) -> None:
    def interrupted(*_args: object, **_kw: object) -> None:
        raise raised

    monkeypatch.setattr(catalogue, "one_statement", interrupted)  # `sql` calls it first
    assert code("-w", str(sessions_lake), "sql", "SELECT 1") == 130
    assert capsys.readouterr().err.strip() == "interrupted"


def test_ctrl_c_inside_a_duckdb_query_exits_130_not_as_a_bug(
    sessions_lake: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """DuckDB's client turns Ctrl-C during a query into ``RuntimeError('Query interrupted')``
    (the KeyboardInterrupt is gone): still exit 130 and one line, not "internal error"."""
    started = threading.Event()
    checked = catalogue.one_statement

    def check_then_start(*args: object) -> None:
        checked(*args)  # type: ignore[arg-type]
        started.set()  # the query runs right after this check

    finished = threading.Event()

    def ctrl_c() -> None:
        # well inside a query that lasts minutes; never once the command has returned (the
        # interrupt would land in pytest itself)
        if started.wait(60) and not finished.wait(0.5):
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(catalogue, "one_statement", check_then_start)
    sender = threading.Thread(target=ctrl_c, daemon=True)
    sender.start()
    slow = "SELECT count(*) FROM range(100000000000) AS t(i) WHERE i % 7 = 3"
    try:
        assert code("-w", str(sessions_lake), "sql", slow) == 130
    finally:
        finished.set()
        sender.join(10)
    assert started.is_set()
    assert capsys.readouterr().err.strip() == "interrupted"


def test_the_table_is_documented() -> None:
    for text in ("0 ok", "1 failure", "2 usage error", "130 interrupted"):
        assert text in docgen.HEADER


def test_irve_validate_refuses_a_file_without_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    valid = Path(__file__).parents[1] / "irve" / "data" / "exemple-valide-statique.csv"
    header_only = tmp_path / "irve.csv"
    header_only.write_text(valid.read_text().splitlines()[0] + "\n")
    assert code("irve", "validate", str(valid), "--profile", "irve") == 0
    assert code("irve", "validate", str(header_only), "--profile", "irve") == 1
    err = capsys.readouterr().err.strip()
    assert "has no data rows" in err and len(err.splitlines()) == 1
