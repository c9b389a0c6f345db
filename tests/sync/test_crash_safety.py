"""Kill the real `ocpiwh sync` process with SIGKILL at named points of the write path, during
a first and an incremental sync; the rerun must leave the lake exactly as one clean sync of
the same platform would — compared on the raw rows and the files, not only through the
views (which deduplicate), and each kill must land where it was meant to."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ocpiwh.lake import committed_files, open_store, pending_journals
from ocpiwh.simulator import serve_in_thread

from .conftest import TOKEN, assert_matches_truth, cli, do_login, sim_config

ENV = {"OCPIWH_TOKEN": TOKEN}
SYNC = ("sync", "--lag", "0s", "--concurrency", "2", "--window-objects", "400")
"""Small sub-windows and batches: every point below is reached several times per sync."""


def _raw_rows(root: Path) -> Counter[tuple[Any, ...]]:
    """Every committed raw row as (module, key, last_updated): duplicates count."""
    store = open_store(root)
    rows: Counter[tuple[Any, ...]] = Counter()
    con = duckdb.connect()
    try:
        for module in ("locations", "sessions", "cdrs", "tariffs", "tokens"):
            files = committed_files(store, f"raw/{module}/")
            if not files:
                continue
            listing = ", ".join(f"'{root / f}'" for f in files)
            # token uids are pseudonyms under each warehouse's own key: compare the rest
            key = "NULL" if module == "tokens" else "id"
            for row in con.execute(
                f"SELECT country_code, party_id, {key}, last_updated FROM "
                f"read_parquet([{listing}], union_by_name = true)"
            ).fetchall():
                rows[(module, *row)] += 1
    finally:
        con.close()
    return rows


def _files_on_disk(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for top in ("raw", "quarantine")
        for p in (root / top).rglob("*.parquet")
    }


def _assert_clean_lake(root: Path) -> None:
    """No journal, nothing staged, and every file on disk is one a manifest lists."""
    store = open_store(root)
    assert not pending_journals(store)
    assert not list((root / "staging").rglob("*.parquet"))
    assert _files_on_disk(root) == set(committed_files(store, "raw/")) | set(
        committed_files(store, "quarantine/")
    )


def _sync_twice(root: Path, sim: Any, crash: str | None, phase: str) -> None:
    """A first sync, the clock moves an hour, an incremental sync; ``crash`` kills the
    ``phase`` one, which is then run again."""
    do_login(root, sim)
    for current in ("first", "incremental"):
        if current == "incremental":
            sim.advance(seconds=3600)
        if crash and current == phase:
            killed = cli(root, *SYNC, env={**ENV, "OCPIWH_CRASH_AT": crash})
            assert killed.returncode == -signal.SIGKILL, (crash, killed.stderr)
            _assert_kill_landed(root, crash.partition(":")[0])
        done = cli(root, *SYNC, env=ENV)
        assert done.returncode == 0, done.stderr


def _assert_kill_landed(root: Path, point: str) -> None:
    """The process died where the point says: a batch published but not committed, a
    manifest written but its journal left, … (modules run in parallel: the others may be
    anywhere)."""
    store = open_store(root)
    listed = set(committed_files(store, ""))
    journals = [j for j in pending_journals(store) if j.get("files")]
    committed = [j for j in journals if set(j["files"]) <= listed]
    uncommitted = [j for j in journals if not set(j["files"]) <= listed]
    if point in ("uploaded", "published"):
        assert uncommitted, f"{point}: no uncommitted batch at the kill"
        on_disk = _files_on_disk(root)
        assert any(set(j["files"]) & on_disk for j in uncommitted)
    elif point == "staged":
        assert list((root / "staging").rglob("*.parquet")), "staged: nothing in staging"
    elif point == "committed":
        assert committed, "committed: no batch both listed and still journaled"


CFG = sim_config(max_limit=100)


@pytest.fixture(scope="module")
def clean_rows(tmp_path_factory: pytest.TempPathFactory) -> Counter[tuple[Any, ...]]:
    """The raw rows of one clean first + incremental sync of the platform of these tests."""
    clean = tmp_path_factory.mktemp("clean") / "data"
    with serve_in_thread(CFG) as sim:
        _sync_twice(clean, sim, None, "first")
    return _raw_rows(clean)


@pytest.mark.parametrize(
    ("phase", "point"),
    [
        ("first", "staged:2"),
        ("first", "uploaded:1"),
        ("first", "published:2"),
        ("first", "committed:3"),
        ("incremental", "page:2"),
        ("incremental", "published:1"),
        ("incremental", "committed:1"),
    ],
)
def test_kill_at_point_then_rerun_equals_one_clean_sync(
    root: Path, clean_rows: Counter[tuple[Any, ...]], point: str, phase: str
) -> None:
    with serve_in_thread(CFG) as sim:  # the same platform, the same instants
        _sync_twice(root, sim, point, phase)
        assert_matches_truth(root, sim, "2.3.0")
    _assert_clean_lake(root)
    # nothing lost, nothing duplicated: the very rows of a clean sync (per version)
    assert _raw_rows(root) == clean_rows
