"""Sessions and CDRs as OCPI dicts: the reference renderer (:mod:`.fast` writes the same bytes
for the common case)."""

from __future__ import annotations

from typing import Any

from .config import MALFORMED_KINDS
from .dirt import CDR_DIRT, SESSION_DIRT, Obj, malform
from .formats import iso
from .hashing import mix
from .keys import CREDIT_BIT
from .locations import Conn
from .render_locations import cdr_location, embedded_location_211
from .session_model import (
    ACTIVE,
    DONE,
    RESERVATION,
    WAITING,
    core,
    energy_at,
    phase_at,
    pre_phase,
    s_lu,
)
from .state import Core, WorldState
from .tariffs import tariff_obj


def cost(
    st: WorldState, conn: Conn, kwh: float, charge_s: int, idle_s: int
) -> tuple[float, float, float, float]:
    """(total, flat, energy, parking) excl. VAT under the connector's tariff."""
    t = st.tariffs[conn.tariff]
    energy = round(kwh * t.energy, 2)
    parking_h = max(0.0, idle_s / 3600 - t.parking_free_h)
    parking = round(parking_h * t.parking, 2)
    flat = t.flat if kwh > 0 else 0.0
    return round(flat + energy + parking, 2), flat, energy, parking


def price(version: str, excl: float, as_str: bool = False) -> float | str | dict[str, Any]:
    """A price: 2.1.1 a bare number, 2.2.1 ``excl_vat``/``incl_vat``, 2.3.0
    ``before_taxes`` + TVA (``as_str``: the excl. VAT amount as a string, dirt)."""
    if version == "2.1.1":
        return str(excl) if as_str else excl
    incl = round(excl * 1.2, 2)
    if version == "2.3.0":
        return {
            "before_taxes": str(excl) if as_str else excl,
            "taxes": [{"name": "TVA", "percentage": 20.0, "amount": round(incl - excl, 2)}],
        }
    return {"excl_vat": str(excl) if as_str else excl, "incl_vat": incl}


def periods(st: WorldState, version: str, c: Core, conn: Conn) -> list[dict[str, Any]]:
    tariff_id = st.tariffs[conn.tariff].id
    p1: dict[str, Any] = {
        "start_date_time": iso(c.start),
        "dimensions": [
            {"type": "ENERGY", "volume": c.kwh},
            {"type": "TIME", "volume": round(c.charge_s / 3600, 4)},
        ],
    }
    if version != "2.1.1":
        p1["tariff_id"] = tariff_id
    out = [p1]
    if c.idle_s > 0:
        p2: dict[str, Any] = {
            "start_date_time": iso(c.start + c.charge_s),
            "dimensions": [{"type": "PARKING_TIME", "volume": round(c.idle_s / 3600, 4)}],
        }
        if version != "2.1.1":
            p2["tariff_id"] = tariff_id
        out.append(p2)
    return out


def detail(st: WorldState, i: int) -> tuple[str, str | None, str | None]:
    """(auth_method, authorization_reference, meter_id) of session ``i``."""
    d = mix(st.d_salt ^ (i * 7 + 3))
    am = ("WHITELIST", "AUTH_REQUEST", "AUTH_REQUEST", "COMMAND")[d & 3]
    aref = f"AR{(d >> 8) & 0xFFFFFFFFFF:010X}" if (d >> 4) & 1 else None
    meter = f"MTR-{(d >> 50) % 10**6:06d}" if (d >> 5) & 3 else None
    return am, aref, meter


def active_periods(
    st: WorldState, version: str, c: Core, conn: Conn, lu: int
) -> list[dict[str, Any]]:
    """Charging periods of a running session as of its meter reading at ``lu``."""
    kwh, charged, idle = energy_at(c, lu)
    if lu <= c.start:
        return []
    return periods(st, version, c._replace(kwh=kwh, charge_s=charged, idle_s=idle), conn)


def auth_fields(
    st: WorldState,
    o: dict[str, Any],
    version: str,
    token: int,
    kind: str | None,
    am: str,
    aref: str | None,
) -> None:
    """Who charged, in ``o``: 2.1.1 ``auth_id``; 2.2+ ``cdr_token`` and the reference."""
    if version == "2.1.1":
        o["auth_id"] = st.tokens[token].contract_id
        o["auth_method"] = "AUTH_REQUEST" if am == "COMMAND" else am
        return
    tok = st.token_cdr[token]
    if kind == "unknown_enums" and version == "2.3.0":
        tok = dict(tok, type="KEY_FOB")
    o["cdr_token"] = tok
    o["auth_method"] = am
    if aref:
        o["authorization_reference"] = aref


def render_session(st: WorldState, i: int, version: str) -> Obj:
    c = core(st, i)
    conn = st.conns[c.conn]
    loc = st.locations[conn.loc]
    lu = s_lu(st, i)
    phase = phase_at(st, i, st.now)
    completed = phase == DONE
    kind = SESSION_DIRT[c.kind - 1] if c.kind else None
    z = kind != "timestamps_without_z"
    am, aref, meter = detail(st, i - 1 if kind == "duplicate_content" else i)
    v211 = version == "2.1.1"
    o: dict[str, Any] = {}
    if not v211:
        o["country_code"] = loc.cc
        o["party_id"] = loc.pid
    o["id"] = f"S{i:09d}"
    pre, pre_s = pre_phase(st, i)
    # while PENDING/RESERVATION: the time the session was created (2.2.1 §9.3.1)
    start = c.start - pre_s if phase == WAITING else c.start
    o["start_datetime" if v211 else "start_date_time"] = iso(start, z)
    if completed:
        o["end_datetime" if v211 else "end_date_time"] = iso(c.end, z)
    now_kwh, charged, idle = energy_at(c, lu) if phase == ACTIVE else (0.0, 0, 0)
    kwh = c.kwh if completed else now_kwh
    o["kwh"] = str(kwh) if kind == "numbers_as_strings" else kwh
    auth_fields(st, o, version, c.token, kind, am, aref)
    if v211:
        o["location"] = embedded_location_211(st, conn)
    else:
        o["location_id"] = loc.id
        if kind == "na_fields":
            o["evse_uid"] = "#NA"
            o["connector_id"] = "#NA"
        else:
            o["evse_uid"] = st.evses[conn.evse].uid
            o["connector_id"] = conn.cid
    if meter:
        o["meter_id"] = meter
    o["currency"] = "EUR"
    if completed:
        o["charging_periods"] = None if kind == "null_lists" else periods(st, version, c, conn)
        excl = cost(st, conn, c.kwh, c.charge_s, c.idle_s)[0]
        o["total_cost"] = price(version, excl, kind == "numbers_as_strings")
        o["status"] = "COMPLETED"
    elif phase == ACTIVE:
        running = lu > c.start
        o["charging_periods"] = (
            None if kind == "null_lists" else active_periods(st, version, c, conn, lu)
        )
        if running:
            excl = cost(st, conn, now_kwh, charged, idle)[0]
            o["total_cost"] = price(version, excl, kind == "numbers_as_strings")
        o["status"] = "ACTIVE"
    else:
        o["charging_periods"] = None if kind == "null_lists" else []
        o["status"] = "RESERVATION" if pre == RESERVATION and not v211 else "PENDING"
    if kind == "unknown_fields" and version == "2.3.0":
        o["x_sim_vehicle"] = {"make": "Renault", "model": "Megane E-Tech", "battery_kwh": 60}
    o["last_updated"] = iso(lu, z)
    if c.mal:
        return malform(o, MALFORMED_KINDS[c.mal - 1], "kwh")
    return o


def signed_data(d: int, meter: str | None, c: Core) -> dict[str, Any]:
    """OCMF signed meter values (start and end reading)."""
    return {
        "encoding_method": "OCMF",
        "encoding_method_version": 1,
        "public_key": f"3059301306072A8648CE3D0201{(d >> 8):016X}",
        "signed_values": [
            {
                "nature": "Start",
                "plain_data": f'OCMF|{{"MV":"{meter or "MTR"}","RD":[{{"TM":"{iso(c.start)}","RV":0}}]}}',
                "signed_data": f"3045022100{mix(d):016X}{mix(d + 1):016X}",
            },
            {
                "nature": "End",
                "plain_data": f'OCMF|{{"MV":"{meter or "MTR"}","RD":[{{"TM":"{iso(c.end)}","RV":{c.kwh}}}]}}',
                "signed_data": f"3045022100{mix(d + 2):016X}{mix(d + 3):016X}",
            },
        ],
    }


def render_cdr(st: WorldState, rank: int, version: str) -> Obj:
    """CDR of session ``rank``, or its credit CDR when ``rank`` has :data:`CREDIT_BIT`."""
    i = rank & ~CREDIT_BIT
    if rank & CREDIT_BIT:
        return _credit(render_cdr(st, i, version), version, st.credit_at[i])
    c = core(st, i)
    conn = st.conns[c.conn]
    loc = st.locations[conn.loc]
    fl = st.c_flags[i]
    kind = CDR_DIRT[(fl & 0xF) - 1] if fl & 0xF else None
    mal = fl >> 4
    z = kind != "timestamps_without_z"
    ns = kind == "numbers_as_strings"
    content_dup = c.kind and SESSION_DIRT[c.kind - 1] == "duplicate_content"
    am, aref, meter = detail(st, i - 1 if content_dup else i)
    d = mix(st.d_salt ^ (i * 11 + 5))
    v211 = version == "2.1.1"
    total, flat, energy_cost, parking_cost = cost(st, conn, c.kwh, c.charge_s, c.idle_s)
    o: dict[str, Any] = {}
    if not v211:
        o["country_code"] = loc.cc
        o["party_id"] = loc.pid
    o["id"] = f"CDR{i:09d}"
    o["start_date_time"] = iso(c.start, z)
    o["stop_date_time" if v211 else "end_date_time"] = iso(c.end, z)
    if not v211:
        o["session_id"] = f"S{i:09d}"
    auth_fields(st, o, version, c.token, kind, am, aref)
    if v211:
        o["location"] = embedded_location_211(st, conn)
    else:
        cl = cdr_location(st, conn)
        if kind == "na_fields":
            cl = dict(cl, evse_uid="#NA", evse_id="#NA", connector_id="#NA")
        o["cdr_location"] = cl
    if meter:
        o["meter_id"] = meter
    o["currency"] = "EUR"
    if kind == "null_lists":
        o["tariffs"] = None
    elif (d & 3) == 0:
        o["tariffs"] = [tariff_obj(st.tariffs[conn.tariff], version)]
    o["charging_periods"] = periods(st, version, c, conn)
    if not v211 and (d >> 2) & 3 == 0:
        o["signed_data"] = signed_data(d, meter, c)
    hours = round((c.charge_s + c.idle_s) / 3600, 4)
    o["total_cost"] = price(version, total, ns)
    if not v211:
        if flat:
            o["total_fixed_cost"] = price(version, flat)
        o["total_energy_cost"] = price(version, energy_cost)
        if parking_cost:
            o["total_parking_cost"] = price(version, parking_cost)
    o["total_energy"] = str(c.kwh) if ns else c.kwh
    o["total_time"] = str(hours) if ns else hours
    o["total_parking_time"] = round(c.idle_s / 3600, 4)
    if not v211:
        if (d >> 4) & 1:
            o["invoice_reference_id"] = f"INV-{loc.pid}-{(d >> 16) % 10**8:08d}"
        o["credit"] = False
        if not loc.publish:
            o["home_charging_compensation"] = True
    if kind == "unknown_fields" and version == "2.3.0":
        o["x_sim_billing"] = {"batch": (d >> 20) % 1000, "exported": True}
    o["last_updated"] = iso(st.s_cdr[i], z)
    if mal:
        return malform(o, MALFORMED_KINDS[mal - 1], "total_energy")
    return o


def _negate(p: dict[str, Any]) -> dict[str, Any]:
    if "excl_vat" in p:
        return {"excl_vat": -p["excl_vat"], "incl_vat": -p["incl_vat"]}
    taxes = [dict(t, amount=-t["amount"]) for t in p["taxes"]]
    return {"before_taxes": -p["before_taxes"], "taxes": taxes}


def _credit(orig: dict[str, Any], version: str, at: int) -> dict[str, Any]:
    """The credit CDR that cancels ``orig``: new id, negated amounts, ``credit_reference_id``
    (2.2+; 2.1.1 has no such field: negative ``total_cost`` and a remark)."""
    oid = orig["id"]
    o: dict[str, Any] = {}
    for k, v in orig.items():
        if k == "id":
            o["id"] = f"{oid}-CREDIT"
        elif k in ("signed_data", "invoice_reference_id"):
            continue  # signed readings and invoice belong to the original
        elif k == "total_cost" and version == "2.1.1":
            o[k] = -v
        elif k.startswith("total_") and k.endswith("_cost"):
            o[k] = _negate(v)
        elif k in ("credit", "last_updated"):
            continue
        else:
            o[k] = v
    o["remark"] = f"Credit of {oid}"
    if version != "2.1.1":
        o["credit"] = True
        o["credit_reference_id"] = oid
    o["last_updated"] = iso(at)
    return o
