"""Fixtures for delivery tests: a simulator on loopback, a synced warehouse, the real CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sync.conftest import do_login, run_sync, sim_config

from ocpiwh.simulator import serve_in_thread


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def sim() -> Iterator[Any]:
    with serve_in_thread(sim_config(locations=12, sessions=400)) as s:
        yield s


@pytest.fixture
def synced(root: Path, sim: Any) -> Path:
    """A warehouse after one sync of the simulator."""
    do_login(root, sim)
    run_sync(root)
    return root


def ocpiwh(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The real ``ocpiwh`` command in a fresh interpreter (real exit code, real pipes)."""
    return subprocess.run(
        [sys.executable, "-m", "ocpiwh", "--warehouse", str(root), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def spawn(root: Path, *args: str) -> subprocess.Popen[str]:
    """The real ``ocpiwh`` running in the background (``--follow``, ``--watch``)."""
    return subprocess.Popen(
        [sys.executable, "-m", "ocpiwh", "--warehouse", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def interrupt(proc: subprocess.Popen[str]) -> tuple[int, str]:
    """Ctrl-C to a :func:`spawn`-ed command: its exit code and standard error."""
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=30)
    return rc, proc.stderr.read() if proc.stderr else ""


__all__ = ["do_login", "interrupt", "ocpiwh", "run_sync", "spawn"]
