"""What every command shares: the warehouse folder, the consoles, and error handling.

Commands are thin: they parse options, call the library, and render. Anything a Python
user might want lives in the library, not here.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Protocol

import typer
from rich.console import Console

from ocpiwh.errors import UsageError

DEFAULT_WAREHOUSE = "./data"

# Off a terminal (pipes, CI logs) rich would wrap tables at 80 columns; logs can be wider.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
"""Results (tables, query output) go to stdout."""
err = Console(
    stderr=True, highlight=False, soft_wrap=True, width=None if sys.stderr.isatty() else 160
)
"""Progress, logs and errors go to stderr, so stdout can be piped."""


MaxSessionAgeDays = Annotated[
    float | None,
    typer.Option(
        "--max-age-days",
        help="qualicharge_sessions: oldest session start accepted, in days (default \\[irve] session_max_age_days, else 15).",
    ),
]
"""``--max-age-days`` of ``export`` and ``push qualicharge`` (the push exports the same rows)."""


@dataclass
class AppState:
    warehouse: str
    """A folder, or ``s3://bucket/prefix`` (see :mod:`ocpiwh.lake.store`)."""
    verbose: int = 0
    quiet: bool = False


def state(ctx: typer.Context) -> AppState:
    """The global options of the root command."""
    obj = ctx.find_root().obj
    if not isinstance(obj, AppState):  # invoked outside the root callback (tests of a sub-app)
        obj = AppState(warehouse=os.environ.get("OCPIWH_WAREHOUSE", DEFAULT_WAREHOUSE))
        ctx.find_root().obj = obj
    return obj


def setup_logging(verbose: int, quiet: bool) -> None:
    """-v: info, -vv: debug (HTTP requests). Logs never carry tokens (the client redacts)."""
    level = logging.WARNING
    if quiet:
        level = logging.ERROR
    elif verbose == 1:
        level = logging.INFO
    elif verbose >= 2:
        level = logging.DEBUG
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def parse_params(values: list[str] | None) -> dict[str, str]:
    """``--param k=v`` (repeatable) → dict; a malformed entry is a usage error."""
    params: dict[str, str] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--param expects NAME=VALUE, got {item!r}")
        params[name.strip()] = value
    return params


@contextmanager
def stop_on_ctrl_c(what: str, *, enabled: bool = True) -> Iterator[threading.Event]:
    """Ctrl-C sets the yielded event (the loop stops at its next safe point, saying
    ``stopping after {what} (Ctrl-C again to abort)…``); a second Ctrl-C raises
    KeyboardInterrupt. Long-running loops use it so that the first interrupt never lands
    inside a DuckDB call, whose Python client does not always survive one. ``enabled``
    False: Ctrl-C keeps its default behaviour."""
    stop = threading.Event()
    if not enabled:
        yield stop
        return

    def on_sigint(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        err.print(f"stopping after {what} (Ctrl-C again to abort)…")
        stop.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


class Interruptible(Protocol):
    """A DuckDB connection, as :func:`cancel_on_ctrl_c` uses it."""

    def interrupt(self) -> None: ...


@contextmanager
def cancel_on_ctrl_c(con: Interruptible) -> Iterator[None]:
    """Ctrl-C cancels the query ``con`` is running. Python runs signal handlers between
    bytecodes, so a KeyboardInterrupt waits for a long ``execute()`` to end (DuckDB checks
    for it only between some tasks); the signal's wakeup byte, written at once, lets a
    thread call ``con.interrupt()``, and the command then exits 130 as for any Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield  # set_wakeup_fd belongs to the main thread
        return
    r, w = os.pipe()
    os.set_blocking(w, False)
    previous = signal.set_wakeup_fd(w, warn_on_full_buffer=False)

    def watch() -> None:
        while data := os.read(r, 64):  # b"" once the write end is closed
            if signal.SIGINT in data:
                con.interrupt()

    watcher = threading.Thread(target=watch, name="ctrl-c", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        os.close(w)
        watcher.join()
        os.close(r)


@contextmanager
def progress(what: str, *, enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """A one-line spinner on stderr (``what: step … 0:00:12``) while a long command runs.

    Yields ``step(text)`` to say what is being done. Only on a terminal: logs and pipes get
    nothing (the command's own summary says what happened), and ``-q`` turns it off.
    """
    if not (enabled and err.is_terminal):
        yield lambda _text: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with bar:
        task = bar.add_task(what, total=None)
        yield lambda text: bar.update(task, description=f"{what}: {text}")
