"""Polling for a condition another process or thread makes true (importable from every test:
tests/conftest.py puts this folder on the path)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(cond: Callable[[], object], timeout: float = 60, what: str = "timed out") -> None:
    """Return once ``cond()`` is true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
