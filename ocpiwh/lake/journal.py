"""The batch journal: what makes publishing a batch recoverable at any instant.

Before a batch's files are published, ``state/journal/<batch>.json`` names every one of them;
the journal goes only once the module's manifest lists the batch (committed) or the files are
removed again (rolled back, see :mod:`ocpiwh.lake.recovery`). Compaction journals its swaps the
same way. :func:`crashpoint` kills the process at the named steps of this protocol for the
crash-safety tests.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from ocpiwh.lake.store import Store

_lock = threading.Lock()
_batch_counter = itertools.count()

_crash_counts: dict[str, int] = {}


def crashpoint(name: str) -> None:
    """Fault injection for crash-safety tests (as SQLite does): ``OCPIWH_CRASH_AT=name[:n]``
    kills this process with SIGKILL the n-th time (default 1st) ``name`` is reached.

    Points: ``page`` (a page fetched, not yet written), ``staged`` (files in staging/),
    ``uploaded`` (some of a batch's files published, not all), ``published`` (files in raw/,
    state not committed), ``committed`` (state written, journals not yet dropped).
    """
    spec = os.environ.get("OCPIWH_CRASH_AT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    with _lock:
        _crash_counts[name] = _crash_counts.get(name, 0) + 1
        hit = _crash_counts[name] == int(nth or 1)
    if hit:
        os.kill(os.getpid(), signal.SIGKILL)


def new_batch_id() -> str:
    """Sortable, unique batch id: UTC time to the microsecond, a counter, and random bits."""
    with _lock:
        n = next(_batch_counter) % 10_000
    now = datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S%f}-{n:04d}-{secrets.token_hex(3)}"


def journal_rel(batch_id: str) -> str:
    return f"{JOURNALS}{batch_id}.json"


JOURNALS = "state/journal/"


def pending_journals(store: Store) -> list[dict[str, Any]]:
    """Journals of batches published but not yet committed (or of an unfinished compaction)."""
    out = []
    for rel, _ in store.list(JOURNALS):
        if not rel.endswith(".json"):
            continue
        raw = store.read(rel)
        try:
            data = orjson.loads(raw or b"")
        except orjson.JSONDecodeError:  # torn by a crash before it named any file
            data = {"batch_id": rel[len(JOURNALS) : -5], "files": [], "kind": "corrupt"}
        data["_path"] = rel
        out.append(data)
    return out


def drop_journals(store: Store, batch_ids: Sequence[str]) -> None:
    """Forget the journals of committed batches (their files are now part of the lake)."""
    for batch_id in batch_ids:
        store.delete(journal_rel(batch_id))


def rollback(store: Store, journal: dict[str, Any]) -> int:
    """Remove the files of an uncommitted batch; returns how many were removed."""
    removed = sum(store.delete(rel) for rel in journal.get("files", []))
    store.delete(journal["_path"])
    return removed


def discard_batches(store: Store, batch_ids: Sequence[str]) -> int:
    """Roll back the named uncommitted batches (a window that failed); returns files removed."""
    wanted = set(batch_ids)
    return sum(
        rollback(store, journal)
        for journal in pending_journals(store)
        if journal.get("batch_id") in wanted
    )


def clean_staging(store: Store) -> None:
    """Staging holds only batches of a process that died; nothing there is referenced."""
    shutil.rmtree(store.staging(), ignore_errors=True)
