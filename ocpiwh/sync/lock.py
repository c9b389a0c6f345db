"""One writer at a time per warehouse: sync and compact take an exclusive lock.

Two syncs publishing into the same lake, or a compaction merging files a sync is about to
commit, would break the journal-based recovery. The lock is an ``flock`` on
``state/.lock``, released by the OS even if the process is killed.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ocpiwh.errors import OcpiwhError


@contextmanager
def warehouse_lock(root: Path) -> Iterator[None]:
    path = root / "state" / ".lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise OcpiwhError(
                f"the warehouse {root} is busy: a sync or compaction is running (pid {holder})",
                hint="wait for it to finish, or stop it",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
