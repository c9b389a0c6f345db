"""Kill the real `ocpiwh sync` process with SIGKILL at chosen points; a rerun must leave the
lake exactly as one clean sync would (views equal truth, no duplicate, no stray file)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ocpiwh.simulator import Dirt, Faults, serve_in_thread

from .conftest import TOKEN, assert_matches_truth, cli, do_login, sim_config


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in (root / "raw").rglob("*.parquet")}


@pytest.mark.parametrize(
    "point",
    ["page:3", "staged:2", "published:2", "committed:1", "committed:3"],
)
def test_kill_at_point_then_rerun_equals_truth(root: Path, point: str) -> None:
    with serve_in_thread(sim_config(max_limit=100)) as sim:
        do_login(root, sim)
        env = {"OCPIWH_TOKEN": TOKEN, "OCPIWH_CRASH_AT": point}
        killed = cli(root, "sync", "--lag", "0s", "--concurrency", "2", env=env)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        rerun = cli(root, "sync", "--lag", "0s", env={"OCPIWH_TOKEN": TOKEN})
        assert rerun.returncode == 0, rerun.stderr
        assert_matches_truth(root, sim, "2.3.0")
        assert not list((root / "staging").rglob("*.parquet"))
        assert not list((root / "state" / "journal").glob("*.json"))


def test_kill_at_random_instants(root: Path) -> None:
    """SIGKILL at arbitrary moments (mid-request, mid-write): the final state is exact."""
    faults = Faults(latency_ms=5)
    with serve_in_thread(
        sim_config(faults=faults, max_limit=50, sessions=3000, clean=False, dirt=Dirt.off())
    ) as sim:
        do_login(root, sim)
        for delay in (0.6, 1.1, 1.7):
            proc = subprocess.Popen(
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
                ],
                env={**__import__("os").environ, "OCPIWH_TOKEN": TOKEN},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        done = cli(root, "sync", "--lag", "0s", env={"OCPIWH_TOKEN": TOKEN})
        assert done.returncode == 0, done.stderr
        assert_matches_truth(root, sim, "2.3.0")
        before = _files(root)
        again = cli(root, "sync", "--lag", "0s", env={"OCPIWH_TOKEN": TOKEN})
        assert again.returncode == 0
        assert _files(root) == before  # nothing new to fetch: no new file


def test_clean_sync_file_count_unaffected_by_crash(root: Path, tmp_path: Path) -> None:
    """Rolled-back batches leave no file behind: after a crash + rerun the lake holds the
    same rows as a clean sync of the same platform."""
    with serve_in_thread(sim_config(max_limit=100)) as sim:
        clean_root = tmp_path / "clean"
        do_login(clean_root, sim)
        assert cli(clean_root, "sync", "--lag", "0s", env={"OCPIWH_TOKEN": TOKEN}).returncode == 0
        do_login(root, sim)
        env = {"OCPIWH_TOKEN": TOKEN, "OCPIWH_CRASH_AT": "published:3"}
        assert cli(root, "sync", "--lag", "0s", env=env).returncode == -signal.SIGKILL
        assert cli(root, "sync", "--lag", "0s", env={"OCPIWH_TOKEN": TOKEN}).returncode == 0
        count = "SELECT count(*) FROM read_parquet('{}/raw/**/*.parquet', union_by_name=true)"
        import duckdb

        a = duckdb.sql(count.format(clean_root)).fetchall()
        b = duckdb.sql(count.format(root)).fetchall()
        assert a == b
