"""`sql`, `models run` and `export` write what their --out and --format say, in one form.

Format from --format, else from the --out suffix, else refused; times as
2026-06-01T08:00:00Z everywhere; numbers exact in files, rounded and right-aligned in tables.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ocpiwh.cli.main import main

# command line writing rows to OUT, one per command taking --out
COMMANDS: dict[str, Callable[[Path], list[str]]] = {
    "sql": lambda out: ["sql", "SELECT id, kwh, start_date_time FROM sessions", "--out", str(out)],
    "models run": lambda out: ["models", "run", "energy_by_operator", "--out", str(out)],
    "export": lambda out: ["export", "energy_by_operator", "--out", str(out)],
}
SUFFIXES = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


def run(sessions_lake: Path, *args: str) -> int:
    """Exit code of the CLI run in-process."""
    try:
        main(["--warehouse", str(sessions_lake), *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def read_rows(path: Path, fmt: str) -> list[dict[str, object]]:
    if fmt == "parquet":
        return pq.read_table(path).to_pylist()
    text = path.read_text()
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("suffix", list(SUFFIXES))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_out_suffix_decides_the_format(
    sessions_lake: Path, tmp_path: Path, command: str, suffix: str
) -> None:
    out = tmp_path / f"result{suffix}"
    assert run(sessions_lake, *COMMANDS[command](out)) == 0
    rows = read_rows(out, SUFFIXES[suffix])
    assert rows and all(isinstance(r, dict) for r in rows)
    assert "┃" not in out.read_bytes().decode(errors="replace")  # never a text table


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("name", ["e.xlsx", "e.txt", "e"])
def test_an_unknown_suffix_is_refused_in_one_line(
    sessions_lake: Path, tmp_path: Path, command: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / name
    assert run(sessions_lake, *COMMANDS[command](out)) == 2
    err = capsys.readouterr().err.strip()
    assert f"cannot tell the format of {name}" in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_format_overrides_an_unknown_suffix_but_not_a_known_one(
    sessions_lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "e.txt"
    assert run(sessions_lake, *COMMANDS["sql"](out), "--format", "csv") == 0
    assert out.read_text().startswith('"id","kwh"')
    assert run(sessions_lake, *COMMANDS["sql"](tmp_path / "e.parquet"), "--format", "csv") == 2
    assert "contradicts" in capsys.readouterr().err
    assert run(sessions_lake, *COMMANDS["export"](tmp_path / "x.parquet"), "--format", "csv") == 2


def test_a_text_table_never_goes_into_a_file(
    sessions_lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.txt"
    assert run(sessions_lake, *COMMANDS["models run"](out), "--format", "table") == 2
    assert not out.exists()
    # `--format table` (the old default) with a known suffix: the suffix decides
    assert run(sessions_lake, *COMMANDS["models run"](tmp_path / "t.csv"), "--format", "table") == 0
    assert read_rows(tmp_path / "t.csv", "csv")


def test_one_timestamp_form_in_every_format(
    sessions_lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    q = [
        "sql",
        "SELECT start_date_time AS t, CAST(start_date_time AS TIMESTAMP) AS naive FROM sessions LIMIT 1",
    ]
    run(sessions_lake, *q, "--format", "csv")
    assert (
        capsys.readouterr().out.splitlines()[1] == '"2024-03-01T10:00:00Z","2024-03-01T10:00:00Z"'
    )
    run(sessions_lake, *q, "--format", "json")
    assert json.loads(capsys.readouterr().out) == {
        "t": "2024-03-01T10:00:00Z",
        "naive": "2024-03-01T10:00:00Z",
    }
    run(sessions_lake, *q)
    assert capsys.readouterr().out.count("2024-03-01T10:00:00Z") == 2
    run(sessions_lake, *COMMANDS["export"](tmp_path / "e.csv"))
    assert read_rows(tmp_path / "e.csv", "csv")[0]["period_start"] == "2024-03-01T00:00:00Z"
    run(sessions_lake, *COMMANDS["export"](tmp_path / "e.jsonl"))
    assert read_rows(tmp_path / "e.jsonl", "jsonl")[0]["period_start"] == "2024-03-01T00:00:00Z"


def test_fractional_seconds_are_kept_in_files(
    sessions_lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    q = "SELECT TIMESTAMPTZ '2026-06-01 08:00:00.25+00' AS t"
    run(sessions_lake, "sql", q, "--format", "csv")
    assert capsys.readouterr().out.splitlines()[1] == '"2026-06-01T08:00:00.250000Z"'
    run(sessions_lake, "sql", q, "--format", "jsonl")
    assert json.loads(capsys.readouterr().out)["t"] == "2026-06-01T08:00:00.250000Z"


def test_numbers_exact_in_files_rounded_and_right_aligned_in_tables(
    sessions_lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    q = "SELECT 'a' AS label, 1.1::DOUBLE + 2.2::DOUBLE AS x UNION ALL SELECT 'bb', 1234.5"
    run(sessions_lake, "sql", q, "--format", "csv")
    assert "3.3000000000000003" in capsys.readouterr().out
    run(sessions_lake, "sql", q, "--format", "json")
    assert json.loads(capsys.readouterr().out.splitlines()[0])["x"] == 1.1 + 2.2
    run(sessions_lake, "sql", q, "--out", str(tmp_path / "x.parquet"))
    assert pq.read_table(tmp_path / "x.parquet")["x"][0].as_py() == 1.1 + 2.2
    run(sessions_lake, "sql", q)
    lines = [line for line in capsys.readouterr().out.splitlines() if "│" in line]
    assert "3.3000000000000003" not in "".join(lines)
    cells = [line.split("│")[2] for line in lines]  # the x column, padded by rich
    assert cells[0].endswith("    3.3 ") and cells[1].endswith(" 1234.5 ")  # right-aligned


def test_several_statements_are_refused(
    sessions_lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(sessions_lake, "sql", "SELECT 1; SELECT 2") == 2
    err = capsys.readouterr().err
    assert "one SQL statement at a time, got 2" in err and len(err.strip().splitlines()) == 1


def test_export_quiet_prints_nothing(
    sessions_lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main_args = ["-q", *COMMANDS["export"](tmp_path / "e.csv")]
    assert run(sessions_lake, *main_args) == 0
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err == ""
    assert (tmp_path / "e.csv").exists()


def test_long_commands_show_their_steps_on_a_terminal_only(
    sessions_lake: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from rich.console import Console

    from ocpiwh.cli import common

    screen = io.StringIO()
    monkeypatch.setattr(common, "err", Console(file=screen, force_terminal=True, width=120))
    assert run(sessions_lake, *COMMANDS["export"](tmp_path / "e.csv")) == 0
    assert "export energy_by_operator: writing the manifest" in screen.getvalue()
    screen.truncate(0)
    assert run(sessions_lake, "-q", *COMMANDS["export"](tmp_path / "e.csv")) == 0
    assert screen.getvalue() == ""  # -q: nothing
    monkeypatch.setattr(common, "err", Console(file=screen, force_terminal=False))
    assert run(sessions_lake, *COMMANDS["models run"](tmp_path / "m.csv")) == 0
    assert screen.getvalue() == ""  # not a terminal (logs, pipes): no spinner


def test_intervals_are_iso_8601_durations_everywhere(
    sessions_lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    q = "SELECT INTERVAL 90 MINUTE AS i, INTERVAL '1 month 2 days 3.5 seconds' AS j"
    run(sessions_lake, "sql", q, "--format", "csv")
    assert capsys.readouterr().out.splitlines()[1] == '"PT1H30M","P1M2DT3.5S"'
    run(sessions_lake, "sql", q, "--format", "jsonl")
    assert json.loads(capsys.readouterr().out) == {"i": "PT1H30M", "j": "P1M2DT3.5S"}
    run(sessions_lake, "sql", q)
    assert "PT1H30M" in capsys.readouterr().out


@pytest.mark.parametrize("where", ["under_a_file", "is_a_folder"])
def test_an_out_that_cannot_be_written_is_named_in_one_line(
    sessions_lake: Path, tmp_path: Path, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "x.csv").mkdir()
    out = tmp_path / ("afile/x.csv" if where == "under_a_file" else "x.csv")
    assert run(sessions_lake, *COMMANDS["sql"](out)) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: cannot write {out}: ") and len(err.splitlines()) == 1, err
    assert "warehouse" not in err  # the --out file is at fault, not the warehouse
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "x.csv"]  # no temporary file
