"""``ocpiwh get``: a view, module or model as JSON lines on standard output (for ``jq``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.markup import escape

from ocpiwh.cli.app import app
from ocpiwh.cli.common import err, parse_params, state
from ocpiwh.delivery.jsonlines import PipeClosed, Sink, silence_stdout
from ocpiwh.delivery.stream import get
from ocpiwh.errors import UsageError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_interval(text: str, option: str) -> timedelta:
    """``2s``, ``15m``, ``1h``, ``2d``, ``1w`` (or plain seconds) → a positive timedelta."""
    t = text.strip().lower()
    try:
        seconds = float(t[:-1]) * _UNITS[t[-1]] if t and t[-1] in _UNITS else float(t)
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise UsageError(f"{option} expects a duration like 2s, 15m, 1h, 2d or 1w, got {text!r}")
    return timedelta(seconds=seconds)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """An ISO 8601 time or date (UTC unless it says otherwise), or a duration back from now."""
    t = text.strip()
    try:
        value = datetime.fromisoformat(t.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        if t and t[-1].lower() in _UNITS:
            return (now or datetime.now(UTC)) - parse_interval(t, "--since")
        raise UsageError(
            f"--since expects a time like 2026-06-01T08:00:00Z, a date or a duration (2h), "
            f"got {text!r}"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@app.command("get")
def get_command(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="Module (sessions, cdrs…), any view, or model (`models list`).")
    ],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="NAME=VALUE model parameter (repeatable)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only rows whose last_updated (or the relation's time column) is at or after "
            "this time: 2026-06-01T08:00:00Z, a date, or a duration back from now (2h, 7d)."
        ),
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", "-F", help="Then keep writing the rows each new commit brings (Ctrl-C)."
        ),
    ] = False,
    interval: Annotated[
        str, typer.Option(help="With --follow: how often to look for a new commit.")
    ] = "2s",
) -> None:
    """Write rows as JSON lines on standard output (one object per line, times in UTC).

    Streams in bounded memory (millions of rows are fine) and stops quietly when the reader
    goes away (`| head`). With `--follow`, keeps writing new and changed rows as syncs commit
    them (alongside `ocpiwh sync --watch`). Pseudonymized columns are written (a note on
    stderr says so): this is your terminal, not a publication.

    Example: `ocpiwh get sessions --since 2026-06-01 | jq -r .id` or
    `ocpiwh get sessions --follow | jq 'select(.kwh > 20)'`
    """
    pause = parse_interval(interval, "--interval").total_seconds()
    start = parse_since(since) if since is not None else None
    quiet = state(ctx).quiet
    sink = Sink()

    def notice(text: str) -> None:
        if not quiet:
            err.print(f"note: {escape(text)}")

    try:
        get(
            state(ctx).warehouse,
            name,
            sink,
            parse_params(param),
            since=start,
            follow=follow,
            interval=pause,
            notice=notice,
        )
    except PipeClosed:
        silence_stdout()
        raise typer.Exit(0) from None
