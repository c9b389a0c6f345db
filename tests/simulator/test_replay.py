"""The benchmark's replay server answers like the simulator it replays, byte for byte."""

from __future__ import annotations

import base64
import threading
from pathlib import Path

import httpx
import pytest

from bench.replay import START, Replay, World, render
from ocpiwh.simulator import SimConfig, serve_in_thread

QUERIES = [
    "?date_from=1970-01-01T00:00:00Z",
    "?date_from=1970-01-01T00:00:00Z&offset=1000&limit=500",
    "?date_from=2026-05-20T00:00:00Z&date_to=2026-05-25T00:00:00Z&limit=1",
    "?date_from=2026-05-20T00:00:00Z&date_to=2026-05-25T00:00:00Z&offset=2&limit=7",
    "?date_from=1970-01-01T00:00:00Z&offset=99999",
    "?offset=0&limit=3",
    "?date_from=1970-01-01T00:00:00Z&limit=0",
]


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_replay_serves_the_simulators_bytes_and_headers(tmp_path: Path, version: str) -> None:
    folder = render(World(sessions=2500, locations=30, version=version), tmp_path)
    replay = Replay(folder)
    threading.Thread(target=replay.serve_forever, daemon=True).start()
    cfg = SimConfig(locations=30, sessions=2500, token="bench-token", clean=True, start=START)
    secret = "bench-token" if version == "2.1.1" else base64.b64encode(b"bench-token").decode()
    auth = {"Authorization": f"Token {secret}"}
    mine = f"http://127.0.0.1:{replay.port}"
    with serve_in_thread(cfg) as sim, httpx.Client(headers=auth) as c:
        for path in ("/ocpi/versions", f"/ocpi/{version}"):
            a, b = c.get(mine + path), c.get(sim.base_url + path)
            assert a.content.replace(mine.encode(), b"") == b.content.replace(
                sim.base_url.encode(), b""
            )
        served = 0
        for module in ("sessions", "cdrs"):
            path = (
                f"/ocpi/2.1.1/{module}" if version == "2.1.1" else f"/ocpi/{version}/cpo/{module}"
            )
            for q in QUERIES:
                a, b = c.get(mine + path + q), c.get(sim.base_url + path + q)
                assert a.status_code == b.status_code, (module, q)
                for h in ("x-total-count", "x-limit", "link"):
                    assert a.headers.get(h, "").replace(mine, "") == b.headers.get(h, "").replace(
                        sim.base_url, ""
                    ), (module, q, h)
                if a.status_code == 200:
                    assert a.content == b.content, (module, q)
                    served += len(a.json()["data"])
        assert served > 2500  # whole pages of both modules, not only errors
        assert c.get(mine + path, headers={"Authorization": "Token wrong"}).status_code == 401
