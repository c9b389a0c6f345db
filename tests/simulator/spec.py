"""Field tables of OCPI 2.1.1 / 2.2.1 / 2.3.0 (docs ocpi-protocol.md §4), as checkable specs.

A spec maps field -> (type, cardinality). Types: str, int, num, bool, dt (DateTime string),
a nested spec dict, or an enum (a frozenset of the allowed strings). Cardinality: "1"
required, "?" optional, "*" list, "+" non-empty list. :func:`rules` adds what a table cannot
say (status-dependent fields, credit CDRs, energy sums, opening hours).
"""

from __future__ import annotations

import re
from typing import Any

DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")
DT_STRICT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

Spec = dict[str, tuple[Any, str]]


def enum(*values: str) -> frozenset[str]:
    return frozenset(values)


def by_version(v: str, v211: frozenset[str], added_221: frozenset[str]) -> frozenset[str]:
    return v211 if v == "2.1.1" else v211 | added_221


EVSE_STATUS = enum("AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER", "PLANNED",
                   "REMOVED", "RESERVED", "UNKNOWN")  # fmt: skip
CONNECTOR_TYPE_211 = enum(
    "CHADEMO", *(f"DOMESTIC_{c}" for c in "ABCDEFGHIJKL"), "IEC_60309_2_single_16",
    "IEC_60309_2_three_16", "IEC_60309_2_three_32", "IEC_60309_2_three_64", "IEC_62196_T1",
    "IEC_62196_T1_COMBO", "IEC_62196_T2", "IEC_62196_T2_COMBO", "IEC_62196_T3A", "IEC_62196_T3C",
    "TESLA_R", "TESLA_S",
)  # fmt: skip
CONNECTOR_TYPE_221 = enum(
    "CHAOJI", "DOMESTIC_M", "DOMESTIC_N", "DOMESTIC_O", "GBT_AC", "GBT_DC", "NEMA_5_20",
    "NEMA_6_30", "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30", "NEMA_14_50",
    "PANTOGRAPH_BOTTOM_UP", "PANTOGRAPH_TOP_DOWN",
)  # fmt: skip
CAPABILITY_211 = enum("CHARGING_PROFILE_CAPABLE", "CREDIT_CARD_PAYABLE",
                      "REMOTE_START_STOP_CAPABLE", "RESERVABLE", "RFID_READER", "UNLOCK_CAPABLE")  # fmt: skip
CAPABILITY_221 = enum("CHARGING_PREFERENCES_CAPABLE", "CHIP_CARD_SUPPORT",
                      "CONTACTLESS_CARD_SUPPORT", "DEBIT_CARD_PAYABLE", "PED_TERMINAL",
                      "START_SESSION_CONNECTOR_REQUIRED", "TOKEN_GROUP_CAPABLE")  # fmt: skip
FACILITY_211 = enum("HOTEL", "RESTAURANT", "CAFE", "MALL", "SUPERMARKET", "SPORT",
                    "RECREATION_AREA", "NATURE", "MUSEUM", "BUS_STOP", "TAXI_STAND",
                    "TRAIN_STATION", "AIRPORT", "CARPOOL_PARKING", "FUEL_STATION", "WIFI")  # fmt: skip
FACILITY_221 = enum("BIKE_SHARING", "TRAM_STOP", "METRO_STATION", "PARKING_LOT")
POWER_TYPE_211 = enum("AC_1_PHASE", "AC_3_PHASE", "DC")
SESSION_STATUS_211 = enum("ACTIVE", "COMPLETED", "INVALID", "PENDING")
AUTH_METHOD_211 = enum("AUTH_REQUEST", "WHITELIST")
CDR_DIMENSION_211 = enum("ENERGY", "FLAT", "MAX_CURRENT", "MIN_CURRENT", "PARKING_TIME", "TIME")
CDR_DIMENSION_221 = enum("CURRENT", "ENERGY_EXPORT", "ENERGY_IMPORT", "MAX_POWER", "MIN_POWER",
                         "POWER", "RESERVATION_TIME", "STATE_OF_CHARGE")  # fmt: skip
TOKEN_TYPE_211 = enum("OTHER", "RFID")
WHITELIST = enum("ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER")
TARIFF_DIMENSION = enum("ENERGY", "FLAT", "PARKING_TIME", "TIME")

GEO: Spec = {"latitude": ("lat", "1"), "longitude": ("lon", "1")}
DISPLAY: Spec = {"language": (str, "1"), "text": (str, "1")}
BUSINESS: Spec = {"name": (str, "1"), "website": (str, "?")}
REGULAR_HOURS: Spec = {"weekday": (int, "1"), "period_begin": ("hm", "1"),
                       "period_end": ("hm", "1")}  # fmt: skip
#: 2.2.1: twentyfourseven always (2.1.1 reads as a choice; the issue asks for it everywhere)
HOURS: Spec = {"twentyfourseven": (bool, "1"), "regular_hours": (REGULAR_HOURS, "*"),
               "exceptional_openings": (dict, "*"), "exceptional_closings": (dict, "*")}  # fmt: skip


def dim(v: str) -> Spec:
    return {"type": (by_version(v, CDR_DIMENSION_211, CDR_DIMENSION_221), "1"),
            "volume": ("num", "1")}  # fmt: skip


def connector(v: str) -> Spec:
    s: Spec = {"id": (str, "1"),
               "standard": (by_version(v, CONNECTOR_TYPE_211, CONNECTOR_TYPE_221), "1"),
               "format": (enum("SOCKET", "CABLE"), "1"),
               "power_type": (by_version(v, POWER_TYPE_211, enum("AC_2_PHASE", "AC_2_PHASE_SPLIT")), "1"),
               "last_updated": ("dt", "1")}  # fmt: skip
    if v == "2.1.1":
        s |= {"voltage": (int, "1"), "amperage": (int, "1"), "tariff_id": (str, "?")}
    else:
        s |= {"max_voltage": (int, "1"), "max_amperage": (int, "1"),
              "max_electric_power": (int, "?"), "tariff_ids": (str, "*")}  # fmt: skip
    if v == "2.3.0":
        s["capabilities"] = (
            enum("ISO_15118_2_PLUG_AND_CHARGE", "ISO_15118_20_PLUG_AND_CHARGE"),
            "*",
        )
    return s


def evse(v: str) -> Spec:
    return {
        "uid": (str, "1"), "evse_id": (str, "?"), "status": (EVSE_STATUS, "1"),
        "capabilities": (by_version(v, CAPABILITY_211, CAPABILITY_221), "*"),
        "connectors": (connector(v), "+"), "floor_level": (str, "?"), "coordinates": (GEO, "?"),
        "physical_reference": (str, "?"), "directions": (DISPLAY, "*"), "images": (dict, "*"),
        "last_updated": ("dt", "1"),
    }  # fmt: skip


def location(v: str) -> Spec:
    s: Spec = {
        "id": (str, "1"), "name": (str, "?"), "address": (str, "1"), "city": (str, "1"),
        "country": (str, "1"), "coordinates": (GEO, "1"), "related_locations": (dict, "*"),
        "evses": (evse(v), "*"), "directions": (DISPLAY, "*"), "operator": (BUSINESS, "?"),
        "suboperator": (BUSINESS, "?"), "owner": (BUSINESS, "?"),
        "facilities": (by_version(v, FACILITY_211, FACILITY_221), "*"),
        "opening_times": (HOURS, "?"), "charging_when_closed": (bool, "?"), "images": (dict, "*"),
        "last_updated": ("dt", "1"),
    }  # fmt: skip
    if v == "2.1.1":
        s |= {"type": (enum("ON_STREET", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "PARKING_LOT",
                            "OTHER", "UNKNOWN"), "1"),
              "postal_code": (str, "1"), "time_zone": (str, "?")}  # fmt: skip
    else:
        s |= {"country_code": (str, "1"), "party_id": (str, "1"), "publish": (bool, "1"),
              "publish_allowed_to": (dict, "*"),
              "parking_type": (enum("ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT",
                                    "ON_DRIVEWAY", "ON_STREET", "UNDERGROUND_GARAGE"), "?"),
              "postal_code": (str, "?"), "state": (str, "?"), "time_zone": (str, "1")}  # fmt: skip
    if v == "2.3.0":
        s["help_phone"] = (str, "?")
    return s


def price(v: str) -> Spec:
    if v == "2.3.0":
        return {"before_taxes": ("num", "1"),
                "taxes": ({"name": (str, "1"), "percentage": ("num", "?"), "amount": ("num", "1")}, "*")}  # fmt: skip
    return {"excl_vat": ("num", "1"), "incl_vat": ("num", "?")}


def period(v: str) -> Spec:
    s: Spec = {"start_date_time": ("dt", "1"), "dimensions": (dim(v), "+")}
    if v != "2.1.1":
        s["tariff_id"] = (str, "?")
    return s


TOKEN_TYPE_221 = enum("AD_HOC_USER", "APP_USER", "OTHER", "RFID")
CDR_TOKEN: Spec = {"country_code": (str, "1"), "party_id": (str, "1"), "uid": (str, "1"),
                   "type": (TOKEN_TYPE_221, "1"), "contract_id": (str, "1")}  # fmt: skip


def session(v: str) -> Spec:
    s: Spec = {"id": (str, "1"), "kwh": ("num", "1"),
               "auth_method": (by_version(v, AUTH_METHOD_211, enum("COMMAND")), "1"),
               "meter_id": (str, "?"), "currency": (str, "1"), "charging_periods": (period(v), "*"),
               "status": (by_version(v, SESSION_STATUS_211, enum("RESERVATION")), "1"),
               "last_updated": ("dt", "1")}  # fmt: skip
    if v == "2.1.1":
        s |= {"start_datetime": ("dt", "1"), "end_datetime": ("dt", "?"), "auth_id": (str, "1"),
              "location": (location(v), "1"), "total_cost": ("num", "?")}  # fmt: skip
    else:
        s |= {"country_code": (str, "1"), "party_id": (str, "1"), "start_date_time": ("dt", "1"),
              "end_date_time": ("dt", "?"), "cdr_token": (CDR_TOKEN, "1"),
              "authorization_reference": (str, "?"), "location_id": (str, "1"),
              "evse_uid": (str, "1"), "connector_id": (str, "1"), "total_cost": (price(v), "?")}  # fmt: skip
    return s


CDR_LOCATION: Spec = {
    "id": (str, "1"), "name": (str, "?"), "address": (str, "1"), "city": (str, "1"),
    "postal_code": (str, "?"), "state": (str, "?"), "country": (str, "1"), "coordinates": (GEO, "1"),
    "evse_uid": (str, "1"), "evse_id": (str, "1"), "connector_id": (str, "1"),
    "connector_standard": (str, "1"), "connector_format": (str, "1"), "connector_power_type": (str, "1"),
}  # fmt: skip


def tariff(v: str) -> Spec:
    pc: Spec = {"type": (TARIFF_DIMENSION, "1"), "price": ("num", "1"), "step_size": (int, "1")}
    if v != "2.1.1":
        pc["vat"] = ("num", "?")
    s: Spec = {"id": (str, "1"), "currency": (str, "1"), "tariff_alt_text": (DISPLAY, "*"),
               "tariff_alt_url": (str, "?"),
               "elements": ({"price_components": (pc, "+"), "restrictions": (dict, "?")}, "+"),
               "energy_mix": (dict, "?"), "last_updated": ("dt", "1")}  # fmt: skip
    if v != "2.1.1":
        s |= {"country_code": (str, "1"), "party_id": (str, "1"),
              "type": (enum("AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN",
                            "REGULAR"), "?"),
              "start_date_time": ("dt", "?"), "end_date_time": ("dt", "?")}  # fmt: skip
    if v == "2.2.1":
        s |= {"min_price": (price(v), "?"), "max_price": (price(v), "?")}
    if v == "2.3.0":
        limit: Spec = {"before_taxes": ("num", "1"), "after_taxes": ("num", "?")}
        s |= {"min_price": (limit, "?"), "max_price": (limit, "?"), "tax_included": (str, "1")}
    return s


def cdr(v: str) -> Spec:
    s: Spec = {
        "id": (str, "1"), "start_date_time": ("dt", "1"),
        "auth_method": (by_version(v, AUTH_METHOD_211, enum("COMMAND")), "1"),
        "meter_id": (str, "?"), "currency": (str, "1"), "tariffs": (tariff(v), "*"),
        "charging_periods": (period(v), "+"), "total_energy": ("num", "1"),
        "total_time": ("num", "1"), "total_parking_time": ("num", "?"), "remark": (str, "?"),
        "last_updated": ("dt", "1"),
    }  # fmt: skip
    if v == "2.1.1":
        s |= {"stop_date_time": ("dt", "1"), "auth_id": (str, "1"), "location": (location(v), "1"),
              "total_cost": ("num", "1")}  # fmt: skip
    else:
        p = price(v)
        s |= {"country_code": (str, "1"), "party_id": (str, "1"), "end_date_time": ("dt", "1"),
              "session_id": (str, "?"), "cdr_token": (CDR_TOKEN, "1"),
              "authorization_reference": (str, "?"), "cdr_location": (CDR_LOCATION, "1"),
              "signed_data": (dict, "?"), "total_cost": (p, "1"), "total_fixed_cost": (p, "?"),
              "total_energy_cost": (p, "?"), "total_time_cost": (p, "?"),
              "total_parking_cost": (p, "?"), "total_reservation_cost": (p, "?"),
              "invoice_reference_id": (str, "?"), "credit": (bool, "?"),
              "credit_reference_id": (str, "?"), "home_charging_compensation": (bool, "?")}  # fmt: skip
    return s


def token(v: str) -> Spec:
    s: Spec = {"uid": (str, "1"), "type": (TOKEN_TYPE_211 if v == "2.1.1" else TOKEN_TYPE_221, "1"),
               "visual_number": (str, "?"),
               "issuer": (str, "1"), "valid": (bool, "1"), "whitelist": (WHITELIST, "1"),
               "language": (str, "?"), "last_updated": ("dt", "1")}  # fmt: skip
    if v == "2.1.1":
        s["auth_id"] = (str, "1")
    else:
        s |= {"country_code": (str, "1"), "party_id": (str, "1"), "contract_id": (str, "1"),
              "group_id": (str, "?"),
              "default_profile_type": (enum("CHEAP", "FAST", "GREEN", "REGULAR"), "?"),
              "energy_contract": ({"supplier_name": (str, "1"), "contract_id": (str, "?")}, "?")}  # fmt: skip
    return s


SPECS = {
    "locations": location,
    "sessions": session,
    "cdrs": cdr,
    "tariffs": tariff,
    "tokens": token,
}


def _check_value(path: str, typ: Any, value: Any, strict: bool, errors: list[str]) -> None:
    if isinstance(typ, dict):
        if not isinstance(value, dict):
            errors.append(f"{path}: expected object, got {value!r:.40}")
        else:
            check(value, typ, strict, errors, path)
    elif isinstance(typ, frozenset):
        if value not in typ:
            errors.append(f"{path}: {value!r} is not a value of this enum")
    elif typ == "hm":
        if not isinstance(value, str) or not re.fullmatch(r"([0-1][0-9]|2[0-3]):[0-5][0-9]", value):
            errors.append(f"{path}: bad time of day {value!r}")
    elif typ == "dt":
        if not isinstance(value, str) or not (DT_STRICT if strict else DT).match(value):
            errors.append(f"{path}: bad DateTime {value!r}")
    elif typ == "num":
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(f"{path}: expected number, got {value!r}")
    elif typ in ("lat", "lon"):
        pat = r"-?[0-9]{1,2}\.[0-9]{5,7}" if typ == "lat" else r"-?[0-9]{1,3}\.[0-9]{5,7}"
        if not isinstance(value, str) or not re.fullmatch(pat, value):
            errors.append(f"{path}: bad coordinate {value!r}")
    elif typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{path}: expected int, got {value!r}")
    elif not isinstance(value, typ):
        errors.append(f"{path}: expected {typ.__name__}, got {value!r:.40}")


def check(
    obj: Any, spec: Spec, strict: bool = True, errors: list[str] | None = None, path: str = ""
) -> list[str]:
    """Check an object against a spec. ``strict``: no unknown fields, no nulls, Z timestamps."""
    errs = [] if errors is None else errors
    if not isinstance(obj, dict):
        errs.append(f"{path or '.'}: not an object: {obj!r:.40}")
        return errs
    for name, (typ, card) in spec.items():
        p = f"{path}.{name}"
        if name not in obj:
            if card in ("1", "+"):
                errs.append(f"{p}: required field missing")
            continue
        value = obj[name]
        if value is None:
            if strict or card in ("1", "+"):
                errs.append(f"{p}: null")
            continue
        if card in ("*", "+"):
            if not isinstance(value, list):
                errs.append(f"{p}: expected list")
                continue
            if card == "+" and not value:
                errs.append(f"{p}: empty list for cardinality +")
            for k, item in enumerate(value):
                _check_value(f"{p}[{k}]", typ, item, strict, errs)
        else:
            _check_value(p, typ, value, strict, errs)
    if strict:
        for name in obj:
            if name not in spec:
                errs.append(f"{path}.{name}: field not in the spec table")
    return errs


def _energy(periods: Any) -> float:
    return sum(d["volume"] for p in periods or [] for d in p["dimensions"] if d["type"] == "ENERGY")


def _amount(price: Any) -> float:
    if isinstance(price, int | float):
        return float(price)
    return float(price["excl_vat"] if "excl_vat" in price else price["before_taxes"])


def rules(module: str, version: str, obj: dict[str, Any]) -> list[str]:
    """What the field tables cannot say, for a well-formed, clean object."""
    v211 = version == "2.1.1"
    errs: list[str] = []
    oid = obj.get("id") or obj.get("uid")
    if module == "sessions":
        status = obj["status"]
        end = obj.get("end_datetime" if v211 else "end_date_time")
        waiting = status in ("PENDING", "RESERVATION")
        if waiting and (end is not None or obj["kwh"] != 0 or obj["charging_periods"]):
            errs.append(f"{oid}: {status} session with an end, energy or periods")
        if status == "COMPLETED" and end is None:
            errs.append(f"{oid}: COMPLETED without end")
        if status == "ACTIVE" and end is not None:
            errs.append(f"{oid}: ACTIVE with an end")
        if abs(_energy(obj["charging_periods"]) - obj["kwh"]) > 0.0015:
            errs.append(f"{oid}: charging periods do not add up to kwh {obj['kwh']}")
        if obj["kwh"] < 0:
            errs.append(f"{oid}: negative kwh")
    elif module == "cdrs":
        credit = obj.get("credit") is True or str(oid).endswith("-CREDIT")
        if len(str(oid)) > (39 if credit else 36):
            errs.append(f"{oid}: id too long")
        if abs(_energy(obj["charging_periods"]) - obj["total_energy"]) > 0.0015:
            errs.append(f"{oid}: charging periods do not add up to total_energy")
        total = _amount(obj["total_cost"])
        if credit:
            if not v211 and (obj.get("credit") is not True or not obj.get("credit_reference_id")):
                errs.append(f"{oid}: credit CDR without credit / credit_reference_id")
            if total > 0:
                errs.append(f"{oid}: credit CDR with a positive total_cost")
        elif total < 0 or obj.get("credit_reference_id"):
            errs.append(f"{oid}: normal CDR with a negative cost or a credit reference")
    elif module == "locations":
        hours = obj.get("opening_times")
        if hours and hours["twentyfourseven"] and hours.get("regular_hours"):
            errs.append(f"{oid}: regular_hours with twentyfourseven")
        for e in obj["evses"]:
            if e["last_updated"] > obj["last_updated"]:
                errs.append(f"{oid}: EVSE {e['uid']} updated after its location")
    return errs
