"""The lake on an S3-compatible object store: sync, views, SQL, models and export work as on a
local disk, and the manifest commit keeps the local-disk guarantees (a killed sync rerun
equals one clean sync; a reader never sees a half or uncommitted batch)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sync.conftest import (
    TOKEN,
    assert_matches_truth,
    cli,
    do_login,
    run_sync,
    sim_config,
)

from ocpiwh import warehouse
from ocpiwh.export import export
from ocpiwh.lake import committed_files, compaction, manifests, open_store, recover
from ocpiwh.simulator import Dirt, Faults, serve_in_thread

from .conftest import committed, lake_objects

pytestmark = pytest.mark.objectstore


def _no_strays(s3root: str) -> None:
    """Every data object is published by a manifest; no journal, no local staging left."""
    store = open_store(s3root)
    assert lake_objects(s3root) == committed(s3root)
    assert not store.list("state/journal/")
    assert not list(store.staging().rglob("*")) if store.staging().exists() else True


@pytest.mark.parametrize("version", ["2.1.1", "2.3.0"])
def test_sync_to_object_store_equals_truth(s3root: str, version: str, tmp_path: Path) -> None:
    with serve_in_thread(sim_config()) as sim:
        do_login(s3root, sim, version)
        first = run_sync(s3root)
        assert_matches_truth(s3root, sim, version)
        keys = warehouse.query(s3root, "SELECT count(*) FROM sessions").column(0)[0].as_py()
        assert [m.new for m in first[0].modules if m.module == "sessions"] == [keys]
        _no_strays(s3root)
        sim.advance(hours=6)  # incremental: only the changes are fetched
        results = run_sync(s3root)
        assert_matches_truth(s3root, sim, version)
        _no_strays(s3root)
        assert sum(m.fetched for r in results for m in r.modules) < 1500
        assert sum(m.new + m.updated for r in results for m in r.modules) > 0


def test_cli_sql_models_export_status_on_object_store(s3root: str, tmp_path: Path) -> None:
    with serve_in_thread(sim_config()) as sim:
        do_login(s3root, sim)
        env = {"OCPIWH_TOKEN": TOKEN}
        done = cli(s3root, "sync", "--lag", "0s", env=env)
        assert done.returncode == 0, done.stderr
        sql = cli(s3root, "sql", "SELECT count(*) AS n FROM sessions", "--format", "json")
        assert sql.returncode == 0, sql.stderr
        n_sessions = json.loads(sql.stdout)["n"]
        assert n_sessions > 1000
        model = cli(s3root, "models", "run", "energy_by_operator", "--format", "csv")
        assert model.returncode == 0, model.stderr
        assert model.stdout.count("\n") > 1
        status = cli(s3root, "status")
        assert status.returncode == 0, status.stderr
        assert s3root in status.stdout and TOKEN not in status.stdout
        # export reads the object store, writes the researcher's local file, with provenance
        out = tmp_path / "sessions.parquet"
        result = export(s3root, "sessions", out, "parquet", allow_pseudonymous=True)
        assert result.rows == n_sessions
        # the same rows as a local-disk lake of the same platform
        local = tmp_path / "local"
        do_login(local, sim)
        run_sync(local)
        q = "SELECT id, last_updated, kwh FROM sessions ORDER BY id"
        assert warehouse.query(s3root, q).equals(warehouse.query(local, q))
        check = cli(s3root, "check", "--fail-on", "none", "--json", "-")
        assert check.returncode == 0, check.stderr
        assert json.loads(check.stdout)
        shell = cli(s3root, "shell")
        assert shell.returncode == 2 and "object store" in shell.stderr


@pytest.mark.parametrize(
    "point", ["page:3", "staged:2", "uploaded:1", "published:2", "committed:1"]
)
def test_kill_then_rerun_equals_truth(s3root: str, point: str) -> None:
    with serve_in_thread(sim_config(max_limit=100)) as sim:
        do_login(s3root, sim)
        env = {"OCPIWH_TOKEN": TOKEN, "OCPIWH_CRASH_AT": point}
        killed = cli(s3root, "sync", "--lag", "0s", "--concurrency", "2", env=env)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        rerun = cli(s3root, "sync", "--lag", "0s", env={"OCPIWH_TOKEN": TOKEN})
        assert rerun.returncode == 0, rerun.stderr
        assert_matches_truth(s3root, sim, "2.3.0")
        _no_strays(s3root)


def test_kill_at_random_instants_then_rerun_equals_truth(
    s3root: str, s3_env: dict[str, str]
) -> None:
    """SIGKILL at arbitrary moments (mid-request, mid-upload, mid-commit)."""
    faults = Faults(latency_ms=5)
    with serve_in_thread(
        sim_config(faults=faults, max_limit=50, sessions=3000, clean=False, dirt=Dirt.off())
    ) as sim:
        do_login(s3root, sim)
        cmd = [sys.executable, "-m", "ocpiwh", "--warehouse", s3root, "-q", "sync", "--lag", "0s"]
        for delay in (0.8, 1.5, 2.2):
            proc = subprocess.Popen(
                cmd,
                env={**os.environ, "OCPIWH_TOKEN": TOKEN},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        done = cli(s3root, "sync", "--lag", "0s", env={"OCPIWH_TOKEN": TOKEN})
        assert done.returncode == 0, done.stderr
        assert_matches_truth(s3root, sim, "2.3.0")
        _no_strays(s3root)
        before = lake_objects(s3root)
        again = cli(s3root, "sync", "--lag", "0s", env={"OCPIWH_TOKEN": TOKEN})
        assert again.returncode == 0
        assert lake_objects(s3root) == before  # nothing new to fetch: no new object


def test_reader_never_sees_an_uncommitted_batch(s3root: str) -> None:
    """Killed after its objects were uploaded but before the manifest listed them: the
    objects are in the bucket, the views do not read them; recovery deletes them."""
    with serve_in_thread(sim_config(max_limit=100)) as sim:
        do_login(s3root, sim)
        run_sync(s3root, modules=["sessions"])
        sim.advance(hours=6)
        env = {"OCPIWH_TOKEN": TOKEN, "OCPIWH_CRASH_AT": "published:1"}
        killed = cli(s3root, "sync", "--lag", "0s", "-m", "sessions", env=env)
        assert killed.returncode == -signal.SIGKILL
        uncommitted = lake_objects(s3root) - committed(s3root)
        assert uncommitted, "the crash left uploaded, uncommitted objects"
        seen = warehouse.query(s3root, "SELECT DISTINCT _batch_id FROM sessions_history")
        published = {_batch_of(f) for f in committed_files(open_store(s3root), "raw/sessions/")}
        assert set(seen.column(0).to_pylist()) == published
        assert not {_batch_of(f) for f in uncommitted} & published
        report = recover(s3root)
        assert report.rolled_back >= 1
        assert lake_objects(s3root) == committed(s3root)


def _batch_of(rel: str) -> str:
    match = re.search(r"part-(.+?)(?:-compacted)?\.parquet$", rel)
    assert match, rel
    return match.group(1)


def test_compaction_on_object_store_keeps_rows_and_is_crash_safe(s3root: str) -> None:
    with serve_in_thread(sim_config(max_limit=50, locations=12, sessions=500)) as sim:
        do_login(s3root, sim)
        run_sync(s3root, batch_rows=100, compact=False)  # many small files
        before = warehouse.query(s3root, "SELECT count(*) FROM sessions_history").to_pylist()
        files_before = len(lake_objects(s3root))
        # a compaction killed at its commit point's two sides is finished or undone
        for point in ("compact-journaled", "compacted"):
            killed = cli(s3root, "compact", "-m", "sessions", env={"OCPIWH_CRASH_AT": point})
            assert killed.returncode == -signal.SIGKILL
            recover(s3root)
            compaction.collect_garbage(s3root, grace=timedelta(0))  # no reader left
            assert lake_objects(s3root) == committed(s3root)
            assert (
                warehouse.query(s3root, "SELECT count(*) FROM sessions_history").to_pylist()
                == before
            )
        result = compaction.compact(s3root)
        assert result.files_after < result.files_before
        compaction.collect_garbage(s3root, grace=timedelta(0))  # no reader left
        assert len(lake_objects(s3root)) < files_before
        assert lake_objects(s3root) == committed(s3root)
        assert (
            warehouse.query(s3root, "SELECT count(*) FROM sessions_history").to_pylist() == before
        )
        assert_matches_truth(s3root, sim, "2.3.0")
        assert all(st.files for st in manifests(open_store(s3root)).values())


def test_object_store_errors_are_one_line(s3_env: dict[str, str], tmp_path: Path) -> None:
    missing = cli("s3://no-such-bucket/lake", "status")
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "no-such-bucket" in missing.stderr
    assert "Traceback" not in missing.stderr
