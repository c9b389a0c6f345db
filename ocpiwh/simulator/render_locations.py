"""Locations, EVSEs and connectors as OCPI dicts, per version (also embedded in 2.1.1
sessions/CDRs and as 2.2+ ``cdr_location``)."""

from __future__ import annotations

from typing import Any

from .dirt import Obj, malform
from .evse_status import location_states
from .formats import ascii_text, iso
from .locations import Conn, Evse, Location
from .names import FACILITIES_211
from .state import WorldState

_CAPS_211 = frozenset(
    {"CHARGING_PROFILE_CAPABLE", "CREDIT_CARD_PAYABLE", "REMOTE_START_STOP_CAPABLE",
     "RESERVABLE", "RFID_READER", "UNLOCK_CAPABLE"}
)  # fmt: skip

_LOCTYPE_211 = {
    "ON_STREET": "ON_STREET",
    "PARKING_LOT": "PARKING_LOT",
    "PARKING_GARAGE": "PARKING_GARAGE",
    "UNDERGROUND_GARAGE": "UNDERGROUND_GARAGE",
    "ALONG_MOTORWAY": "OTHER",
    "ON_DRIVEWAY": "OTHER",
}


def connector(st: WorldState, conn: Conn, version: str, num_str: bool) -> dict[str, Any]:
    o: dict[str, Any] = {
        "id": conn.cid,
        "standard": conn.standard,
        "format": conn.fmt,
        "power_type": conn.power_type,
    }
    tariff_id = st.tariffs[conn.tariff].id
    if version == "2.1.1":
        o["voltage"] = str(conn.voltage) if num_str else conn.voltage
        o["amperage"] = conn.amperage
        o["tariff_id"] = tariff_id
    else:
        o["max_voltage"] = str(conn.voltage) if num_str else conn.voltage
        o["max_amperage"] = conn.amperage
        o["max_electric_power"] = conn.power_w
        o["tariff_ids"] = [tariff_id]
        if version == "2.3.0" and conn.power_type == "DC":
            o["capabilities"] = ["ISO_15118_2_PLUG_AND_CHARGE"]
    o["last_updated"] = iso(conn.created)
    return o


def evse(
    st: WorldState,
    ev: Evse,
    version: str,
    status: str,
    lu: int,
    conns: list[int],
    kind: str | None = None,
    z: bool = True,
) -> dict[str, Any]:
    loc = st.locations[ev.loc]
    caps = ev.capabilities if version != "2.1.1" else [c for c in ev.capabilities if c in _CAPS_211]
    if kind == "unknown_enums" and version == "2.3.0":
        caps = [*caps, "BATTERY_SWAP_CAPABLE"]
    o: dict[str, Any] = {
        "uid": ev.uid,
        "evse_id": ev.evse_id,
        "status": status,
        "capabilities": caps,
        "connectors": [
            connector(st, st.conns[c], version, kind == "numbers_as_strings") for c in conns
        ],
    }
    if ev.floor is not None:
        o["floor_level"] = ev.floor
    o["coordinates"] = {"latitude": loc.lat, "longitude": loc.lon}
    o["physical_reference"] = ev.physical_reference
    if kind == "null_lists":
        o["directions"] = None
        o["images"] = None
    o["last_updated"] = iso(lu, z)
    return o


def location_base(st: WorldState, loc: Location, version: str) -> dict[str, Any]:
    """Every field of a location but its EVSEs and ``last_updated``."""
    v211 = version == "2.1.1"
    tx = ascii_text if v211 else (lambda s: s)
    o: dict[str, Any] = {}
    if not v211:
        o["country_code"] = loc.cc
        o["party_id"] = loc.pid
    o["id"] = loc.id
    if v211:
        o["type"] = _LOCTYPE_211[loc.kind]
    else:
        o["publish"] = loc.publish
        if not loc.publish:
            t = st.tokens[loc.owner_token]
            o["publish_allowed_to"] = [
                {
                    "uid": t.uid,
                    "type": t.type,
                    "visual_number": t.visual_number,
                    "issuer": t.issuer,
                }
            ]
    o["name"] = tx(loc.name)
    o["address"] = tx(loc.address)
    o["city"] = tx(loc.city)
    o["postal_code"] = loc.postal_code
    o["country"] = "FRA"
    o["coordinates"] = {"latitude": loc.lat, "longitude": loc.lon}
    if not v211:
        o["parking_type"] = loc.kind
    o["operator"] = {"name": tx(loc.operator[0]), "website": loc.operator[1]}
    o["owner"] = {"name": tx(loc.owner)}
    facilities = loc.facilities
    if v211:
        facilities = [f for f in facilities if f in FACILITIES_211]
    o["facilities"] = facilities
    o["time_zone"] = "Europe/Paris"
    if loc.twentyfourseven:
        o["opening_times"] = {"twentyfourseven": True}
    else:
        hours = [
            {"weekday": d, "period_begin": "07:00", "period_end": "21:00" if d < 6 else "19:00"}
            for d in range(1, 7)
        ]
        o["opening_times"] = {"twentyfourseven": False, "regular_hours": hours}
    o["charging_when_closed"] = loc.twentyfourseven or loc.kind != "PARKING_GARAGE"
    if version == "2.3.0":
        o["help_phone"] = loc.help_phone
    return o


def render_location(st: WorldState, li: int, version: str) -> Obj:
    loc = st.locations[li]
    lus, states = location_states(st)
    kind, mal = st.loc_kind[li]
    z = kind != "timestamps_without_z"
    o = location_base(st, loc, version)
    if kind == "unknown_enums" and version == "2.3.0":
        o["parking_type"] = "ROOFTOP_DECK"
        o["facilities"] = [*o["facilities"], "EV_LOUNGE"]
    o["evses"] = [
        evse(st, st.evses[e], version, status, lu, st.evses[e].conns, kind, z)
        for e, (status, lu) in zip(loc.evses, states[li], strict=True)
    ]
    if kind == "null_lists":
        o["related_locations"] = None
        o["images"] = None
        o["directions"] = None
    if kind == "unknown_fields" and version == "2.3.0":
        o["x_sim_site"] = {"grid_connection_kva": 250, "solar_canopy": True}
    o["last_updated"] = iso(lus[li], z)
    if mal:
        return malform(o, mal, None)
    return o


def embedded_location_211(st: WorldState, conn: Conn) -> dict[str, Any]:
    """2.1.1 sessions and CDRs embed the location with only the relevant EVSE and connector."""
    cached = conn.cache.get("loc211")
    if cached is None:
        loc = st.locations[conn.loc]
        ev = st.evses[conn.evse]
        cached = location_base(st, loc, "2.1.1")
        cached["evses"] = [evse(st, ev, "2.1.1", "AVAILABLE", loc.created, [conn.gid])]
        cached["last_updated"] = iso(loc.created)
        conn.cache["loc211"] = cached
    return cached


def cdr_location(st: WorldState, conn: Conn) -> dict[str, Any]:
    """The 2.2+ CdrLocation of a connector."""
    cached = conn.cache.get("cdrloc")
    if cached is None:
        loc = st.locations[conn.loc]
        ev = st.evses[conn.evse]
        cached = {
            "id": loc.id,
            "name": loc.name,
            "address": loc.address,
            "city": loc.city,
            "postal_code": loc.postal_code,
            "country": "FRA",
            "coordinates": {"latitude": loc.lat, "longitude": loc.lon},
            "evse_uid": ev.uid,
            "evse_id": ev.evse_id,
            "connector_id": conn.cid,
            "connector_standard": conn.standard,
            "connector_format": conn.fmt,
            "connector_power_type": conn.power_type,
        }
        conn.cache["cdrloc"] = cached
    return cached
