"""``ocpiwh sql`` and ``ocpiwh shell``: SQL over the warehouse's views."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from ocpiwh import output, warehouse
from ocpiwh.cli.app import app
from ocpiwh.cli.common import progress, state
from ocpiwh.errors import OcpiwhError, UsageError

FormatOption = Annotated[str | None, typer.Option("--format", "-f", help=output.FORMAT_HELP)]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write to FILE (atomically) instead of stdout."),
]


def check_format(fmt: str | None, out: Path | None) -> str:
    """The format to write (see :func:`ocpiwh.output.resolve_format`).

    ``table`` with ``--out`` is read as "not chosen" (commands whose --format defaults to
    table): the file's suffix decides, since a text table never goes into a file.
    """
    if fmt is not None and fmt.strip().lower() == "table" and out is not None:
        fmt = None
    return output.resolve_format(fmt, out)


@app.command("sql")
def sql_command(
    ctx: typer.Context,
    sql: Annotated[
        str, typer.Argument(help="One SQL statement over the views (several are refused).")
    ],
    fmt: FormatOption = None,
    out: OutOption = None,
) -> None:
    """Run SQL over the warehouse's views (locations, evses, connectors, sessions, cdrs, …).

    Views are listed in docs/sql.md; `SELECT * FROM duckdb_views()` lists them too.

    Examples: `ocpiwh sql "SELECT operator_name, count(*) FROM locations GROUP BY ALL"`,
    `ocpiwh sql "SELECT * FROM sessions" --out sessions.parquet`
    """
    fmt = check_format(fmt, out)
    with progress("sql", enabled=not state(ctx).quiet) as step:
        step("running")
        table = warehouse.query(state(ctx).warehouse, sql)
    output.write(table, fmt, out)


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
