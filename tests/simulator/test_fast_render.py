"""The byte renderers (``ocpiwh.simulator.fast``) serve exactly the reference objects."""

from __future__ import annotations

import httpx
import orjson
import pytest

from ocpiwh.simulator import Dirt, Faults, SimConfig, Simulator, serve_in_thread
from ocpiwh.simulator.bulk import init_sessions
from ocpiwh.simulator.indexes import bump, iter_listed
from ocpiwh.simulator.keys import MASK
from ocpiwh.simulator.lifecycle import init_sessions as init_one_by_one
from ocpiwh.simulator.session_model import cdr_time, core
from ocpiwh.simulator.world import World

from .conftest import START, Ocpi, auth_header

VERSIONS = ("2.1.1", "2.2.1", "2.3.0")


def _reference(sim: Simulator, module: str, version: str, idxs: list[int]) -> bytes:
    render = sim.world.renderer(module, version)
    return orjson.dumps([render(i) for i in idxs])


@pytest.mark.parametrize("clean", [True, False])
def test_session_and_cdr_bytes_equal_reference_renderer(clean: bool) -> None:
    cfg = SimConfig(seed=5, locations=50, sessions=4000, start=START, clean=clean,
                    dirt=Dirt(), faults=Faults(rate_malformed=0.02))  # fmt: skip
    sim = Simulator(cfg)
    w = sim.world
    for step in range(3):
        rng = sorted(set(iter_listed(w, "sessions")))  # visible ones
        assert len(rng) == w.n_sessions - len(w.scheduled)
        cdrs = sorted({k & MASK for k in w.c_keys})
        assert cdrs
        for v in VERSIONS:
            ref = _reference(sim, "sessions", v, rng)
            assert w.render_page("sessions", v, rng) == ref, (step, v)
            assert w.render_page("cdrs", v, cdrs) == _reference(sim, "cdrs", v, cdrs), (step, v)
        # bump completed and running sessions (update-while-paging), then move the clock
        for i in (*sorted(w.active)[:5], 1, 2, 3, 500):
            bump(w, "sessions", i)
        sim.advance(seconds=1800 + 3600 * step)
    assert w.bumps["sessions"] and w.active


def test_truth_is_what_pages_serve_with_dirt_and_malformed(client_for) -> None:
    cfg = SimConfig(seed=6, locations=30, sessions=2500, start=START, dirt=Dirt(),
                    faults=Faults(rate_malformed=0.03))  # fmt: skip
    with serve_in_thread(cfg) as sim:
        c: Ocpi = client_for(sim)
        for v in VERSIONS:
            for module in ("sessions", "cdrs"):
                bad = {i for ids in sim.summary()["malformed"][module].values() for i in ids}
                assert bad
                served = c.all(v, module, date_from="2000-01-01T00:00:00Z", limit=333)
                kept: list[object] = []
                for s in served:
                    if not isinstance(s, dict) or "id" not in s or s["id"] in bad:
                        continue
                    if kept and kept[-1] == s:  # duplicate_listing: twice in a row
                        continue
                    kept.append(s)
                assert kept == sim.truth(module, v), (module, v)


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


@pytest.mark.parametrize("clean", [True, False])
def test_fast_initial_history_matches_core(clean: bool) -> None:
    cfg = SimConfig(seed=12, locations=25, sessions=5000, start=START, clean=clean,
                    faults=Faults(rate_malformed=0.02))  # fmt: skip
    w = Simulator(cfg).world
    assert w.n_sessions - len(w.scheduled | w.waiting) == 5000  # started ones
    for i in range(w.n_sessions):
        c = core(w, i)
        assert (w.s_start[i], w.s_done[i], w.s_kwh[i], w.s_conn[i]) == (
            c.start, c.done, c.kwh, c.conn
        ), i  # fmt: skip
        assert (w.s_charge[i], w.s_tok[i], w.s_flags[i]) == (
            c.charge_s,
            c.token,
            c.kind | c.mal << 4,
        )
        assert w.s_cdr[i] == cdr_time(w, i, c.done)


def test_round2_is_round() -> None:
    import random

    from ocpiwh.simulator.fast import round2

    rnd = random.Random(3)
    values = [k / 1000 for k in range(0, 200_000)]  # every kWh value, and ties (x.xx5)
    values += [rnd.uniform(0, 120) * rnd.choice((0.18, 0.29, 0.42, 0.55, 0.69, 1.2))
               for _ in range(300_000)]  # fmt: skip
    values += [k / 1000 * 1.2 for k in range(0, 100_000)]
    for v in values:
        assert round2(v) == round(v, 2), v


_COLUMNS = ("s_start", "s_done", "s_cdr", "s_kwh", "s_conn", "s_charge", "s_tok", "s_flags",
            "c_flags")  # fmt: skip
_STATE = (*_COLUMNS, "s_keys", "c_keys", "active", "active_by_evse", "ev_last", "cdr_pending",
          "scheduled", "waiting", "reserved_by_evse", "next_event", "credit_at", "credit_pending")  # fmt: skip


def _emptied(w: World) -> World:
    for name in _COLUMNS:
        del getattr(w, name)[:]
    for st in (w.active, w.active_by_evse, w.ev_last, w.cdr_pending, w.scheduled, w.waiting,
               w.reserved_by_evse, w.next_event, w.credit_at, w.credit_pending):  # fmt: skip
        st.clear()
    del w.events[:]
    return w


@pytest.mark.parametrize(
    "cfg",
    [
        SimConfig(seed=1, locations=80, sessions=40_000, clean=True, start=START),
        SimConfig(seed=7, locations=30, sessions=20_000, start=START, dirt=Dirt(),
                  faults=Faults(rate_malformed=0.02)),
        SimConfig(seed=3, locations=3, sessions=3000, start=START,
                  dirt=Dirt.only("duplicate_listing", "duplicate_content")),
        SimConfig(seed=4, locations=2, sessions=1, start=START),
        SimConfig(seed=4, locations=2, sessions=0, start=START),
    ],
)  # fmt: skip
def test_vectorized_start_equals_reference_loop(cfg: SimConfig) -> None:
    a = _emptied(Simulator(cfg).world)
    init_sessions(a)  # as worlds from BULK_MIN_SESSIONS sessions are built
    b = _emptied(Simulator(cfg).world)
    init_one_by_one(b)  # one session at a time
    c = _emptied(Simulator(cfg).world)
    init_sessions(c, chunk=997)  # forced dirt, duplicates, patches across chunk borders
    for name in _STATE:
        assert getattr(a, name) == getattr(b, name), name
        assert getattr(a, name) == getattr(c, name), name
    assert sorted(a.events) == sorted(b.events) == sorted(c.events)
    assert (a.credit_at and a.scheduled | a.waiting) or cfg.sessions < 3000
