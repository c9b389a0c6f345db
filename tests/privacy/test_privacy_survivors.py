"""Behaviours mutation testing found undefended (docs/mutation.md): each test kills a mutant
that survived every other privacy test."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest

from ocpiwh.privacy import (
    PrivacyProfile,
    coarsen_coordinate,
    compile_filter,
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
