"""``ocpiwh feed``: per-consumer deliveries of what is new or changed since the last one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ocpiwh.cli.app import app
from ocpiwh.cli.common import err, out, parse_params, progress, state, stop_on_ctrl_c
from ocpiwh.cli.get import parse_interval
from ocpiwh.config import Config
from ocpiwh.delivery import feeds
from ocpiwh.errors import UsageError
from ocpiwh.lake import Location, open_store
from ocpiwh.push import QualiChargeClient, load_credentials

feed_app = typer.Typer(
    name="feed",
    help=(
        "Feeds: deliver a model's new and changed rows (and tombstones of removed ones) to a "
        "consumer, one file per run, exactly once, from a cursor on the lake's commits. "
        "See docs/delivery.md.\n\n"
        "Example: `ocpiwh feed add weekly --model session_durations --format csv --to out/` "
        "then `ocpiwh feed run weekly` (from cron, or `--watch --interval 1w`)"
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(feed_app)


@feed_app.command("add")
def add_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the feed (letters, digits, - and _).")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model (or view) to deliver.")],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Folder the files go to, - (stdout), or qualicharge (push to the API "
            "through the push ledger; irve_statique, irve_dynamique_events or "
            "qualicharge_sessions).",
        ),
    ],
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, parquet or jsonl.")] = "csv",
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="NAME=VALUE model parameter (repeatable)."),
    ] = None,
) -> None:
    """Define a feed. Refused now (not at the first run) if it would deliver pseudonymized
    columns, if its model reads the clock, if its folder does not exist, or (`--to
    qualicharge`) if the API takes no such rows or is not configured.

    Example: `ocpiwh feed add regulator --model qualicharge_sessions --format csv --to /srv/out`,
    `ocpiwh feed add qc-sessions --model qualicharge_sessions --to qualicharge`
    """
    feed = feeds.add(state(ctx).warehouse, name, model, fmt, to, parse_params(param))
    out.print(f"feed {feed.name}: {feed.model} as {feed.format} → {feed.to}")


@feed_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List the feeds with their last delivery.

    Example: `ocpiwh feed list`
    """
    root = state(ctx).warehouse
    grid = Table("feed", "model", "format", "to", "deliveries", "last delivery")
    for feed in sorted(feeds.list_feeds(root), key=lambda f: f.name):
        done = feeds.deliveries(root, feed.name)
        last = done[-1]["feed"]["file"] if done else "-"
        grid.add_row(
            *(escape(x) for x in (feed.name, feed.model, feed.format, feed.to)),
            str(len(done)),
            escape(last),
        )
    out.print(grid)


@feed_app.command("show")
def show_command(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """A feed's definition, cursor and deliveries (rows new/changed/removed).

    Example: `ocpiwh feed show weekly-energy`
    """
    root = state(ctx).warehouse
    feed = feeds.load(root, name)
    out.print(f"feed {feed.name}: {feed.model} as {feed.format} → {feed.to}")
    if feed.params:
        out.print("parameters: " + ", ".join(f"{k}={v}" for k, v in sorted(feed.params.items())))
    done = feeds.deliveries(root, name)
    grid = Table("#", "file", "new", "changed", "removed", "made at")
    for d in done:
        f, c = d["feed"], d["feed"]["counts"]
        grid.add_row(
            str(f["sequence"]),
            escape(f["file"]),
            f"{c['new']:,}",
            f"{c['changed']:,}",
            f"{c['removed']:,}",
            d["created_at"],
        )
    out.print(grid)
    for d in done:
        if d.get("push"):
            out.print(f"#{d['feed']['sequence']}{escape(_pushed(d))}")
    if done:
        cursor = done[-1]["feed"]["cursor"]["to"]
        out.print("cursor: " + ", ".join(f"{k} @ {v}" for k, v in cursor.items()))
    if feeds.pending(root, name) is not None:
        out.print("a delivery was interrupted: the next `feed run` completes it first")


@feed_app.command("remove")
def remove_command(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Forget a feed and its cursor (the files it delivered stay where they are).

    Example: `ocpiwh feed remove weekly-energy`
    """
    n = feeds.remove(state(ctx).warehouse, name)
    out.print(f"feed {name} removed ({n} deliveries made)")


@feed_app.command("run")
def run_command(
    ctx: typer.Context,
    names: Annotated[list[str] | None, typer.Argument(help="Feeds to run (default: all).")] = None,
    watch: Annotated[
        bool,
        typer.Option(
            help="Run again every --interval until Ctrl-C (which stops after the current feed)."
        ),
    ] = False,
    interval: Annotated[str, typer.Option(help="Pause between runs with --watch.")] = "1d",
    redeliver: Annotated[
        str | None,
        typer.Option(
            help="Rebuild one past delivery (its number, file name or FROM--TO period), "
            "byte-identical, instead of delivering what is new."
        ),
    ] = None,
    to: Annotated[
        Path | None, typer.Option("--to", help="With --redeliver: rebuild into this folder.")
    ] = None,
) -> None:
    """Deliver what is new or changed since each feed's last delivery (nothing new: no file).

    A run killed at any instant is completed by the next one: nothing is delivered twice,
    nothing is lost (to a folder; stdout is at-least-once). On a terminal, the current step
    and the elapsed time show on stderr while it runs.

    Example: `ocpiwh feed run weekly`, `ocpiwh feed run --watch --interval 1w`,
    `ocpiwh feed run weekly --redeliver 3`
    """
    root, quiet = state(ctx).warehouse, state(ctx).quiet
    chosen = names or sorted(f.name for f in feeds.list_feeds(root))
    if redeliver is not None:
        if len(chosen) != 1:
            raise UsageError("--redeliver needs exactly one feed name")
        with progress(f"feed {chosen[0]}", enabled=not quiet) as step:
            target, sha = feeds.redeliver(root, chosen[0], redeliver, to=to, on_step=step)
        out.print(f"{target}: rebuilt, identical to the delivery (sha256 {sha})")
        return
    if not chosen:
        raise UsageError("no feed to run", hint="`ocpiwh feed add NAME --model M --to DIR`")
    chosen = feeds.run_order(root, chosen)
    pause = parse_interval(interval, "--interval").total_seconds()
    client = (
        _client(root) if any(feeds.load(root, n).to == feeds.QUALICHARGE for n in chosen) else None
    )
    try:
        _run_loop(root, chosen, watch, pause, quiet, client)
    finally:
        if client is not None:
            client.close()


def _client(root: Location) -> QualiChargeClient:
    store = open_store(root)
    creds = Config.load(store).credentials_file if store.is_warehouse() else None
    return QualiChargeClient(load_credentials(creds))


def _run_loop(
    root: Location,
    chosen: list[str],
    watch: bool,
    pause: float,
    quiet: bool,
    client: QualiChargeClient | None,
) -> None:
    """Run the feeds once, or with ``watch`` every ``pause`` seconds until Ctrl-C.

    With ``watch``, Ctrl-C stops between two feed runs (or ends the pause at once), as
    ``sync --watch`` does: an interrupt raised at any bytecode could land inside a DuckDB call,
    whose Python client does not always survive one (a ``--watch`` run was seen not to exit).
    A second Ctrl-C aborts at once; a killed run is completed by the next one anyway."""
    with stop_on_ctrl_c("the current feed", enabled=watch) as stop:
        while not stop.is_set():
            for name in chosen:
                if stop.is_set():
                    break
                with progress(f"feed {name}", enabled=not quiet) as step:
                    made = feeds.run(root, name, on_step=step, client=client)
                for d in made:
                    where = d.file if d.file is not None else "stdout"
                    c = d.counts
                    err.print(
                        f"{name}: {'completed interrupted delivery ' if d.rolled_forward else ''}"
                        f"#{d.sequence} → {escape(str(where))} ({c.new:,} new, {c.changed:,} "
                        f"changed, {c.removed:,} removed)" + _pushed(d.manifest)
                    )
                if not made:
                    err.print(f"{name}: nothing new since the last delivery")
            if not watch:
                return
            stop.wait(pause)
    err.print("interrupted")
    raise typer.Exit(130)


def _pushed(manifest: dict[str, Any]) -> str:
    """What a ``--to qualicharge`` delivery sent (empty for other feeds)."""
    p = manifest.get("push")
    if not p:
        return ""
    return (
        f"; pushed {p['sent']:,} ({p['accepted']:,} accepted, {p['rejected']:,} rejected, "
        f"{p['in_doubt']:,} in doubt), {p['unchanged']:,} already held, "
        f"{p['invalid_or_too_old']:,} left out by validation"
        + (f", {p['withdrawn']:,} decommissioned" if p.get("withdrawn") else "")
        + (
            f", {p['withdraw_refused']:,} not decommissioned (see `ocpiwh push status`)"
            if p.get("withdraw_refused")
            else ""
        )
    )
