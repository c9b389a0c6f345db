"""``ocpiwh irve init``: the ``[irve]`` section and an overrides CSV with exactly the blanks."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from ocpiwh.cli.common import out, state
from ocpiwh.cli.export import irve_app
from ocpiwh.irve.init import init


@irve_app.command("init")
def init_command(
    ctx: typer.Context,
    overrides: Annotated[
        str | None,
        typer.Option(
            "--overrides",
            help="Overrides CSV to write, relative to the warehouse folder (default: \\[irve] overrides, else irve-overrides.csv).",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Rewrite the overrides CSV (and the blanks of \\[irve]) if they exist."
        ),
    ] = False,
) -> None:
    """Write the `\\[irve]` section of ocpiwh.toml and an overrides CSV prefilled with the stations
    and exactly the fields they still miss; fill the blanks, then `ocpiwh export irve_statique`.

    Example: `ocpiwh irve init` then edit ocpiwh.toml and irve-overrides.csv
    """
    result = init(state(ctx).warehouse, overrides, force=force)
    if result.section_written:
        keys = ", ".join(result.defaults) or "none missing"
        out.print(escape(f"ocpiwh.toml: [irve] written; fill [irve.defaults]: {keys}"))
    else:
        out.print(escape("ocpiwh.toml: [irve] exists, left as is (--force adds the missing keys)"))
        if result.defaults:
            out.print(f"still missing for every station: {escape(', '.join(result.defaults))}")
    fields = ", ".join(result.station_fields) or "none"
    out.print(
        f"{result.overrides}: {result.stations} stations ({result.complete} complete); "
        f"columns to fill per station: {escape(fields)} (the `missing` column says which)"
    )
