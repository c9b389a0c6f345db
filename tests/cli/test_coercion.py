"""Option values that skip typer's pydantic coercion come out as typer's coercion gives them;
every other value still goes through it (errors, clamping and all)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer.core import _TyperParameter
from typer.testing import CliRunner

from ocpiwh.cli import app as _installs_the_pass_through  # noqa: F401

app = typer.Typer()


@app.command()
def command(
    n: Annotated[int, typer.Option(min=1, max=64)] = 4,
    low: Annotated[int, typer.Option(min=1)] = 100_000,
    f: Annotated[float, typer.Option(min=0.0)] = 0.5,
    clamped: Annotated[int, typer.Option(min=0, max=5, clamp=True)] = 1,
    m: Annotated[list[str] | None, typer.Option("--m")] = None,
    s: Annotated[str | None, typer.Option()] = None,
    count: Annotated[int, typer.Option("-v", count=True)] = 0,
    flag: Annotated[bool, typer.Option()] = False,
    path: Annotated[Path | None, typer.Option()] = None,
) -> None:
    values = (n, low, f, clamped, m, s, count, flag, path)
    typer.echo(repr([(type(v).__name__, v) for v in values]))


ARGS = [
    [],
    ["--n", "5", "--low", "7", "--m", "a", "--m", "b", "--s", "x", "-vv", "--flag"],
    ["--n", "64", "--n", "1"],
    ["--n", "007"],
    ["--n", "0"],
    ["--n", "65"],
    ["--n", "+5"],
    ["--n", " 5"],
    ["--n", "5_0"],
    ["--n", "٣"],
    ["--n", "x"],
    ["--low", "0"],
    ["--f", "-1"],
    ["--f", "2"],
    ["--clamped", "9"],
    ["--m", ""],
    ["--s", ""],
    ["--path", "a/b"],
]


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.output


@pytest.mark.parametrize("args", ARGS, ids=" ".join)
def test_the_pass_through_gives_what_typer_gives(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = _run(args)
    typers: Any = getattr(_TyperParameter.get_runtime_param, "typer_runtime", None)
    assert typers is not None, "the pass-through is installed"
    monkeypatch.setattr(_TyperParameter, "get_runtime_param", typers)
    assert ours == _run(args)
