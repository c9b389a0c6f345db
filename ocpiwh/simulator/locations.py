"""Geography: locations in real French cities, their EVSEs and connectors, built from the seed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .formats import ascii_text
from .hashing import Rng, salt
from .names import CITIES, FACILITIES_BY_KIND, OPERATORS, OWNERS, SITE_NAMES, STREETS
from .tariffs import Tariff

# charger profiles: kW, power_type, voltage, amperage, max_electric_power W, standards, format
PROFILES: dict[str, tuple[float, str, int, int, int, tuple[str, ...], str]] = {
    "AC3.7": (3.7, "AC_1_PHASE", 230, 16, 3680, ("DOMESTIC_F", "DOMESTIC_E"), "SOCKET"),
    "AC7.4": (7.4, "AC_1_PHASE", 230, 32, 7360, ("IEC_62196_T2",), "SOCKET"),
    "AC11": (11.0, "AC_3_PHASE", 230, 16, 11040, ("IEC_62196_T2",), "SOCKET"),
    "AC22": (22.0, "AC_3_PHASE", 230, 32, 22080, ("IEC_62196_T2",), "SOCKET"),
    "DC50": (50.0, "DC", 500, 125, 50000, ("IEC_62196_T2_COMBO", "CHADEMO"), "CABLE"),
    "DC150": (150.0, "DC", 920, 200, 150000, ("IEC_62196_T2_COMBO",), "CABLE"),
    "DC350": (350.0, "DC", 920, 500, 350000, ("IEC_62196_T2_COMBO",), "CABLE"),
}


@dataclass
class Conn:
    gid: int
    loc: int
    evse: int
    cid: str
    profile: str
    standard: str
    fmt: str
    power_type: str
    voltage: int
    amperage: int
    power_w: int
    kw: float
    tariff: int
    created: int
    cache: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Evse:
    gid: int
    loc: int
    uid: str
    evse_id: str
    capabilities: list[str]
    conns: list[int]
    period: int
    phase: int
    floor: str | None
    physical_reference: str
    home: bool


@dataclass
class Location:
    idx: int
    cc: str
    pid: str
    id: str
    kind: str  # ParkingType (2.2.1) incl. ON_DRIVEWAY for home chargers
    publish: bool
    name: str
    address: str
    city: str
    postal_code: str
    lat: str
    lon: str
    evses: list[int]
    operator: tuple[str, str]
    owner: str
    facilities: list[str]
    twentyfourseven: bool
    created: int
    help_phone: str
    owner_token: int


def build_locations(
    seed: int, t0: int, n: int, n_tokens: int, tariffs: list[Tariff]
) -> tuple[list[Location], list[Evse], list[Conn]]:
    """``n`` locations with 1–8 EVSEs of 1–3 connectors each (home chargers: one)."""
    locations: list[Location] = []
    evses: list[Evse] = []
    conns: list[Conn] = []
    for li in range(n):
        r = Rng(salt(seed, "location") ^ li)
        op_i = r.below(len(OPERATORS))
        cc, pid, op_name, op_web = OPERATORS[op_i]
        city, postal, clat, clon = r.choice(CITIES)
        home = r.chance(0.07)
        kind = (
            "ON_DRIVEWAY"
            if home
            else r.choice(
                ("ON_STREET", "ON_STREET", "PARKING_LOT", "PARKING_GARAGE",
                 "UNDERGROUND_GARAGE", "ALONG_MOTORWAY")
            )
        )  # fmt: skip
        street = r.choice(STREETS)
        number = 1 + r.below(180)
        if home:
            name = f"Domicile {ascii_text(city)} {li}"
        else:
            name = r.choice(SITE_NAMES[kind]).format(city=city, street=street)
        lat = f"{clat + r.uniform(-0.045, 0.045):.6f}"
        lon = f"{clon + r.uniform(-0.06, 0.06):.6f}"
        created = t0 - 86400 * (30 + r.below(900)) - r.below(86400)
        loc_id = f"{cc}{pid}P{li:06d}"
        sep = r.chance(0.6)
        profiles: tuple[str, ...]
        if home:
            n_evse, profiles = 1, ("AC7.4", "AC3.7", "AC11")
        elif kind == "ALONG_MOTORWAY":
            n_evse, profiles = 2 + r.below(7), ("DC150", "DC350", "DC50")
        else:
            n_evse = 1 + r.below(8)
            profiles = ("AC22", "AC22", "AC11", "AC7.4", "DC50", "DC150")
        loc = Location(
            idx=li,
            cc=cc,
            pid=pid,
            id=loc_id,
            kind=kind,
            publish=not home,
            name=name,
            address=f"{number} {street}",
            city=city,
            postal_code=postal,
            lat=lat,
            lon=lon,
            evses=[],
            operator=(op_name, op_web),
            owner=r.choice(OWNERS).format(city=city) if not home else "Particulier",
            facilities=(
                [] if home else sorted({r.choice(FACILITIES_BY_KIND[kind]) for _ in range(3)})
            ),
            twentyfourseven=home or kind in ("ON_STREET", "ALONG_MOTORWAY") or r.chance(0.3),
            created=created,
            help_phone=f"+33{r.choice(('1', '9', '8'))}{r.below(10**8):08d}",
            owner_token=r.below(n_tokens),
        )
        for k in range(n_evse):
            profile = r.choice(profiles)
            egid = len(evses)
            num = f"{li:06d}"
            evse_id = f"{cc}*{pid}*E{num}*{k + 1}" if sep else f"{cc}{pid}E{num}{k + 1}"
            caps = ["RFID_READER", "REMOTE_START_STOP_CAPABLE"]
            if profile.startswith("DC"):
                caps += ["CREDIT_CARD_PAYABLE", "CONTACTLESS_CARD_SUPPORT"]
            if r.chance(0.3):
                caps.append("RESERVABLE")
            if r.chance(0.3):
                caps.append("CHARGING_PROFILE_CAPABLE")
            ev = Evse(
                gid=egid,
                loc=li,
                uid=f"{loc_id}-{k + 1:02d}",
                evse_id=evse_id,
                capabilities=caps,
                conns=[],
                period=3600 * (2 + r.below(6)),
                phase=r.below(3600 * 7),
                floor=("-1" if kind == "UNDERGROUND_GARAGE" else None),
                physical_reference=f"{k + 1}",
                home=home,
            )
            kw, ptype, volt, amp, pw, standards, fmt = PROFILES[profile]
            n_conn = (
                1 if home else min(len(standards) + (1 if ptype != "DC" else 0), 1 + r.below(3))
            )
            std_choices = list(standards)
            if ptype != "DC" and profile != "AC3.7":
                std_choices.append("DOMESTIC_F")
            tkind = "HOME" if home else ("DC" if ptype == "DC" else "AC")
            tariff = next(t.idx for t in tariffs if t.cc == cc and t.pid == pid and t.kind == tkind)
            for c in range(max(1, n_conn)):
                std = std_choices[c % len(std_choices)]
                if std == "DOMESTIC_F" and profile != "AC3.7":
                    c_kw, c_pt, c_v, c_a, c_pw, c_fmt = 3.7, "AC_1_PHASE", 230, 16, 3680, "SOCKET"
                else:
                    c_kw, c_pt, c_v, c_a, c_pw, c_fmt = kw, ptype, volt, amp, pw, fmt
                    if std == "CHADEMO":
                        c_v, c_a, c_pw = 500, 125, 50000
                        c_kw = 50.0
                cg = len(conns)
                conns.append(
                    Conn(
                        gid=cg,
                        loc=li,
                        evse=egid,
                        cid=str(c + 1),
                        profile=profile,
                        standard=std,
                        fmt=c_fmt,
                        power_type=c_pt,
                        voltage=c_v,
                        amperage=c_a,
                        power_w=c_pw,
                        kw=c_kw,
                        tariff=tariff,
                        created=created,
                    )
                )
                ev.conns.append(cg)
            evses.append(ev)
            loc.evses.append(egid)
        locations.append(loc)
    return locations, evses, conns
