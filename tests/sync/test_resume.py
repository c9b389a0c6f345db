"""A backfill is committed sub-window by sub-window: killed at any point, the rerun fetches
at most the sub-window in flight plus what was never fetched, and ends equal to the truth."""

from __future__ import annotations

import itertools
import json
import signal
from pathlib import Path

import pytest

from ocpiwh import warehouse
from ocpiwh.lake import StateStore
from ocpiwh.simulator import Faults, serve_in_thread

from .conftest import TOKEN, assert_matches_truth, cli, do_login, sim_config

WINDOW = 2_000
"""--window-objects of these tests: a 20k-session backfill is about ten sub-windows, of ten
pages of 200 objects each (what the kill points below count)."""

MODULES = ("sessions", "cdrs")


def _committed_keys(root: Path) -> dict[str, int]:
    con = warehouse.connect(root)
    try:
        return {m: int(con.execute(f"SELECT count(*) FROM {m}").fetchall()[0][0]) for m in MODULES}
    finally:
        con.close()


def _last_run(root: Path) -> dict[str, dict[str, object]]:
    runs = StateStore(root, "default").runs()
    return {m["module"]: m for m in runs[-1]["modules"]}


@pytest.mark.slow
@pytest.mark.parametrize("point", ["committed:3", "page:57", "published:9"])
def test_killed_backfill_resumes_from_its_last_sub_window(root: Path, point: str) -> None:
    cfg = sim_config(sessions=20_000, max_limit=200, faults=Faults(latency_ms=30))
    with serve_in_thread(cfg) as sim:
        do_login(root, sim)
        args = ("sync", "--lag", "0s", "-m", "sessions", "-m", "cdrs")
        sizing = ("--window-objects", str(WINDOW))
        env = {"OCPIWH_TOKEN": TOKEN, "OCPIWH_CRASH_AT": point}
        killed = cli(root, *args, *sizing, env=env, timeout=300)
        assert killed.returncode == -signal.SIGKILL, killed.stderr  # the kill landed
        # at least one sub-window was committed before the kill: resumable, not from zero
        states = {m: StateStore(root, "default").load(m) for m in MODULES}
        assert any(st.window_end is not None for st in states.values()), point
        assert any(st.backfill for st in states.values())
        kept = _committed_keys(root)
        assert sum(kept.values()) > 0
        status = cli(root, "status", "--json")
        info = json.loads(status.stdout)
        progress = {m["module"]: m["backfill"] for m in info["sources"][0]["modules"]}
        assert any(b and b["objects"] > 0 for b in progress.values())

        rerun = cli(root, *args, *sizing, env={"OCPIWH_TOKEN": TOKEN}, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        truth = {m: len(sim.truth(m, "2.3.0")) for m in MODULES}
        runs = _last_run(root)
        for m in MODULES:
            never_fetched = truth[m] - kept[m]
            # the sub-window in flight (up to 1.5x the target), nothing else twice
            assert int(runs[m]["fetched"]) <= never_fetched + WINDOW * 3 // 2, (m, runs[m])
        assert_matches_truth(root, sim, "2.3.0", modules=MODULES)
        states = {m: StateStore(root, "default").load(m) for m in MODULES}
        assert all(st.backfill is None and not st.interrupted for st in states.values())
        assert not list((root / "state" / "journal").glob("*.json"))


def test_a_first_sync_is_cut_into_sub_windows(root: Path) -> None:
    """Sub-windows follow X-Total-Count: about --window-objects each, and together exact."""
    with serve_in_thread(sim_config(sessions=6_000, max_limit=250)) as sim:
        do_login(root, sim)
        done = cli(
            root,
            "sync",
            "--lag",
            "0s",
            "-m",
            "sessions",
            "--window-objects",
            "1000",
            env={"OCPIWH_TOKEN": TOKEN},
        )
        assert done.returncode == 0, done.stderr
        run = _last_run(root)["sessions"]
        assert 4 <= int(run["sub_windows"]) <= 12, run
        batches = [b for b in StateStore(root, "default").batches() if b["module"] == "sessions"]
        windows = sorted({(b["window_from"], b["window_to"]) for b in batches})
        # every sub-window holds objects, but the last may be empty
        assert int(run["sub_windows"]) - 1 <= len(windows) <= int(run["sub_windows"])
        for (_, end), (start, _) in itertools.pairwise(windows):
            assert end == start  # contiguous: nothing between two sub-windows
        assert_matches_truth(root, sim, "2.3.0", modules=("sessions",))
