"""Fixtures for push tests: a warehouse synced once from the simulator (fresh data: the API
refuses old statuses), copied per test; the QualiCharge stand-in on loopback; helpers that
compute what the server should end holding from the exported rows, independently of the
push code."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ocpiwh.export import export
from ocpiwh.login import login
from ocpiwh.ocpi import RetryPolicy
from ocpiwh.push import Credentials, Ledger, QualiChargeClient
from ocpiwh.push import RetryPolicy as PushRetry
from ocpiwh.push.standin import StandIn, serve_standin
from ocpiwh.simulator import SimConfig, serve_in_thread
from ocpiwh.sync.engine import SyncOptions, sync
from tests.export.test_export import IRVE_TOML
from tests.sync.conftest import cli

TOKEN = "test-token-Zq9"
USER, PASSWORD = "operator-7", "pw-Secret-93kd"
FAST = RetryPolicy(max_attempts=12, base_delay=0.001, max_delay=0.01, max_total=60.0)
MODELS = {
    "statique": "irve_statique",
    "statuses": "irve_dynamique_events",
    "sessions": "qualicharge_sessions",
}


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse synced from the simulator, its data stamped within the last hours."""
    base = tmp_path_factory.mktemp("push-template")
    root = base / "data"
    old = os.environ.get("OCPIWH_CONFIG_DIR")
    os.environ["OCPIWH_CONFIG_DIR"] = str(base / "config")
    try:
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=8)
        cfg = SimConfig(
            seed=11,
            locations=20,
            sessions=300,
            token=TOKEN,
            clean=True,
            start=start,
            max_limit=200,
        )
        with serve_in_thread(cfg) as sim:
            login(root, sim.versions_url, TOKEN, retry=FAST)
            with (root / "ocpiwh.toml").open("a") as fh:
                fh.write(IRVE_TOML)
            results = sync(root, options=SyncOptions(lag=timedelta(0), retry=FAST))
            assert all(r.ok for r in results)
    finally:
        if old is None:
            os.environ.pop("OCPIWH_CONFIG_DIR", None)
        else:
            os.environ["OCPIWH_CONFIG_DIR"] = old
    return root


@pytest.fixture
def root(template: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(template, dst)
    return dst


def make_standin() -> StandIn:
    return StandIn({USER: PASSWORD}, max_status_age=timedelta(days=30))


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with serve_standin(make_standin()) as si:
        yield si


def client_for(si: StandIn, sleeps: list[float] | None = None) -> QualiChargeClient:
    record = sleeps if sleeps is not None else []
    return QualiChargeClient(
        Credentials(si.url, USER, PASSWORD),
        retry=PushRetry(max_attempts=8, base_delay=0.001, max_delay=2.0, max_total=30.0),
        sleep=record.append,
    )


def exported(root: Path | str, tmp: Path) -> dict[str, list[dict[str, Any]]]:
    """The rows `ocpiwh export` writes for each kind (what a push should deliver)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, model in MODELS.items():
        path = tmp / f"expected-{kind}.jsonl"
        export(root, model, path, "jsonl")
        out[kind] = [orjson.loads(line) for line in path.read_bytes().splitlines() if line]
    return out


def canon(row: dict[str, Any]) -> bytes:
    return orjson.dumps({k: v for k, v in row.items() if k != "id"}, option=orjson.OPT_SORT_KEYS)


def expected_on_server(rows: dict[str, list[dict[str, Any]]]) -> dict[str, Counter[bytes]]:
    """Every exported row once, but statuses and sessions only of declared points (the API
    answers 404 for the others)."""
    declared = {r["id_pdc_itinerance"] for r in rows["statique"]}
    return {
        kind: Counter(
            canon(r) for r in rs if kind == "statique" or r["id_pdc_itinerance"] in declared
        )
        for kind, rs in rows.items()
    }


def held(si: StandIn) -> dict[str, Counter[bytes]]:
    with si.lock:
        return {
            "statique": Counter(canon(r) for r in si.statique.values()),
            "statuses": Counter(canon(r) for r in si.statuses),
            "sessions": Counter(canon(r) for r in si.sessions),
        }


def api_env(si: StandIn) -> dict[str, str]:
    return {
        "OCPIWH_QUALICHARGE_URL": si.url,
        "OCPIWH_QUALICHARGE_USER": USER,
        "OCPIWH_QUALICHARGE_PASSWORD": PASSWORD,
    }


def stored(si: StandIn) -> Counter[bytes]:
    """Every row the server stored, once per request that stored it."""
    return Counter(
        canon(row)
        for r in si.api_requests()
        if r.method in ("POST", "PUT") and r.status in (200, 201)
        for row in r.rows or []
    )


def killed_at(root: Path, crash: str, env: dict[str, str], *args: str) -> set[str]:
    """Run ``ocpiwh ARGS`` SIGKILLed at crash point ``crash`` (``name:n``); returns the kinds
    its push ledger left in flight."""
    killed = cli(root, *args, env={**env, "OCPIWH_CRASH_AT": crash})
    assert killed.returncode == -9, killed.stderr
    ledger = Ledger(root / "state" / "push" / "qualicharge")
    try:
        return {k for k in MODELS if ledger.in_flight(k)}
    finally:
        ledger.close()
