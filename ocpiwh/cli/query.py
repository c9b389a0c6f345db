"""``ocpiwh sql``: SQL over the warehouse's views, and the output options of every command
printing rows.

Light on purpose: while ``warehouse.duckdb`` holds the current commit's views
(:mod:`ocpiwh.catalogue`), ``sql`` runs without importing the lake or sqlglot; only a stale
or missing catalogue loads :mod:`ocpiwh.warehouse` to build the views.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from ocpiwh import catalogue, output
from ocpiwh.cli.app import app
from ocpiwh.cli.common import cancel_on_ctrl_c, progress, state

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
        con = connect(state(ctx).warehouse)
        try:
            with cancel_on_ctrl_c(con):
                catalogue.one_statement(con, sql)
                head = None
                if fmt == "table" and out is None and catalogue.materialize(con, sql):
                    head = catalogue.plain_rows(con, output.TABLE_MAX_ROWS)
                    sql = f"SELECT * FROM {catalogue.RESULT}"  # stored: not run twice
                table = None if head is not None else catalogue.run_sql(con, sql)
        finally:
            con.close()
    if table is None and head is not None:  # a table of plain columns: no pyarrow needed
        output.print_grid(*output.render_rows(*head, max_rows=output.TABLE_MAX_ROWS))
    elif table is not None:
        output.write(table, fmt, out)


def connect(root: str) -> duckdb.DuckDBPyConnection:
    """The views stored in warehouse.duckdb when they are the current commit's, else views
    built from the manifests."""
    con = catalogue.connect_stored(root)
    if con is not None:
        return con
    from ocpiwh import warehouse  # heavy (lake, sqlglot): only when the views must be built

    return warehouse.connect(root, stored=False)
