"""afir_status as a feed: a full snapshot first, then deltas since the previous delivery,
a snapshot again after ``feed_full_every`` deltas, nothing within ``feed_min_interval_s``."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sync.conftest import do_login, run_sync, sim_config

from ocpiwh import afir
from ocpiwh.afir import cadence
from ocpiwh.afir.config import AfirConfig
from ocpiwh.delivery import feeds
from ocpiwh.errors import UsageError
from ocpiwh.simulator import serve_in_thread


@pytest.fixture
def sim() -> Iterator[Any]:
    with serve_in_thread(sim_config(locations=30, sessions=100)) as s:
        yield s


def test_feed_snapshot_then_deltas(tmp_path: Path, sim: Any) -> None:
    root, out = tmp_path / "data", tmp_path / "out"
    out.mkdir()
    do_login(root, sim)
    with (root / "ocpiwh.toml").open("a") as fh:
        fh.write("\n[afir]\nfeed_min_interval_s = 0.001\nfeed_full_every = 1\n")
    run_sync(root)
    feeds.add(root, "nap", "afir_status", "jsonl", str(out))
    kinds = []
    for _ in range(3):
        (delivery,) = feeds.run(root, "nap")
        assert delivery.file is not None and delivery.file.suffix == ".json"
        doc = orjson.loads(delivery.file.read_bytes())
        assert afir.validate_document("afir_status", doc) == []
        kinds.append(delivery.manifest["afir"]["publication"])
        sim.advance(minutes=15)
        run_sync(root)
    assert kinds == ["snapshot", "delta", "snapshot"]
    assert feeds.run(root, "nap") != []  # a sync happened: a delta again
    recorded = feeds.deliveries(root, "nap")
    assert [d["feed"]["sequence"] for d in recorded] == [1, 2, 3, 4]
    # each delta starts where the previous delivery's data ended
    for before, after in itertools.pairwise(recorded):
        if after["afir"]["publication"] == "delta":
            assert after["afir"]["since"] == before["afir"]["data_until"]
    with pytest.raises(UsageError, match="not rebuilt"):
        feeds.redeliver(root, "nap", "2")


def test_cadence_limits() -> None:
    cfg = AfirConfig(feed_min_interval_s=1, feed_full_every=3500, feed_full_every_h=6)
    now = datetime(2026, 4, 14, 12, tzinfo=UTC)

    def made(at: datetime, kind: str) -> dict[str, Any]:
        stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"afir": {"publication": kind, "publication_time": stamp, "data_until": stamp}}

    snap = made(now - timedelta(hours=1), "snapshot")
    assert cadence.plan("afir_status", [], cfg, now) == cadence.Plan(None, "first delivery")
    step = cadence.plan("afir_status", [snap], cfg, now)
    assert step is not None and step.since == snap["afir"]["data_until"]
    assert cadence.plan("afir_status", [made(now, "snapshot")], cfg, now) is None  # < 1 s
    old = made(now - timedelta(hours=6), "snapshot")
    assert cadence.plan("afir_status", [old], cfg, now) == cadence.Plan(
        None, "last snapshot older than 6 h"
    )
    many = [snap] + [made(now - timedelta(minutes=5), "delta")] * 3500
    step = cadence.plan("afir_status", many, cfg, now)
    assert step is not None and step.since is None
    step = cadence.plan("afir_table", [snap], cfg, now)
    assert step is not None and step.since is None
