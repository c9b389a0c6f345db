"""The static table of commands (ocpiwh.cli.names) matches the commands the modules define,
and the root loads only what a command needs (``--help`` and ``sql`` stay light)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

import ocpiwh.cli
from ocpiwh import warehouse
from ocpiwh.cli import models as cli_models
from ocpiwh.cli.app import app
from ocpiwh.cli.names import COMMANDS
from ocpiwh.irve import config as irve_config


def _every_command() -> dict[str, Any]:
    """Every top-level command, with every module of ocpiwh/cli imported."""
    for info in pkgutil.iter_modules(ocpiwh.cli.__path__):
        importlib.import_module(f"ocpiwh.cli.{info.name}")
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    return {name: commands[name] for name in commands}


def _callbacks(command: Any) -> list[Any]:
    subcommands = getattr(command, "commands", {})
    out = [inspect.unwrap(command.callback)] if command.callback and not subcommands else []
    for sub in subcommands.values():
        out += _callbacks(sub)
    return out


def test_the_table_names_every_command_and_nothing_else() -> None:
    assert set(_every_command()) == set(COMMANDS)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_summary_is_the_first_paragraph_of_the_help(name: str) -> None:
    command = _every_command()[name]
    assert COMMANDS[name].summary == inspect.cleandoc(command.help or "").split("\n\n")[0].strip()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_listed_modules_define_the_command(name: str) -> None:
    """Every callback of the command (a group: of each subcommand) is defined or imported
    by one of the listed modules, so importing them is enough to register it whole."""
    command = _every_command()[name]
    modules = [sys.modules[m] for m in COMMANDS[name].modules]
    for callback in _callbacks(command):
        assert any(getattr(m, callback.__name__, None) is callback for m in modules), (
            f"{callback.__module__}.{callback.__name__} of `ocpiwh {name}` is not in "
            f"{COMMANDS[name].modules}"
        )


PROBE = """
import sys
from ocpiwh.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("\\nLOADED", " ".join(sorted(sys.modules)))
"""


def _loaded(*args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    return set(proc.stdout.rsplit("LOADED", 1)[1].split())


def test_help_imports_no_command_module_nor_a_heavy_library() -> None:
    loaded = _loaded("--help")
    command_modules = {m for e in COMMANDS.values() for m in e.modules}
    assert not loaded & command_modules
    for heavy in ("duckdb", "pyarrow", "sqlglot", "pydantic", "httpx", "ocpiwh.lake"):
        assert heavy not in loaded, heavy


def test_sql_on_a_current_catalogue_builds_no_view(sessions_lake: Path, tmp_path: Path) -> None:
    root = tmp_path / "wh"
    subprocess.run(["cp", "-r", str(sessions_lake), str(root)], check=True)
    warehouse.refresh(root)
    loaded = _loaded("-w", str(root), "sql", "SELECT count(*) FROM sessions")
    assert "ocpiwh.cli.query" in loaded
    heavy_ones = (
        "ocpiwh.warehouse",
        "ocpiwh.lake",
        "sqlglot",
        "pydantic",
        "pyarrow",
        "ocpiwh.cli.sync",
    )
    for heavy in heavy_ones:
        assert heavy not in loaded, heavy


def test_a_sync_loads_neither_pydantic_nor_sqlglot_nor_the_irve_package(tmp_path: Path) -> None:
    """The options a backfill is started with (``-m``, ``--concurrency``, the bounded
    defaults) are parsed without pydantic, DuckDB SQL text is quoted without sqlglot, and
    only a 2.1.1 source reads the ``[irve]`` section (~0.2 s of imports in all)."""
    args = ["-w", str(tmp_path), "sync", "-m", "sessions", "-m", "cdrs", "--concurrency", "4"]
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True)
    assert "no warehouse at" in proc.stderr  # the options were parsed, the command ran
    loaded = set(proc.stdout.rsplit("LOADED", 1)[1].split())
    assert {"ocpiwh.sync.engine", "ocpiwh.warehouse", "ocpiwh.lake"} <= loaded
    for heavy in ("pydantic", "sqlglot", "ocpiwh.irve"):
        assert heavy not in loaded, heavy


def test_models_run_of_a_model_without_irve_parameters_loads_no_irve_package(
    sessions_lake: Path,
) -> None:
    """Only a model declaring a parameter of the ``[irve]`` section reads it (~90 ms)."""
    loaded = _loaded("-w", str(sessions_lake), "-q", "models", "run", "energy_by_operator")
    assert "ocpiwh.cli.models" in loaded
    assert not {m for m in loaded if m.startswith("ocpiwh.irve")}


def test_models_run_knows_which_parameters_the_irve_section_fills() -> None:
    assert cli_models.IRVE_PARAMS == irve_config.MODEL_PARAMS
