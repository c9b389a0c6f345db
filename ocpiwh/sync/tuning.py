"""Interpreter and allocator tuning for a sync's threads (measured, see docs/benchmarks.md)."""

from __future__ import annotations

import ctypes
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

GC_THRESHOLD0 = 50_000
"""Allocations between two young-generation GC passes during a sync (CPython's default: 700)."""

SWITCH_INTERVAL = 0.0002
"""Seconds a thread may hold the GIL while another waits for it, during a sync (default 0.005)."""


MALLOC_ARENAS = 2
"""glibc malloc arenas for a sync process (glibc's default: 8 per core)."""


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Let the process's threads share at most ``arenas`` glibc malloc arenas.

    A sync runs a dozen threads (fetch workers, module threads, writers) that each allocate
    and free page-sized buffers; with one arena per thread, each arena keeps its own peak
    of freed memory (measured: 259 MB held by malloc for 65 MB in use, about 60 MB more RSS
    than with two arenas). The limit only takes effect before glibc sizes its arena pool,
    so a command calls this first thing; ``MALLOC_ARENA_MAX`` in the environment wins.
    Elsewhere than glibc this does nothing.
    """
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_arena_max = -8  # glibc malloc.h
    mallopt(m_arena_max, arenas)


def trim_malloc() -> None:
    """Give the memory glibc holds free in its arenas back to the system (glibc only)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    malloc_trim(0)


@contextmanager
def tuned_interpreter() -> Iterator[None]:
    """Tune the interpreter for a sync's threads, restoring it afterwards.

    Every parsed page is ~20,000 new dicts and lists (acyclic JSON, freed by reference
    counting): at the default threshold the collector runs every 700 of them, and each older
    generation's pass walks every object the imported libraries hold; that cost about a
    third of the Python-side CPU. Freezing what exists at the start and collecting less
    often leaves the same garbage collected, later.

    The writer threads spend most of their time in DuckDB (GIL released) but come back for
    the GIL between statements and around every file operation, dozens of times per batch;
    with fetch workers busy parsing, each return waited a whole switch interval (the convoy
    effect): a batch took several times its CPU time and the fetch side waited on it. A short
    interval hands the GIL over promptly.
    """
    old = gc.get_threshold()
    old_interval = sys.getswitchinterval()
    gc.freeze()
    gc.set_threshold(max(old[0], GC_THRESHOLD0), old[1], old[2])
    sys.setswitchinterval(min(old_interval, SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(old_interval)
        gc.set_threshold(*old)
        gc.unfreeze()
