"""warehouse.duckdb in the duckdb-cli shell, `ocpiwh sql`, output formats."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ocpiwh import warehouse
from ocpiwh.cli import shell as shell_cli
from ocpiwh.cli.main import main

DUCKDB_CLI = Path(sys.executable).parent / "duckdb"


def run(sessions_lake: Path, *args: str) -> None:
    """The CLI in-process; a clean exit (SystemExit 0) returns, others propagate."""
    try:
        main(["--warehouse", str(sessions_lake), *args])
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise


@pytest.mark.skipif(not DUCKDB_CLI.exists(), reason="duckdb-cli not installed")
def test_the_duckdb_cli_shell_opens_the_refreshed_database(
    sessions_lake: Path, tmp_path: Path
) -> None:
    db = warehouse.refresh(sessions_lake)
    assert db == sessions_lake / "warehouse.duckdb"
    assert not list(sessions_lake.glob(".warehouse.duckdb*"))  # the temporary file was renamed
    # moved elsewhere, the folder still works: paths are relative
    moved = tmp_path / "moved"
    subprocess.run(["cp", "-r", str(sessions_lake), str(moved)], check=True)
    proc = subprocess.run(
        [
            str(DUCKDB_CLI),
            "warehouse.duckdb",
            "-csv",
            "-c",
            "SELECT count(*) AS n, sum(kwh) AS kwh FROM sessions; SELECT count(*) FROM evses",
        ],
        cwd=moved,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["n,kwh", "2,15.5", "count_star()", "2"]
    assert str(sessions_lake).encode() not in (moved / "warehouse.duckdb").read_bytes()


def test_refresh_holds_only_views(sessions_lake: Path) -> None:
    import duckdb

    db = warehouse.refresh(sessions_lake)
    con = duckdb.connect(str(db), read_only=True)
    tables = con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
    views = con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()
    con.close()
    assert tables == (0,)
    assert views is not None and views[0] >= 14


def test_sql_formats(
    sessions_lake: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    q = "SELECT id, kwh, start_date_time FROM sessions ORDER BY id"
    run(sessions_lake, "sql", q, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == {"id": "S1", "kwh": "12.5", "start_date_time": "2024-03-01T10:00:00Z"}
    run(sessions_lake, "sql", q, "--format", "json")
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[1] == {"id": "S2", "kwh": 3.0, "start_date_time": "2024-03-01T10:00:00Z"}
    run(sessions_lake, "sql", q, "--format", "parquet", "--out", str(tmp_path / "s.parquet"))
    assert pq.read_table(tmp_path / "s.parquet").num_rows == 2
    run(sessions_lake, "sql", q)
    text = capsys.readouterr().out
    assert "S1" in text and "2 rows" in text


def test_table_format_truncates_with_a_footer(
    sessions_lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(sessions_lake, "sql", "SELECT * FROM range(120)")
    assert "120 rows (showing the first 50" in capsys.readouterr().out


def test_sql_error_is_one_line_exit_1(
    sessions_lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        run(sessions_lake, "sql", "SELECT nope FROM sessions")
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: SQL error:") and "nope" in err and "\n" not in err


def test_parquet_without_out_is_a_usage_error(
    sessions_lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        run(sessions_lake, "sql", "SELECT 1", "--format", "parquet")
    assert exc.value.code == 2


def test_shell_without_the_binary_says_how_to_install(
    sessions_lake: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shell_cli, "find_duckdb_cli", lambda: None)
    with pytest.raises(SystemExit) as exc:
        run(sessions_lake, "shell")
    assert exc.value.code == 1
    assert "pip install duckdb-cli" in capsys.readouterr().err


def test_every_view_column_is_documented(tmp_path: Path) -> None:
    con = warehouse.connect(tmp_path)
    assert warehouse.undocumented_columns(con) == []
    con.close()
