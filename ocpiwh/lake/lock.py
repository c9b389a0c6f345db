"""One writer at a time per warehouse: sync and compact take an exclusive lock.

Two syncs publishing into the same lake, or a compaction merging files a sync is about to
commit, would break the journal-based recovery. The lock is an ``flock`` on
``state/.lock`` (for an object store, on a local file named after its URL: one writer per
machine), released by the OS even if the process is killed.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ocpiwh.errors import OcpiwhError
from ocpiwh.lake.store import Location, Store, open_store


@contextmanager
def warehouse_lock(root: Location | Store) -> Iterator[None]:
    store = open_store(root)
    path = store.lock_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise OcpiwhError(
                f"the warehouse {store} is busy: a sync or compaction is running (pid {holder})",
                hint="wait for it to finish, or stop it",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
