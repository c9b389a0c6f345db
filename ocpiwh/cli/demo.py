"""``ocpiwh demo``: the whole chain on the bundled simulator, then a short summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ocpiwh import output
from ocpiwh.cli.app import app
from ocpiwh.cli.common import err, out, state
from ocpiwh.errors import UsageError


@app.command()
def demo(
    ctx: typer.Context,
    sessions: Annotated[
        int, typer.Option(min=100, help="Sessions the simulated platform holds.")
    ] = 20_000,
    locations: Annotated[
        int, typer.Option(min=1, help="Locations of the simulated platform.")
    ] = 120,
) -> None:
    """Run the whole pipeline on the bundled OCPI simulator and summarize what it produced.

    Starts a simulated CPO platform on a free loopback port, logs in, syncs, moves the
    platform clock forward, syncs again incrementally, refreshes warehouse.duckdb and runs
    the `energy_by_operator` model. Safe to rerun: the second run syncs nothing new.

    Example: `ocpiwh --warehouse /tmp/demo demo`
    """
    from ocpiwh.demo import run_demo, summary_rows  # heavy (simulator, exports): load on use
    from ocpiwh.lake import is_remote

    if is_remote(state(ctx).warehouse):
        raise UsageError(
            "the demo builds a local warehouse folder",
            hint="pass --warehouse DIR (sync to s3://… with `ocpiwh login` and `ocpiwh sync`)",
        )
    root = Path(state(ctx).warehouse)
    report = run_demo(
        root,
        sessions=sessions,
        locations=locations,
        say=lambda line: err.print(f"• {line}", highlight=False),
    )
    if report.energy is not None:
        out.print("\n[bold]energy_by_operator[/] (kWh per operator and month):", markup=True)
        output.print_table(report.energy)
    table = Table(title="demo summary", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("result")
    for what, result in summary_rows(report):
        table.add_row(what, result)
    out.print(table)
    out.print(
        f'next: `ocpiwh --warehouse {root} sql "SELECT * FROM sessions LIMIT 5"`, '
        f"`ocpiwh --warehouse {root} models list`, or `cd {root} && duckdb warehouse.duckdb`"
    )
