"""Envelope, discovery, credentials, auth and per-version field tables."""

from __future__ import annotations

import base64

import httpx
import orjson
import pytest

from ocpiwh.simulator import SimConfig, serve_in_thread

from .conftest import START, TOKEN, Ocpi, auth_header
from .spec import DT_STRICT, SPECS, check, rules

VERSIONS = ("2.1.1", "2.2.1", "2.3.0")


def test_versions_is_bare_array_and_envelope(clean_sim, client_for) -> None:
    c: Ocpi = client_for(clean_sim)
    r = c.get(clean_sim.versions_url, None)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"data", "status_code", "status_message", "timestamp"}
    assert body["status_code"] == 1000
    assert body["timestamp"] == "2024-03-01T12:00:00Z"  # platform clock
    assert [v["version"] for v in body["data"]] == list(VERSIONS)
    for v in body["data"]:
        assert v["url"] == f"{clean_sim.base_url}/ocpi/{v['version']}"


@pytest.mark.parametrize("version", VERSIONS)
def test_version_details_roles_and_urls(clean_sim, client_for, version: str) -> None:
    c: Ocpi = client_for(clean_sim)
    data = c.get(f"{clean_sim.base_url}/ocpi/{version}", version).json()["data"]
    assert data["version"] == version
    ids = [e["identifier"] for e in data["endpoints"]]
    assert sorted(ids) == sorted(
        ["credentials", "locations", "sessions", "cdrs", "tariffs", "tokens"]
    )
    for e in data["endpoints"]:
        if version == "2.1.1":
            assert "role" not in e
            assert e["url"] == f"{clean_sim.base_url}/ocpi/2.1.1/{e['identifier']}"
        else:
            assert e["role"] == "SENDER"
    if version != "2.1.1":
        urls = {e["identifier"]: e["url"] for e in data["endpoints"]}
        assert urls["sessions"].endswith(f"/ocpi/{version}/cpo/sessions")


def test_no_tokens_module_when_not_exposed(client_for) -> None:
    with serve_in_thread(
        SimConfig(sessions=10, clean=True, expose_tokens=False, start=START)
    ) as sim:
        c: Ocpi = client_for(sim)
        assert "tokens" not in c.endpoints("2.2.1")
        assert c.get(sim.base_url + "/ocpi/2.2.1/emsp/tokens", "2.2.1").status_code == 404
        assert sim.truth("tokens") == []


@pytest.mark.parametrize("version", VERSIONS)
def test_credentials_teach_platform_party(clean_sim, client_for, version: str) -> None:
    c: Ocpi = client_for(clean_sim)
    data = c.get(c.endpoints(version)["credentials"], version).json()["data"]
    assert data["url"] == clean_sim.versions_url
    if version == "2.1.1":
        assert (data["country_code"], data["party_id"]) == ("FR", "SIM")
        assert data["business_details"]["name"]
    else:
        (role,) = data["roles"]
        assert role["role"] == "CPO"
        assert (role["country_code"], role["party_id"]) == ("FR", "SIM")
        assert role["business_details"]["name"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("module", ["locations", "sessions", "cdrs", "tariffs", "tokens"])
def test_clean_objects_match_spec_tables(clean_sim, client_for, version: str, module: str) -> None:
    c: Ocpi = client_for(clean_sim)
    params = {"date_from": "2000-01-01T00:00:00Z"} if module == "sessions" else {}
    objs = c.all(version, module, **params)
    assert objs
    spec = SPECS[module](version)
    for o in objs:
        errors = check(o, spec, strict=True) + rules(module, version, o)
        assert not errors, (o.get("id") or o.get("uid"), errors[:5])
    assert len({o.get("id") or o["uid"] for o in objs}) == len(objs)


def test_version_specific_shapes(clean_sim) -> None:
    s211 = clean_sim.truth("sessions", "2.1.1")
    s221 = clean_sim.truth("sessions", "2.2.1")
    s230 = clean_sim.truth("sessions", "2.3.0")
    done = next(i for i, s in enumerate(s221) if s["status"] == "COMPLETED" and s["kwh"] > 0)
    a, b, c = s211[done], s221[done], s230[done]
    assert a["id"] == b["id"] == c["id"]
    assert a["kwh"] == b["kwh"] == c["kwh"]
    assert isinstance(a["total_cost"], float | int)
    assert set(b["total_cost"]) == {"excl_vat", "incl_vat"}
    assert set(c["total_cost"]) == {"before_taxes", "taxes"}
    assert c["total_cost"]["taxes"][0]["name"] == "TVA"
    # 2.1.1 embeds the location with only the relevant EVSE and connector
    loc = a["location"]
    assert len(loc["evses"]) == 1 and len(loc["evses"][0]["connectors"]) == 1
    assert loc["id"] == b["location_id"]
    assert loc["evses"][0]["uid"] == b["evse_uid"]
    assert loc["evses"][0]["connectors"][0]["id"] == b["connector_id"]
    assert a["auth_id"] == b["cdr_token"]["contract_id"]
    # tariffs: 2.3.0 has tax_included and PriceLimit
    t230 = clean_sim.truth("tariffs", "2.3.0")[0]
    assert t230["tax_included"] == "NO" and "after_taxes" in t230["max_price"]


def test_locations_are_realistic(clean_sim) -> None:
    locs = clean_sim.truth("locations", "2.2.1")
    assert {lo["party_id"] for lo in locs} >= {"ABC", "XYZ"}
    for lo in locs:
        assert lo["time_zone"] == "Europe/Paris" and lo["country"] == "FRA"
        assert 41.0 < float(lo["coordinates"]["latitude"]) < 51.5
        assert -5.5 < float(lo["coordinates"]["longitude"]) < 10.0
        assert len(lo["coordinates"]["latitude"].split(".")[1]) == 6
        assert 1 <= len(lo["evses"]) <= 8
        for e in lo["evses"]:
            assert 1 <= len(e["connectors"]) <= 3
            assert (
                e["evse_id"].replace("*", "").startswith(lo["country_code"] + lo["party_id"] + "E")
            )
            for c in e["connectors"]:
                kw = c["max_electric_power"] / 1000
                assert kw in (3.68, 7.36, 11.04, 22.08, 50, 150, 350)
                if not lo["publish"]:
                    assert lo["parking_type"] == "ON_DRIVEWAY"
    evse_ids = [e["evse_id"] for lo in locs for e in lo["evses"]]
    assert any("*" in x for x in evse_ids) and any("*" not in x for x in evse_ids)
    assert any(not lo["publish"] for lo in locs)
    assert any(lo["opening_times"]["twentyfourseven"] for lo in locs)


def test_sessions_energy_consistent_with_power(clean_sim) -> None:
    locs = {lo["id"]: lo for lo in clean_sim.truth("locations", "2.2.1")}
    for s in clean_sim.truth("sessions", "2.2.1"):
        if s["status"] != "COMPLETED":
            continue
        evse = next(e for e in locs[s["location_id"]]["evses"] if e["uid"] == s["evse_uid"])
        conn = next(c for c in evse["connectors"] if c["id"] == s["connector_id"])
        charge_h = s["charging_periods"][0]["dimensions"][1]["volume"]
        assert s["kwh"] <= conn["max_electric_power"] / 1000 * charge_h + 0.01
        assert s["kwh"] > 0


def test_cdrs_follow_sessions(clean_sim) -> None:
    sessions = {s["id"]: s for s in clean_sim.truth("sessions", "2.2.1")}
    cdrs = clean_sim.truth("cdrs", "2.2.1")
    assert cdrs
    tokens = {t["uid"]: t for t in clean_sim.truth("tokens", "2.2.1")}
    for c in cdrs:
        s = sessions[c["session_id"]]
        assert s["status"] == "COMPLETED"
        assert c["total_energy"] == s["kwh"]
        assert c["cdr_token"] == s["cdr_token"]
        assert tokens[c["cdr_token"]["uid"]]["contract_id"] == c["cdr_token"]["contract_id"]
        assert c["last_updated"] > s["end_date_time"]
        assert c["total_time"] > 0
    assert any("signed_data" in c for c in cdrs)
    assert any("invoice_reference_id" in c for c in cdrs)


@pytest.mark.parametrize("version", VERSIONS)
def test_auth_rules(clean_sim, version: str) -> None:
    url = f"{clean_sim.base_url}/ocpi/{version}"
    plain = {"Authorization": f"Token {TOKEN}"}
    b64 = {"Authorization": "Token " + base64.b64encode(TOKEN.encode()).decode()}
    good, bad = (plain, b64) if version == "2.1.1" else (b64, plain)
    assert httpx.get(url, headers=good).status_code == 200
    r = httpx.get(url, headers=bad)
    assert r.status_code == 401
    assert r.json()["status_code"] == 2000 and r.json()["status_message"]
    r = httpx.get(url)
    assert r.status_code == 401 and r.json()["status_code"] == 2000
    assert httpx.get(url, headers={"Authorization": "Token nope"}).status_code == 401
    # versions accepts either
    assert httpx.get(clean_sim.versions_url, headers=plain).status_code == 200
    assert httpx.get(clean_sim.versions_url, headers=b64).status_code == 200


def test_auth_either(client_for) -> None:
    with serve_in_thread(SimConfig(sessions=5, clean=True, auth="either", start=START)) as sim:
        for v in VERSIONS:
            for h in (auth_header("2.1.1"), auth_header("2.2.1")):
                assert httpx.get(f"{sim.base_url}/ocpi/{v}", headers=h).status_code == 200


def test_request_ids_echoed_and_404(clean_sim) -> None:
    h = auth_header("2.2.1") | {"X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"}
    r = httpx.get(f"{clean_sim.base_url}/ocpi/2.2.1", headers=h)
    assert r.headers["X-Request-ID"] == "req-1" and r.headers["X-Correlation-ID"] == "corr-1"
    r = httpx.get(f"{clean_sim.base_url}/ocpi/2.2.1/cpo/nothing", headers=h)
    assert r.status_code == 404 and r.json()["status_code"] >= 2000
    r = httpx.get(f"{clean_sim.base_url}/nothing", headers=h)
    assert r.status_code == 404


def test_sessions_require_date_from(clean_sim, client_for) -> None:
    c: Ocpi = client_for(clean_sim)
    for v in VERSIONS:
        r = c.get(c.endpoints(v)["sessions"], v)
        assert r.status_code == 400
        assert r.json()["status_code"] == 2001


def test_timestamps_and_last_updated_follow_platform_clock(clean_sim, client_for) -> None:
    c: Ocpi = client_for(clean_sim)
    r = c.get(c.endpoints("2.2.1")["locations"], "2.2.1")
    env = orjson.loads(r.content)
    assert DT_STRICT.match(env["timestamp"])
    assert max(lo["last_updated"] for lo in env["data"]) <= env["timestamp"]
