"""Readers see only committed data: a reader polling `sql` and `export` while a sync writes
(and is then killed mid-window) never sees a row of a batch that was not committed, and an
export's `synced_until` always covers the rows it wrote."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ocpiwh import warehouse
from ocpiwh.export import export
from ocpiwh.lake import StateStore
from ocpiwh.ocpi import parse_ocpi_datetime
from ocpiwh.simulator import Faults, serve_in_thread

from .conftest import TOKEN, assert_matches_truth, cli, do_login, sim_config


def _poll(root: Path, out: Path, seen: list[dict[str, Any]], stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        try:
            batches = warehouse.query(root, "SELECT DISTINCT _batch_id FROM sessions_history")
            result = export(
                root, "sessions", out / f"s{n}.parquet", fmt="parquet", allow_pseudonymous=True
            )
        except Exception as exc:  # a reader must never fail because a writer is busy
            seen.append({"error": repr(exc)})
            return
        table = pq.read_table(result.out, columns=["last_updated"])
        latest = max((v for v in table.column(0).to_pylist() if v is not None), default=None)
        until = result.manifest["sources"][0]["synced_until"].get("sessions")
        seen.append(
            {
                "batches": set(batches.column(0).to_pylist()),
                "rows": result.rows,
                "latest": latest,
                "synced_until": parse_ocpi_datetime(until) if until else None,
            }
        )


def test_readers_during_a_sync_see_only_committed_batches(root: Path, tmp_path: Path) -> None:
    cfg = sim_config(sessions=20_000, max_limit=200, faults=Faults(latency_ms=10))
    with serve_in_thread(cfg) as sim:
        do_login(root, sim)
        # a first small sync so the readers have a warehouse from the start
        assert (
            cli(
                root, "sync", "--lag", "0s", "-m", "locations", env={"OCPIWH_TOKEN": TOKEN}
            ).returncode
            == 0
        )
        seen: list[dict[str, Any]] = []
        stop = threading.Event()
        out = tmp_path / "exports"
        out.mkdir()
        reader = threading.Thread(target=_poll, args=(root, out, seen, stop))
        reader.start()
        try:
            # sub-windows of 2,000 sessions, killed in the middle of one (published, not
            # committed): its files are in raw/ when the process dies
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ocpiwh",
                    "--warehouse",
                    str(root),
                    "-q",
                    "sync",
                    "--lag",
                    "0s",
                    "-m",
                    "sessions",
                    "--window-objects",
                    "2000",
                    "--concurrency",
                    "2",
                    "--page-limit",
                    "200",
                ],
                env={**os.environ, "OCPIWH_TOKEN": TOKEN, "OCPIWH_CRASH_AT": "published:7"},
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert proc.returncode == -signal.SIGKILL, proc.stderr
            # the kill left published batches that no manifest lists
            listed = set(StateStore(root, "default").load("sessions").files or [])
            on_disk = {
                p.relative_to(root).as_posix()
                for p in (root / "raw" / "sessions").rglob("*.parquet")
            }
            uncommitted = on_disk - listed
            assert uncommitted, "the kill did not land mid-window"
            polls_during = len(seen)
            # readers keep reading after the kill, before any recovery
            deadline = polls_during + 2
            while len(seen) < deadline and not any("error" in s for s in seen):
                stop.wait(0.1)
        finally:
            stop.set()
            reader.join(timeout=120)
        errors = [s["error"] for s in seen if "error" in s]
        assert not errors, errors[0]
        assert polls_during >= 3, "the reader did not poll during the sync"
        committed = {b["batch_id"] for b in StateStore(root, "default").batches()}
        orphans = {Path(f).name.split("part-")[1].rsplit(".", 1)[0] for f in uncommitted}
        for s in seen:
            assert s["batches"] <= committed, s["batches"] - committed
            assert not (s["batches"] & orphans)
            if s["rows"]:
                assert s["synced_until"] is not None
                latest: datetime = s["latest"]
                assert latest < s["synced_until"], (latest, s["synced_until"])
            else:
                assert s["latest"] is None
        # the rerun recovers (the orphans go) and completes the window exactly
        rerun = cli(root, "sync", "--lag", "0s", env={"OCPIWH_TOKEN": TOKEN})
        assert rerun.returncode == 0, rerun.stderr
        assert not any((root / f).exists() for f in uncommitted)
        assert_matches_truth(root, sim, "2.3.0")
