"""Each dirt switch: on, it shows up (and in summary()); off, it does not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
import pytest

from ocpiwh.simulator import DIRT_KINDS, Dirt, Faults, SimConfig, serve_in_thread

from .conftest import START, Ocpi
from .spec import SPECS, check

SIZE = {"locations": 40, "sessions": 2500}


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(s.rstrip("Z"))


def _sessions_by_id(sim: Any, version: str = "2.2.1") -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in sim.truth("sessions", version)}


CHECKS: dict[str, Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], bool]] = {
    # (2.2.1 object, 2.3.0 object, all 2.2.1 sessions by id)
    "zero_energy": lambda s, _t, _a: s["status"] == "COMPLETED" and s["kwh"] == 0,
    "end_before_start": lambda s, _t, _a: _dt(s["end_date_time"]) < _dt(s["start_date_time"]),
    "long_session": lambda s, _t, _a: (
        (_dt(s["end_date_time"]) - _dt(s["start_date_time"])).total_seconds() > 7 * 86400
    ),
    "duplicate_content": lambda s, _t, a: any(
        o["id"] != s["id"] and {**o, "id": ""} == {**s, "id": ""} for o in a.values()
    ),
    "na_fields": lambda s, _t, _a: s["evse_uid"] == "#NA" and s["connector_id"] == "#NA",
    "numbers_as_strings": lambda s, _t, _a: isinstance(s["kwh"], str) and float(s["kwh"]) >= 0,
    "timestamps_without_z": lambda s, _t, _a: not s["last_updated"].endswith("Z"),
    "unknown_fields": lambda s, t, _a: (
        bool(set(t) - set(SPECS["sessions"]("2.3.0")))
        and not (set(s) - set(SPECS["sessions"]("2.2.1")))
    ),
    "unknown_enums": lambda s, t, _a: (
        t["cdr_token"]["type"] == "KEY_FOB" and s["cdr_token"]["type"] != "KEY_FOB"
    ),
    "null_lists": lambda s, _t, _a: s["charging_periods"] is None,
}


@pytest.mark.parametrize("kind", [k for k in DIRT_KINDS if k != "duplicate_listing"])
def test_session_dirt_switch(kind: str) -> None:
    cfg = SimConfig(seed=11, start=START, dirt=Dirt.only(kind), **SIZE)
    with serve_in_thread(cfg) as sim:
        sim.advance(days=13)  # every session of the initial history is completed
        summ = sim.summary()
        ids = summ["dirty"]["sessions"].get(kind)
        assert ids, summ["dirty"]["sessions"]
        assert set(summ["dirty"]["sessions"]) == {kind}
        by_id = _sessions_by_id(sim)
        by_id_230 = _sessions_by_id(sim, "2.3.0")
        for sid in ids:
            if by_id[sid]["status"] != "COMPLETED":
                continue
            assert CHECKS[kind](by_id[sid], by_id_230[sid], by_id), (sid, by_id[sid])
        # every other session is clean (strict spec check)
        for sid, s in list(by_id.items())[:300]:
            if sid not in ids and kind not in ("duplicate_content", "end_before_start"):
                assert not check(s, SPECS["sessions"]("2.2.1")), sid


def test_duplicate_listing() -> None:
    with serve_in_thread(
        SimConfig(seed=11, start=START, dirt=Dirt.only("duplicate_listing"), **SIZE)
    ) as sim:
        c = Ocpi(sim)
        listed = c.all("2.2.1", "sessions", date_from="2000-01-01T00:00:00Z")
        ids = [s["id"] for s in listed]
        dup = sorted({x for x in ids if ids.count(x) > 1})
        summ = sim.summary()
        assert dup == sorted(summ["dirty"]["sessions"]["duplicate_listing"])
        truth_ids = [s["id"] for s in sim.truth("sessions")]
        assert len(truth_ids) == len(set(truth_ids)) == len(set(ids))
        locs = [lo["id"] for lo in c.all("2.2.1", "locations")]
        assert len(locs) > len(set(locs))


def test_all_dirt_off_is_clean() -> None:
    with serve_in_thread(SimConfig(seed=11, start=START, dirt=Dirt.off(), **SIZE)) as sim:
        summ = sim.summary()
        assert all(not v for v in summ["dirty"].values())
        for v in ("2.1.1", "2.2.1", "2.3.0"):
            for m in ("locations", "sessions", "cdrs", "tariffs", "tokens"):
                for o in sim.truth(m, v):
                    assert not check(o, SPECS[m](v)), (v, m, o.get("id"))


def test_default_dirt_reaches_every_module() -> None:
    with serve_in_thread(SimConfig(seed=5, start=START, **SIZE)) as sim:
        d = sim.summary()["dirty"]
        assert set(d["sessions"]) == set(DIRT_KINDS)
        assert {"numbers_as_strings", "timestamps_without_z", "null_lists"} <= set(d["cdrs"])
        assert "zero_energy" in d["cdrs"]  # content dirt carried by the session's CDR
        assert d["locations"] and d["tariffs"] and d["tokens"]


def test_clean_flag_overrides_dirt_and_faults() -> None:
    cfg = SimConfig(
        seed=5,
        start=START,
        clean=True,
        dirt=Dirt(),
        faults=Faults(rate_429=1.0, rate_malformed=0.5),
    )
    with serve_in_thread(cfg) as sim:
        c = Ocpi(sim)
        assert c.get(sim.versions_url, None).status_code == 200
        summ = sim.summary()
        assert not any(summ["dirty"].values()) and not any(summ["malformed"].values())


def test_malformed_objects_listed_not_in_truth() -> None:
    cfg = SimConfig(
        seed=5, start=START, dirt=Dirt.off(), faults=Faults(rate_malformed=0.02), **SIZE
    )
    with serve_in_thread(cfg) as sim:
        c = Ocpi(sim)
        summ = sim.summary()
        mal = summ["malformed"]["sessions"]
        assert set(mal) == {"missing_id", "bad_last_updated", "bare_value", "bad_number"}
        listed = c.all("2.2.1", "sessions", date_from="2000-01-01T00:00:00Z")
        truth = sim.truth("sessions")
        n_mal = sum(len(v) for v in mal.values())
        assert len(listed) == len(truth) + n_mal
        assert any(not isinstance(o, dict) for o in listed)
        assert any(isinstance(o, dict) and "id" not in o for o in listed)
        assert any(isinstance(o, dict) and o.get("last_updated") == "not-a-date" for o in listed)
        assert any(isinstance(o, dict) and o.get("kwh") == "abc" for o in listed)
        bad = {i for v in mal.values() for i in v}
        assert not bad & {s["id"] for s in truth}
        assert summ["wellformed_counts"]["sessions"] == len(truth)
        assert summ["malformed"]["locations"] or summ["malformed"]["cdrs"]
        # kWh summary counts well-formed sessions only, as served (ACTIVE: the last reading)
        assert any(s["status"] == "ACTIVE" and s["kwh"] > 0 for s in truth)
        total = sum(s["kwh"] for s in truth)
        assert abs(sum(summ["kwh"]["sessions"].values()) - total) < 0.01
        raw = orjson.dumps(listed)
        assert raw  # still a JSON document
