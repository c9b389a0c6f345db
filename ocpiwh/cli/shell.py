"""``ocpiwh shell``: the DuckDB shell on warehouse.duckdb."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import typer

from ocpiwh import warehouse
from ocpiwh.cli.app import app
from ocpiwh.cli.common import state
from ocpiwh.errors import OcpiwhError, UsageError


def find_duckdb_cli() -> str | None:
    """The ``duckdb`` shell: beside this Python (the venv's bin), else on PATH."""
    here = Path(sys.executable).parent / "duckdb"
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which("duckdb")


@app.command("shell")
def shell_command(ctx: typer.Context) -> None:
    """Open the DuckDB shell on warehouse.duckdb (refreshed first), from the warehouse folder.

    The views read Parquet with paths relative to the warehouse folder, so the shell runs there.
    You can also open it yourself: `cd data && duckdb warehouse.duckdb`.

    Example: `ocpiwh --warehouse data shell`
    """
    binary = find_duckdb_cli()
    if binary is None:
        raise OcpiwhError("the duckdb shell is not installed", hint="pip install duckdb-cli")
    root = state(ctx).warehouse
    database = warehouse.refresh(root)
    if database is None:
        raise UsageError(
            f"the DuckDB shell needs a local warehouse folder; {root} is an object store",
            hint='use `ocpiwh sql "…"`, whose views read the object store',
        )
    completed = subprocess.run([binary, database.name], cwd=database.parent, check=False)
    raise typer.Exit(completed.returncode)
