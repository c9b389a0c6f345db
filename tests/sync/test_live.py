"""A live platform: objects change while the sync pages (the simulator's live mode, real
HTTP on loopback). Every module's sync completes at any update rate, converges without
re-crawling, and once the platform holds still one more sync makes the lake equal the truth."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ocpiwh.simulator import serve_in_thread

from .conftest import assert_matches_truth, do_login, lake_versions, run_sync, sim_config

MODULES = ("locations", "sessions", "cdrs", "tariffs")


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("rate", [0.1, 1, 3, 10])
def test_sync_of_a_live_platform_completes_and_converges(
    root: Path, rate: float, concurrency: int
) -> None:
    with serve_in_thread(sim_config(live=rate, max_limit=100, locations=120)) as sim:
        do_login(root, sim)
        first = run_sync(root, concurrency=concurrency, page_limit=100)
        live = sim.stats()["live"]
        assert live["updates"] > 0, "the platform did not change while we paged"
        assert all(m.error is None for r in first for m in r.modules)
        sim.set_live(0)  # the platform holds still
        sim.advance(seconds=60)
        run_sync(root, concurrency=concurrency, page_limit=100)
        assert_matches_truth(root, sim, "2.3.0", modules=MODULES)


@pytest.mark.parametrize(("rate", "bound"), [(0, 1.1), (1, 1.5), (5, 2.5)])
def test_requests_per_window_stay_near_the_page_count(
    root: Path, rate: float, bound: float
) -> None:
    """The simulator's request counter, not time: a window of N pages costs at most
    ``bound`` x N list requests (probes for sub-windows and refetches included)."""
    with serve_in_thread(sim_config(sessions=5_000, max_limit=100)) as sim:
        do_login(root, sim)
        pages = math.ceil(len(sim.truth("sessions", "2.3.0")) / 100)
        sim.set_live(rate)
        before = sim.stats()["list_requests"]["sessions"]
        run_sync(root, modules=["sessions"], concurrency=4, page_limit=100)
        requests = sim.stats()["list_requests"]["sessions"] - before
        assert requests <= bound * pages, (requests, pages)
        sim.set_live(0)
        sim.advance(seconds=60)
        run_sync(root, modules=["sessions"], page_limit=100)
        assert_matches_truth(root, sim, "2.3.0", modules=("sessions",))


def test_full_relisting_of_a_live_platform_marks_no_live_key_removed(root: Path) -> None:
    """`sync --full` while locations change: a listing without a date bound would miss the
    location shifted past the crawler by one that moved to the end, and take it for removed.
    The listing is a frozen window plus the window after it, so no live key is removed."""
    with serve_in_thread(sim_config(locations=150)) as sim:
        do_login(root, sim)
        run_sync(root, modules=["locations"], page_limit=10)
        sim.set_live(3)
        sim.advance(seconds=600)
        results = run_sync(root, modules=["locations"], page_limit=10, full=True)
        assert sim.stats()["live"]["by_kind"]["evse_status"] > 0
        assert sum(m.removed for r in results for m in r.modules) == 0
        sim.set_live(0)
        sim.advance(seconds=60)
        run_sync(root, modules=["locations"], page_limit=10)
        assert_matches_truth(root, sim, "2.3.0", modules=("locations",))


def test_a_cdr_issued_at_the_platforms_now_waits_for_the_next_window(root: Path) -> None:
    """With lag 0 the window ends at *now*, exclusive: a CDR issued that very second is
    not read (it belongs to the next window), the check of the lake against the truth
    leaves it out of keys and energy alike, and the next sync reads it."""
    with serve_in_thread(sim_config()) as sim:
        do_login(root, sim)
        run_sync(root, modules=["cdrs"])
        world = sim.world
        due = min(world.s_cdr[i] for i in world.cdr_pending)
        sim.advance(seconds=due - world.now)
        at_now = [
            c
            for c in sim.truth("cdrs", "2.3.0")
            if c["last_updated"].startswith(sim.now().strftime("%Y-%m-%dT%H:%M:%S"))
        ]
        assert at_now, "no CDR issued at the platform's now"
        run_sync(root, modules=["cdrs"])
        ids = {k[2] for k, _ in lake_versions(root, "cdrs")}
        assert not {c["id"] for c in at_now} & ids
        assert_matches_truth(root, sim, "2.3.0", modules=("cdrs",))
        sim.advance(seconds=1)
        run_sync(root, modules=["cdrs"])
        assert {c["id"] for c in at_now} <= {k[2] for k, _ in lake_versions(root, "cdrs")}
        assert_matches_truth(root, sim, "2.3.0", modules=("cdrs",))
