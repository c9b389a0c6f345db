"""Behaviours mutation testing found undefended (docs/mutation.md): each test kills a mutant
that survived every other privacy test."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest

from ocpiwh.errors import UsageError
from ocpiwh.privacy import (
    VERSIONS,
    PrivacyProfile,
    Treatment,
    coarsen_coordinate,
    compile_filter,
    policy_rows,
    sanitize_for_quarantine,
)

KEY = b"m" * 32


def both_paths(module: str, version: str, obj: dict[str, Any]) -> dict[str, Any]:
    one = compile_filter(module, version, PrivacyProfile(), KEY)(obj)
    page = compile_filter(module, version, PrivacyProfile(), KEY)
    docs, others = page.filter_page(orjson.dumps([obj]))
    assert one is not None and others == []
    assert orjson.loads(docs[0]) == one
    return one


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_tariff_price_components_are_a_list(version: str) -> None:
    """Kills ``price_components: Obj(comp)`` (a list read as one object is dropped)."""
    components = [
        {"type": "ENERGY", "price": 0.35, "vat": 20.0, "step_size": 1},
        {"type": "TIME", "price": 2.0, "step_size": 300},
    ]
    tariff = {
        "country_code": "FR",
        "party_id": "ABC",
        "id": "T1",
        "currency": "EUR",
        "elements": [{"price_components": components, "restrictions": {"max_power": 22.0}}],
        "last_updated": "2026-01-01T00:00:00Z",
    }
    out = both_paths("tariffs", version, tariff)
    assert out["elements"][0]["price_components"] == components


def test_parking_place_images_are_a_list() -> None:
    """Kills ``images = _image(many=None)`` in the 2.3.0 parking places."""
    images = [{"url": "https://x/p1.jpg", "category": "ENTRANCE", "type": "jpg"}]
    location = {
        "country_code": "FR",
        "party_id": "ABC",
        "id": "L1",
        "publish": True,
        "address": "1 place de la Gare",
        "city": "Lyon",
        "country": "FRA",
        "coordinates": {"latitude": "45.75", "longitude": "4.84"},
        "parking_places": [{"id": "P1", "roofed": True, "images": images}],
        "last_updated": "2026-01-01T00:00:00Z",
    }
    out = both_paths("locations", "2.3.0", location)
    assert out["parking_places"][0]["images"] == images


def test_a_payload_json_cannot_encode_is_hashed_from_its_repr() -> None:
    """Kills ``repr(obj).encode("replace")``: a non-JSON value (a set) is quarantined as
    unreadable, its length and hash over ``repr(obj)`` in UTF-8."""
    payload = {"b", "a"}
    out = sanitize_for_quarantine("sessions", "2.2.1", payload, PrivacyProfile(), KEY)
    raw = repr(payload).encode("utf-8", "replace")
    assert out == {
        "unreadable": True,
        "length": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }


def test_numeric_coordinates_of_a_private_site_are_coarsened() -> None:
    """Kills ``round(2)`` for numbers: platforms send coordinates as JSON numbers too."""
    location = {
        "country_code": "FR",
        "party_id": "ABC",
        "id": "L1",
        "publish": False,
        "coordinates": {"latitude": 45.759876, "longitude": 4.842123},
        "last_updated": "2026-01-01T00:00:00Z",
    }
    out = both_paths("locations", "2.2.1", location)
    assert out["coordinates"] == {"latitude": 45.76, "longitude": 4.84}


def test_evse_parking_is_a_list() -> None:
    """Kills ``parking: Obj(…, many=None)`` in 2.3.0 EVSEs."""
    parking = [{"parking_id": "P1", "evse_position": "LEFT"}]
    location = {
        "country_code": "FR",
        "party_id": "ABC",
        "id": "L1",
        "publish": True,
        "evses": [{"uid": "E1", "status": "AVAILABLE", "parking": parking, "connectors": []}],
        "last_updated": "2026-01-01T00:00:00Z",
    }
    out = both_paths("locations", "2.3.0", location)
    assert out["evses"][0]["parking"] == parking


def test_a_coordinate_with_a_decimal_comma_is_coarsened_not_dropped() -> None:
    """Kills ``replace(",", ".")`` made a no-op (the coordinate was dropped instead)."""
    assert coarsen_coordinate(" 48,856613 ") == "48.86"
    assert coarsen_coordinate("2,3522") == "2.35"
    assert coarsen_coordinate("2.3522") == "2.35"


def test_children_of_a_dropped_object_are_shown_dropped() -> None:
    """Kills ``drop_child = None``/``False`` in ``_walk``: `privacy show` must say that every
    field inside a dropped object is dropped, whatever its own default."""
    rows = [
        r
        for r in policy_rows("locations", "2.2.1")
        if r.path.startswith("publish_allowed_to.") and not r.reason.startswith("if ")
    ]
    assert {r.path for r in rows} >= {"publish_allowed_to.uid", "publish_allowed_to.issuer"}
    assert all(r.treatment is Treatment.DROP for r in rows)
    assert all(r.reason.startswith("inside a dropped object") for r in rows)


def test_a_pass_into_a_field_another_version_lacks_keeps_nothing_there() -> None:
    """A bare pass ``cdr_token.uid`` (OCPI 2.2+) keeps nothing of a 2.1.1 session's stray
    ``cdr_token`` (a pass names a path, never a whole unknown subtree), nor lists it."""
    profile = PrivacyProfile(passes=("cdr_token.uid",))
    session = {
        "id": "S1",
        "start_datetime": "2026-01-01T00:00:00Z",
        "kwh": 1.5,
        "auth_id": "DE-ABC-C12345678-X",
        "cdr_token": {"uid": "04A2B3C4", "contract_id": "FR-XYZ-C0000001-K"},
        "last_updated": "2026-01-01T00:00:00Z",
    }
    out = compile_filter("sessions", "2.1.1", profile, KEY)(session)
    assert out is not None and "cdr_token" not in out
    assert not [r for r in policy_rows("sessions", "2.1.1", profile) if r.path == "cdr_token"]
    # where the field exists the pass keeps exactly the passed member in clear
    passed = compile_filter("sessions", "2.2.1", profile, KEY)(
        {**session, "cdr_token": {"uid": "04A2B3C4", "type": "RFID", "contract_id": "FR-X"}}
    )
    assert passed is not None and passed["cdr_token"]["uid"] == "04A2B3C4"
    assert passed["cdr_token"].get("contract_id") != "FR-X"


def test_passed_known_fields_are_not_listed_as_unknown() -> None:
    """Kills ``name not in node.fields or sub.passed`` in ``_walk``: `privacy show` lists a
    passed known field once, as passed, never again as a passed unknown field."""
    profile = PrivacyProfile(passes=("cdr_token.uid", "kwh"))
    rows = policy_rows("sessions", "2.2.1", profile)
    assert not [r for r in rows if r.reason.startswith("unknown field")]
    assert [r.treatment for r in rows if r.path == "cdr_token.uid"] == [Treatment.KEEP]


@pytest.mark.parametrize(
    ("evses", "count"),
    [("E1", 1), (["not an object", {"uid": "E2", "status": "AVAILABLE"}], 1), ([1, 2], 2)],
)
def test_each_malformed_item_is_counted_once(evses: object, count: int) -> None:
    """Kills ``malformed[path] += 2``: the quality report counts dropped malformed values."""
    f = compile_filter("locations", "2.2.1", PrivacyProfile(), KEY)
    f({"id": "L1", "publish": True, "evses": evses, "last_updated": "2026-01-01T00:00:00Z"})
    assert f.stats.malformed_dropped == {"evses": count}


def test_a_malformed_single_object_is_counted_once() -> None:
    """The same for a field holding one object (``cdr_token``) given a string."""
    f = compile_filter("sessions", "2.2.1", PrivacyProfile(), KEY)
    out = f({"id": "S1", "cdr_token": "04A2B3C4", "last_updated": "2026-01-01T00:00:00Z"})
    assert out is not None and "cdr_token" not in out
    assert f.stats.malformed_dropped == {"cdr_token": 1}


def test_a_text_payload_is_filtered_for_the_quarantine() -> None:
    """Kills ``payload.encode(None, …)``: a payload given as text (not bytes) is read and
    filtered like bytes, not reported unreadable."""
    text = '{"id": "S1", "auth_id": "DE-ABC-C12345678-X", "kwh": "x", "last_updated": "é"}'
    as_text = sanitize_for_quarantine("sessions", "2.2.1", text, PrivacyProfile(), KEY)
    as_bytes = sanitize_for_quarantine("sessions", "2.2.1", text.encode(), PrivacyProfile(), KEY)
    assert as_text == as_bytes
    assert as_text.get("id") == "S1" and "unreadable" not in as_text
    assert "DE-ABC-C12345678-X" not in orjson.dumps(as_text).decode()


def test_a_filter_carries_its_profile_fingerprint() -> None:
    """Kills ``self.fingerprint = None``: the fingerprint names the policy rows were stored
    under."""
    profile = PrivacyProfile(passes=("cdr_token.uid",))
    f = compile_filter("sessions", "2.2.1", profile, KEY)
    assert f.fingerprint == profile.fingerprint != PrivacyProfile().fingerprint
    assert profile.fingerprint in repr(f)


def test_an_unknown_module_or_version_or_a_bad_key_is_a_usage_error_that_says_so() -> None:
    """Kills the message/hint mutants of ``check_module_version`` and ``compile_filter``: the
    one-line error names what is wrong and lists what is accepted."""
    with pytest.raises(UsageError) as module:
        compile_filter("session", "2.2.1", PrivacyProfile(), KEY)
    assert module.value.message == "unknown module 'session'"
    assert module.value.hint == "modules: locations, sessions, cdrs, tariffs, tokens"
    with pytest.raises(UsageError) as version:
        compile_filter("sessions", "2.0", PrivacyProfile(), KEY)
    assert version.value.message == "unsupported OCPI version '2.0'"
    assert version.value.hint == "versions: " + ", ".join(VERSIONS)
    with pytest.raises(ValueError, match=r"^the pseudonym key must be 32 bytes$"):
        compile_filter("sessions", "2.2.1", PrivacyProfile(), b"short")
