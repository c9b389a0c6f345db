"""Hand-made OCPI objects covering every connector standard, parking type, capability and
opening-hours shape the IRVE mapping knows about (2.2.1 / 2.3.0 shapes, one 2.1.1 location)."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from ocpiwh import warehouse
from ocpiwh.lake import write_batch

LU = "2026-01-10T10:00:00Z"

STANDARDS = (
    "CHADEMO", "CHAOJI", "DOMESTIC_A", "DOMESTIC_B", "DOMESTIC_C", "DOMESTIC_D", "DOMESTIC_E",
    "DOMESTIC_F", "DOMESTIC_G", "DOMESTIC_H", "DOMESTIC_I", "DOMESTIC_J", "DOMESTIC_K",
    "DOMESTIC_L", "DOMESTIC_M", "DOMESTIC_N", "DOMESTIC_O", "GBT_AC", "GBT_DC",
    "IEC_60309_2_single_16", "IEC_60309_2_three_16", "IEC_60309_2_three_32",
    "IEC_60309_2_three_64", "IEC_62196_T1", "IEC_62196_T1_COMBO", "IEC_62196_T2",
    "IEC_62196_T2_COMBO", "IEC_62196_T3A", "IEC_62196_T3C", "MCS", "NEMA_5_20", "NEMA_6_30",
    "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30", "NEMA_14_50", "PANTOGRAPH_BOTTOM_UP",
    "PANTOGRAPH_TOP_DOWN", "SAE_J3400", "TESLA_R", "TESLA_S",
)  # fmt: skip
CAPABILITIES = (
    "CHARGING_PROFILE_CAPABLE", "CHARGING_PREFERENCES_CAPABLE", "CHIP_CARD_SUPPORT",
    "CONTACTLESS_CARD_SUPPORT", "CREDIT_CARD_PAYABLE", "DEBIT_CARD_PAYABLE", "PED_TERMINAL",
    "REMOTE_START_STOP_CAPABLE", "RESERVABLE", "RFID_READER", "START_SESSION_CONNECTOR_REQUIRED",
    "TOKEN_GROUP_CAPABLE", "UNLOCK_CAPABLE",
)  # fmt: skip
PARKING_TYPES = (
    "ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY", "ON_STREET",
    "UNDERGROUND_GARAGE",
)  # fmt: skip


def connector(
    cid: str,
    standard: str,
    *,
    fmt: str = "SOCKET",
    power_type: str = "AC_3_PHASE",
    voltage: int = 230,
    amperage: int = 32,
    power: int | None = 22000,
    tariffs: list[str] | None = None,
) -> dict[str, Any]:
    c: dict[str, Any] = {
        "id": cid,
        "standard": standard,
        "format": fmt,
        "power_type": power_type,
        "max_voltage": voltage,
        "max_amperage": amperage,
        "tariff_ids": tariffs or ["T-AC"],
        "last_updated": LU,
    }
    if power is not None:
        c["max_electric_power"] = power
    return c


def evse(
    uid: str,
    evse_id: str | None,
    connectors: list[dict[str, Any]],
    *,
    status: str = "AVAILABLE",
    capabilities: list[str] | None = None,
    restrictions: list[str] | None = None,
    lu: str = LU,
) -> dict[str, Any]:
    e: dict[str, Any] = {
        "uid": uid,
        "status": status,
        "connectors": connectors,
        "capabilities": capabilities or [],
        "last_updated": lu,
    }
    if evse_id is not None:
        e["evse_id"] = evse_id
    if restrictions:
        e["parking_restrictions"] = restrictions
    return e


def location(
    lid: str,
    evses: list[dict[str, Any]],
    *,
    parking_type: str | None = "ON_STREET",
    opening: dict[str, Any] | None = None,
    publish: bool = True,
    party: str = "ABC",
    name: str | None = "Site",
    lu: str = LU,
    **extra: Any,
) -> dict[str, Any]:
    o: dict[str, Any] = {
        "country_code": "FR",
        "party_id": party,
        "id": lid,
        "publish": publish,
        "name": name,
        "address": "1 rue de la Paix",
        "city": "Paris",
        "postal_code": "75002",
        "country": "FRA",
        "coordinates": _coordinates(lid),
        "operator": {"name": "Alpha Recharge"},
        "owner": {"name": "Ville de Paris"},
        "time_zone": "Europe/Paris",
        "evses": evses,
        "last_updated": lu,
    }
    if parking_type is not None:
        o["parking_type"] = parking_type
    if opening is not None:
        o["opening_times"] = opening
    if name is None:
        del o["name"]
    o.update(extra)
    return o


def _coordinates(lid: str) -> dict[str, str]:
    """A distinct point in Paris per location (QualiCharge: one address per point)."""
    n = zlib.crc32(lid.encode()) % 10_000
    return {"latitude": f"{48.80 + n / 100_000:.6f}", "longitude": f"{2.30 + n / 50_000:.6f}"}


def hours(*spec: tuple[int, str, str]) -> dict[str, Any]:
    return {
        "twentyfourseven": False,
        "regular_hours": [{"weekday": d, "period_begin": b, "period_end": e} for d, b, e in spec],
    }


def locations_221() -> list[dict[str, Any]]:
    locs: list[dict[str, Any]] = []
    # 1. every connector standard: one EVSE each (AC/DC power given or derived)
    evses = []
    for i, std in enumerate(STANDARDS, start=1):
        dc = std in (
            "CHADEMO",
            "CHAOJI",
            "GBT_DC",
            "IEC_62196_T1_COMBO",
            "IEC_62196_T2_COMBO",
            "MCS",
            "PANTOGRAPH_BOTTOM_UP",
            "PANTOGRAPH_TOP_DOWN",
            "TESLA_S",
            "SAE_J3400",
        )
        conn = connector(
            "1",
            std,
            fmt="CABLE" if dc or std == "IEC_62196_T1" else "SOCKET",
            power_type="DC" if dc else "AC_3_PHASE",
            voltage=500 if dc else 230,
            amperage=100 if dc else 16,
            power=50000 if dc else None,
            tariffs=["T-DC" if dc else "T-AC"],
        )
        evses.append(evse(f"STD-{i:02d}", f"FR*ABC*E1STD{i:02d}", [conn]))
    locs.append(
        location("FRABCP0001", evses, parking_type="PARKING_LOT", opening={"twentyfourseven": True})
    )
    # 2. every parking type (and none), one AC EVSE each; CUSTOMERS restriction on a lot
    for i, ptype in enumerate((*PARKING_TYPES, None), start=1):
        restrictions = ["CUSTOMERS"] if ptype == "PARKING_LOT" else None
        locs.append(
            location(
                f"PARK{i}",
                [
                    evse(
                        f"P{i}",
                        f"fr-abc-e2park{i}",
                        [connector("1", "IEC_62196_T2", power=7400)],
                        restrictions=restrictions,
                    )
                ],
                parking_type=ptype,
                opening={"twentyfourseven": True},
                name=f"Parking {ptype}",
            )
        )
    locs.append(
        location(
            "PARKCUST",
            [
                evse(
                    "PC1",
                    "FR*ABC*E2PARKC1",
                    [connector("1", "IEC_62196_T2", power=7400)],
                    restrictions=["CUSTOMERS"],
                )
            ],
            parking_type="UNDERGROUND_GARAGE",
            opening={"twentyfourseven": True},
        )
    )
    # 3. every capability on its own EVSE, plus card/ad hoc/free/tariff cases
    evses = [
        evse(
            f"CAP-{i:02d}",
            f"FR*ABC*E3CAP{i:02d}",
            [connector("1", "IEC_62196_T2", fmt="CABLE", power=11000, tariffs=["T-FREE"])],
            capabilities=[cap],
        )
        for i, cap in enumerate(CAPABILITIES, start=1)
    ]
    evses.append(
        evse("ADHOC", "FR*ABC*E3ADHOC", [connector("1", "IEC_62196_T2", tariffs=["T-ADHOC"])])
    )
    evses.append(
        evse("NOTARIFF", "FR*ABC*E3NOTAR", [connector("1", "IEC_62196_T2", tariffs=["T-MISSING"])])
    )
    locs.append(location("FRABCP0003", evses, opening={"twentyfourseven": True}))
    # 4. opening-hours shapes
    shapes: list[dict[str, Any] | None] = [
        hours(*[(d, "08:00", "19:00") for d in range(1, 6)]),  # Mo-Fr
        hours(
            *[(d, b, e) for d in range(1, 6) for b, e in (("08:00", "12:00"), ("14:00", "18:00"))]
        ),
        hours((1, "08:00", "12:00"), (3, "08:00", "12:00"), (5, "08:00", "12:00")),  # Mo,We,Fr
        hours((6, "09:00", "17:00"), (7, "10:00", "16:00")),  # weekend
        hours(*[(d, "00:00", "23:59") for d in range(1, 8)]),  # every day
        hours(
            *[(d, "07:00", "21:00") for d in range(1, 6)],
            (6, "07:00", "19:00"),
            (4, "21:00", "23:00"),
        ),  # extra Th
        {
            "twentyfourseven": False,
            "regular_hours": [],
            "exceptional_openings": [
                {"period_begin": "2026-01-01T08:00:00Z", "period_end": "2026-01-01T12:00:00Z"}
            ],
        },  # none usable
        None,  # absent
        {
            "twentyfourseven": True,
            "exceptional_closings": [
                {"period_begin": "2026-12-25T00:00:00Z", "period_end": "2026-12-26T00:00:00Z"}
            ],
        },
    ]
    for i, shape in enumerate(shapes, start=1):
        locs.append(
            location(
                f"HOURS{i}",
                [evse(f"H{i}", f"FR*ABC*E4H{i}", [connector("1", "IEC_62196_T2")])],
                opening=shape,
                parking_type="PARKING_GARAGE",
            )
        )
    # 5. exclusions: REMOVED / PLANNED EVSEs, unpublished location
    locs.append(
        location(
            "FRABCP0005",
            [
                evse("OK", "FR*ABC*E5OK", [connector("1", "IEC_62196_T2")]),
                evse("GONE", "FR*ABC*E5GONE", [connector("1", "IEC_62196_T2")], status="REMOVED"),
                evse("SOON", "FR*ABC*E5SOON", [connector("1", "IEC_62196_T2")], status="PLANNED"),
            ],
            opening={"twentyfourseven": True},
        )
    )
    locs.append(
        location(
            "PRIVATE1",
            [evse("PR", "FR*ABC*E5PRIV", [connector("1", "IEC_62196_T2")])],
            publish=False,
            opening={"twentyfourseven": True},
        )
    )
    # 6. station-level aggregates: PMR, two-wheels, reserved access, dates, bad ids, W → kW
    locs.append(
        location(
            "FRABCP0006",
            [
                evse(
                    "PMR",
                    "FR*ABC*E6PMR",
                    [connector("1", "IEC_62196_T2", power=22080)],
                    restrictions=["DISABLED", "MOTORCYCLES"],
                    lu="2026-01-15T23:59:59Z",
                ),
                evse(
                    "MOTO",
                    "FR*ABC*E6MOTO",
                    [
                        connector(
                            "1",
                            "DOMESTIC_F",
                            power_type="AC_1_PHASE",
                            power=None,
                            voltage=230,
                            amperage=16,
                        )
                    ],
                    restrictions=["MOTORCYCLES"],
                ),
            ],
            opening={"twentyfourseven": True},
            help_phone="+33 1 44 27 63 50",
            directions=[{"language": "fr", "text": "Niveau -1, près des ascenseurs"}],
        )
    )
    locs.append(
        location(
            "FRABCP0007",
            [
                evse(
                    "TAXI1",
                    "FR*ABC*E7T1",
                    [
                        connector(
                            "1",
                            "IEC_62196_T2_COMBO",
                            power_type="DC",
                            power=350000,
                            fmt="CABLE",
                            tariffs=["T-DC"],
                        )
                    ],
                    restrictions=["TAXIS"],
                ),
                evse(
                    "TAXI2",
                    "FR*ABC*E7T2",
                    [connector("1", "IEC_62196_T2")],
                    restrictions=["EMPLOYEES"],
                ),
                evse("NOID", None, [connector("1", "IEC_62196_T2")]),
                evse("WEAK", "FR*ABC*E7WEAK", [connector("1", "DOMESTIC_F", power=1000)]),
            ],
            parking_type="ALONG_MOTORWAY",
            opening={"twentyfourseven": True},
        )
    )
    # 7. a location whose id is no station id, another operator (party XYZ), no name
    locs.append(
        location(
            "site 42/b",
            [evse("X1", "FR*XYZ*E42B1", [connector("1", "IEC_62196_T2")])],
            party="XYZ",
            name=None,
            opening={"twentyfourseven": True},
            operator={"name": "XYZ Energie"},
        )
    )
    return locs


def locations_230() -> list[dict[str, Any]]:
    loc = location(
        "FRABCP0230",
        [evse("V1", "FR*ABC*E230V1", [connector("1", "IEC_62196_T2")])],
        parking_type="PARKING_GARAGE",
        opening={"twentyfourseven": True},
        help_phone="0144276350",
        coordinates={"latitude": "48.868600", "longitude": "2.331800"},
        parking_places=[
            {"id": "P1", "max_vehicle_height": 210},
            {"id": "P2", "max_vehicle_height": 190},
        ],
    )
    return [loc]


def locations_211() -> list[dict[str, Any]]:
    return [
        {
            "id": "FRSIMP0211",
            "type": "PARKING_LOT",
            "name": "Ancien",
            "address": "2 rue Neuve",
            "city": "Lyon",
            "postal_code": "69001",
            "country": "FRA",
            "coordinates": {"latitude": "45.7600", "longitude": "4.8600"},
            "operator": {"name": "Sim"},
            "evses": [
                {
                    "uid": "OLD1",
                    "evse_id": "FR*SIM*E0211",
                    "status": "CHARGING",
                    "capabilities": ["RESERVABLE"],
                    "connectors": [
                        {
                            "id": "1",
                            "standard": "IEC_62196_T2",
                            "format": "SOCKET",
                            "power_type": "AC_3_PHASE",
                            "voltage": 230,
                            "amperage": 16,
                            "tariff_id": "T-AC",
                            "last_updated": LU,
                        }
                    ],
                    "last_updated": LU,
                }
            ],
            "opening_times": {
                "twentyfourseven": False,
                "regular_hours": [
                    {"weekday": 1, "period_begin": "06:00", "period_end": "22:00"},
                    {"weekday": 2, "period_begin": "06:00", "period_end": "22:00"},
                ],
            },
            "last_updated": LU,
        }
    ]


def tariffs() -> list[dict[str, Any]]:
    def tariff(
        tid: str, price: float, ttype: str | None = None, text: str | None = None
    ) -> dict[str, Any]:
        t: dict[str, Any] = {
            "country_code": "FR",
            "party_id": "ABC",
            "id": tid,
            "currency": "EUR",
            "elements": [
                {"price_components": [{"type": "ENERGY", "price": price, "step_size": 1}]}
            ],
            "last_updated": LU,
        }
        if ttype:
            t["type"] = ttype
        if text:
            t["tariff_alt_text"] = [{"language": "fr", "text": text}]
        return t

    return [
        tariff("T-AC", 0.40, "REGULAR", "0,40 €/kWh"),
        tariff("T-DC", 0.59, None, "0,59 €/kWh"),
        tariff("T-FREE", 0.0, "REGULAR", "Gratuit"),
        tariff("T-ADHOC", 0.50, "AD_HOC_PAYMENT"),
    ]


def build_lake(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_batch(root, source="t", module="locations", version="2.2.1", objects=locations_221())
    write_batch(root, source="t", module="locations", version="2.3.0", objects=locations_230())
    write_batch(
        root,
        source="t",
        module="locations",
        version="2.1.1",
        objects=locations_211(),
        platform_party=("FR", "SIM"),
    )
    write_batch(root, source="t", module="tariffs", version="2.2.1", objects=tariffs())
    warehouse.refresh(root)
    return root
