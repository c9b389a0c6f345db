"""Live mode: real updates between pages (rate, clock, frozen windows, truth, validity)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest

from ocpiwh.simulator import SimConfig, Simulator, serve_in_thread

from .conftest import START, Ocpi, auth_header
from .spec import SPECS, check, rules

VERSIONS = ("2.1.1", "2.2.1", "2.3.0")
MODULES = ("locations", "sessions", "cdrs", "tariffs", "tokens")
EPOCH = "2000-01-01T00:00:00Z"
EPOCH_TO = START.strftime("%Y-%m-%dT%H:%M:%SZ")  # the platform's now before any update


def _cfg(rate: float, **kw: Any) -> SimConfig:
    base: dict[str, Any] = dict(seed=21, locations=40, sessions=6000, clean=True, start=START,
                                live=rate, max_limit=100)  # fmt: skip
    return SimConfig(**(base | kw))


def _iso(sim: Simulator) -> str:
    return sim.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def _crawl(c: Ocpi, version: str, module: str, **params: Any) -> list[httpx.Response]:
    """Follow ``next`` links like a naive client (the window stays frozen)."""
    return list(c.pages(version, module, **params))


def _validate(sim: Simulator) -> dict[str, int]:
    """The truth of every module and version against the field tables and rules: every
    object but COMPLETED sessions and their CDRs, of which one in 10 (time bound)."""
    seen: dict[str, int] = {}
    for v in VERSIONS:
        for m in MODULES:
            spec = SPECS[m](v)
            for k, o in enumerate(sim.truth(m, v)):
                usual = o.get("status") == "COMPLETED" or (m == "cdrs" and "-" not in o["id"])
                errors = [] if usual and k % 10 else check(o, spec) + rules(m, v, o)
                assert not errors, (v, m, errors[:3])
                key = f"{v}:{m}:{o.get('status', '')}"
                seen[key] = seen.get(key, 0) + 1
                if m == "cdrs" and o["id"].endswith("-CREDIT"):
                    seen[f"{v}:credit"] = seen.get(f"{v}:credit", 0) + 1
                if m == "sessions" and o["status"] == "ACTIVE" and o["kwh"] > 0:
                    seen[f"{v}:metered"] = seen.get(f"{v}:metered", 0) + 1
    return seen


@pytest.mark.parametrize("rate", [0.1, 1, 3, 10])
def test_updates_per_page_follow_the_rate_and_move_the_clock(client_for, rate: float) -> None:
    with serve_in_thread(_cfg(rate)) as sim:
        c: Ocpi = client_for(sim)
        pages = _crawl(c, "2.2.1", "sessions", date_from=EPOCH, date_to=_iso(sim), limit=50)
        pages += _crawl(c, "2.2.1", "locations", limit=5)
        stats = sim.stats()
        n = len(pages)
        assert stats["pages"]["sessions"] + stats["pages"]["locations"] == n
        assert stats["list_requests"]["sessions"] == stats["pages"]["sessions"]
        updates = stats["live"]["updates"]
        if rate == int(rate):
            assert updates == rate * n
        else:
            assert abs(updates - rate * n) <= 3 * math.sqrt(n * rate * (1 - rate)) + 1, (updates, n)
        assert updates > 0
        assert sum(stats["live"]["by_kind"].values()) == updates
        # the clock moved one second per update, and nothing served is later than now
        assert stats["live"]["clock_moved_s"] == updates
        assert sim.now() == START + timedelta(seconds=updates)
        last = max(o["last_updated"] for m in MODULES for o in sim.truth(m, "2.2.1"))
        assert last <= _iso(sim)
        if rate >= 3:
            assert {k for k, v in stats["live"]["by_kind"].items() if v} >= {
                "meter", "stop", "start", "evse_status"
            }  # fmt: skip
            # an EVSE status change bumps the EVSE and its location, stamped with that now
            changed = [lo for lo in sim.truth("locations") if lo["last_updated"] > EPOCH_TO]
            assert changed
            for lo in changed:
                assert max(e["last_updated"] for e in lo["evses"]) == lo["last_updated"]


def test_updated_objects_leave_a_frozen_window(client_for) -> None:
    with serve_in_thread(_cfg(1)) as sim:
        c: Ocpi = client_for(sim)
        to = _iso(sim)
        before = {s["id"] for s in sim.truth("sessions") if s["last_updated"] < to}
        pages = _crawl(c, "2.2.1", "sessions", date_from=EPOCH, date_to=to, limit=100)
        totals = [int(r.headers["X-Total-Count"]) for r in pages]
        assert totals[-1] < totals[0]  # objects left the window while it was paged
        assert totals == sorted(totals, reverse=True)
        sim.set_live(0)  # the platform holds still from here
        truth = {s["id"]: s for s in sim.truth("sessions")}
        inside = {k for k, s in truth.items() if s["last_updated"] < to}
        left = before - inside
        url = c.endpoints("2.2.1")["sessions"]
        again = c.get(url, "2.2.1", date_from=EPOCH, date_to=to, limit=1)
        assert left and len(inside) == int(again.headers["X-Total-Count"]) < totals[-1]
        for k in left:  # stamped with the platform's now at their update: after date_to
            assert to < truth[k]["last_updated"] <= _iso(sim)
        # the next window serves them, with the truth's latest version
        nxt = {s["id"]: s for s in c.all("2.2.1", "sessions", date_from=to)}
        assert left <= set(nxt)
        assert all(nxt[k] == truth[k] for k in left)
        assert sim.stats()["live"]["rate"] == 0


def test_truth_is_the_latest_version_and_paging_a_still_platform_equals_it(client_for) -> None:
    with serve_in_thread(_cfg(10, sessions=3000)) as sim:
        c: Ocpi = client_for(sim)
        for m in MODULES:
            params = {"date_from": EPOCH} if m == "sessions" else {}
            _crawl(c, "2.3.0", m, limit=30, **params)
        assert sim.stats()["live"]["updates"] >= 300
        w = sim.world  # meter bumps are dropped once a completion supersedes them
        assert w.bumps["sessions"]
        assert all(b >= w.s_done[i] or w.s_done[i] > w.now for i, b in w.bumps["sessions"].items())
        sim.set_live(0)  # the platform holds still: one more crawl sees the truth
        for v in VERSIONS:
            for m in MODULES:
                params = {"date_from": EPOCH} if m == "sessions" else {}
                assert c.all(v, m, limit=97, **params) == sim.truth(m, v), (v, m)
        r = httpx.get(
            sim.base_url + "/admin/truth", params={"module": "sessions", "version": "2.2.1"}
        )
        assert [orjson.loads(x) for x in r.content.splitlines()] == sim.truth("sessions")


def test_every_object_of_a_live_run_validates(client_for) -> None:
    with serve_in_thread(_cfg(10, sessions=20_000, locations=80)) as sim:
        c: Ocpi = client_for(sim)
        statuses: set[str] = set()
        for m in ("sessions", "cdrs", "locations", "tokens"):
            params = {"date_from": "2024-02-27T00:00:00Z"} if m in ("sessions", "cdrs") else {}
            _crawl(c, "2.2.1", m, limit=20, **params)
            statuses.update(s["status"] for s in sim.truth("sessions", "2.2.1"))
        kinds = sim.stats()["live"]["by_kind"]
        assert all(kinds[k] for k in ("meter", "stop", "activate", "start", "evse_status",
                                      "token_new", "token_change", "credit")), kinds  # fmt: skip
        assert statuses == {"PENDING", "RESERVATION", "ACTIVE", "COMPLETED"}
        seen = _validate(sim)
        for v in VERSIONS:
            assert seen[f"{v}:metered"] and seen[f"{v}:credit"] >= kinds["credit"], seen
        assert not any(k.startswith("2.1.1:sessions:RESERVATION") for k in seen)
        by_status = sim.summary()["sessions_by_status"]
        for status in ("RESERVATION", "PENDING"):
            assert by_status[status] == seen.get(f"2.2.1:sessions:{status}", 0)


def test_static_platform_shows_every_status_and_credit_cdrs() -> None:
    """Without live mode: phases come and go with the clock, credits follow some CDRs."""
    with serve_in_thread(SimConfig(seed=5, locations=60, sessions=12_000, clean=True,
                                   start=START)) as sim:  # fmt: skip
        statuses: set[str] = set()
        reserved_checked = False
        for _ in range(30):
            by_status = sim.summary()["sessions_by_status"]
            statuses |= {k for k, n in by_status.items() if n}
            if by_status["RESERVATION"]:  # the EVSE shows it (unless another car charges)
                evses = {e["uid"]: e for lo in sim.truth("locations") for e in lo["evses"]}
                sessions = sim.truth("sessions")
                charging = {s["evse_uid"] for s in sessions if s["status"] == "ACTIVE"}
                for s in sessions:
                    if s["status"] == "RESERVATION" and s["evse_uid"] not in charging:
                        assert evses[s["evse_uid"]]["status"] == "RESERVED"
                        assert evses[s["evse_uid"]]["last_updated"] >= s["start_date_time"]
                        reserved_checked = True
            sim.advance(minutes=11)
        assert statuses == {"PENDING", "RESERVATION", "ACTIVE", "COMPLETED"}
        assert reserved_checked
        seen = _validate(sim)
        assert seen["2.2.1:credit"] == len(sim.summary()["credit_cdrs"]) > 20
        cdrs = {o["id"]: o for o in sim.truth("cdrs", "2.2.1")}
        credit = next(o for k, o in cdrs.items() if k.endswith("-CREDIT"))
        orig = cdrs[credit["credit_reference_id"]]
        assert credit["credit"] is True and orig["credit"] is False
        assert credit["total_cost"]["excl_vat"] == -orig["total_cost"]["excl_vat"] < 0
        assert credit["session_id"] == orig["session_id"]
        assert credit["last_updated"] > orig["last_updated"]
        c211 = {o["id"]: o for o in sim.truth("cdrs", "2.1.1")}[credit["id"]]
        assert c211["total_cost"] < 0 and "credit" not in c211


def test_active_sessions_report_growing_energy() -> None:
    cfg = SimConfig(seed=8, locations=30, sessions=4000, clean=True, start=START)
    with serve_in_thread(cfg) as sim:
        first = {s["id"]: s for s in sim.truth("sessions") if s["status"] == "ACTIVE"}
        sim.advance(minutes=16)  # at least one meter reading (every 15 min)
        later = {s["id"]: s for s in sim.truth("sessions")}
        grown = [k for k, s in first.items() if later[k]["kwh"] > s["kwh"]]
        assert grown
        for k in grown:
            s = later[k]
            assert s["last_updated"] > first[k]["last_updated"]
            if s["status"] == "ACTIVE":
                assert s["total_cost"]["excl_vat"] > 0 and s["charging_periods"]
                assert "end_date_time" not in s


def test_live_is_deterministic_and_off_by_default() -> None:
    def run(rate: float) -> list[bytes]:
        with serve_in_thread(_cfg(rate, sessions=2000)) as sim, httpx.Client() as c:
            out: list[bytes] = []
            for v, path in (("2.2.1", "/ocpi/2.2.1/cpo/sessions"), ("2.1.1", "/ocpi/2.1.1/locations"),
                            ("2.3.0", "/ocpi/2.3.0/emsp/tokens")):  # fmt: skip
                url: str | None = sim.base_url + path
                params: dict[str, Any] | None = {"date_from": EPOCH, "limit": 40}
                while url:
                    r = c.get(url, headers=auth_header(v), params=params)
                    params = None
                    out.append(r.content + r.headers["X-Total-Count"].encode())
                    url = r.links.get("next", {}).get("url")
            return out

    assert run(3) == run(3)
    assert run(3) != run(0)
    assert SimConfig().live == 0


def test_admin_live_switch(client_for) -> None:
    with serve_in_thread(_cfg(0)) as sim:
        r = httpx.post(sim.base_url + "/admin/live", params={"rate": "2.5"})
        assert r.status_code == 200 and r.json()["data"]["live"] == 2.5
        c: Ocpi = client_for(sim)
        _crawl(c, "2.2.1", "tariffs", limit=2)
        assert sim.stats()["live"]["updates"] >= 2 * sim.stats()["pages"]["tariffs"]
        for bad in ("-1", "x", "1e9"):
            r = httpx.post(sim.base_url + "/admin/live", params={"rate": bad})
            assert r.status_code == 400 and r.json()["status_code"] == 2001
    with pytest.raises(ValueError, match="live"):
        SimConfig(live=-0.5)
