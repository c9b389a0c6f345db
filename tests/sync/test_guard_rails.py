"""Guard rails of the sync: each mistake or accident is one line, the documented exit code,
and nothing lost or half-written (real CLI processes against the simulator on loopback)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from ocpiwh import warehouse
from ocpiwh.lake import StateStore
from ocpiwh.simulator import Faults, serve_in_thread
from ocpiwh.sync.engine import SyncOptions, sync

from .conftest import TOKEN, assert_matches_truth, cli, do_login, lake_versions, sim_config

ENV = {"OCPIWH_TOKEN": TOKEN}


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize(("lag", "word"), [("-5m", "negative"), ("3d", "more than")])
def test_negative_or_absurd_lag_is_refused(
    root: Path, simulator: object, lag: str, word: str
) -> None:
    do_login(root, simulator)
    proc = cli(root, "sync", "--lag", lag, env=ENV)
    assert proc.returncode == 2
    line = _one_line_error(proc)
    assert "--lag" in line and word in line
    assert not (root / "raw").exists()  # nothing was fetched


def test_since_limits_sessions_and_cdrs_but_reference_data_is_whole(root: Path) -> None:
    with serve_in_thread(sim_config()) as sim:
        do_login(root, sim)
        cutoff = (sim.now() - timedelta(days=5)).replace(microsecond=0)
        proc = cli(root, "sync", "--lag", "0s", "--since", cutoff.isoformat(), env=ENV)
        assert proc.returncode == 0, proc.stderr
        # locations, tariffs and tokens: the whole listing, as the truth has it
        assert_matches_truth(root, sim, "2.3.0", modules=("locations", "tariffs"))
        con = warehouse.connect(root)
        try:
            tokens = con.execute("SELECT count(*) FROM tokens").fetchall()[0][0]
            early = con.execute(
                "SELECT count(*) FROM sessions WHERE last_updated < $c", {"c": cutoff}
            ).fetchall()[0][0]
        finally:
            con.close()
        assert tokens == len(sim.truth("tokens", "2.3.0")) > 0
        assert early == 0  # sessions: only changes since --since
        assert len(sim.truth("sessions", "2.3.0")) > len(lake_sessions(root)) > 0
        assert StateStore(root, "default").load("tariffs").window_end is not None


def test_login_that_would_rekey_objects_is_refused_then_reset(root: Path) -> None:
    with serve_in_thread(sim_config()) as sim:
        do_login(root, sim, version="2.1.1")
        assert cli(root, "sync", "--lag", "0s", env=ENV).returncode == 0
        proc = cli(root, "login", sim.versions_url, env=ENV)  # negotiates 2.3.0
        assert proc.returncode == 2
        line = _one_line_error(proc)
        assert "--reset-source" in line and "2.1.1" in line
        # refused: the source still says 2.1.1
        status = json.loads(cli(root, "status", "--json").stdout)
        assert status["sources"][0]["version"] == "2.1.1"
        again = cli(root, "login", sim.versions_url, "--reset-source", env=ENV)
        assert again.returncode == 0, again.stderr
        assert cli(root, "sync", "--lag", "0s", env=ENV).returncode == 0
        # one identity per object: no key twice, the 2.3.0 truth exactly
        assert_matches_truth(root, sim, "2.3.0")


def test_ctrl_c_mid_sync_exits_130_and_status_says_interrupted(root: Path) -> None:
    cfg = sim_config(sessions=4_000, max_limit=50, faults=Faults(latency_ms=20))
    with serve_in_thread(cfg) as sim:
        do_login(root, sim)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ocpiwh",
                "--warehouse",
                str(root),
                "sync",
                "--lag",
                "0s",
                "--concurrency",
                "1",
            ],
            env={**os.environ, **ENV},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # wait until a batch has been published (the sync is mid-window), then Ctrl-C
        deadline = time.monotonic() + 60
        while not list((root / "raw").rglob("*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list((root / "raw").rglob("*.parquet")), "the sync never wrote a batch"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "interrupted" in err
        status = cli(root, "status")
        assert "interrupted" in status.stdout
        info = json.loads(cli(root, "status", "--json").stdout)
        assert info["sources"][0]["last_run"]["interrupted"] is True
        # nothing lost: the next sync completes the window
        rerun = cli(root, "sync", "--lag", "0s", env=ENV)
        assert rerun.returncode == 0, rerun.stderr
        assert_matches_truth(root, sim, "2.3.0")
        assert "interrupted" not in cli(root, "status").stdout.split("last run:")[0]


def lake_sessions(root: Path) -> list[object]:
    return list(lake_versions(root, "sessions"))


@contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """``folder`` on a read-only bind mount (root), else without write permission."""
    if os.geteuid() == 0 and shutil.which("mount"):
        done = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)])
        if done.returncode == 0:
            try:
                yield
            finally:
                subprocess.run(["umount", str(folder)], check=True)
            return
    mode = folder.stat().st_mode
    folder.chmod(0o555)
    try:
        yield
    finally:
        folder.chmod(mode)


def test_read_only_warehouse_is_one_line_and_changes_nothing(root: Path) -> None:
    with serve_in_thread(sim_config()) as sim:
        do_login(root, sim)
        assert cli(root, "sync", "--lag", "0s", env=ENV).returncode == 0
        sim.advance(seconds=3600)
        before = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
        with _read_only(root):
            proc = cli(root, "sync", "--lag", "0s", env=ENV)
        assert proc.returncode == 1
        line = _one_line_error(proc)
        assert "read-only" in line or "permission" in line
        assert "internal error" not in line
        after = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
        assert after == before
        assert cli(root, "sync", "--lag", "0s", env=ENV).returncode == 0
        assert_matches_truth(root, sim, "2.3.0")


def test_a_stop_before_any_page_commits_no_window(root: Path) -> None:
    """Ctrl-C can land between two pages or before the first: the crawl then returns early,
    and the window it did not finish must not be committed (its end would skip objects)."""
    with serve_in_thread(sim_config()) as sim:
        do_login(root, sim)
        stop = threading.Event()
        stop.set()
        results = sync(root, options=SyncOptions(lag=timedelta(0)), stop=stop)
        assert all(m.interrupted for r in results for m in r.modules)
        state = StateStore(root, "default")
        assert all(state.load(m).window_end is None for m in ("sessions", "locations"))
        assert cli(root, "sync", "--lag", "0s", env=ENV).returncode == 0
        assert_matches_truth(root, sim, "2.3.0")
