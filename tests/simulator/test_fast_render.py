"""The byte renderers (``ocpiwh.simulator.fast``) serve exactly the reference objects."""

from __future__ import annotations

import httpx
import orjson
import pytest

from ocpiwh.simulator import Dirt, Faults, SimConfig, Simulator, serve_in_thread

from .conftest import START, Ocpi, auth_header

VERSIONS = ("2.1.1", "2.2.1", "2.3.0")


def _reference(sim: Simulator, module: str, version: str, idxs: list[int]) -> bytes:
    render = sim.world.renderer(module, version)
    return orjson.dumps([render(i) for i in idxs])


@pytest.mark.parametrize("clean", [True, False])
def test_session_bytes_equal_reference_renderer(clean: bool) -> None:
    cfg = SimConfig(seed=5, locations=50, sessions=4000, start=START, clean=clean,
                    dirt=Dirt(), faults=Faults(rate_malformed=0.02))  # fmt: skip
    sim = Simulator(cfg)
    w = sim.world
    rng = list(range(w.n_sessions))
    for step in range(3):
        for v in VERSIONS:
            assert w.render_page("sessions", v, rng) == _reference(sim, "sessions", v, rng), (
                step,
                v,
            )
        # bump completed and running sessions (update-while-paging), then move the clock
        for i in (*sorted(w.active)[:5], 1, 2, 3, 500):
            w.bump("sessions", i)
        sim.advance(seconds=1800 + 3600 * step)
        rng = list(range(w.n_sessions))
    assert w.bumps["sessions"] and w.active


def test_truth_is_what_pages_serve_with_dirt_and_malformed(client_for) -> None:
    cfg = SimConfig(seed=6, locations=30, sessions=2500, start=START, dirt=Dirt(),
                    faults=Faults(rate_malformed=0.03))  # fmt: skip
    with serve_in_thread(cfg) as sim:
        c: Ocpi = client_for(sim)
        bad = {i for ids in sim.summary()["malformed"]["sessions"].values() for i in ids}
        assert bad
        for v in VERSIONS:
            served = c.all(v, "sessions", date_from="2000-01-01T00:00:00Z", limit=333)
            kept: list[object] = []
            for s in served:
                if not isinstance(s, dict) or "id" not in s or s["id"] in bad:
                    continue
                if kept and kept[-1] == s:  # duplicate_listing: same object twice in a row
                    continue
                kept.append(s)
            assert kept == sim.truth("sessions", v), v


def test_read_ahead_does_not_change_bytes() -> None:
    cfg = SimConfig(seed=9, locations=20, sessions=3000, start=START)

    def pull(prefetch: int) -> list[bytes]:
        with serve_in_thread(cfg) as sim, httpx.Client() as c:
            sim.prefetch_pages = prefetch
            out: list[bytes] = []
            for v in VERSIONS:
                url: str | None = sim.base_url + (
                    "/ocpi/2.1.1/sessions" if v == "2.1.1" else f"/ocpi/{v}/cpo/sessions"
                )
                params: dict[str, str] | None = {"date_from": "2000-01-01T00:00:00Z",
                                                 "limit": "250"}  # fmt: skip
                while url:
                    r = c.get(url, headers=auth_header(v), params=params)
                    params = None
                    out.append(r.content)
                    url = r.links.get("next", {}).get("url")
                sim.advance(seconds=900)
            return out

    assert pull(0) == pull(2)
