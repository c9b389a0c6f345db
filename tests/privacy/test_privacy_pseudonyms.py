"""Pseudonyms link one person across modules, versions and filters; never across keys."""

from __future__ import annotations

import hmac
import re

import pytest

from ocpiwh.privacy import PrivacyProfile, compile_filter, pseudonymize

KEY = b"A" * 32
OTHER_KEY = b"B" * 32
P = PrivacyProfile()
UID = "04A2C3D4E5F601"
CONTRACT = "NL-TNM-C12345678-X"


def token_221(uid: str = UID, contract: str = CONTRACT) -> dict[str, object]:
    return {
        "country_code": "NL",
        "party_id": "TNM",
        "uid": uid,
        "type": "RFID",
        "contract_id": contract,
        "issuer": "TNM",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2024-01-01T00:00:00Z",
    }


def session_221(uid: str = UID, contract: str = CONTRACT) -> dict[str, object]:
    return {
        "id": "s1",
        "cdr_token": {
            "country_code": "NL",
            "party_id": "TNM",
            "uid": uid,
            "type": "RFID",
            "contract_id": contract,
        },
    }


def cdr(version: str, uid: str = UID, contract: str = CONTRACT) -> dict[str, object]:
    if version == "2.1.1":
        return {"id": "c1", "auth_id": contract}
    return {"id": "c1", "cdr_token": {"uid": uid, "type": "RFID", "contract_id": contract}}


def test_format() -> None:
    ps = pseudonymize(KEY, UID, "uid")
    assert re.fullmatch(r"ps_[0-9a-f]{32}", ps)
    assert UID not in ps


@pytest.mark.parametrize("key", [KEY, bytes(range(32)), b"\xff" * 32])
def test_the_pseudonym_is_hmac_sha256_of_kind_and_normalized_id(key: bytes) -> None:
    """The documented formula, checked against the standard library's one-shot HMAC: a
    faster computation must never change a pseudonym, or old and new data would not link."""
    values = [UID, CONTRACT, " fr-abc-c1 ", "é-ü-ß", "\ud800x", "1" * 300, "x"]
    values += [f"{i:014X}" for i in range(0, 10**6, 997)]
    for kind in ("uid", "contract"):
        for v in values:
            norm = v.strip().upper().encode("utf-8", "surrogatepass")
            mac = hmac.digest(key, kind.encode() + b"\x00" + norm, "sha256")
            assert pseudonymize(key, v, kind) == "ps_" + mac.hex()[:32]


def test_same_person_links_across_modules_and_versions() -> None:
    tok = compile_filter("tokens", "2.2.1", P, KEY)(token_221())
    ses = compile_filter("sessions", "2.2.1", P, KEY)(session_221())
    c221 = compile_filter("cdrs", "2.2.1", P, KEY)(cdr("2.2.1"))
    c230 = compile_filter("cdrs", "2.3.0", P, KEY)(cdr("2.3.0"))
    c211 = compile_filter("cdrs", "2.1.1", P, KEY)(cdr("2.1.1"))
    s211 = compile_filter("sessions", "2.1.1", P, KEY)({"id": "s", "auth_id": CONTRACT})
    t211 = compile_filter("tokens", "2.1.1", P, KEY)({"uid": UID, "auth_id": CONTRACT})
    assert tok and ses and c221 and c230 and c211 and s211 and t211
    uid_ps = {
        tok["uid"],
        ses["cdr_token"]["uid"],
        c221["cdr_token"]["uid"],
        c230["cdr_token"]["uid"],
        t211["uid"],
    }
    assert len(uid_ps) == 1
    contract_ps = {
        tok["contract_id"],
        ses["cdr_token"]["contract_id"],
        c221["cdr_token"]["contract_id"],
        c211["auth_id"],
        s211["auth_id"],
        t211["auth_id"],
    }
    assert len(contract_ps) == 1
    assert uid_ps != contract_ps  # kinds are separate id spaces


def test_case_and_whitespace_normalized() -> None:
    f = compile_filter("tokens", "2.2.1", P, KEY)
    a = f(token_221(uid="04a2c3d4e5f601"))
    b = f(token_221(uid=" 04A2C3D4E5F601 "))
    assert a and b and a["uid"] == b["uid"]


def test_two_filter_instances_agree() -> None:
    a = compile_filter("sessions", "2.2.1", P, KEY)(session_221())
    b = compile_filter("sessions", "2.2.1", P, KEY)(session_221())
    assert a == b


def test_different_persons_differ() -> None:
    f = compile_filter("tokens", "2.2.1", P, KEY)
    a = f(token_221(uid="AAAA0001", contract="NL-TNM-C00000001-X"))
    b = f(token_221(uid="AAAA0002", contract="NL-TNM-C00000002-X"))
    assert a and b
    assert a["uid"] != b["uid"] and a["contract_id"] != b["contract_id"]


def test_different_keys_differ() -> None:
    a = compile_filter("tokens", "2.2.1", P, KEY)(token_221())
    b = compile_filter("tokens", "2.2.1", P, OTHER_KEY)(token_221())
    assert a and b
    assert a["uid"] != b["uid"] and a["contract_id"] != b["contract_id"]


def test_null_and_na_are_not_hashed() -> None:
    f = compile_filter("tokens", "2.2.1", P, KEY)
    out = f(token_221(uid="#NA", contract=None))  # type: ignore[arg-type]
    assert out and out["uid"] == "#NA" and out["contract_id"] is None


def test_non_string_id_is_hashed_as_text() -> None:
    f = compile_filter("tokens", "2.1.1", P, KEY)
    out = f({"uid": 12345678})
    assert out and out["uid"] == pseudonymize(KEY, "12345678", "uid")


def test_unknown_kind_rejected() -> None:
    with pytest.raises(ValueError):
        pseudonymize(KEY, UID, "email")
