"""Fixtures for end-to-end sync tests: the bundled simulator over loopback HTTP, a fresh
warehouse and private config folder per test, and helpers comparing the lake with the
simulator's ground truth through the real DuckDB views."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ocpiwh import warehouse
from ocpiwh.login import login
from ocpiwh.ocpi import RetryPolicy, parse_ocpi_datetime
from ocpiwh.simulator import SimConfig, serve_in_thread
from ocpiwh.sync.engine import SourceResult, SyncOptions, sync

TOKEN = "test-token-Zq9"
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FAST_RETRY = RetryPolicy(max_attempts=12, base_delay=0.001, max_delay=0.01, max_total=60.0)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "data"


def sim_config(**kw: Any) -> SimConfig:
    base: dict[str, Any] = dict(
        seed=7, locations=25, sessions=1500, token=TOKEN, clean=True, start=START, max_limit=200
    )
    base.update(kw)
    return SimConfig(**base)


@pytest.fixture
def simulator() -> Iterator[Any]:
    with serve_in_thread(sim_config()) as sim:
        yield sim


def do_login(root: Path, sim: Any, version: str | None = None) -> None:
    login(root, sim.versions_url, TOKEN, version=version, retry=FAST_RETRY)


def run_sync(root: Path, **kw: Any) -> list[SourceResult]:
    opts = SyncOptions(lag=timedelta(0), retry=FAST_RETRY, **kw)
    results = sync(root, options=opts)
    for r in results:
        assert r.ok, (r.error, [m.error for m in r.modules])
    return results


def fetched(results: list[SourceResult], module: str) -> int:
    return sum(m.fetched for r in results for m in r.modules if m.module == module)


def _key(obj: dict[str, Any], platform: tuple[str, str]) -> tuple[str, str, str]:
    return (
        obj.get("country_code") or platform[0],
        obj.get("party_id") or platform[1],
        str(obj["id"]),
    )


def truth_versions(sim: Any, module: str, version: str) -> dict[tuple[str, str, str], datetime]:
    cc, pid = sim.summary()["platform_party"].split("*")
    out = {}
    for obj in sim.truth(module, version):
        lu = parse_ocpi_datetime(obj["last_updated"])
        assert lu is not None
        out[_key(obj, (cc, pid))] = lu
    return out


def lake_versions(root: Path, module: str) -> list[tuple[tuple[str, str, str], datetime]]:
    con = warehouse.connect(root)
    try:
        rows = con.execute(
            f"SELECT country_code, party_id, id, last_updated FROM {module}"
        ).fetchall()
    finally:
        con.close()
    return [((r[0], r[1], r[2]), r[3]) for r in rows]


def assert_matches_truth(
    root: Path,
    sim: Any,
    version: str,
    modules: tuple[str, ...] = ("locations", "sessions", "cdrs", "tariffs"),
) -> None:
    """Every key once in the views, with the truth's latest last_updated; kWh per party equal.

    With lag 0 the sync window ends at the platform's *now*, exclusive (OCPI ``date_to``):
    an object stamped exactly *now* belongs to the next window, so it is left out here.
    """
    now = sim.now()
    summary = sim.summary()
    cc, pid = summary["platform_party"].split("*")
    platform = (cc, pid)
    left_out: dict[str, set[tuple[str, str, str]]] = {}
    for module in modules:
        lake = lake_versions(root, module)
        dupes = [k for k, n in Counter(k for k, _ in lake).items() if n > 1]
        assert not dupes, f"{module}: duplicated keys in the view: {dupes[:3]}"
        truth = truth_versions(sim, module, version)
        pending = {k for k, lu in truth.items() if lu >= now}
        assert len(pending) <= max(2, len(truth) // 50), f"{module}: {len(pending)} at now"
        left_out[module] = pending
        got = {k: v for k, v in lake if k not in pending}
        truth = {k: v for k, v in truth.items() if k not in pending}
        assert set(got) == set(truth), (
            f"{module}: missing {sorted(set(truth) - set(got))[:3]}, "
            f"extra {sorted(set(got) - set(truth))[:3]}"
        )
        stale = [k for k in truth if got[k] != truth[k]]
        assert not stale, f"{module}: stale versions {stale[:3]}"
    con = warehouse.connect(root)
    try:
        for module, col in (("sessions", "kwh"), ("cdrs", "total_energy")):
            if module not in modules:
                continue
            pending = left_out[module]
            rows = con.execute(f"SELECT country_code, party_id, id, {col} FROM {module}").fetchall()
            got_sum: Counter[str] = Counter()
            for c, p, oid, kwh in rows:
                if (c, p, oid) not in pending:
                    got_sum[f"{c}*{p}"] += kwh or 0.0
            # The summary counts the objects stamped at *now* too: take their energy off, as
            # served (once per key: a duplicate listing serves an object twice).
            want_sum: Counter[str] = Counter(summary["kwh"][module])
            malformed = {i for ids in summary["malformed"][module].values() for i in ids}
            seen: set[tuple[str, str, str]] = set()
            for obj in sim.truth(module, version):
                if not isinstance(obj, dict) or obj.get("id") in malformed:
                    continue
                key = _key(obj, platform)
                if key in pending and key not in seen:
                    seen.add(key)
                    want_sum[f"{key[0]}*{key[1]}"] -= float(obj.get(col) or 0)
            got_kwh = {k: round(v, 3) for k, v in got_sum.items()}
            want = {k: round(v, 3) for k, v in want_sum.items()}
            if version == "2.1.1":  # 2.1.1 objects carry no party: all are the platform's
                assert sum(got_kwh.values()) == pytest.approx(sum(want.values()), abs=0.01)
            else:
                assert got_kwh == pytest.approx(want, abs=0.01), module
    finally:
        con.close()


def cli(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real ``ocpiwh`` command in a subprocess (fresh interpreter, real exit code)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ocpiwh", "--warehouse", str(root), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
