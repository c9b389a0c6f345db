"""Faults (429, 503, drop, latency, update-while-paging), clock, determinism, scale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest

from ocpiwh.simulator import Faults, SimConfig, serve_in_thread

from .conftest import START, Ocpi, auth_header


def _cfg(**faults: float) -> SimConfig:
    return SimConfig(
        seed=2, sessions=300, locations=10, clean=False, start=START, faults=Faults(**faults)
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rate", "status", "ocpi"), [("rate_429", 429, 2000), ("rate_503", 503, 3000)]
)
def test_throttle_and_unavailable(rate: str, status: int, ocpi: int) -> None:
    with serve_in_thread(_cfg(**{rate: 1.0, "retry_after_s": 7})) as sim:
        r = httpx.get(sim.versions_url, headers=auth_header(None))
        assert r.status_code == status
        assert r.headers["Retry-After"] == "7"
        assert r.json()["status_code"] == ocpi
        assert sim.stats()["faults"][str(status)] == 1


def test_partial_fault_rates_are_deterministic() -> None:
    def run() -> list[int]:
        with serve_in_thread(_cfg(rate_429=0.2, rate_503=0.2)) as sim, httpx.Client() as c:
            return [
                c.get(sim.versions_url, headers=auth_header(None)).status_code for _ in range(60)
            ]

    a, b = run(), run()
    assert a == b
    assert {200, 429, 503} == set(a)


def test_dropped_connection() -> None:
    with serve_in_thread(_cfg(rate_drop=1.0)) as sim:
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(sim.versions_url, headers=auth_header(None))
        assert sim.stats()["faults"]["drop"] == 1


def test_latency() -> None:
    with serve_in_thread(_cfg(latency_ms=150)) as sim:
        t = time.monotonic()
        assert httpx.get(sim.versions_url, headers=auth_header(None)).status_code == 200
        assert time.monotonic() - t >= 0.15


def test_update_while_paging_shrinks_frozen_window() -> None:
    cfg = SimConfig(seed=2, sessions=500, locations=10, clean=False, start=START,
                    faults=Faults(rate_update_while_paging=1.0))  # fmt: skip
    with serve_in_thread(cfg) as sim:
        c = Ocpi(sim)
        url = c.endpoints("2.2.1")["sessions"]
        window = {
            "date_from": "2000-01-01T00:00:00Z",
            "date_to": "2024-03-01T11:00:00Z",
            "limit": 50,
        }
        totals = []
        first_page = orjson.loads(c.get(url, "2.2.1", **window).content)["data"]
        totals.append(int(c.get(url, "2.2.1", **window).headers["X-Total-Count"]))
        totals.append(int(c.get(url, "2.2.1", **window).headers["X-Total-Count"]))
        assert totals[1] < totals[0]
        assert sim.stats()["faults"]["update_while_paging"] >= 2
        truth = {s["id"]: s for s in sim.truth("sessions")}
        bumped = [s for s in first_page if truth[s["id"]]["last_updated"] != s["last_updated"]]
        assert bumped and all(
            truth[s["id"]]["last_updated"] == "2024-03-01T12:00:00Z" for s in bumped
        )
        # the bumped objects are served in the next window
        later = c.all("2.2.1", "sessions", date_from="2024-03-01T12:00:00Z")
        assert {s["id"] for s in bumped} <= {s["id"] for s in later}


def test_advance_creates_sessions_cdrs_and_status_changes(fresh_sim) -> None:
    sim = fresh_sim
    c = Ocpi(sim)
    before = sim.summary()
    locs0 = {lo["id"]: lo for lo in sim.truth("locations")}
    t0 = sim.now()
    assert t0 == START
    sim.advance(seconds=6 * 3600)
    assert sim.now() == START + timedelta(hours=6)
    after = sim.summary()
    assert after["counts"]["sessions"] > before["counts"]["sessions"]
    assert after["counts"]["cdrs"] > before["counts"]["cdrs"]
    new = c.all("2.2.1", "sessions", date_from="2024-03-01T12:00:00Z")
    assert new and all(
        "2024-03-01T12:00:00Z" <= s["last_updated"] <= "2024-03-01T18:00:00Z" for s in new
    )
    assert any(s["status"] == "COMPLETED" for s in new)
    new_cdrs = c.all("2.2.1", "cdrs", date_from="2024-03-01T12:00:00Z")
    assert new_cdrs
    locs1 = {lo["id"]: lo for lo in sim.truth("locations")}
    changed = [k for k in locs0 if locs0[k]["last_updated"] != locs1[k]["last_updated"]]
    assert changed
    statuses0 = {e["uid"]: e["status"] for lo in locs0.values() for e in lo["evses"]}
    evses1 = {e["uid"]: e for lo in locs1.values() for e in lo["evses"]}
    flipped = [u for u in statuses0 if evses1[u]["status"] != statuses0[u]]
    assert flipped
    for u in flipped:
        assert evses1[u]["last_updated"] > "2024-03-01T12:00:00Z"
    assert "CHARGING" in {e["status"] for e in evses1.values()} | set(statuses0.values())
    env = orjson.loads(c.get(c.endpoints("2.2.1")["tariffs"], "2.2.1").content)
    assert env["timestamp"] == "2024-03-01T18:00:00Z"
    # admin advance works too
    r = httpx.post(sim.base_url + "/admin/advance", params={"seconds": 60})
    assert r.json()["data"]["now"] == "2024-03-01T18:01:00Z"


def test_charging_evses_match_running_sessions(fresh_sim) -> None:
    sim = fresh_sim
    running = {s["evse_uid"] for s in sim.truth("sessions") if s["status"] == "ACTIVE"}
    evses = {e["uid"]: e["status"] for lo in sim.truth("locations") for e in lo["evses"]}
    assert running
    assert all(evses[u] == "CHARGING" for u in running)
    assert {u for u, s in evses.items() if s == "CHARGING"} == running


def test_clock_offset_and_tick() -> None:
    with serve_in_thread(SimConfig(sessions=20, clean=True, clock_offset_s=-3 * 3600)) as sim:
        real = datetime.now(UTC)
        delta = (real - sim.now()).total_seconds()
        assert 3 * 3600 - 5 <= delta <= 3 * 3600 + 65
        assert sim.now().second == 0  # floored to the minute
    with serve_in_thread(SimConfig(sessions=20, clean=True, tick=True, start=START)) as sim:
        time.sleep(1.2)
        assert sim.now() >= START + timedelta(seconds=1)


def test_same_seed_same_bytes() -> None:
    def run(seed: int) -> list[bytes]:
        cfg = SimConfig(seed=seed, sessions=800, locations=15, start=START)
        with serve_in_thread(cfg) as sim, httpx.Client() as c:
            out = []
            sim.advance(seconds=5000)
            for v, path in (("2.2.1", "/ocpi/2.2.1/cpo/sessions"), ("2.1.1", "/ocpi/2.1.1/cdrs"),
                            ("2.3.0", "/ocpi/2.3.0/cpo/locations")):  # fmt: skip
                r = c.get(sim.base_url + path, headers=auth_header(v),
                          params={"date_from": "2000-01-01T00:00:00Z"})  # fmt: skip
                out.append(r.content.replace(f":{sim.port}/".encode(), b":PORT/"))
                out.append(r.headers.get("Link", "").replace(str(sim.port), "PORT").encode())
            return out

    assert run(4) == run(4)
    assert run(4) != run(5)


def test_dump_truth(fresh_sim, tmp_path) -> None:
    out = fresh_sim.dump_truth(tmp_path / "truth")
    assert (out / "summary.json").exists()
    lines = (out / "sessions-2.2.1.jsonl").read_bytes().splitlines()
    assert [orjson.loads(x) for x in lines] == fresh_sim.truth("sessions", "2.2.1")
    assert len(list(out.glob("*.jsonl"))) == 15


MILLION = """
import json, resource
import orjson
from ocpiwh.simulator import SimConfig, serve_in_thread
from tests.simulator.conftest import START, Ocpi

rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
cfg = SimConfig(seed=1, sessions=1_000_000, locations=500, clean=True, start=START)
with serve_in_thread(cfg) as sim:
    c = Ocpi(sim)
    r = c.get(c.endpoints("2.2.1")["sessions"], "2.2.1",
              date_from="2024-02-15T00:00:00Z", date_to="2024-02-16T00:00:00Z", offset=5000)
    assert r.status_code == 200
    assert 30_000 < int(r.headers["X-Total-Count"]) < 45_000
    assert len(orjson.loads(r.content)["data"]) == 1000
    sim.advance(seconds=3600)
    assert sim.summary()["counts"]["sessions"] > 1_000_000
print(json.dumps({"grown_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0}))
"""


def test_one_million_sessions_bounded_memory() -> None:
    """Measured in a fresh process: ru_maxrss is a process's all-time peak, so read in the
    test process it would hide growth under the peak of whatever test ran before."""
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    run = subprocess.run(
        [sys.executable, "-c", MILLION],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    grown_mib = json.loads(run.stdout.strip().splitlines()[-1])["grown_kib"] / 1024
    assert grown_mib < 400, grown_mib
