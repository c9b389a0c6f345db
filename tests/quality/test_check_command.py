"""What `ocpiwh check` prints: totals over every unit (and which unit is the worst), labeled
window lines, a hint when QualiCharge's default windows hold no data, progress on a terminal.

The dirty-simulator test (test_simulator.py::test_check_command) checks the same lines on
a many-unit warehouse; these use the hand-made lakes, whose numbers are known exactly."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from lake import WINDOW, Evse, Location, Spec, build, cdr, clean, t
from rich.console import Console

from ocpiwh import quality
from ocpiwh.cli import common
from ocpiwh.cli.main import main

ARGS = ["check", "--from", WINDOW["from_"], "--to", WINDOW["to"], "--fail-on", "none"]


def run(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(["--warehouse", str(root), *args])
    assert exc.value.code in (0, None)
    return capsys.readouterr().out


def two_units() -> Spec:
    """The clean station (unit FRABC) plus a station of unit FRXYZ with one session sent
    twice (two CDRs, same point and times): DUPS flags FRXYZ only."""
    spec = clean()
    cycle = [("AVAILABLE", t("08:00")), ("CHARGING", t("11:00")), ("AVAILABLE", t("12:00"))]
    xyz = Evse("7", 22, "IEC_62196_T2", cycle, evse_id="FR*XYZ*E7")
    spec.locations.append(Location("FRXYZP7", [xyz], lat="48.870", lon="2.350"))
    dup = cdr("S7", "7", t("11:00"), t("11:30"), 5.0, loc="FRXYZP7")
    dup["cdr_location"]["evse_id"] = "FR*XYZ*E7"
    spec.cdrs += [dup, {**dup, "id": "C7b", "session_id": "S7b"}]
    return spec


def test_one_line_per_rule_counts_every_unit_and_names_the_worst(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build(two_units(), tmp_path / "data")
    report = quality.run_checks(root, **WINDOW, rules=["DUPS"])
    units = {u.unit: u for u in report["DUPS"].units}
    assert set(units) == {"FRABC", "FRXYZ"} and units["FRXYZ"].flagged >= 1
    assert units["FRABC"].flagged == 0
    out = run(root, capsys, *ARGS, "DUPS")
    flagged = sum(u.flagged for u in units.values())
    checked = sum(u.checked for u in units.values())
    assert checked > units["FRXYZ"].checked  # the total is not the worst unit's count
    assert f"{flagged:,}/{checked:,}" in out
    assert "2 units, worst FRXYZ" in out


def test_window_lines_are_labeled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = build(clean(), tmp_path / "data")
    out = run(root, capsys, *ARGS)
    windows = [line for line in out.splitlines() if "window" in line and "[" in line]
    assert windows == ["window of every rule: [2026-03-09T00:00:00Z, 2026-03-10T00:00:00Z)"]
    # QualiCharge's default windows differ per family: one labeled line each
    out = run(root, capsys, "check", "--fail-on", "none")
    windows = [line for line in out.splitlines() if line.startswith("window")]
    assert len(windows) == 2, windows
    assert all(line.startswith("window of ") and " rules: [" in line for line in windows)


def test_default_windows_without_data_say_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build(clean(), tmp_path / "data")
    out = run(root, capsys, "check", "--fail-on", "none")
    assert "no data" in out  # the default windows (yesterday, 15 days ago) miss 2026-03-09
    assert "try `ocpiwh check --from 2026-03-09 --to 2026-03-10`" in out
    # with the data in the window, no hint
    out = run(root, capsys, *ARGS)
    assert "try `ocpiwh check" not in out


def test_a_warehouse_without_sessions_or_statuses_says_to_sync(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build(Spec(), tmp_path / "data")
    out = run(root, capsys, "check", "--fail-on", "none", "--json", str(tmp_path / "r.json"))
    assert "no session or status change yet (run `ocpiwh sync`)" in out
    assert json.loads((tmp_path / "r.json").read_text())["data_span"] is None


def test_progress_names_each_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    root = build(clean(), tmp_path / "data")
    steps: list[str] = []
    report = quality.run_checks(root, **WINDOW, step=steps.append)
    codes = [r.code for r in report.results]
    assert steps == ["base tables"] + [
        f"rule {code} ({n}/{len(codes)})" for n, code in enumerate(codes, start=1)
    ]
    # the command shows them on a terminal (stderr), and nothing on a pipe
    screen = io.StringIO()
    monkeypatch.setattr(common, "err", Console(file=screen, force_terminal=True, width=100))
    run(root, capsys, *ARGS)
    assert "check" in screen.getvalue()
    monkeypatch.setattr(common, "err", Console(file=io.StringIO(), force_terminal=False))
    out = run(root, capsys, "-q", *ARGS)
    assert "rules," in out
