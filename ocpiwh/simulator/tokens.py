"""eMSP tokens (RFID cards, app users): built from the seed, rendered per OCPI version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .formats import ascii_text, iso
from .hashing import Rng, salt
from .names import EMSPS


@dataclass
class Token:
    idx: int
    cc: str
    pid: str
    uid: str
    type: str
    contract_id: str
    visual_number: str
    issuer: str
    group_id: str | None
    valid: bool
    whitelist: str
    language: str
    profile: str | None
    supplier: str | None
    created: int


def make_token(seed: int, t0: int, i: int, created: int | None = None) -> Token:
    """Token ``i`` of the world (``created`` overrides the seeded creation time: live arrivals)."""
    r = Rng(salt(seed, "token") ^ i)
    cc, pid, issuer = EMSPS[r.below(len(EMSPS))]
    uid = f"{r.next() & ((1 << 56) - 1):014X}"
    typ = "RFID" if r.chance(0.85) else "APP_USER"
    if typ == "APP_USER":
        uid = f"APP-{r.next() & 0xFFFFFFFFFFFF:012x}"
    num = f"{r.below(10**8):08d}"
    contract = f"{cc}-{pid}-C{num}-{r.below(10)}"
    visual = f"{cc}{pid}C{num}" if r.chance(0.5) else f"{r.below(10**4):04d} {num[:4]} {num[4:]}"
    group = f"GRP-{pid}-{r.below(500):04d}" if r.chance(0.4) else None
    return Token(
        idx=i,
        cc=cc,
        pid=pid,
        uid=uid,
        type=typ,
        contract_id=contract,
        visual_number=visual,
        issuer=issuer,
        group_id=group,
        valid=not r.chance(0.03),
        whitelist=r.choice(("ALLOWED", "ALLOWED", "ALWAYS", "ALLOWED_OFFLINE")),
        language=r.choice(("fr", "fr", "fr", "en", "nl")),
        profile=r.choice((None, "REGULAR", "CHEAP", "GREEN")),
        supplier=r.choice((None, "EDF", "Enercoop", "TotalEnergies", "Engie")),
        created=t0 - 86400 * (40 + r.below(700)) - r.below(86400) if created is None else created,
    )


def cdr_token(t: Token) -> dict[str, Any]:
    """The CdrToken (2.2+) embedded in sessions and CDRs."""
    return {
        "country_code": t.cc,
        "party_id": t.pid,
        "uid": t.uid,
        "type": t.type,
        "contract_id": t.contract_id,
    }


def token_obj(t: Token, version: str, kind: str | None, lu: int, valid: bool) -> dict[str, Any]:
    """The Token object as served (``kind``: its dirt, ``valid`` as of now)."""
    z = kind != "timestamps_without_z"
    v211 = version == "2.1.1"
    o: dict[str, Any] = {}
    if not v211:
        o["country_code"] = t.cc
        o["party_id"] = t.pid
    o["uid"] = t.uid
    typ = t.type if not v211 or t.type == "RFID" else "OTHER"
    if kind == "unknown_enums" and version == "2.3.0":
        typ = "KEY_FOB"
    o["type"] = typ
    if v211:
        o["auth_id"] = t.contract_id
    else:
        o["contract_id"] = t.contract_id
    o["visual_number"] = t.visual_number
    o["issuer"] = ascii_text(t.issuer) if v211 else t.issuer
    if not v211 and t.group_id:
        o["group_id"] = t.group_id
    o["valid"] = valid
    o["whitelist"] = t.whitelist
    o["language"] = t.language
    if not v211:
        if t.profile:
            o["default_profile_type"] = t.profile
        if t.supplier:
            o["energy_contract"] = {
                "supplier_name": t.supplier,
                "contract_id": f"EC-{t.contract_id}",
            }
    if kind == "unknown_fields" and version == "2.3.0":
        o["x_sim_card_design"] = "blue-2023"
    o["last_updated"] = iso(lu, z)
    return o
