"""Sync against the bundled simulator over loopback HTTP, compared with its ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ocpiwh.lake import StateStore
from ocpiwh.simulator import Dirt, Faults, serve_in_thread

from .conftest import (
    assert_matches_truth,
    do_login,
    fetched,
    lake_versions,
    run_sync,
    sim_config,
    truth_versions,
)


@pytest.mark.parametrize("version", ["2.1.1", "2.2.1", "2.3.0"])
def test_full_sync_equals_truth(root: Path, simulator: Any, version: str) -> None:
    do_login(root, simulator, version)
    results = run_sync(root)
    assert results[0].version == version
    assert_matches_truth(root, simulator, version)
    # tokens are mirrored too (pseudonymized uids: compare counts and versions only)
    tokens = lake_versions(root, "tokens")
    assert len(tokens) == len(simulator.truth("tokens", version))


@pytest.mark.parametrize("offset_hours", [0, -5, 5])
def test_incremental_sync_fetches_only_changes(root: Path, offset_hours: int) -> None:
    """After the clock moves, a second sync matches the new truth, fetches the changes and
    not the whole history, and never duplicates — also when the platform's clock is hours
    behind or ahead of the client's."""
    with serve_in_thread(sim_config(clock_offset_s=offset_hours * 3600, start=None)) as sim:
        do_login(root, sim)
        first = run_sync(root)
        assert_matches_truth(root, sim, "2.3.0")
        sim.advance(seconds=2 * 3600)
        second = run_sync(root)
        assert_matches_truth(root, sim, "2.3.0")
        total_sessions = len(sim.truth("sessions"))
        assert 0 < fetched(second, "sessions") < total_sessions * 0.3
        assert fetched(first, "sessions") >= total_sessions * 0.9
        third = run_sync(root)  # nothing changed since: (almost) nothing fetched
        assert fetched(third, "sessions") == 0
        assert_matches_truth(root, sim, "2.3.0")


def test_sync_survives_injected_faults(root: Path) -> None:
    faults = Faults(rate_429=0.10, rate_503=0.05, rate_drop=0.02, retry_after_s=0)
    with serve_in_thread(
        sim_config(faults=faults, max_limit=100, clean=False, dirt=Dirt.off())
    ) as sim:
        do_login(root, sim)
        results = run_sync(root, concurrency=4)
        assert results[0].retries > 0
        assert_matches_truth(root, sim, "2.3.0")
        assert sim.stats()["faults"]  # the faults really were injected


def test_objects_updated_while_paging_are_not_lost(root: Path) -> None:
    faults = Faults(rate_update_while_paging=0.3)
    with serve_in_thread(
        sim_config(faults=faults, max_limit=50, clean=False, dirt=Dirt.off())
    ) as sim:
        do_login(root, sim)
        first = run_sync(root)
        assert sim.stats()["faults"], "no object was updated while paging"
        # objects bumped during the first crawl (last_updated = platform now) belong to the
        # next window, which exists once the platform clock has moved on
        sim.faults = Faults()  # the platform goes quiet
        sim.advance(seconds=60)
        run_sync(root)
        assert first
        assert_matches_truth(root, sim, "2.3.0")


def test_malformed_objects_are_quarantined_with_reason(root: Path) -> None:
    faults = Faults(rate_malformed=0.05)
    with serve_in_thread(sim_config(faults=faults, clean=False, dirt=Dirt.off())) as sim:
        do_login(root, sim)
        results = run_sync(root)
        quarantined = sum(m.quarantined for r in results for m in r.modules)
        assert quarantined > 0
        from ocpiwh import warehouse

        con = warehouse.connect(root)
        try:
            reasons = dict(
                con.execute("SELECT reason, count(*) FROM quarantine GROUP BY 1").fetchall()
            )
            sessions = con.execute("SELECT count(*) FROM sessions").fetchall()[0]
        finally:
            con.close()
        assert sum(reasons.values()) == quarantined
        assert all(reasons), reasons
        assert any("last_updated" in r or "id" in r for r in reasons), reasons
        # the rest of each page landed
        assert sessions and sessions[0] >= 0.9 * len(sim.truth("sessions"))


def test_full_relisting_marks_removed_keys(root: Path, simulator: Any) -> None:
    do_login(root, simulator)
    run_sync(root)
    store = StateStore(root, "default")
    assert store.load("locations").window_end is not None
    # a location that the platform no longer lists: write a fake extra key into the lake
    from ocpiwh.lake import write_batch

    write_batch(
        root,
        source="default",
        module="locations",
        version="2.2.1",
        objects=[
            {
                "country_code": "FR",
                "party_id": "ABC",
                "id": "GONE-1",
                "address": "x",
                "city": "y",
                "country": "FRA",
                "coordinates": {"latitude": "45.000000", "longitude": "3.000000"},
                "last_updated": "2020-01-01T00:00:00Z",
            }
        ],
    )
    assert ("FR", "ABC", "GONE-1") in dict(lake_versions(root, "locations"))
    results = run_sync(root, full=True, modules=["locations"])
    assert sum(m.removed for r in results for m in r.modules) == 1
    assert ("FR", "ABC", "GONE-1") not in dict(lake_versions(root, "locations"))
    assert_matches_truth(root, simulator, "2.3.0", modules=("locations",))


def test_summary_counts_new_and_updated_objects(root: Path) -> None:
    """The summary's new/updated counts equal the changes in the platform's ground truth."""

    def truth_now(sim: Any, module: str) -> dict[Any, Any]:
        now = sim.now()
        return {k: lu for k, lu in truth_versions(sim, module, "2.3.0").items() if lu < now}

    with serve_in_thread(sim_config()) as sim:
        do_login(root, sim)
        first = run_sync(root)
        before = {m: truth_now(sim, m) for m in ("sessions", "cdrs")}
        for m in first[0].modules:
            if m.module in before:
                assert (m.new, m.updated) == (len(before[m.module]), 0), m.module
        sim.advance(seconds=3 * 3600)
        second = run_sync(root)
        for m in second[0].modules:
            if m.module not in before:
                continue
            after = truth_now(sim, m.module)
            new = set(after) - set(before[m.module])
            updated = {k for k in after if k in before[m.module] and after[k] > before[m.module][k]}
            assert new or updated, m.module
            assert (m.new, m.updated) == (len(new), len(updated)), m.module
