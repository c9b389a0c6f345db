"""Compaction merges small files without changing what any view returns, atomically."""

from __future__ import annotations

import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ocpiwh import warehouse
from ocpiwh.errors import OcpiwhError
from ocpiwh.lake import collect_garbage, committed_files, compact, open_store, warehouse_lock
from ocpiwh.simulator import serve_in_thread

from .conftest import TOKEN, assert_matches_truth, cli, do_login, run_sync, sim_config

VIEWS = (
    "locations",
    "sessions",
    "cdrs",
    "tariffs",
    "tokens",
    "sessions_history",
    "locations_history",
    "evse_status_events",
    "quarantine",
)


def _snapshot(root: Path) -> dict[str, list[tuple[object, ...]]]:
    con = warehouse.connect(root)
    try:
        out = {}
        for v in VIEWS:
            cols = [c for c, _ in warehouse.describe_view(con, v) if c not in ("_batch_id",)]
            quoted = ", ".join(f'"{c}"' for c in cols)
            out[v] = sorted(
                map(tuple, con.execute(f"SELECT {quoted} FROM {v}").fetchall()), key=repr
            )
        return out
    finally:
        con.close()


def _files(root: Path) -> list[Path]:
    return sorted((root / "raw").rglob("*.parquet"))


def _lake_with_many_files(root: Path, sim: object) -> None:
    do_login(root, sim)
    run_sync(root, compact=False, batch_rows=300)
    for _ in range(3):
        sim.advance(seconds=3600)  # type: ignore[attr-defined]
        run_sync(root, compact=False, batch_rows=300)


def test_compact_keeps_every_row_and_view(root: Path) -> None:
    with serve_in_thread(sim_config()) as sim:
        _lake_with_many_files(root, sim)
        before, files_before = _snapshot(root), _files(root)
        result = compact(root)
        assert result.partitions > 0 and result.files_after < result.files_before
        # the manifests swap at once; the replaced files stay for readers that listed them
        listed = committed_files(open_store(root), "raw/")
        assert len(listed) < len(files_before) and len(_files(root)) > len(listed)
        assert _snapshot(root) == before
        assert collect_garbage(root, grace=timedelta(minutes=5)) == 0  # too recent
        assert collect_garbage(root, grace=timedelta(0)) > 0
        assert sorted(str(f.relative_to(root)) for f in _files(root)) == listed
        leaves = {f.parent for f in _files(root)}
        assert all(len(list(leaf.glob("*.parquet"))) == 1 for leaf in leaves)
        # _batch_id is kept per row: the views return exactly the same rows
        assert _snapshot(root) == before
        assert_matches_truth(root, sim, "2.3.0")


@pytest.mark.parametrize("point", ["compact-journaled:2", "compacted:2"])
def test_compaction_killed_midway_is_finished_or_undone(root: Path, point: str) -> None:
    with serve_in_thread(sim_config()) as sim:
        _lake_with_many_files(root, sim)
        before = _snapshot(root)
        rows_before = sum(1 for _ in _files(root))
        killed = cli(root, "compact", env={"OCPIWH_CRASH_AT": point, "OCPIWH_TOKEN": TOKEN})
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        # the next command that writes (sync) finishes or undoes the compaction first
        again = cli(root, "sync", "--lag", "0s", env={"OCPIWH_TOKEN": TOKEN})
        assert again.returncode == 0, again.stderr
        assert not list((root / "state" / "journal").glob("*.json"))
        assert not list((root / "staging").rglob("*.parquet"))
        assert _snapshot(root) == before
        assert rows_before >= 1


def test_second_writer_is_refused_with_one_line(root: Path) -> None:
    root.mkdir(parents=True)
    with warehouse_lock(root), pytest.raises(OcpiwhError, match="busy"), warehouse_lock(root):
        pass


def test_compaction_over_its_memory_cap_merges_halves_and_never_fails(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group DuckDB cannot merge within its cap is merged as halves; a pair that still does
    not fit is left as it is. Every row stays, and nothing is left in staging."""
    import duckdb

    from ocpiwh.lake import compaction

    real_merge = compaction._merge

    def capped(store: Any, part: Any, files: list[str]) -> int:
        if len(files) > 3:
            raise duckdb.OutOfMemoryException("Out of Memory Error: simulated")
        return real_merge(store, part, files)

    monkeypatch.setattr(compaction, "_merge", capped)
    with serve_in_thread(sim_config()) as sim:
        _lake_with_many_files(root, sim)
        before = _snapshot(root)
        result = compaction.compact(root)
        assert result.files_before > result.files_after >= 1
        assert all(d["files"] <= 3 for d in result.details)
        assert _snapshot(root) == before
        assert not list((root / "staging").rglob("*.parquet"))


def test_the_typing_engine_is_released_only_when_no_batch_uses_it() -> None:
    """Compaction opens its own DuckDB after a sync: the typing instance's buffer pool is
    returned first, but never from under a writer that still holds a cursor on it."""
    from ocpiwh.lake import engine as writer

    first = writer.Normalizer()
    second = writer.Normalizer()
    engine = writer._engine
    assert engine is not None
    writer.release_engine()
    assert writer._engine is engine  # two writers still type batches
    first.close()
    first.close()  # closing twice is harmless and counts once
    writer.release_engine()
    assert writer._engine is engine
    assert second.con.execute("SELECT 42").fetchall() == [(42,)]
    second.close()
    writer.release_engine()
    assert writer._engine is None
    third = writer.Normalizer()  # the next sync opens a fresh one
    assert third.con.execute("SELECT ocpi_str(' x ')").fetchall()[0][0] is not None
    third.close()
