"""``ocpiwh models list | show | run | compile``: the SQL models of ``sql/models``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ocpiwh import models as lib
from ocpiwh import warehouse
from ocpiwh.cli import app
from ocpiwh.cli.common import err, out, parse_params, state
from ocpiwh.cli.query import FormatOption, OutOption, check_format
from ocpiwh.errors import OcpiwhError
from ocpiwh.irve.config import model_values

models_app = typer.Typer(
    name="models",
    help=(
        "Parameterized SQL models over the views: list, show, run, compile to other engines.\n\n"
        "Example: `ocpiwh models run energy_by_operator --param grain=day --format csv`"
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(models_app)

ParamOption = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="NAME=VALUE (repeatable); see `models show NAME`."),
]


@models_app.command("list")
def list_command() -> None:
    """List the models with their grain and parameters.

    Example: `ocpiwh models list`
    """
    grid = Table("model", "grain", "parameters", "description", show_lines=False)
    for model in lib.load_models().values():
        grid.add_row(
            model.name, escape(model.grain), escape(model.signature()), escape(model.description)
        )
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
        default = p.default.isoformat() if hasattr(p.default, "isoformat") else p.default
        params.add_row(p.name, escape(p.type_label), escape(str(default)), escape(p.doc))
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
    fmt: FormatOption = "table",
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
    con = warehouse.connect(state(ctx).warehouse)
    try:
        values = model_values(state(ctx).warehouse, con, model.all_params, values)  # [irve]
        table = model.run(con, values)
        failures = model.run_audits(con, values, result=table) if audit else {}
    finally:
        con.close()
    warehouse.write_result(table, fmt, out_file)
    if audit:
        failed = {k: v.num_rows for k, v in failures.items() if v.num_rows}
        for audit_name in failures:
            status = f"FAIL ({failed[audit_name]} rows)" if audit_name in failed else "ok"
            err.print(f"audit {audit_name}: {status}")
        if failed:
            raise OcpiwhError(f"{len(failed)} audit(s) of {name} failed: {', '.join(failed)}")


@models_app.command("compile")
def compile_command(
    name: Annotated[str, typer.Argument(help="Model name (see `models list`).")],
    dialect: Annotated[
        str, typer.Option("--dialect", "-d", help=f"Target: {', '.join(lib.DIALECTS)}.")
    ],
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="Write SQL to FILE.")] = None,
) -> None:
    """Transpile a model (its model dependencies inlined) to another engine's SQL with sqlglot.

    Syntax only: the views must exist there under the same names, and the SQL must be tested
    there. Warnings about constructs sqlglot could not translate go to stderr.

    Example: `ocpiwh models compile energy_by_operator --dialect spark`
    """
    model = lib.get_model(name)
    sql, warnings = lib.compile(model, dialect)
    for warning in warnings:
        err.print(f"warning: {escape(warning)}")
    if out_file is not None:
        out_file.write_text(sql + "\n")
    else:
        out.print(sql, markup=False, highlight=False)
