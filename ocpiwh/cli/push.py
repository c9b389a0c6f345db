"""``ocpiwh push qualicharge`` / ``push status`` and ``ocpiwh qualicharge-standin``."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from ocpiwh.cli.app import app
from ocpiwh.cli.common import MaxSessionAgeDays, err, out, progress, state
from ocpiwh.config import Config
from ocpiwh.errors import UsageError
from ocpiwh.lake import open_store
from ocpiwh.push import (
    BULK_MAX_SIZE,
    KINDS,
    PushReport,
    QualiChargeClient,
    load_credentials,
    push,
    status,
)
from ocpiwh.push.client import ENV_PASSWORD, ENV_USER
from ocpiwh.push.engine import IN_DOUBT_ADVICE
from ocpiwh.push.standin import StandIn, serve_forever

push_app = typer.Typer(
    name="push",
    help=(
        "Deliver the QualiCharge models to the QualiCharge API, each row once (a ledger in "
        "the warehouse remembers what was sent and what the API answered; docs/push.md).\n\n"
        "Example: `ocpiwh push qualicharge` then `ocpiwh push status`"
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(push_app)


@push_app.command("qualicharge")
def push_qualicharge(
    ctx: typer.Context,
    what: Annotated[
        list[str] | None,
        typer.Option(
            "--what", help="statique, statuses or sessions (repeatable; default: all three)."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be sent; send nothing.")
    ] = False,
    bulk_size: Annotated[
        int,
        typer.Option("--bulk-size", help="Rows per bulk request (the API's limit, default 10)."),
    ] = BULK_MAX_SIZE,
    resend_in_doubt: Annotated[
        bool,
        typer.Option(
            "--resend-in-doubt",
            help="Also send rows whose earlier request got no answer and cannot be checked.",
        ),
    ] = False,
    withdraw: Annotated[
        bool,
        typer.Option(
            "--withdraw",
            help="Decommission (DELETE /statique/{id}) the points the API holds from earlier "
            "pushes that irve_statique no longer has; needs the static:delete scope.",
        ),
    ] = False,
    max_age_days: MaxSessionAgeDays = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Send `irve_statique` (bulk, PUT when changed), `irve_dynamique_events` statuses and
    `qualicharge_sessions` that are new or changed since the last push.

    API URL and credentials: `OCPIWH_QUALICHARGE_URL`, `OCPIWH_QUALICHARGE_USER`,
    `OCPIWH_QUALICHARGE_PASSWORD`, or `\\[qualicharge] url/username/password` in the
    warehouse's 0600 credentials file.

    Example: `ocpiwh push qualicharge --dry-run`, then `ocpiwh push qualicharge`
    """
    root = open_store(state(ctx).warehouse)
    kinds = what or list(KINDS)
    client = None
    if not dry_run:
        creds_file = Config.load(root).credentials_file if root.is_warehouse() else None
        client = QualiChargeClient(load_credentials(creds_file))
    try:
        with progress("push qualicharge", enabled=not state(ctx).quiet) as step:
            report = push(
                root,
                client,
                kinds,
                dry_run=dry_run,
                bulk_size=bulk_size,
                resend_in_doubt=resend_in_doubt,
                withdraw=withdraw,
                max_session_age_days=max_age_days,
                on_step=step,
            )
    finally:
        if client is not None:
            client.close()
    _print_report(report, as_json)


def _print_report(report: PushReport, as_json: bool) -> None:
    if as_json:
        payload: dict[str, Any] = {
            "dry_run": report.dry_run,
            "http_requests": report.requests,
            "kinds": [
                {k: v for k, v in vars(r).items() if k != "reasons"}
                | {"rejections": [{"key": k, "reason": v} for k, v in r.reasons]}
                for r in report.kinds
            ],
        }
        typer.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
        return
    title = "dry run: would send" if report.dry_run else "pushed"
    grid = Table(
        "kind",
        "rows",
        "unchanged",
        "new",
        "changed",
        "accepted",
        "rejected",
        "in doubt",
        "withdrawn",
        "requests",
        title=title,
    )
    for r in report.kinds:
        grid.add_row(
            r.kind,
            f"{r.rows:,}",
            f"{r.unchanged:,}",
            f"{r.to_create:,}",
            f"{r.to_update:,}",
            f"{r.accepted:,}",
            f"{r.rejected:,}",
            f"{r.in_doubt:,}",
            f"{r.withdrawn:,}" if not report.dry_run else f"{r.to_withdraw:,}",
            f"{r.requests:,}",
        )
    out.print(grid)
    for r in report.kinds:
        _print_reasons(r.kind, r.reasons)
        if r.in_doubt:
            err.print(escape(IN_DOUBT_ADVICE.format(n=r.in_doubt, kind=r.kind)))


def _print_reasons(kind: str, reasons: list[tuple[str, str]]) -> None:
    """Rejections grouped by the API's reason: count and one example key each."""
    groups: dict[str, list[str]] = {}
    for key, reason in reasons:
        groups.setdefault(reason, []).append(key)
    for reason, keys in sorted(groups.items(), key=lambda g: -len(g[1]))[:10]:
        out.print(f"rejected {kind}: {len(keys):,} × {escape(reason)} (e.g. {escape(keys[0])})")


@push_app.command("status")
def push_status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """What the ledger holds per kind: accepted, rejected (with the API's reasons), pending
    (refused in a chunk, to send again), in flight (a killed run, reconciled by the next), in
    doubt (unanswered sessions), withdrawn (decommissioned points), and rows of the warehouse
    a push would send now.

    Example: `ocpiwh push status --json | jq .kinds`
    """
    info = status(state(ctx).warehouse)
    if as_json:
        typer.echo(orjson.dumps(info, option=orjson.OPT_INDENT_2).decode())
        return
    if info["ledger"] is None:
        out.print("nothing pushed yet (run `ocpiwh push qualicharge`)")
        return
    columns = ("accepted", "rejected", "pending", "in_flight", "in_doubt", "withdrawn", "to_send")
    grid = Table("kind", *(c.replace("_", " ") for c in columns), "requests", "rows sent")
    for kind, c in info["kinds"].items():
        grid.add_row(
            kind,
            *(f"{c.get(k, 0):,}" for k in (*columns, "requests", "rows_sent")),
        )
    out.print(grid)
    for kind, c in info["kinds"].items():
        _print_reasons(kind, [(x["key"], x["reason"]) for x in c["rejections"]])
        if c.get("in_doubt"):
            keys = c["in_doubt_keys"]
            out.print(escape(IN_DOUBT_ADVICE.format(n=c["in_doubt"], kind=kind)))
            out.print(f"in doubt {kind}: e.g. {escape(', '.join(keys[:3]))}")
        if c.get("to_withdraw"):
            out.print(
                f"{c['to_withdraw']:,} points the API lists from earlier pushes are no longer in "
                "irve_statique: `ocpiwh push qualicharge --withdraw` decommissions them"
            )
    out.print(f"ledger: {info['ledger']}")


@app.command("qualicharge-standin")
def qualicharge_standin(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0: a free one).")] = 0,
    user: Annotated[
        str, typer.Option("--user", envvar=ENV_USER, help="The one account it accepts.")
    ] = "demo",
    bulk_max_size: Annotated[
        int, typer.Option("--bulk-max-size", help="Rows per bulk request it accepts.")
    ] = BULK_MAX_SIZE,
    max_status_age_days: Annotated[
        float, typer.Option("--max-status-age-days", help="Oldest status accepted (API: 1).")
    ] = 1.0,
    max_session_age_days: Annotated[
        float, typer.Option("--max-session-age-days", help="Oldest session accepted (API: 365).")
    ] = 365.0,
) -> None:
    """Serve a local stand-in of the QualiCharge API (auth, bulk routes, PUT, validation
    errors in the API's shape) for tests and the demo. The password is read from
    `OCPIWH_QUALICHARGE_PASSWORD`. Every request is listed at `/_admin/requests`.

    Example: `ocpiwh qualicharge-standin --port 8765` (with OCPIWH_QUALICHARGE_PASSWORD set)
    """
    password = os.environ.get(ENV_PASSWORD)
    if not password:
        raise UsageError(f"set {ENV_PASSWORD} to the password the stand-in should accept")
    si = StandIn(
        {user: password},
        bulk_max_size=bulk_max_size,
        max_status_age=timedelta(days=max_status_age_days),
        max_session_age=timedelta(days=max_session_age_days),
    )
    serve_forever(si, "127.0.0.1", port, lambda url: err.print(f"QualiCharge stand-in on {url}"))
