"""Field tables of OCPI 2.1.1 / 2.2.1 / 2.3.0 (docs ocpi-protocol.md §4), as checkable specs.

A spec maps field -> (type, cardinality). Types: str, int, num, bool, dt (DateTime string),
or a nested spec dict. Cardinality: "1" required, "?" optional, "*" list, "+" non-empty list.
"""

from __future__ import annotations

import re
from typing import Any

DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")
DT_STRICT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

Spec = dict[str, tuple[Any, str]]

GEO: Spec = {"latitude": ("lat", "1"), "longitude": ("lon", "1")}
DISPLAY: Spec = {"language": (str, "1"), "text": (str, "1")}
BUSINESS: Spec = {"name": (str, "1"), "website": (str, "?")}
DIM: Spec = {"type": (str, "1"), "volume": ("num", "1")}


def connector(v: str) -> Spec:
    s: Spec = {"id": (str, "1"), "standard": (str, "1"), "format": (str, "1"),
               "power_type": (str, "1"), "last_updated": ("dt", "1")}  # fmt: skip
    if v == "2.1.1":
        s |= {"voltage": (int, "1"), "amperage": (int, "1"), "tariff_id": (str, "?")}
    else:
        s |= {"max_voltage": (int, "1"), "max_amperage": (int, "1"),
              "max_electric_power": (int, "?"), "tariff_ids": (str, "*")}  # fmt: skip
    if v == "2.3.0":
        s["capabilities"] = (str, "*")
    return s


def evse(v: str) -> Spec:
    return {
        "uid": (str, "1"), "evse_id": (str, "?"), "status": (str, "1"), "capabilities": (str, "*"),
        "connectors": (connector(v), "+"), "floor_level": (str, "?"), "coordinates": (GEO, "?"),
        "physical_reference": (str, "?"), "directions": (DISPLAY, "*"), "images": (dict, "*"),
        "last_updated": ("dt", "1"),
    }  # fmt: skip


def location(v: str) -> Spec:
    s: Spec = {
        "id": (str, "1"), "name": (str, "?"), "address": (str, "1"), "city": (str, "1"),
        "country": (str, "1"), "coordinates": (GEO, "1"), "related_locations": (dict, "*"),
        "evses": (evse(v), "*"), "directions": (DISPLAY, "*"), "operator": (BUSINESS, "?"),
        "suboperator": (BUSINESS, "?"), "owner": (BUSINESS, "?"), "facilities": (str, "*"),
        "opening_times": (dict, "?"), "charging_when_closed": (bool, "?"), "images": (dict, "*"),
        "last_updated": ("dt", "1"),
    }  # fmt: skip
    if v == "2.1.1":
        s |= {"type": (str, "1"), "postal_code": (str, "1"), "time_zone": (str, "?")}
    else:
        s |= {"country_code": (str, "1"), "party_id": (str, "1"), "publish": (bool, "1"),
              "publish_allowed_to": (dict, "*"), "parking_type": (str, "?"),
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
    s: Spec = {"start_date_time": ("dt", "1"), "dimensions": (DIM, "+")}
    if v != "2.1.1":
        s["tariff_id"] = (str, "?")
    return s


CDR_TOKEN: Spec = {"country_code": (str, "1"), "party_id": (str, "1"), "uid": (str, "1"),
                   "type": (str, "1"), "contract_id": (str, "1")}  # fmt: skip


def session(v: str) -> Spec:
    s: Spec = {"id": (str, "1"), "kwh": ("num", "1"), "auth_method": (str, "1"),
               "meter_id": (str, "?"), "currency": (str, "1"), "charging_periods": (period(v), "*"),
               "status": (str, "1"), "last_updated": ("dt", "1")}  # fmt: skip
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
    pc: Spec = {"type": (str, "1"), "price": ("num", "1"), "step_size": (int, "1")}
    if v != "2.1.1":
        pc["vat"] = ("num", "?")
    s: Spec = {"id": (str, "1"), "currency": (str, "1"), "tariff_alt_text": (DISPLAY, "*"),
               "tariff_alt_url": (str, "?"),
               "elements": ({"price_components": (pc, "+"), "restrictions": (dict, "?")}, "+"),
               "energy_mix": (dict, "?"), "last_updated": ("dt", "1")}  # fmt: skip
    if v != "2.1.1":
        s |= {"country_code": (str, "1"), "party_id": (str, "1"), "type": (str, "?"),
              "start_date_time": ("dt", "?"), "end_date_time": ("dt", "?")}  # fmt: skip
    if v == "2.2.1":
        s |= {"min_price": (price(v), "?"), "max_price": (price(v), "?")}
    if v == "2.3.0":
        limit: Spec = {"before_taxes": ("num", "1"), "after_taxes": ("num", "?")}
        s |= {"min_price": (limit, "?"), "max_price": (limit, "?"), "tax_included": (str, "1")}
    return s


def cdr(v: str) -> Spec:
    s: Spec = {
        "id": (str, "1"), "start_date_time": ("dt", "1"), "auth_method": (str, "1"),
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
    s: Spec = {"uid": (str, "1"), "type": (str, "1"), "visual_number": (str, "?"),
               "issuer": (str, "1"), "valid": (bool, "1"), "whitelist": (str, "1"),
               "language": (str, "?"), "last_updated": ("dt", "1")}  # fmt: skip
    if v == "2.1.1":
        s["auth_id"] = (str, "1")
    else:
        s |= {"country_code": (str, "1"), "party_id": (str, "1"), "contract_id": (str, "1"),
              "group_id": (str, "?"), "default_profile_type": (str, "?"),
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
