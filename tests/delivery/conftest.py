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
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )


def interrupt(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str]:
    """Ctrl-C to a :func:`spawn`-ed command: its exit code and standard error. A command
    still running ``timeout`` seconds later is aborted, and the test fails with what each of
    its threads was doing (spawned with ``PYTHONFAULTHANDLER``: SIGABRT dumps them)."""
    proc.send_signal(signal.SIGINT)
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        _, stderr = proc.communicate(timeout=30)
        raise AssertionError(f"still running {timeout:g} s after Ctrl-C:\n{stderr}") from None
    return rc, proc.stderr.read() if proc.stderr else ""


__all__ = ["do_login", "interrupt", "ocpiwh", "run_sync", "spawn"]
