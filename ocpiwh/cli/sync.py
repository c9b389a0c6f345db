"""``ocpiwh login``, ``ocpiwh sync`` and ``ocpiwh status``."""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from datetime import datetime, timedelta
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ocpiwh import warehouse
from ocpiwh.cli.app import app
from ocpiwh.cli.common import err, out, state, stop_on_ctrl_c
from ocpiwh.config import parse_party
from ocpiwh.errors import UsageError
from ocpiwh.lake import compact, open_store, warehouse_lock
from ocpiwh.login import login as do_login
from ocpiwh.ocpi import SUPPORTED_VERSIONS, parse_ocpi_datetime
from ocpiwh.paths import MODULES
from ocpiwh.status import warehouse_status
from ocpiwh.sync.engine import (
    ModuleResult,
    SourceResult,
    SyncOptions,
    limit_malloc_arenas,
    sync,
)

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str, option: str) -> timedelta:
    """``90s``, ``15m``, ``1h``, ``2d`` (or plain seconds) → timedelta."""
    t = text.strip().lower()
    try:
        if t and t[-1] in _DURATION_UNITS:
            return timedelta(seconds=float(t[:-1]) * _DURATION_UNITS[t[-1]])
        return timedelta(seconds=float(t))
    except ValueError:
        raise UsageError(
            f"{option} expects a duration like 90s, 15m, 1h or 2d, got {text!r}"
        ) from None


@app.command()
def login(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Argument(help="The platform's OCPI versions URL (or a version-details URL).")
    ],
    token: Annotated[
        str | None,
        typer.Option(help="Credentials token. Default: $OCPIWH_TOKEN, else a hidden prompt."),
    ] = None,
    source: Annotated[
        str, typer.Option(help="Name of this platform in the warehouse.")
    ] = "default",
    party: Annotated[
        str | None, typer.Option(help="Your party (CC*PPP), sent as OCPI-from-* headers (2.2+).")
    ] = None,
    platform_party: Annotated[
        str | None,
        typer.Option(
            help="The platform's party (CC*PPP) when its credentials endpoint does not say."
        ),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help=f"Force an OCPI version ({', '.join(SUPPORTED_VERSIONS)})."),
    ] = None,
    reset_source: Annotated[
        bool,
        typer.Option(
            help="When the new login keys objects differently (OCPI 2.1.1 <-> 2.2+), drop the "
            "source's data so the next sync fetches it again under the new keys."
        ),
    ] = False,
) -> None:
    """Connect to an OCPI platform, negotiate the version and record its Sender endpoints.

    The token is stored in a private credentials file (mode 0600) outside the warehouse, or
    not at all when it comes from OCPIWH_TOKEN.

    Example: `ocpiwh login https://cpo.example.com/ocpi/versions --party FR*OWH`
    """
    from_env = False
    if token is None:
        token = os.environ.get("OCPIWH_TOKEN")
        from_env = token is not None
    if token is None:
        if not sys.stdin.isatty():
            raise UsageError("no token given", hint="pass --token or set OCPIWH_TOKEN")
        token = typer.prompt("OCPI token", hide_input=True)
    st = state(ctx)
    result = do_login(
        st.warehouse,
        url,
        token,
        source=source,
        party=parse_party(party) if party else None,
        platform_party=parse_party(platform_party) if platform_party else None,
        version=version,
        store_token=not from_env,
        reset_source=reset_source,
    )
    src = result.source
    if st.quiet:
        return
    modules = ", ".join(src.sender_modules())
    pp = src.platform_party
    err.print(
        f"logged in to [bold]{src.name}[/]: OCPI {src.version}, platform "
        f"{pp[0] + '*' + pp[1] if pp else 'unknown'}, Sender modules: {modules}",
        markup=True,
    )
    err.print(
        "token stored in the private credentials file"
        if result.token_stored
        else "token not stored (it came from OCPIWH_TOKEN; keep it set for sync)"
    )


class _LiveProgress:
    """Rich bars per module on a terminal; one log line per module elsewhere."""

    def __init__(self, live: bool, quiet: bool) -> None:
        self.quiet = quiet
        self.live = live and not quiet
        self._lock = threading.Lock()
        self._tasks: dict[tuple[str, str], Any] = {}
        self.bar = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>9} obj/s"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        )
        self._started: dict[tuple[str, str], float] = {}

    def __enter__(self) -> _LiveProgress:
        if self.live:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.bar.stop()

    def module_started(self, source: str, module: str, total: int | None) -> None:
        with self._lock:
            self._started[(source, module)] = time.monotonic()
            if self.live:
                self._tasks[(source, module)] = self.bar.add_task(
                    f"{source}/{module}", total=total, rate="-"
                )

    def page_done(self, source: str, module: str, objects: int, total: int | None) -> None:
        if not self.live:
            return
        with self._lock:
            task = self._tasks.get((source, module))
            if task is None:
                return
            elapsed = max(1e-6, time.monotonic() - self._started[(source, module)])
            done = self.bar.tasks[task].completed + objects
            self.bar.update(
                task,
                completed=done,
                total=max(total or 0, done) or None,
                rate=f"{done / elapsed:,.0f}",
            )

    def module_done(self, source: str, result: ModuleResult) -> None:
        if self.quiet:
            return
        if result.error:
            line = f"{source}/{result.module}: failed: {result.error}"
        elif result.skipped:
            line = f"{source}/{result.module}: {result.skipped}"
        else:
            line = (
                f"{source}/{result.module}: {result.fetched:,} fetched, {result.new:,} new, "
                f"{result.updated:,} updated, {result.quarantined:,} quarantined "
                f"in {result.elapsed:.1f}s"
            )
        with self._lock:
            if self.live:
                self.bar.console.print(line, highlight=False, markup=False)
            else:
                err.print(line, highlight=False, markup=False)


def _summary(results: list[SourceResult]) -> Table:
    table = Table(title="sync summary", title_justify="left")
    for col in (
        "source",
        "module",
        "fetched",
        "new",
        "updated",
        "quarantined",
        "removed",
        "unknown fields",
        "elapsed",
    ):
        table.add_column(col, justify="left" if col in ("source", "module") else "right")
    for res in results:
        for m in res.modules:
            status = (
                "failed" if m.error else (m.skipped or ("interrupted" if m.interrupted else ""))
            )
            table.add_row(
                res.source,
                m.module + (f" ({status})" if status else ""),
                f"{m.fetched:,}",
                f"{m.new:,}",
                f"{m.updated:,}",
                f"{m.quarantined:,}",
                f"{m.removed:,}",
                f"{m.unknown_fields:,}",
                f"{m.elapsed:.1f}s",
            )
        table.caption = (
            f"{res.requests:,} requests, {res.retries:,} retries, {res.throttled:,} throttled, "
            f"{res.elapsed:.1f}s"
        )
    return table


@app.command("sync")
def sync_cmd(
    ctx: typer.Context,
    source: Annotated[
        str | None, typer.Option(help="Sync only this source (default: all).")
    ] = None,
    module: Annotated[
        list[str] | None,
        typer.Option("--module", "-m", help="Sync only this module (repeatable)."),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            help="Re-list locations, tariffs and tokens without date filters; keys no "
            "longer listed are marked removed."
        ),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option(
            help="First sync of sessions and CDRs: only changes since this ISO 8601 time "
            "(locations, tariffs and tokens are always listed whole the first time)."
        ),
    ] = None,
    watch: Annotated[
        bool, typer.Option(help="Keep syncing every --interval until Ctrl-C.")
    ] = False,
    interval: Annotated[str, typer.Option(help="Pause between syncs with --watch.")] = "1h",
    lag: Annotated[
        str,
        typer.Option(
            help="Leave changes younger than this (platform clock) to the next sync; 0s to 1d."
        ),
    ] = "60s",
    window_objects: Annotated[
        int,
        typer.Option(
            min=1,
            help="A window holding more objects is fetched in sub-windows of about this "
            "many, each committed before the next (what an interruption can lose).",
        ),
    ] = 100_000,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Parallel requests.")] = 4,
    privacy_workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=16,
            show_default=False,
            help="Processes that filter large windows' pages (20,000 objects or more) beside "
            "the sync (default: one per core beyond the first, at most 2); 0 filters every "
            "page in the sync process.",
        ),
    ] = None,
    page_limit: Annotated[
        int | None, typer.Option(min=1, help="Page size to ask for (the server may cap it).")
    ] = None,
    privacy_pass: Annotated[
        list[str] | None,
        typer.Option(
            "--privacy-pass",
            help="Store this field in clear (e.g. cdr_token.uid); "
            "repeatable. See `ocpiwh privacy show`.",
        ),
    ] = None,
) -> None:
    """Mirror the platform's Sender modules into the lake, incrementally.

    Each module is fetched for the window since its last completed sync, up to the
    platform's clock minus --lag. Safe to interrupt: a rerun resumes without losing or
    duplicating anything. Personal data is filtered before anything touches disk.

    Example: `ocpiwh sync` (cron), `ocpiwh sync --watch --interval 1h`, `ocpiwh sync -m sessions`
    """
    limit_malloc_arenas()
    st = state(ctx)
    since_dt: datetime | None = None
    if since is not None:
        since_dt = parse_ocpi_datetime(since)
        if since_dt is None:
            raise UsageError(
                f"--since expects an ISO 8601 time (e.g. 2026-01-01T00:00:00Z), got {since!r}"
            )
    options = SyncOptions(
        modules=module or None,
        full=full,
        since=since_dt,
        lag=parse_duration(lag, "--lag"),
        concurrency=concurrency,
        privacy_workers=privacy_workers,
        page_limit=page_limit,
        window_objects=window_objects,
        privacy_passes=tuple(privacy_pass or ()),
    )
    pause = parse_duration(interval, "--interval")
    ok = True
    with stop_on_ctrl_c("the current page") as stop:
        while True:
            with _LiveProgress(live=err.is_terminal, quiet=st.quiet) as progress:
                results = sync(
                    st.warehouse, source=source, options=options, progress=progress, stop=stop
                )
            if not st.quiet and any(r.modules for r in results):
                err.print(_summary(results))
            ok = all(r.ok for r in results)
            for r in results:
                if r.error:
                    err.print(f"[bold red]error:[/] {r.source}: {r.error}", markup=True)
            if not watch or stop.is_set():
                break
            wait = pause.total_seconds() * random.uniform(0.9, 1.1)
            err.print(f"next sync in {timedelta(seconds=round(wait))} (Ctrl-C to stop)")
            if stop.wait(wait):
                break
            options.since = None
    if stop.is_set():
        interrupted = [m.module for r in results for m in r.modules if m.interrupted]
        if interrupted or not watch:
            err.print("interrupted: what was committed is kept; `ocpiwh sync` resumes from there")
            raise typer.Exit(130)
    if not ok:
        failed = [m.error for r in results for m in r.modules if m.error]
        if failed and not any(r.error for r in results):
            err.print(f"[bold red]error:[/] {failed[0]}", markup=True)
        raise typer.Exit(1)


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the status as one JSON object (monitoring).")
    ] = False,
) -> None:
    """Show sources, versions, endpoints, per-module windows and row counts, and the last run.

    A backfill fetched in sub-windows shows how far it got; an interrupted sync says so.
    No secret is ever printed. Example: `ocpiwh status`, `ocpiwh status --json | jq .sources`
    """
    st = state(ctx)
    info = warehouse_status(st.warehouse)
    if as_json:
        sys.stdout.write(json.dumps(info, default=str, indent=2) + "\n")
        return
    out.print(f"warehouse [bold]{info['warehouse']}[/] (id {info['warehouse_id']})", markup=True)
    out.print(f"privacy: {info['privacy']}; pseudonym key: {info['pseudonym_key']}")
    for src in info["sources"]:
        pp = src["platform_party"] or "unknown"
        out.print(
            f"\n[bold]{src['name']}[/]: OCPI {src['version']} at {src['url']} (platform {pp}, "
            f"token: {src['token']})",
            markup=True,
        )
        for m in src["modules"]:
            out.print(f"  {m['module']:<10} {m['endpoint'] or 'not offered'}", highlight=False)
        table = Table(show_edge=False)
        for col in ("module", "synced up to", "rows", "keys", "quarantined", "privacy"):
            table.add_column(
                col, justify="right" if col in ("rows", "keys", "quarantined") else "left"
            )
        for m in src["modules"]:
            table.add_row(
                m["module"],
                _window_text(m),
                f"{m['rows']:,}",
                f"{m['keys']:,}",
                f"{m['quarantined']:,}",
                ", ".join(m["privacy"]) or "-",
            )
        out.print(table)
        run = src["last_run"]
        if run:
            verdict = (
                "interrupted (run `ocpiwh sync` to resume)"
                if run.get("interrupted") and run["ok"]
                else "ok"
                if run["ok"]
                else f"FAILED: {run.get('error') or _first_error(run)}"
            )
            out.print(
                f"last run: {run['finished_at']} — {verdict} ({run['elapsed']}s, "
                f"{run['retries']} retries)"
            )
        else:
            out.print("last run: never")


def _window_text(m: dict[str, Any]) -> str:
    """ "never", the committed window's end, and a backfill's progress when one is under way."""
    text = m["window_end"] or "never"
    backfill = m.get("backfill")
    if backfill:
        estimate = backfill.get("estimate")
        of = f" of ~{estimate:,}" if estimate else ""
        text += f" (backfill to {backfill.get('until')}: {backfill.get('objects', 0):,}{of})"
    if m.get("interrupted"):
        text += " (interrupted)"
    return text


def _first_error(run: dict[str, Any]) -> str:
    for m in run.get("modules", []):
        if m.get("error"):
            return f"{m['module']}: {m['error']}"
    return "unknown error"


@app.command("compact")
def compact_cmd(
    ctx: typer.Context,
    module: Annotated[
        list[str] | None, typer.Option("--module", "-m", help="Only this module (repeatable).")
    ] = None,
) -> None:
    """Merge each partition's small files into one, keeping every row (history), atomically.

    Each sync compacts the partitions that earlier syncs left past the threshold (a backfill's
    own files wait for the next sync); run this to compact now, e.g. before sharing a warehouse. Example: `ocpiwh compact -m sessions`
    """
    st = state(ctx)
    for m in module or []:
        if m not in MODULES:
            raise UsageError(f"unknown module {m!r}", hint=f"choose from: {', '.join(MODULES)}")
    store = open_store(st.warehouse)
    if not store.has_files("raw/"):
        raise UsageError(f"no lake at {store}", hint="run `ocpiwh sync` first")
    with warehouse_lock(store):
        result = compact(store, modules=module or None)
    warehouse.refresh(store)  # the shell's views name the merged files
    err.print(
        f"compacted {result.partitions} partition(s): {result.files_before} files into "
        f"{result.files_after}, {result.rows:,} rows kept"
    )
