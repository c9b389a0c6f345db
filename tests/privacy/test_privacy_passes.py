"""--privacy-pass lets exactly the named fields through; nothing else changes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ocpiwh.errors import UsageError
from ocpiwh.privacy import PrivacyProfile, compile_filter, policy_rows

KEY = bytes(32)

SESSION = {
    "id": "s1",
    "cdr_token": {
        "country_code": "NL",
        "party_id": "TNM",
        "uid": "UID1",
        "type": "RFID",
        "contract_id": "C1",
    },
    "authorization_reference": "AREF",
    "meter_id": "M1",
    "kwh": 3.5,
    "charging_periods": [
        {
            "start_date_time": "2024-01-01T00:00:00Z",
            "dimensions": [
                {"type": "ENERGY", "volume": 1},
                {"type": "STATE_OF_CHARGE", "volume": 80},
            ],
        }
    ],
    "x_vendor": {"driver": "Jane"},
}

LOCATION = {
    "id": "L1",
    "publish": True,
    "name": "Station",
    "evses": [
        {
            "uid": "E1",
            "evse_id": "FR*ABC*E1",
            "x_ext": "EXT1",
            "connectors": [{"id": "1", "x_conn": 7}],
        }
    ],
    "publish_allowed_to": [{"uid": "U1", "issuer": "ISS", "visual_number": "V"}],
}


def without(obj: Any, path: list[str]) -> Any:
    obj = copy.deepcopy(obj)

    def rec(o: Any, segs: list[str]) -> None:
        if isinstance(o, list):
            for x in o:
                rec(x, segs)
        elif isinstance(o, dict):
            if len(segs) == 1:
                o.pop(segs[0], None)
            elif segs[0] in o:
                rec(o[segs[0]], segs[1:])

    rec(obj, path)
    return obj


@pytest.mark.parametrize(
    ("module", "obj", "path", "expected"),
    [
        ("sessions", SESSION, "cdr_token.uid", "UID1"),
        ("sessions", SESSION, "sessions:cdr_token.contract_id", "C1"),
        ("sessions", SESSION, "authorization_reference", "AREF"),
        ("sessions", SESSION, "x_vendor", {"driver": "Jane"}),
        ("locations", LOCATION, "evses.x_ext", "EXT1"),
        ("locations", LOCATION, "evses.connectors.x_conn", 7),
    ],
)
def test_pass_exactly_one_field(module: str, obj: dict[str, Any], path: str, expected: Any) -> None:
    default = compile_filter(module, "2.2.1", PrivacyProfile(), KEY)(obj)
    passed = compile_filter(module, "2.2.1", PrivacyProfile(passes=(path,)), KEY)(obj)
    segs = path.split(":")[-1].split(".")
    assert without(default, segs) == without(passed, segs)
    cur: Any = passed
    for s in segs:
        cur = cur[0][s] if isinstance(cur, list) else cur[s]
        while isinstance(cur, list) and len(cur) == 1 and s != segs[-1]:
            cur = cur[0]
    assert cur == expected


def test_pass_subtree() -> None:
    out = compile_filter("sessions", "2.2.1", PrivacyProfile(passes=("cdr_token",)), KEY)(SESSION)
    assert out and out["cdr_token"] == SESSION["cdr_token"]


def test_pass_dimensions_keeps_state_of_charge() -> None:
    prof = PrivacyProfile(passes=("charging_periods.dimensions",))
    out = compile_filter("sessions", "2.2.1", prof, KEY)(SESSION)
    assert out and len(out["charging_periods"][0]["dimensions"]) == 2
    out = compile_filter("sessions", "2.2.1", PrivacyProfile(), KEY)(SESSION)
    assert out and out["charging_periods"][0]["dimensions"] == [{"type": "ENERGY", "volume": 1}]


def test_pass_inside_dropped_container_keeps_only_that_field() -> None:
    prof = PrivacyProfile(passes=("publish_allowed_to.issuer",))
    out = compile_filter("locations", "2.2.1", prof, KEY)(LOCATION)
    assert out and out["publish_allowed_to"] == [{"issuer": "ISS"}]
    default = compile_filter("locations", "2.2.1", PrivacyProfile(), KEY)(LOCATION)
    assert default and "publish_allowed_to" not in default


def test_module_qualified_pass_applies_to_that_module_only() -> None:
    prof = PrivacyProfile(passes=("sessions:cdr_token.uid",))
    s = compile_filter("sessions", "2.2.1", prof, KEY)(SESSION)
    c = compile_filter("cdrs", "2.2.1", prof, KEY)({"cdr_token": {"uid": "UID1"}})
    assert s and s["cdr_token"]["uid"] == "UID1"
    assert c and c["cdr_token"]["uid"] != "UID1"
    both = PrivacyProfile(passes=("cdr_token.uid",))
    c = compile_filter("cdrs", "2.2.1", both, KEY)({"cdr_token": {"uid": "UID1"}})
    assert c and c["cdr_token"]["uid"] == "UID1"


@pytest.mark.parametrize(
    "path",
    [
        "cdr_token.uidd",
        "cdr_token.uid.deeper",
        "nope.field",
        "tokens:cdr_token.uid",
        "evses..uid",
        "",
        "foo:bar",
        "locations:evses.evse_idd",
    ],
)
def test_bad_path_is_a_usage_error(path: str) -> None:
    with pytest.raises(UsageError) as err:
        PrivacyProfile(passes=(path,))
    assert err.value.exit_code == 2


def test_error_message_names_module_and_show_command() -> None:
    with pytest.raises(
        UsageError,
        match=r"unknown privacy path 'x\.y' for module sessions; "
        r"see `ocpiwh privacy show sessions`",
    ):
        PrivacyProfile(passes=("sessions:x.y",))


def test_typo_gets_a_suggestion() -> None:
    with pytest.raises(UsageError) as err:
        PrivacyProfile(passes=("cdr_token.uidd",))
    assert err.value.hint and "cdr_token.uid" in err.value.hint


def test_from_config_union_and_fingerprint() -> None:
    p = PrivacyProfile.from_config({"pass": ["cdr_token.uid"]}, ["evses.evse_id,cdr_token.uid"])
    assert p.passes == ("cdr_token.uid", "evses.evse_id")
    assert PrivacyProfile().fingerprint == PrivacyProfile.from_config(None).fingerprint
    assert p.fingerprint != PrivacyProfile().fingerprint
    assert p.fingerprint == PrivacyProfile(passes=("evses.evse_id", "cdr_token.uid")).fingerprint
    assert p.fingerprint.startswith("default")
    with pytest.raises(UsageError):
        PrivacyProfile.from_config({"passes": ["x"]})
    with pytest.raises(UsageError):
        PrivacyProfile.from_config({"pass": [1]})


def test_policy_rows_show_passes() -> None:
    rows = policy_rows("sessions", "2.2.1", PrivacyProfile(passes=("cdr_token.uid", "x_vendor")))
    by_path = {r.path: r for r in rows}
    assert by_path["cdr_token.uid"].treatment == "KEEP"
    assert "pass" in by_path["cdr_token.uid"].reason
    assert by_path["x_vendor"].treatment == "KEEP"
    assert by_path["cdr_token.contract_id"].treatment == "PSEUDONYMIZE"
