"""Spark tests: one local[2] Spark session and one simulator-synced lake for the whole run.

Skipped, with the reason, when pyspark or Java is missing (``pip install pyspark``; Java 17+).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ocpiwh import warehouse
from ocpiwh.login import login
from ocpiwh.ocpi import RetryPolicy
from ocpiwh.simulator import SimConfig, serve_in_thread
from ocpiwh.sync.engine import SyncOptions, sync

TOKEN = "spark-token-7Q"
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FAST_RETRY = RetryPolicy(max_attempts=12, base_delay=0.001, max_delay=0.01, max_total=60.0)


def pytest_configure(config: pytest.Config) -> None:
    # also to be listed under [tool.pytest.ini_options] markers in pyproject.toml
    config.addinivalue_line("markers", "spark: runs on Apache Spark (pyspark, Java 17+)")


def _java_problem() -> str | None:
    java = shutil.which("java")
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").exists():
        java = str(Path(home, "bin", "java"))
    if java is None:
        return "Java is not installed (Spark needs Java 17 or later)"
    try:
        proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"java does not run: {exc}"
    if proc.returncode != 0:
        return f"java -version failed: {proc.stderr.strip()[:200]}"
    return None


def spark_unavailable() -> str | None:
    """Why Spark cannot run here (None: it can)."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install pyspark)"
    return _java_problem()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    reason = spark_unavailable()
    if reason:
        pytest.skip(reason)
    from ocpiwh.scaleout.spark import session

    # the test lakes hold a few thousand rows: one shuffle partition, not 8 (−5–10 % here)
    s = session("local[2]", "ocpiwh-tests", **{"spark.sql.shuffle.partitions": "1"})
    yield s
    s.stop()


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse synced twice from the clean simulator (so views have history)."""
    base = tmp_path_factory.mktemp("spark-lake")
    root = base / "data"
    cfg = SimConfig(
        seed=11, locations=12, sessions=600, token=TOKEN, clean=True, start=START, max_limit=200
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OCPIWH_CONFIG_DIR", str(base / "config"))
        mp.delenv("OCPIWH_TOKEN", raising=False)
        with serve_in_thread(cfg) as sim:
            login(root, sim.versions_url, TOKEN, retry=FAST_RETRY)
            opts = SyncOptions(lag=timedelta(0), retry=FAST_RETRY)
            for _ in range(2):
                for result in sync(root, options=opts):
                    assert result.ok, result.error
                sim.advance(hours=6)
    return root


@pytest.fixture(scope="session")
def duck(lake: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = warehouse.connect(lake)
    yield con
    con.close()


ELSEWHERE = "Asia/Kathmandu"
"""Session time zone of the comparisons: +05:45 moves every day, hour and week boundary, so
a compiled view or model that leaned on the session zone (``spark.sql.session.timeZone``)
would not return DuckDB's UTC rows."""


@pytest.fixture(scope="session")
def spark_views(spark: Any, lake: Path) -> Iterator[Any]:
    """The Spark session with the lake's views registered, its session time zone not UTC."""
    from ocpiwh.scaleout.spark import register_views

    register_views(spark, lake)
    spark.conf.set("spark.sql.session.timeZone", ELSEWHERE)
    yield spark
    spark.conf.set("spark.sql.session.timeZone", "UTC")
