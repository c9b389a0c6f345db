"""A small hand-written lake per OCPI version for the AFIR golden publications.

Per version: FULL (24/7, two refill points AC and DC, an ad-hoc tariff on 2.2+, a REMOVED
EVSE that must not appear, one status change an hour later; on 2.3.0 its help_phone and two
Parking places, a car space also for disabled drivers and a van/truck space with its limits, and
Plug & Charge on its DC point; an energy mix on every version), HOURS (regular hours, one ending at
24:00, no evse_id, no operator: reported missing), BROKEN (a connector whose power type no DATEX II
current type matches: invalid, reported, never emitted) and, on 2.2+, PRIVATE (publish =
false: never in a publication).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ocpiwh.lake import write_batch

VERSIONS = ("2.1.1", "2.2.1", "2.3.0")
T0 = "2026-03-02T08:00:00Z"
T1 = "2026-03-02T09:30:00Z"  # FULL's first EVSE starts charging
DELTA_SINCE = "2026-03-02T09:00:00Z"
NOW = "2026-03-02T10:00:00Z"
TOML = """[irve]
ocpi211_public = true

[afir]
country = "FR"
national_identifier = "FR-NAP-TEST"
lang = "fr"
information_status = "test"
table_id = "TEST-TABLE"
"""


# OCPI 2.3.0 Parking objects of FULL (cm, kg); time_limit, direction… have no DATEX II member
PARKING: list[dict[str, Any]] = [
    {
        "id": "P1",
        "physical_reference": "12",
        "vehicle_types": ["PERSONAL_VEHICLE", "DISABLED"],
        "parking_space_length": 600,
        "parking_space_width": 350,
        "restricted_to_type": False,
        "reservation_required": False,
        "roofed": True,
        "lighting": True,
    },
    {
        "id": "P2",
        "vehicle_types": ["VAN", "RIGID"],
        "max_vehicle_weight": 12000,
        "max_vehicle_height": 400,
        "max_vehicle_length": 1200,
        "max_vehicle_width": 255,
        "parking_space_length": 1500,
        "parking_space_width": 400,
        "dangerous_goods_allowed": False,
        "direction": "PARALLEL",
        "drive_through": True,
        "restricted_to_type": True,
        "reservation_required": False,
        "time_limit": 120,
        "lighting": False,
    },
]


def _connector(
    v: str,
    cid: str,
    standard: str,
    fmt: str,
    power_type: str,
    volts: int,
    amps: int,
    watts: int | None,
    tariff: str | None,
) -> dict[str, Any]:
    c: dict[str, Any] = {"id": cid, "standard": standard, "format": fmt, "power_type": power_type}
    if v == "2.1.1":
        c.update(voltage=volts, amperage=amps)
        if tariff:
            c["tariff_id"] = tariff
    else:
        c.update(max_voltage=volts, max_amperage=amps)
        if watts is not None:
            c["max_electric_power"] = watts
        if tariff:
            c["tariff_ids"] = [tariff]
    c["last_updated"] = T0
    return c


def _evse(
    uid: str,
    evse_id: str | None,
    status: str,
    connectors: list[dict[str, Any]],
    lu: str = T0,
    **extra: Any,
) -> dict[str, Any]:
    e: dict[str, Any] = {"uid": uid, "status": status, "connectors": connectors, "last_updated": lu}
    if evse_id:
        e["evse_id"] = evse_id
    e.update(extra)
    return e


def _location(
    v: str, lid: str, evses: list[dict[str, Any]], lu: str = T0, **fields: Any
) -> dict[str, Any]:
    o: dict[str, Any] = {}
    if v != "2.1.1":
        o.update(country_code="FR", party_id="TST", publish=fields.pop("publish", True))
    o["id"] = lid
    parking = fields.pop("parking", "PARKING_LOT")
    o["type" if v == "2.1.1" else "parking_type"] = parking
    o.update(
        name=f"Site {lid}",
        address=f"{lid[-1]} rue de la Gare",
        city="Lyon",
        postal_code="69003",
        country="FRA",
        coordinates={"latitude": "45.760001", "longitude": "4.859999"},
        time_zone="Europe/Paris",
    )
    o.update(fields)
    o["evses"] = evses
    o["last_updated"] = lu
    return o


def locations(v: str, *, later: bool = False) -> list[dict[str, Any]]:
    """The locations of version ``v``; ``later``: FULL after its first EVSE started charging."""
    ac_tariff = None if v == "2.1.1" else "ADHOC"
    full_e1 = _evse(
        "E1",
        "FR*TST*E0001",
        "CHARGING" if later else "AVAILABLE",
        [
            _connector(v, "1", "IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230, 32, 22000, ac_tariff),
            _connector(v, "2", "DOMESTIC_F", "SOCKET", "AC_1_PHASE", 230, 16, 3680, ac_tariff),
        ],
        lu=T1 if later else T0,
        capabilities=["RFID_READER", "RESERVABLE", "CREDIT_CARD_PAYABLE"],
    )
    full_e2 = _evse(
        "E2",
        "FR*TST*E0002",
        "OUTOFORDER",
        [
            _connector(v, "1", "IEC_62196_T2_COMBO", "CABLE", "DC", 800, 200, 150000, ac_tariff),
            _connector(v, "2", "CHADEMO", "CABLE", "DC", 500, 100, 50000, ac_tariff),
        ],
        capabilities=["RFID_READER"],
        parking_restrictions=["DISABLED"],
    )
    gone = _evse(
        "E9",
        "FR*TST*E0009",
        "REMOVED",
        [_connector(v, "1", "IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230, 32, 22000, None)],
    )
    impact = "source" if v == "2.1.1" else "category"  # renamed in 2.2
    full_fields: dict[str, Any] = {
        "operator": {"name": "Test Recharge"},
        "owner": {"name": "Ville de Lyon"},
        "opening_times": {"twentyfourseven": True},
        "energy_mix": {  # not 100 % renewable; its CO2 and nuclear waste per kWh
            "is_green_energy": False,
            "energy_sources": [
                {"source": "NUCLEAR", "percentage": 70},
                {"source": "WIND", "percentage": 30},
            ],
            "environ_impact": [
                {impact: "CARBON_DIOXIDE", "amount": 56.0},
                {impact: "NUCLEAR_WASTE", "amount": 0.0015},
            ],
        },
    }
    if v == "2.3.0":
        full_fields["help_phone"] = "+33412345678"
        full_fields["parking_places"] = PARKING
        full_e1["parking"] = [{"parking_id": "P1", "evse_position": "LEFT"}]
        full_e2["parking"] = [{"parking_id": "P2"}]
        full_e2["connectors"][0]["capabilities"] = ["ISO_15118_2_PLUG_AND_CHARGE"]
    hours = {
        "twentyfourseven": False,
        "regular_hours": [
            *({"weekday": d, "period_begin": "08:00", "period_end": "20:00"} for d in range(1, 6)),
            {"weekday": 6, "period_begin": "09:00", "period_end": "13:00"},
            {"weekday": 7, "period_begin": "18:00", "period_end": "24:00"},  # not OCPI, but sent
        ],
    }
    locs = [
        _location(v, "FULL1", [full_e1, full_e2, gone], lu=T1 if later else T0, **full_fields),
        _location(
            v,
            "HOURS2",
            [
                _evse(
                    "H1",
                    None,
                    "AVAILABLE",
                    [
                        _connector(
                            v, "1", "IEC_62196_T2", "CABLE", "AC_1_PHASE", 230, 32, 7360, None
                        )
                    ],
                )
            ],
            parking="ON_STREET",
            opening_times=hours,
        ),
        _location(
            v,
            "BROKEN3",
            [
                _evse(
                    "B1",
                    "FR*TST*E0301",
                    "AVAILABLE",
                    [
                        _connector(
                            v, "1", "IEC_62196_T2", "SOCKET", "AC_9_PHASE", 230, 32, 22000, None
                        )
                    ],
                )
            ],
            operator={"name": "Test Recharge"},
            opening_times={"twentyfourseven": True},
        ),
    ]
    if v != "2.1.1":
        locs.append(
            _location(
                v,
                "PRIVATE4",
                [
                    _evse(
                        "P1",
                        "FR*TST*E0401",
                        "AVAILABLE",
                        [
                            _connector(
                                v, "1", "IEC_62196_T2", "SOCKET", "AC_1_PHASE", 230, 32, 7360, None
                            )
                        ],
                    )
                ],
                publish=False,
                parking="ON_DRIVEWAY",
            )
        )
    return locs


def tariffs(v: str) -> list[dict[str, Any]]:
    """2.2+: the ad-hoc tariff of FULL (energy, session fee, time; a restricted parking
    element that an ad-hoc price does not show)."""
    if v == "2.1.1":
        return []

    def pc(kind: str, price: float, step: int) -> dict[str, Any]:
        return {"type": kind, "price": price, "vat": 20.0, "step_size": step}

    t: dict[str, Any] = {
        "country_code": "FR",
        "party_id": "TST",
        "id": "ADHOC",
        "currency": "EUR",
        "type": "AD_HOC_PAYMENT",
        "elements": [
            {"price_components": [pc("ENERGY", 0.45, 1), pc("FLAT", 1.0, 1), pc("TIME", 3.0, 60)]},
            {
                "price_components": [pc("PARKING_TIME", 6.0, 60)],
                "restrictions": {"min_duration": 7200},
            },
        ],
        "last_updated": T0,
    }
    if v == "2.3.0":
        t["tax_included"] = "NO"
    return [t]


def build_lake(root: Path, version: str) -> Path:
    """The lake of ``version`` at ``root``: two location syncs (before and after T1)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "ocpiwh.toml").write_text(TOML)
    party = ("FR", "TST")  # keys 2.1.1 objects (they carry no party) like the 2.2+ ones
    write_batch(
        root,
        source="t",
        module="locations",
        version=version,
        objects=locations(version),
        platform_party=party,
    )
    write_batch(
        root,
        source="t",
        module="locations",
        version=version,
        objects=[locations(version, later=True)[0]],
        platform_party=party,
    )
    objects = tariffs(version)
    if objects:
        write_batch(
            root,
            source="t",
            module="tariffs",
            version=version,
            objects=objects,
            platform_party=party,
        )
    return root
