"""Generated documentation must match the code it documents."""

from __future__ import annotations

from pathlib import Path

from ocpiwh import docgen

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_is_current() -> None:
    assert (ROOT / "docs" / "cli.md").read_text() == docgen.render(), (
        "docs/cli.md is out of date: run `python -m ocpiwh.docgen docs/cli.md`"
    )


def test_readme_keeps_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
