"""Push to QualiCharge from a lake on an S3-compatible store (a moto server): the ledger lives
in the per-user state folder keyed by the warehouse URL (SQLite cannot live in a bucket);
a rerun and a feed to QualiCharge find everything already sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sync.conftest import TOKEN

from ocpiwh.delivery import feeds
from ocpiwh.lake import open_store
from ocpiwh.login import login
from ocpiwh.paths import config_dir
from ocpiwh.push import push, status
from ocpiwh.push.standin import serve_standin
from ocpiwh.simulator import SimConfig, serve_in_thread
from ocpiwh.sync.engine import SyncOptions, sync
from tests.export.test_export import IRVE_TOML
from tests.push.conftest import (
    FAST,
    api_env,
    client_for,
    expected_on_server,
    exported,
    held,
    make_standin,
)

pytestmark = pytest.mark.objectstore


def test_push_from_a_lake_on_s3(
    s3root: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=8)
    cfg = SimConfig(
        seed=3, locations=8, sessions=80, token=TOKEN, clean=True, start=start, max_limit=200
    )
    with serve_in_thread(cfg) as sim:
        login(s3root, sim.versions_url, TOKEN, retry=FAST)
        store = open_store(s3root)
        store.write("ocpiwh.toml", (store.read("ocpiwh.toml") or b"") + IRVE_TOML.encode())
        assert all(r.ok for r in sync(s3root, options=SyncOptions(lag=timedelta(0), retry=FAST)))
    want = expected_on_server(exported(s3root, tmp_path))
    with serve_standin(make_standin()) as si:
        push(s3root, client_for(si))
        assert held(si) == want
        n = len(si.requests)
        again = push(s3root, client_for(si))
        assert all(k.unchanged == k.rows for k in again.kinds) and len(si.requests) == n

        # the ledger is on this machine, keyed by the warehouse URL, not in the bucket
        info = status(s3root)
        ledger = Path(info["ledger"])
        assert ledger.is_relative_to(config_dir() / "push") and ledger.exists()
        assert (ledger.parent / "warehouse.txt").read_text().strip() == store.url
        assert not store.list("state/push/")
        assert info["kinds"]["statique"]["accepted"] == len(want["statique"])

        # a feed to QualiCharge shares that ledger: its first delivery finds it all sent
        for name, value in api_env(si).items():
            monkeypatch.setenv(name, value)
        feeds.add(s3root, "qc", "irve_statique", "jsonl", "qualicharge")
        made = feeds.run(s3root, "qc", client=client_for(si))
        assert len(made) == 1 and len(si.requests) == n
        pushed = made[0].manifest["push"]
        assert pushed["sent"] == 0 and pushed["unchanged"] == len(want["statique"])
        assert feeds.deliveries(s3root, "qc")[0]["feed"]["sequence"] == 1
