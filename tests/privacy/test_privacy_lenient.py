"""Booleans and enums sent as strings open a private context, on both filter paths.

Platforms send ``"true"``, ``" False "``, ``"on_driveway"``: the policy reads them as the
JSON value they spell (any case, surrounding spaces), so a home charger is coarsened whatever
the spelling. The per-object filter and the page filter (msgspec, privacy/_fast.py) must
agree, object by object.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from ocpiwh.privacy import PrivacyProfile, Sites, compile_filter

KEY = b"k" * 32
ADDRESS = "12 rue des Lilas"
LAT, LON = "45.759876", "4.842123"

PRIVATE_TRUE = [True, "true", "TRUE", "True", " true ", "\ttrue\n"]
NOT_TRUE = [False, "false", "False", None, "yes", "truthy", "t r u e", "", 1]
PRIVATE_FALSE = [False, "false", "FALSE", "False", " false ", "\tfalse\n"]
NOT_FALSE = [True, "true", None, "no", "0", "", 0]
DRIVEWAY = ["ON_DRIVEWAY", "on_driveway", " On_Driveway ", "\tON_DRIVEWAY\n"]
NOT_DRIVEWAY = ["ON_STREET", "ON_DRIVEWAYS", "ON DRIVEWAY", "", None, 3]
# 2.1.1 locations are private unless declared public: these tests declare them
PROFILE = PrivacyProfile(sites=Sites(ocpi211_public=True))


def spelled(value: Any) -> str:
    """A test id naming the spelling without quotes or control characters."""
    return re.sub(r"\W+", "_", repr(value)).strip("_") or "empty"


def cdr(flag: Any) -> dict[str, Any]:
    return {
        "id": "C1",
        "home_charging_compensation": flag,
        "cdr_location": {
            "id": "L1",
            "name": "Domicile",
            "address": ADDRESS,
            "city": "Lyon",
            "postal_code": "69003",
            "country": "FRA",
            "coordinates": {"latitude": LAT, "longitude": LON},
            "evse_uid": "E1",
            "evse_id": "FR*ABC*E1",
            "connector_id": "1",
        },
        "last_updated": "2026-01-01T00:00:00Z",
    }


def location(**fields: Any) -> dict[str, Any]:
    loc = {
        "country_code": "FR",
        "party_id": "ABC",
        "id": "L1",
        "name": "Domicile",
        "address": ADDRESS,
        "city": "Lyon",
        "postal_code": "69003",
        "country": "FRA",
        "coordinates": {"latitude": LAT, "longitude": LON},
        "evses": [
            {
                "uid": "E1",
                "evse_id": "FR*ABC*E1",
                "status": "AVAILABLE",
                "coordinates": {"latitude": LAT, "longitude": LON},
                "connectors": [],
                "last_updated": "2026-01-01T00:00:00Z",
            }
        ],
        "last_updated": "2026-01-01T00:00:00Z",
    }
    loc.update(fields)
    return loc


def both_paths(module: str, version: str, obj: dict[str, Any]) -> dict[str, Any]:
    """The object through the per-object filter, checked equal to the page filter's."""
    one = compile_filter(module, version, PROFILE, KEY)(obj)
    page = compile_filter(module, version, PROFILE, KEY)
    assert page._page is not None, "no page filter for this module: nothing to compare"
    docs, others = page.filter_page(orjson.dumps([obj, {**obj, "id": "twin"}]))
    assert others == []
    assert one is not None
    assert orjson.loads(docs[0]) == one, "the page filter disagrees with the object filter"
    assert orjson.loads(docs[1]) == {**one, "id": "twin"}
    return one


def site_hidden(out: dict[str, Any]) -> bool:
    text = orjson.dumps(out).decode()
    return ADDRESS not in text and LAT not in text and LON not in text and "69003" not in text


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize("flag", PRIVATE_TRUE, ids=spelled)
def test_home_charging_flag_spelled_as_text_is_private(version: str, flag: Any) -> None:
    out = both_paths("cdrs", version, cdr(flag))
    assert site_hidden(out)
    assert out["cdr_location"]["coordinates"] == {"latitude": "45.76", "longitude": "4.84"}
    assert out["cdr_location"]["postal_code"] == "69"


@pytest.mark.parametrize("flag", NOT_TRUE, ids=spelled)
def test_other_home_charging_values_keep_the_site(flag: Any) -> None:
    out = both_paths("cdrs", "2.2.1", cdr(flag))
    assert out["cdr_location"]["address"] == ADDRESS
    assert out["cdr_location"]["coordinates"] == {"latitude": LAT, "longitude": LON}


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize("publish", PRIVATE_FALSE, ids=spelled)
def test_publish_false_spelled_as_text_is_private(version: str, publish: Any) -> None:
    out = both_paths("locations", version, location(publish=publish))
    assert site_hidden(out)
    assert "name" not in out
    assert out["evses"][0]["coordinates"] == {"latitude": "45.76", "longitude": "4.84"}


@pytest.mark.parametrize("publish", NOT_FALSE, ids=spelled)
def test_other_publish_values_keep_the_site(publish: Any) -> None:
    out = both_paths("locations", "2.2.1", location(publish=publish))
    assert out["address"] == ADDRESS and out["name"] == "Domicile"


@pytest.mark.parametrize(
    ("version", "key"), [("2.2.1", "parking_type"), ("2.3.0", "parking_type"), ("2.1.1", "type")]
)
@pytest.mark.parametrize("value", DRIVEWAY, ids=spelled)
def test_on_driveway_in_any_case_is_private(version: str, key: str, value: str) -> None:
    out = both_paths("locations", version, location(**{key: value}))
    assert site_hidden(out)


@pytest.mark.parametrize(("version", "key"), [("2.2.1", "parking_type"), ("2.1.1", "type")])
@pytest.mark.parametrize("value", NOT_DRIVEWAY, ids=spelled)
def test_other_parking_types_keep_the_site(version: str, key: str, value: Any) -> None:
    out = both_paths("locations", version, location(**{key: value}))
    assert out["address"] == ADDRESS


def test_211_session_of_a_home_location_is_private() -> None:
    """2.1.1 sessions embed the location: its type spelled as text still closes it."""
    session = {
        "id": "S1",
        "auth_id": "C1",
        "location": location(type=" on_driveway "),
        "last_updated": "2026-01-01T00:00:00Z",
    }
    out = both_paths("sessions", "2.1.1", session)
    assert site_hidden(out)
