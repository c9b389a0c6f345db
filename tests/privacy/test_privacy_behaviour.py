"""Unknown fields, private locations, home-charging CDRs, malformed values, quarantine."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest

from ocpiwh.errors import UsageError
from ocpiwh.privacy import (
    PrivacyProfile,
    Treatment,
    compile_filter,
    policy_rows,
    sanitize_for_quarantine,
)

KEY = b"z" * 32
P = PrivacyProfile()


def location(**extra: Any) -> dict[str, Any]:
    loc: dict[str, Any] = {
        "country_code": "FR",
        "party_id": "ABC",
        "id": "L1",
        "publish": True,
        "name": "Chez Dupont",
        "address": "12 rue des Lilas",
        "city": "Lyon",
        "postal_code": "69003",
        "country": "FRA",
        "coordinates": {"latitude": "45.759876", "longitude": "4.842123"},
        "related_locations": [
            {
                "latitude": "45.759000",
                "longitude": "4.842000",
                "name": {"language": "fr", "text": "Garage"},
            }
        ],
        "evses": [
            {
                "uid": "E1",
                "evse_id": "FR*ABC*E1",
                "status": "AVAILABLE",
                "coordinates": {"latitude": "45.759876", "longitude": "4.842123"},
                "directions": [{"language": "fr", "text": "code portail 1234"}],
                "images": [{"url": "https://x/e.jpg", "category": "CHARGER", "type": "jpg"}],
                "connectors": [],
                "last_updated": "2024-01-01T00:00:00Z",
            }
        ],
        "directions": [{"language": "fr", "text": "derrière la maison"}],
        "owner": {"name": "Jean Dupont"},
        "operator": {"name": "ACME"},
        "images": [{"url": "https://x/house.jpg", "category": "LOCATION", "type": "jpg"}],
        "time_zone": "Europe/Paris",
        "last_updated": "2024-01-01T00:00:00Z",
    }
    loc.update(extra)
    return loc


PRIVATE_TEXT = [
    "Chez Dupont",
    "12 rue des Lilas",
    "69003",
    "45.759876",
    "4.842123",
    "code portail",
    "derrière",
    "Jean Dupont",
    "house.jpg",
    "e.jpg",
    "Garage",
]


@pytest.mark.parametrize(
    ("version", "extra"),
    [
        ("2.2.1", {"publish": False}),
        ("2.2.1", {"parking_type": "ON_DRIVEWAY"}),
        ("2.3.0", {"publish": "false"}),
        ("2.1.1", {"type": "ON_DRIVEWAY"}),
    ],
)
def test_private_location_coarsened(version: str, extra: dict[str, Any]) -> None:
    f = compile_filter("locations", version, P, KEY)
    out = f(location(**extra))
    assert out is not None
    dumped = orjson.dumps(out).decode()
    for text in PRIVATE_TEXT:
        assert text not in dumped, text
    assert out["coordinates"] == {"latitude": "45.76", "longitude": "4.84"}
    assert out["evses"][0]["coordinates"] == {"latitude": "45.76", "longitude": "4.84"}
    assert out["related_locations"] == [{"latitude": "45.76", "longitude": "4.84"}]
    assert out["postal_code"] == "69"
    assert out["city"] == "Lyon" and out["operator"] == {"name": "ACME"}
    assert out["evses"][0]["evse_id"] == "FR*ABC*E1"
    assert f.stats.coarsened == 7


def test_public_location_kept() -> None:
    loc = location()
    out = compile_filter("locations", "2.2.1", P, KEY)(loc)
    assert out == loc


def test_home_charging_cdr_location_coarsened() -> None:
    cdr = {
        "id": "C1",
        "home_charging_compensation": True,
        "cdr_location": {
            "id": "L1",
            "name": "Home",
            "address": "12 rue des Lilas",
            "city": "Lyon",
            "postal_code": "69003",
            "country": "FRA",
            "coordinates": {"latitude": "45.759876", "longitude": "4.842123"},
            "evse_uid": "E1",
            "evse_id": "FR*ABC*E1",
            "connector_id": "1",
        },
    }
    f = compile_filter("cdrs", "2.2.1", P, KEY)
    out = f(cdr)
    assert out is not None
    assert out["cdr_location"] == {
        "id": "L1",
        "city": "Lyon",
        "postal_code": "69",
        "country": "FRA",
        "coordinates": {"latitude": "45.76", "longitude": "4.84"},
        "evse_uid": "E1",
        "evse_id": "FR*ABC*E1",
        "connector_id": "1",
    }
    cdr["home_charging_compensation"] = False
    out = f(cdr)
    assert out is not None and out["cdr_location"] == cdr["cdr_location"]


def test_211_embedded_location_uses_location_policy() -> None:
    s = {"id": "S1", "auth_id": "C1", "location": location(type="ON_DRIVEWAY", publish=None)}
    out = compile_filter("sessions", "2.1.1", P, KEY)(s)
    assert out is not None
    assert "name" not in out["location"] and out["location"]["postal_code"] == "69"
    # 2.2 fields are unknown in 2.1.1: dropped and counted
    c = {"id": "X", "location": location()}
    f = compile_filter("cdrs", "2.1.1", P, KEY)
    out = f(c)
    assert out is not None and "publish" not in out["location"]
    assert f.stats.unknown_fields_dropped["location.publish"] == 1
    assert f.stats.unknown_fields_dropped["location.country_code"] == 1


def test_unknown_fields_dropped_and_counted() -> None:
    f = compile_filter("sessions", "2.3.0", P, KEY)
    obj = {
        "id": "S1",
        "x_driver_email": "jane@example.org",
        "cdr_token": {"uid": "U", "x_name": "Jane"},
        "charging_periods": [
            {
                "start_date_time": "t",
                "x_vin": "VF1AB000012345678",
                "dimensions": [{"type": "ENERGY", "volume": 1, "x": 2}],
            }
        ]
        * 2,
    }
    out = f(obj)
    dumped = orjson.dumps(out).decode()
    for secret in ("jane@", "Jane", "VF1AB"):
        assert secret not in dumped
    assert f.stats.unknown_fields_dropped == {
        "x_driver_email": 1,
        "cdr_token.x_name": 1,
        "charging_periods.x_vin": 2,
        "charging_periods.dimensions.x": 2,
    }
    assert f.stats.unknown_total == 6


def test_unknown_enum_values_are_kept() -> None:
    out = compile_filter("locations", "2.3.0", P, KEY)(
        {"id": "L", "parking_type": "ROOFTOP_XYZ", "facilities": ["NEW_FACILITY"]}
    )
    assert out == {"id": "L", "parking_type": "ROOFTOP_XYZ", "facilities": ["NEW_FACILITY"]}


def test_state_of_charge_dropped() -> None:
    f = compile_filter("cdrs", "2.2.1", P, KEY)
    out = f(
        {
            "charging_periods": [
                {
                    "dimensions": [
                        {"type": "STATE_OF_CHARGE", "volume": 71},
                        {"type": "ENERGY", "volume": 2},
                    ]
                }
            ]
        }
    )
    assert out == {"charging_periods": [{"dimensions": [{"type": "ENERGY", "volume": 2}]}]}


def test_objects_where_scalars_are_due_are_dropped() -> None:
    f = compile_filter("sessions", "2.2.1", P, KEY)
    out = f({"id": {"name": "Jane"}, "kwh": [1, 2], "cdr_token": "U123", "status": "ACTIVE"})
    assert out == {"kwh": [1, 2], "status": "ACTIVE"}
    assert f.stats.malformed_dropped == {"id": 1, "cdr_token": 1}


def test_input_not_mutated_and_not_dict() -> None:
    f = compile_filter("tokens", "2.2.1", P, KEY)
    tok = {
        "uid": "U1",
        "visual_number": "V",
        "energy_contract": {"supplier_name": "S", "contract_id": "EC1"},
    }
    before = orjson.dumps(tok)
    out = f(tok)
    assert orjson.dumps(tok) == before
    assert out is not None and out["energy_contract"] == {"supplier_name": "S"}
    assert f(["not", "an", "object"]) is None and f(None) is None
    assert f.stats.objects == 1 and f.stats.not_objects == 2


def test_signed_data_dropped_whole() -> None:
    out = compile_filter("cdrs", "2.2.1", P, KEY)(
        {
            "id": "C",
            "signed_data": {"encoding_method": "OCMF", "signed_values": [{"plain_data": "x"}]},
            "invoice_reference_id": "INV",
            "meter_id": "M",
            "authorization_reference": "A",
        }
    )
    assert out == {"id": "C"}


def test_quarantine_unreadable_bytes() -> None:
    raw = b'{"cdr_token": {"uid": "SECRET"'
    out = sanitize_for_quarantine("sessions", "2.2.1", raw, P, KEY)
    assert out == {
        "unreadable": True,
        "length": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }


@pytest.mark.parametrize("payload", [b"[1, 2]", b'"SECRET"', b"42", b"null", ["SECRET"]])
def test_quarantine_non_object(payload: Any) -> None:
    out = sanitize_for_quarantine("cdrs", "2.2.1", payload, P, KEY)
    assert out["unreadable"] is True and "SECRET" not in orjson.dumps(out).decode()


def test_quarantine_partial_object() -> None:
    raw = b'{"id": 5, "cdr_token": {"uid": "SECRET"}, "kwh": "lots", "x": "SECRET2"}'
    out = sanitize_for_quarantine("sessions", "2.2.1", raw, P, KEY)
    assert out["id"] == 5 and out["kwh"] == "lots"
    assert out["cdr_token"]["uid"].startswith("ps_")
    assert "SECRET" not in orjson.dumps(out).decode()
    assert sanitize_for_quarantine("sessions", "2.2.1", orjson.loads(raw), P, KEY) == out


def test_bad_module_or_version() -> None:
    with pytest.raises(UsageError):
        compile_filter("chargingprofiles", "2.2.1", P, KEY)
    with pytest.raises(UsageError):
        compile_filter("sessions", "3.0", P, KEY)
    out = sanitize_for_quarantine("sessions", "9.9", b'{"id": "x"}', P, KEY)
    assert out["unreadable"] is True


def test_every_field_has_a_row() -> None:
    rows = policy_rows(None, None, P)
    assert {r.module for r in rows} == {"locations", "sessions", "cdrs", "tariffs", "tokens"}
    assert {r.version for r in rows} == {"2.1.1", "2.2.1", "2.3.0"}
    paths = {(r.module, r.version, r.path): r.treatment for r in rows}
    assert paths[("tokens", "2.2.1", "uid")] is Treatment.PSEUDONYMIZE
    assert paths[("tokens", "2.1.1", "auth_id")] is Treatment.PSEUDONYMIZE
    assert paths[("cdrs", "2.2.1", "signed_data")] is Treatment.DROP
    assert paths[("cdrs", "2.3.0", "total_cost.taxes.amount")] is Treatment.KEEP
    assert paths[("locations", "2.3.0", "parking_places.vehicle_types")] is Treatment.KEEP
    assert paths[("tariffs", "2.3.0", "tax_included")] is Treatment.KEEP
    assert paths[("sessions", "2.1.1", "location.evses.connectors.voltage")] is Treatment.KEEP
    assert ("cdrs", "2.2.1", "tariffs.elements.restrictions.max_current") in paths
    assert paths[("sessions", "2.2.1", "*")] is Treatment.DROP
