"""``ocpiwh models list | show | run | compile``: the SQL models of ``sql/models``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.markup import escape
from rich.table import Table

from ocpiwh import models as lib
from ocpiwh import output, warehouse
from ocpiwh.cli.app import app
from ocpiwh.cli.common import err, out, parse_params, progress, state
from ocpiwh.cli.query import FormatOption, OutOption, check_format
from ocpiwh.errors import OcpiwhError

models_app = typer.Typer(
    name="models",
    help=(
        "Parameterized SQL models over the views: list, show, run, compile to other engines.\n\n"
        "Example: `ocpiwh models run energy_by_operator --param grain=day --format csv`"
    ),
    no_args_is_help=True,
)
app.add_typer(models_app)

ParamOption = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="NAME=VALUE (repeatable); see `models show NAME`."),
]


INTERNAL_PARAMS = frozenset({"irve_config"})
"""Filled from the `[irve]` section of ocpiwh.toml by `export`, not typed by people."""

IRVE_PARAMS = frozenset({"irve_config", "blocked_as"})
"""The parameters filled from `[irve]` (``ocpiwh.irve.config.MODEL_PARAMS``, a test checks
they agree). Only a model declaring one imports ``ocpiwh.irve``: the configuration, its
validator and phonenumbers cost ~90 ms, a fifth of `models run energy_by_operator`."""


def _irve_values(
    root: str, con: duckdb.DuckDBPyConnection, model: lib.Model, values: dict[str, Any]
) -> dict[str, Any]:
    if not IRVE_PARAMS & set(model.all_params):
        return values
    from ocpiwh.irve.config import model_values  # see IRVE_PARAMS

    return model_values(root, con, model.all_params, values)


def _summary(description: str) -> str:
    """The first sentence: `models list` is an index, `models show NAME` has the rest."""
    head, dot, _ = description.partition(". ")
    return head + ("." if dot else "")


@models_app.command("list")
def list_command() -> None:
    """List the models, one line each: parameters and what the model computes.

    `ocpiwh models show NAME` gives the full description, grain, parameter types and SQL.

    Example: `ocpiwh models list`
    """
    rows = [
        (
            model.name,
            ", ".join(p for p in model.all_params if p not in INTERNAL_PARAMS) or "-",
            _summary(model.description),
        )
        for model in lib.load_models().values()
    ]
    grid = Table(box=None, pad_edge=False, header_style="bold")
    for i, header in enumerate(("model", "parameters")):  # never cut: they are what you type
        grid.add_column(header, no_wrap=True, min_width=max(len(r[i]) for r in rows))
    grid.add_column("what it computes", no_wrap=True, overflow="ellipsis")
    for name, params, summary in rows:
        grid.add_row(name, escape(params), escape(summary))
    out.print(grid)


@models_app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="Model name (see `models list`).")],
    lineage: Annotated[
        bool, typer.Option("--lineage", help="Which view columns feed each output column.")
    ] = False,
) -> None:
    """Show a model: description, grain, parameters, what it reads, audits and its SQL.

    Example: `ocpiwh models show energy_by_operator --lineage`
    """
    model = lib.get_model(name)
    out.print(f"[bold]{model.name}[/]: {escape(model.description)}", markup=True)
    out.print(f"grain: {escape(model.grain)}")
    out.print(f"reads: {', '.join(sorted(model.reads))}")
    params = Table("parameter", "type", "default", "meaning")
    for p in model.all_params.values():
        params.add_row(p.name, escape(p.type_label), escape(output.cell(p.default)), escape(p.doc))
    out.print(params)
    if model.audits:
        out.print("audits: " + ", ".join(model.audits))
    if lineage:
        grid = Table("output column", "from view columns")
        for column, feeds in model.lineage().items():
            grid.add_row(column, ", ".join(f"{v}.{c}" for v, c in sorted(feeds)) or "(none)")
        out.print(grid)
    else:
        out.print(model.expanded_sql, markup=False, highlight=False)


@models_app.command("run")
def run_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Model name (see `models list`).")],
    param: ParamOption = None,
    fmt: FormatOption = None,
    out_file: OutOption = None,
    audit: Annotated[
        bool, typer.Option("--audit", help="Run the model's audits too; exit 1 if one fails.")
    ] = False,
) -> None:
    """Run a model with bound parameters and print or write its rows.

    Example: `ocpiwh models run energy_by_operator --param from=2024-01-01 --param to=2024-02-01 --param grain=day --format csv --out jan.csv`
    """
    fmt = check_format(fmt, out_file)
    model = lib.get_model(name)
    values = parse_params(param)
    model.bind(values)  # usage errors before touching the lake
    with progress(f"models run {name}", enabled=not state(ctx).quiet) as step:
        con = warehouse.connect(state(ctx).warehouse)
        try:
            values = _irve_values(state(ctx).warehouse, con, model, values)
            step("running")
            table = model.run(con, values)
            if audit:
                step("auditing")
            failures = model.run_audits(con, values, result=table) if audit else {}
        finally:
            con.close()
    output.write(table, fmt, out_file)
    if audit:
        failed = {k: v.num_rows for k, v in failures.items() if v.num_rows}
        for audit_name in failures:
            status = f"FAIL ({failed[audit_name]} rows)" if audit_name in failed else "ok"
            err.print(f"audit {audit_name}: {status}")
        if failed:
            raise OcpiwhError(f"{len(failed)} audit(s) of {name} failed: {', '.join(failed)}")


SESSION_UTC: dict[str, str] = {
    "spark": "SET TIME ZONE 'UTC';",
    "databricks": "SET TIME ZONE 'UTC';",
    "trino": "SET TIME ZONE 'UTC';",
    "postgres": "SET TIME ZONE 'UTC';",
    "redshift": "SET TIME ZONE 'UTC';",
    "snowflake": "ALTER SESSION SET TIMEZONE = 'UTC';",
    "duckdb": "SET TimeZone = 'UTC';",
}
"""The statement making an engine's session UTC, where the dialect has one. The models cut
days, weeks and months in UTC; date_trunc & co. cut them in the *session* time zone (a Spark
session in Europe/Paris starts weeks at 22:00Z or 23:00Z), so the compiled SQL sets it."""


@models_app.command("compile")
def compile_command(
    name: Annotated[str, typer.Argument(help="Model name (see `models list`).")],
    dialect: Annotated[
        str, typer.Option("--dialect", "-d", help=f"Target: {', '.join(lib.DIALECTS)}.")
    ],
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write SQL to FILE.")] = None,
    session: Annotated[
        bool,
        typer.Option(
            "--session/--no-session",
            help="Start with the statement setting the session time zone to UTC (spark, "
            "databricks, trino, postgres, redshift, snowflake, duckdb); --no-session: the "
            "query alone, for APIs taking one statement (then set the time zone yourself).",
        ),
    ] = True,
) -> None:
    """Transpile a model (its model dependencies inlined) to another engine's SQL with sqlglot.

    Syntax only: the views must exist there under the same names, and the SQL must be tested
    there. Warnings about constructs sqlglot could not translate go to stderr. The models
    count days, weeks and months in UTC, which the engine does only in a UTC session: the
    output starts with the statement setting it (see --no-session).

    Example: `ocpiwh models compile energy_by_operator --dialect spark`
    """
    model = lib.get_model(name)
    sql, warnings = lib.compile(model, dialect)
    for warning in warnings:
        err.print(f"warning: {escape(warning)}")
    setup = SESSION_UTC.get(dialect.lower())
    if session and setup:
        sql = f"{setup}\n{sql}"
    elif session:
        err.print(
            f"note: set the {dialect} session time zone to UTC before running this SQL "
            "(the models' days, weeks and months are UTC)"
        )
    if out_file is not None:
        out_file.write_text(sql + "\n")
    else:
        out.print(sql, markup=False, highlight=False)
