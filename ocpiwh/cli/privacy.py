"""``ocpiwh privacy show``: the effective per-field policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer
from rich.table import Table

from ocpiwh.cli.app import app
from ocpiwh.cli.common import out, state
from ocpiwh.config import Config
from ocpiwh.irve.config import IrveConfig
from ocpiwh.lake import StateStore, Store, open_store
from ocpiwh.privacy import PrivacyProfile, policy_rows

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
    unknown: Annotated[
        bool,
        typer.Option(
            "--unknown",
            help="Instead: the fields the platform sent that no policy names (dropped by "
            "default), with how many times each was dropped, from the sync runs' log.",
        ),
    ] = False,
) -> None:
    """Print the effective policy of every field: keep, drop, pseudonymize or coarsen.

    Includes the warehouse's `\\[privacy] pass` list from ocpiwh.toml (when a warehouse
    exists) and any --privacy-pass given here.

    With --unknown, lists the unknown fields the syncs dropped (module, path, count), so
    you can decide which to keep with `ocpiwh sync --privacy-pass PATH`.

    Example: `ocpiwh privacy show sessions --version 2.2.1`, `ocpiwh privacy show --unknown`
    """
    passes: list[str] = []
    store = open_store(state(ctx).warehouse)
    if unknown:
        _show_unknown(store, module)
        return
    config = Config.load(store) if store.is_warehouse() else None
    if config is not None:
        passes = list(config.privacy_passes)
    profile = PrivacyProfile.from_config({"pass": passes}, privacy_pass or ())
    # the fingerprint each source's rows are written under, as sync builds it (2.1.1
    # sources add the [irve] site declarations: "+sites-…")
    sources = sorted(config.sources.items()) if config is not None else []
    irve = IrveConfig.load(store) if any(s.version == "2.1.1" for _, s in sources) else None
    prints = {
        name: (profile if irve is None else irve.source_profile(profile, src)).fingerprint
        for name, src in sources
    }
    title = f"privacy policy {profile.fingerprint}"
    if set(prints.values()) - {profile.fingerprint}:
        title += "".join(f"\n  source {n}: {fp}" for n, fp in prints.items())
    rows = policy_rows(module, version, profile)
    table = Table(title=title, title_justify="left")
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


@dataclass
class UnknownField:
    """A field path no policy names, as the sync runs' log (state/<source>/runs.jsonl) counts it."""

    source: str
    module: str
    path: str
    dropped: int = 0
    runs: int = 0
    last_seen: str = ""


def unknown_fields(store: Store, module: str | None = None) -> tuple[list[UnknownField], int]:
    """(per-path counts, total of unknown fields in runs that recorded no paths).

    Each run's module entry carries ``unknown_fields`` (a total) and, from the sync that
    records them, ``unknown_field_paths`` ({path: times dropped}).
    """
    found: dict[tuple[str, str, str], UnknownField] = {}
    untraced = 0
    sources = sorted(Config.load(store).sources) if store.is_warehouse() else []
    for source in sources:
        for run in StateStore(store, source).runs():
            for entry in run.get("modules") or []:
                name = str(entry.get("module", ""))
                if module is not None and name != module:
                    continue
                paths = entry.get("unknown_field_paths")
                if not isinstance(paths, dict):
                    untraced += int(entry.get("unknown_fields") or 0)
                    continue
                for path, count in paths.items():
                    item = found.setdefault(
                        (source, name, str(path)), UnknownField(source, name, str(path))
                    )
                    item.dropped += int(count)
                    item.runs += 1
                    item.last_seen = max(item.last_seen, str(run.get("finished_at") or ""))
    rows = sorted(found.values(), key=lambda u: (u.source, u.module, -u.dropped, u.path))
    return rows, untraced


def _show_unknown(store: Store, module: str | None) -> None:
    rows, untraced = unknown_fields(store, module)
    if rows:
        table = Table(title="unknown fields dropped by the privacy stage", title_justify="left")
        for col in ("source", "module", "field", "dropped", "runs", "last seen"):
            table.add_column(col, justify="right" if col in ("dropped", "runs") else "left")
        for u in rows:
            table.add_row(u.source, u.module, u.path, f"{u.dropped:,}", f"{u.runs:,}", u.last_seen)
        out.print(table)
        top = rows[0]
        out.print(
            f"to keep one in clear (after checking it holds no personal data): "
            f"`ocpiwh sync --privacy-pass {top.module}:{top.path}`, or [privacy] pass in "
            "ocpiwh.toml",
            markup=False,
        )
    elif not untraced:
        out.print("no unknown fields in the sync runs' log")
    if untraced:
        out.print(
            f"{untraced:,} unknown fields were counted by syncs that did not record their "
            "paths; the next `ocpiwh sync` records them",
            markup=False,
        )
