"""``ocpiwh sql`` and ``ocpiwh shell``: SQL over the warehouse's views."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from ocpiwh import warehouse
from ocpiwh.cli import app
from ocpiwh.cli.common import state
from ocpiwh.errors import OcpiwhError, UsageError

FormatOption = Annotated[
    str,
    typer.Option(
        "--format", "-f", help="table (readable, first 50 rows), csv, json (JSON lines) or parquet."
    ),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write to FILE instead of stdout.")
]


def check_format(fmt: str, out: Path | None) -> str:
    fmt = fmt.lower()
    if fmt not in warehouse.FORMATS:
        raise UsageError(f"--format must be one of {', '.join(warehouse.FORMATS)}, got {fmt!r}")
    if fmt == "parquet" and out is None:
        raise UsageError("--format parquet needs --out FILE")
    return fmt


@app.command("sql")
def sql_command(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(help="One SQL statement over the views.")],
    fmt: FormatOption = "table",
    out: OutOption = None,
) -> None:
    """Run SQL over the warehouse's views (locations, evses, connectors, sessions, cdrs, …).

    Views are listed in docs/sql.md; `SELECT * FROM duckdb_views()` lists them too.

    Example: `ocpiwh sql "SELECT operator_name, count(*) FROM locations GROUP BY ALL" --format csv`
    """
    fmt = check_format(fmt, out)
    table = warehouse.query(state(ctx).warehouse, sql)
    warehouse.write_result(table, fmt, out)


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
