"""The garbage collector around one command in its own process (the console entry).

Starting a command imports its modules (DuckDB, pyarrow, httpx, sqlglot, ocpiwh's own): a
few hundred thousand objects that live as long as the process, and next to no garbage. With
the collector on, those allocations set it off ~170 times (a sync's imports: 0.37–0.44 s,
0.27–0.29 s with it off). At exit, the interpreter collects everything again, several times
over, while it tears the modules down (a sync with nothing to fetch: ~0.25 s of its ~1 s).
See ``docs/benchmarks.md``.

So :func:`process_collector` (around the whole command, in :func:`ocpiwh.cli.main.run`)
turns the collector off; :func:`command_loaded` (the root group, once the command's modules
are imported and before its options are parsed) freezes what exists — later collections skip
it, as :func:`gc.freeze` is meant for — and turns the collector back on, so the command runs
with it as always; on the way out everything is frozen, and the final collections have
nothing left to walk. Finalizers, ``atexit`` handlers and thread joins still run.

Anywhere else (``main()`` called by a script or the tests, typer's test runner) nothing
changes: freezing at the end there would keep garbage for the rest of the caller's life.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_paused = False


@contextmanager
def process_collector() -> Iterator[None]:
    """Collector off until :func:`command_loaded`; everything frozen on the way out."""
    global _paused
    gc.disable()
    _paused = True
    try:
        yield
    finally:
        _paused = False
        gc.freeze()  # the process is exiting: its final collections skip what it holds
        gc.enable()


def command_loaded() -> None:
    """The command's modules are imported: freeze what exists and collect again."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
