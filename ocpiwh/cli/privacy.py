"""``ocpiwh privacy show``: the effective per-field policy."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ocpiwh.cli import app
from ocpiwh.cli.common import out, state
from ocpiwh.config import Config
from ocpiwh.privacy import PrivacyProfile, policy_rows
from ocpiwh.store import open_store

privacy_app = typer.Typer(
    help=(
        "Inspect what the privacy stage keeps, drops or pseudonymizes.\n\n"
        "Example: `ocpiwh privacy show sessions`"
    ),
    no_args_is_help=True,
)
app.add_typer(privacy_app, name="privacy")


@privacy_app.command("show")
def show(
    ctx: typer.Context,
    module: Annotated[
        str | None, typer.Argument(help="locations, sessions, cdrs, tariffs or tokens")
    ] = None,
    version: Annotated[
        str | None, typer.Option(help="Only this OCPI version (2.1.1, 2.2.1, 2.3.0).")
    ] = None,
    privacy_pass: Annotated[
        list[str] | None,
        typer.Option("--privacy-pass", help="Show the policy as if this field were passed too."),
    ] = None,
) -> None:
    """Print the effective policy of every field: keep, drop, pseudonymize or coarsen.

    Includes the warehouse's `\\[privacy] pass` list from ocpiwh.toml (when a warehouse
    exists) and any --privacy-pass given here.

    Example: `ocpiwh privacy show sessions --version 2.2.1`
    """
    passes: list[str] = []
    store = open_store(state(ctx).warehouse)
    if store.is_warehouse():
        passes = list(Config.load(store).privacy_passes)
    profile = PrivacyProfile.from_config({"pass": passes}, privacy_pass or ())
    rows = policy_rows(module, version, profile)
    table = Table(title=f"privacy policy {profile.fingerprint}", title_justify="left")
    for col in ("module", "version", "field", "treatment", "why"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.module,
            r.version,
            r.path,
            str(r.treatment.value if hasattr(r.treatment, "value") else r.treatment),
            r.reason,
        )
    out.print(table)
