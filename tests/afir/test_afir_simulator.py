"""AFIR publications of a simulated platform (2,000 locations, synced over loopback): valid,
every public site of the truth once with its refill points, powers and statuses, and a delta
after a clock advance holding exactly the refill points whose status changed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sync.conftest import do_login, run_sync, sim_config

from ocpiwh import afir
from ocpiwh.afir.schema import UPSTREAM_ENV
from ocpiwh.simulator import serve_in_thread

VERSIONS = ("2.2.1", "2.3.0")  # 2.3.0: help_phone, taxed prices, unknown enums and fields
STATUS = {"AVAILABLE": "available", "BLOCKED": "blocked", "CHARGING": "charging",
          "INOPERATIVE": "inoperative", "OUTOFORDER": "outOfOrder", "RESERVED": "reserved",
          "UNKNOWN": "unknown"}  # fmt: skip


def _sites(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if "payload" in doc:
        pub = doc["payload"]["aegiEnergyInfrastructureTablePublication"]
        return list(pub["energyInfrastructureTable"][0]["energyInfrastructureSite"])
    pub = doc["messageContainer"]["payload"][0]["aegiEnergyInfrastructureStatusPublication"]
    return list(pub["energyInfrastructureSiteStatus"])


def _truth(sim: Any, version: str) -> dict[str, dict[str, dict[str, Any]]]:
    """{site id: {refill point id: EVSE}} of the public sites, as AFIR must show them."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for loc in sim.truth("locations", version=version):
        if not loc.get("publish", True) or loc.get("parking_type") == "ON_DRIVEWAY":
            continue
        site = f"{loc['country_code']}*{loc['party_id']}*{loc['id']}"
        points = {
            f"{site}*{e['uid']}": e
            for e in loc.get("evses") or []
            if e.get("status") not in ("REMOVED", "PLANNED")
        }
        if points:
            out[site] = points
    return out


def _statuses(doc: dict[str, Any]) -> dict[str, str]:
    return {
        p["aegiElectricChargingPointStatus"]["reference"]["idG"]: p[
            "aegiElectricChargingPointStatus"
        ]["status"]["value"]
        for site in _sites(doc)
        for station in site["energyInfrastructureStationStatus"]
        for p in station["refillPointStatus"]
    }


@pytest.fixture(scope="module", params=VERSIONS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Sync, publish table and status, advance 20 minutes, sync, publish the delta."""
    version = str(request.param)
    tmp = tmp_path_factory.mktemp("afir-sim")
    root = tmp / "data"
    with serve_in_thread(sim_config(locations=2000, sessions=300, max_limit=1000)) as sim:
        do_login(root, sim, version=version)
        run_sync(root)
        before = _truth(sim, version)
        table = afir.publish(root, "afir_table", tmp / "table.json")
        status = afir.publish(root, "afir_status", tmp / "status.json")
        until = sim.advance(minutes=20)  # the end of the next sync's window (lag 0)
        run_sync(root)
        after = _truth(sim, version)
        delta = afir.publish(root, "afir_status", tmp / "delta.json", since=tmp / "status.json")
    yield {
        "before": before,
        "after": after,
        "until": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "table": orjson.loads(table.out.read_bytes()),
        "status": orjson.loads(status.out.read_bytes()),
        "delta": orjson.loads(delta.out.read_bytes()),
        "results": (table, status, delta),
    }


def test_publications_are_valid(world: dict[str, Any]) -> None:
    upstream = os.environ.get(UPSTREAM_ENV)
    for name, key in (("afir_table", "table"), ("afir_status", "status"), ("afir_status", "delta")):
        assert afir.validate_document(name, world[key]) == []
        if upstream:  # the profile's own schemas (tools/afir_schemas.py)
            assert afir.validate_document(name, world[key], upstream) == []
    assert all(r.invalid_sites == 0 for r in world["results"])


def test_every_site_once_with_its_points_and_powers(world: dict[str, Any]) -> None:
    truth = world["before"]
    sites = _sites(world["table"])
    ids = [s["idG"] for s in sites]
    assert len(ids) == len(set(ids)) and set(ids) == set(truth)
    assert len(truth) > 1000
    for site in sites:
        station = site["energyInfrastructureStation"][0]
        points = {
            p["aegiElectricChargingPoint"]["idG"]: p["aegiElectricChargingPoint"]
            for p in station["refillPoint"]
        }
        expected = truth[site["idG"]]
        assert set(points) == set(expected)
        assert station["numberOfRefillPoints"] == len(expected)
        total = 0
        for pid, evse in expected.items():
            # the profile: the first available power is the maximum
            watts = sorted({c["max_electric_power"] for c in evse["connectors"]}, reverse=True)
            assert points[pid]["availableChargingPower"] == watts
            assert [c["maxPowerAtSocket"] for c in points[pid]["connector"]] == [
                c["max_electric_power"] for c in sorted(evse["connectors"], key=lambda c: c["id"])
            ]
            total += max(watts)
        assert station["totalMaximumPower"] == total


def test_every_status(world: dict[str, Any]) -> None:
    expected = {
        pid: STATUS[e["status"]] for points in world["before"].values() for pid, e in points.items()
    }
    assert _statuses(world["status"]) == expected


def test_delta_holds_exactly_the_changed_points(world: dict[str, Any]) -> None:
    published = _statuses(world["status"])
    now = {pid: e for points in world["after"].values() for pid, e in points.items()}
    # a change stamped at the window's end belongs to the next sync (date_to is exclusive)
    later = {pid for pid, e in now.items() if e["last_updated"] >= world["until"]}
    assert len(later) < 10
    changed = {
        pid: STATUS[e["status"]]
        for pid, e in now.items()
        if pid not in later and published.get(pid) != STATUS[e["status"]]
    }
    assert changed  # 20 minutes of a busy platform change some statuses
    delta = _statuses(world["delta"])
    assert {p: s for p, s in delta.items() if p not in later} == changed
    kind = world["delta"]["messageContainer"]["exchangeInformation"]["exchangeContext"]
    assert kind["codedExchangeProtocol"] == {"value": "deltaPush"}
