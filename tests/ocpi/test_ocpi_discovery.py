from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import tomli_w

from ocpiwh.errors import OcpiError, UsageError
from ocpiwh.ocpi import Connection, Endpoint, OcpiClient, discover

from .fakes import TOKEN, Recorder, envelope

MakeClient = Callable[..., OcpiClient]
B64 = base64.b64encode(TOKEN.encode()).decode()
BASE = "https://cpo.example/ocpi"

EP_221 = [
    {"identifier": "credentials", "role": "RECEIVER", "url": f"{BASE}/2.2.1/credentials"},
    {"identifier": "locations", "role": "SENDER", "url": f"{BASE}/cpo/2.2.1/locations"},
    {"identifier": "sessions", "role": "SENDER", "url": f"{BASE}/cpo/2.2.1/sessions"},
    {"identifier": "cdrs", "role": "SENDER", "url": f"{BASE}/cpo/2.2.1/cdrs"},
    {"identifier": "tokens", "role": "RECEIVER", "url": f"{BASE}/cpo/2.2.1/tokens"},
    {"identifier": "nltnm-tokens", "role": "SENDER", "url": f"{BASE}/custom"},
]

CREDS_221 = {
    "token": "ignored",
    "url": f"{BASE}/versions",
    "roles": [
        {"role": "EMSP", "country_code": "NL", "party_id": "MSP"},
        {"role": "CPO", "country_code": "fr", "party_id": "abc", "business_details": {}},
        {"role": "CPO", "country_code": "BE", "party_id": "XYZ"},
    ],
}


def platform(routes: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    def answer(req: httpx.Request) -> httpx.Response:
        route = routes.get(str(req.url))
        if route is None:
            return httpx.Response(404)
        if callable(route):
            return route(req)  # type: ignore[no-any-return]
        return envelope(route)

    return answer


def standard_routes() -> dict[str, Any]:
    return {
        f"{BASE}/versions": [
            {"version": "2.1.1", "url": f"{BASE}/2.1.1"},
            {"version": "2.2", "url": f"{BASE}/2.2"},
            {"version": "2.2.1", "url": f"{BASE}/2.2.1"},
            {"version": "3.0", "url": f"{BASE}/3.0"},
        ],
        f"{BASE}/2.2.1": {"version": "2.2.1", "endpoints": EP_221},
        f"{BASE}/2.2.1/credentials": CREDS_221,
        f"{BASE}/2.1.1": {
            "version": "2.1.1",
            "endpoints": [
                {"identifier": "locations", "url": f"{BASE}/2.1.1/locations"},
                {"identifier": "tokens", "url": f"{BASE}/2.1.1/tokens"},
                {"identifier": "credentials", "url": f"{BASE}/2.1.1/credentials"},
            ],
        },
        f"{BASE}/2.1.1/credentials": {
            "token": "x",
            "url": "u",
            "party_id": "abc",
            "country_code": "de",
            "business_details": {"name": "Test"},
        },
    }


def test_discover_from_versions_url(make_client: MakeClient) -> None:
    rec = Recorder(platform(standard_routes()))
    client = make_client(rec, from_party=("NL", "OWH"))
    conn = discover(client, f"{BASE}/versions")
    assert conn.version == "2.2.1"
    assert client.version == "2.2.1"
    assert conn.versions_url == f"{BASE}/versions"
    assert conn.details_url == f"{BASE}/2.2.1"
    assert conn.sender_url("locations") == f"{BASE}/cpo/2.2.1/locations"
    assert conn.sender_url("cdrs") == f"{BASE}/cpo/2.2.1/cdrs"
    assert conn.sender_url("tokens") is None  # RECEIVER only on a CPO
    assert conn.sender_url("tariffs") is None
    assert conn.sender_url("nltnm-tokens") is None  # unknown identifiers are ignored
    assert all(e.identifier != "nltnm-tokens" for e in conn.endpoints)
    assert conn.platform_party == ("FR", "ABC")
    assert client.to_party == ("FR", "ABC")
    assert conn.auth_mode == "base64"
    # no routing headers on configuration modules
    for req in rec.requests:
        assert "OCPI-from-party-id" not in req.headers
        assert "OCPI-to-party-id" not in req.headers


def test_discover_from_details_url(make_client: MakeClient) -> None:
    rec = Recorder(platform(standard_routes()))
    conn = discover(make_client(rec), f"{BASE}/2.1.1")
    assert conn.version == "2.1.1"
    assert conn.versions_url is None
    assert conn.details_url == f"{BASE}/2.1.1"
    assert conn.sender_url("locations") == f"{BASE}/2.1.1/locations"
    assert conn.sender_url("tokens") == f"{BASE}/2.1.1/tokens"  # no roles in 2.1.1
    assert conn.platform_party == ("DE", "ABC")
    assert conn.auth_mode == "plain"


def test_versions_wrapped_in_object_and_preference(make_client: MakeClient) -> None:
    routes = standard_routes()
    routes[f"{BASE}/versions"] = {
        "versions": [
            {"version": "2.1.1", "url": f"{BASE}/2.1.1"},
            {"version": "2.3.0", "url": f"{BASE}/2.3.0"},
            {"version": "2.2.1", "url": f"{BASE}/2.2.1"},
        ]
    }
    routes[f"{BASE}/2.3.0"] = {"version": "2.3.0", "endpoints": EP_221}
    conn = discover(make_client(Recorder(platform(routes))), f"{BASE}/versions")
    assert conn.version == "2.3.0"


def test_deprecated_22_is_accepted_as_221(make_client: MakeClient) -> None:
    routes = standard_routes()
    routes[f"{BASE}/versions"] = [
        {"version": "2.1", "url": f"{BASE}/2.1.1"},
        {"version": "2.2", "url": f"{BASE}/2.2"},
    ]
    routes[f"{BASE}/2.2"] = {"version": "2.2", "endpoints": EP_221}
    conn = discover(make_client(Recorder(platform(routes))), f"{BASE}/versions")
    assert conn.version == "2.2.1"
    assert conn.details_url == f"{BASE}/2.2"


def test_force_version(make_client: MakeClient) -> None:
    conn = discover(make_client(Recorder(platform(standard_routes()))), f"{BASE}/versions", "2.1.1")
    assert conn.version == "2.1.1"


def test_force_version_not_offered_lists_offer(make_client: MakeClient) -> None:
    with pytest.raises(OcpiError) as info:
        discover(make_client(Recorder(platform(standard_routes()))), f"{BASE}/versions", "2.3.0")
    msg = str(info.value)
    assert "2.3.0" in msg and "2.1.1, 2.2, 2.2.1, 3.0" in msg


def test_force_unsupported_version_is_usage_error(make_client: MakeClient) -> None:
    with pytest.raises(UsageError):
        discover(make_client(Recorder(platform({}))), f"{BASE}/versions", "1.9")


def test_no_supported_version(make_client: MakeClient) -> None:
    routes = {f"{BASE}/versions": [{"version": "2.0", "url": "x"}, {"version": "3.0", "url": "y"}]}
    with pytest.raises(OcpiError) as info:
        discover(make_client(Recorder(platform(routes))), f"{BASE}/versions")
    assert "no OCPI version ocpiwh supports" in str(info.value)
    assert "2.0, 3.0" in str(info.value)


def test_not_ocpi_url(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: httpx.Response(200, text="<html>Welcome</html>"))
    with pytest.raises(OcpiError) as info:
        discover(make_client(rec), "https://www.example.com/")
    assert "is not an OCPI endpoint" in str(info.value)


def test_envelope_with_unexpected_data(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope("hello"))
    with pytest.raises(OcpiError) as info:
        discover(make_client(rec), f"{BASE}/versions")
    assert "not an OCPI versions or version-details endpoint" in str(info.value)


def test_details_without_sender_modules(make_client: MakeClient) -> None:
    routes = {
        f"{BASE}/emsp/2.2.1": {
            "version": "2.2.1",
            "endpoints": [
                {"identifier": "locations", "role": "RECEIVER", "url": f"{BASE}/l"},
                {"identifier": "credentials", "role": "SENDER", "url": f"{BASE}/c"},
            ],
        }
    }
    with pytest.raises(OcpiError) as info:
        discover(make_client(Recorder(platform(routes))), f"{BASE}/emsp/2.2.1")
    assert "offers no Sender module" in str(info.value)
    assert "locations(RECEIVER)" in str(info.value)


def test_combined_platform_duplicate_identifiers_by_role(make_client: MakeClient) -> None:
    # ocpi-protocol.md §1.3, version_details_example2.json
    routes = {
        "https://example.com/ocpi/2.2": {
            "version": "2.2",
            "endpoints": [
                {
                    "identifier": "credentials",
                    "role": "RECEIVER",
                    "url": "https://example.com/ocpi/2.2/credentials",
                },
                {
                    "identifier": "locations",
                    "role": "SENDER",
                    "url": "https://example.com/ocpi/cpo/2.2/locations",
                },
                {
                    "identifier": "tokens",
                    "role": "RECEIVER",
                    "url": "https://example.com/ocpi/cpo/2.2/tokens",
                },
                {
                    "identifier": "locations",
                    "role": "RECEIVER",
                    "url": "https://example.com/ocpi/msp/2.2/locations",
                },
                {
                    "identifier": "tokens",
                    "role": "SENDER",
                    "url": "https://example.com/ocpi/msp/2.2/tokens",
                },
            ],
        },
        "https://example.com/ocpi/2.2/credentials": CREDS_221,
    }
    conn = discover(make_client(Recorder(platform(routes))), "https://example.com/ocpi/2.2")
    assert conn.version == "2.2.1"
    assert conn.sender_url("locations") == "https://example.com/ocpi/cpo/2.2/locations"
    assert conn.sender_url("tokens") == "https://example.com/ocpi/msp/2.2/tokens"


def test_relative_and_case_insensitive_endpoints(make_client: MakeClient) -> None:
    routes = {
        f"{BASE}/versions": [{"version": "2.2.1", "url": "2.2.1/"}],
        f"{BASE}/2.2.1/": {
            "version": "2.2.1",
            "endpoints": [{"identifier": "Locations", "role": "sender", "url": "cpo/locations"}],
        },
    }
    conn = discover(make_client(Recorder(platform(routes))), f"{BASE}/versions")
    assert conn.sender_url("locations") == f"{BASE}/2.2.1/cpo/locations"
    assert conn.platform_party is None


def test_credentials_failure_is_non_fatal(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    routes = standard_routes()
    routes[f"{BASE}/2.2.1/credentials"] = lambda r: envelope(None, 3000, http_status=500)
    policy_client = make_client(Recorder(platform(routes)))
    conn = discover(policy_client, f"{BASE}/versions")
    assert conn.platform_party is None
    assert "credentials" in caplog.text
    assert TOKEN not in caplog.text


def test_auth_learned_during_login(make_client: MakeClient) -> None:
    routes = standard_routes()

    def plain_only(route: Any) -> Callable[[httpx.Request], httpx.Response]:
        def answer(req: httpx.Request) -> httpx.Response:
            if req.headers["Authorization"] != f"Token {TOKEN}":
                return httpx.Response(401)
            return envelope(route)

        return answer

    for key in list(routes):
        routes[key] = plain_only(routes[key])
    rec = Recorder(platform(routes))
    client = make_client(rec)
    conn = discover(client, f"{BASE}/versions")
    assert conn.auth_mode == "plain"
    auths = [r.headers["Authorization"] for r in rec.requests]
    # versions (plain ok), details (base64 refused, plain ok), credentials (plain, remembered)
    assert auths == [f"Token {TOKEN}", f"Token {B64}", f"Token {TOKEN}", f"Token {TOKEN}"]


def test_connection_roundtrip_and_toml_safe() -> None:
    conn = Connection(
        version="2.2.1",
        versions_url=None,
        details_url=f"{BASE}/2.2.1",
        endpoints=[
            Endpoint("locations", "SENDER", f"{BASE}/l"),
            Endpoint("locations", "RECEIVER", f"{BASE}/r"),
            Endpoint("cdrs", None, f"{BASE}/c"),
        ],
        platform_party=("FR", "ABC"),
        auth_mode="base64",
    )
    d = conn.to_dict()
    assert d["platform_party"] == "FR*ABC"
    assert "versions_url" not in d
    tomli_w.dumps(d)  # no None values
    assert Connection.from_dict(d) == conn
    assert TOKEN not in repr(d)
    assert conn.sender_url("cdrs") == f"{BASE}/c"  # missing role tolerated, RECEIVER never


def test_connection_from_dict_incomplete() -> None:
    with pytest.raises(UsageError):
        Connection.from_dict({"version": "2.2.1"})
    with pytest.raises(UsageError):
        Connection.from_dict({"version": "9.9", "details_url": "x"})


def test_discovery_logs(make_client: MakeClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ocpiwh.ocpi")
    discover(make_client(Recorder(platform(standard_routes()))), f"{BASE}/versions")
    assert "discovered OCPI 2.2.1" in caplog.text
    assert TOKEN not in caplog.text and B64 not in caplog.text
