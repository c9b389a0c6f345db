"""``ocpiwh lake ddl``: statements that mount the lake on Spark or Trino."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ocpiwh.cli.app import app
from ocpiwh.cli.common import err, out, state
from ocpiwh.errors import UsageError
from ocpiwh.lake import open_store
from ocpiwh.scaleout import ddl

lake_app = typer.Typer(
    name="lake",
    help=(
        "The Parquet lake on other engines: DDL for Spark or Trino (see docs/scale-out.md).\n\n"
        "Example: `ocpiwh lake ddl --dialect spark --location s3a://bucket/ocpiwh`"
    ),
    no_args_is_help=True,
)
app.add_typer(lake_app)


@lake_app.command("ddl")
def ddl_command(
    ctx: typer.Context,
    dialect: Annotated[str, typer.Option("--dialect", "-d", help="Target engine: spark or trino.")],
    location: Annotated[
        str | None,
        typer.Option(
            "--location",
            help="Where the cluster sees the warehouse folder (path or URI: s3a://…, "
            "hdfs://…); default: the local warehouse folder as a file: URI.",
        ),
    ] = None,
    schema: Annotated[
        str | None,
        typer.Option("--schema", help="Create tables and views in this schema/database."),
    ] = None,
    no_views: Annotated[
        bool, typer.Option("--no-views", help="Only the raw tables, not the views.")
    ] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the DDL to FILE.")
    ] = None,
) -> None:
    """Print CREATE TABLE statements for the raw tables (typed, partitioned) and the views.

    Spark: `CREATE TABLE … USING parquet OPTIONS (path …) PARTITIONED BY …` then `MSCK REPAIR
    TABLE`; Trino (Hive connector): `CREATE TABLE … WITH (external_location = …, format =
    'PARQUET', partitioned_by = ARRAY[…])` then `system.sync_partition_metadata`. The views are
    compiled from sql/views with sqlglot and ocpiwh's dialect transforms.

    Example: `ocpiwh lake ddl --dialect trino --location s3://bucket/ocpiwh --schema ocpi`
    """
    dialect = dialect.lower()
    if dialect not in ddl.DIALECTS:
        raise UsageError(f"unknown dialect {dialect!r}; choose one of {', '.join(ddl.DIALECTS)}")
    root = open_store(state(ctx).warehouse)
    present = None
    if root.has_files("raw/"):  # the cluster's copy is assumed to mirror this one
        present = ddl.present_modules(root)
        missing = sorted(set(ddl.ALL_MODULES) - set(present))
        if missing:
            err.print(
                f"note: no files yet for {', '.join(missing)}: empty views instead of tables "
                "(run `ocpiwh lake ddl` again once they have files)"
            )
    if location is None:
        location = ddl.default_location(root)
        if present is None:
            err.print(f"note: no lake at {root} yet; the DDL points at {location}")
    text = ddl.lake_ddl(
        dialect, location.rstrip("/"), schema=schema, views=not no_views, present=present
    )
    if out_file is not None:
        out_file.write_text(text)
    else:
        out.print(text, markup=False, highlight=False, end="")
