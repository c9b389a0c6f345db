"""The ``simulate`` command: option validation and durations."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ocpiwh.errors import UsageError
from ocpiwh.simulator import parse_duration
from ocpiwh.simulator.cli import parse_live, simulate


@pytest.mark.parametrize(("text", "seconds"), [("3h", 10800), ("-2h", -7200), ("90m", 5400),
                                               ("1h30m", 5400), ("0", 0), ("45s", 45), ("2d", 172800)])  # fmt: skip
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "kwargs",
    [{"clock_offset": "soon"}, {"auth": "maybe"}, {"fault_429": 2.0}, {"locations": 0},
     {"port": 70000}, {"token": "has space"}, {"live": "fast"}, {"live": "-1"},
     {"live": "nan"}, {"live": "1e6"}],
)  # fmt: skip
def test_bad_options_are_usage_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(UsageError) as e:
        simulate(**kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(e.value)


def test_typer_registration_and_help() -> None:
    import typer
    from typer.testing import CliRunner

    app = typer.Typer()
    app.command()(simulate)
    app.command("noop")(lambda: None)
    r = CliRunner().invoke(app, ["simulate", "--help"])
    assert r.exit_code == 0
    for opt in (
        "--clock-offset",
        "--fault-429",
        "--no-tokens",
        "--dump-truth",
        "--tick",
        "--clean",
        "--live",
    ):
        assert opt in r.output


@pytest.mark.parametrize(("text", "rate"), [("0.1", 0.1), ("3", 3.0), ("10", 10.0), ("0", 0.0)])
def test_live_rates_parse(text: str, rate: float) -> None:
    assert parse_live(text) == rate


@pytest.mark.parametrize("bad", ["abc", "-0.5", "inf"])
def test_live_bad_value_is_one_line_exit_2(bad: str) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "ocpiwh", "simulate", "--live", bad, "--port", "0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--live" in lines[0] and bad in lines[0], r.stderr
    assert not r.stdout
