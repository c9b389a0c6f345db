"""Hand-made OCPI locations for the edges of the IRVE statique mapping that the main fixtures
(ocpi_fixtures.py) never reach: padded OCPI text, station ids built from an EVSE prefix or
not, a location id with no letter or digit, the same location id under two parties, two postal
codes of one city, TENANTS/TAXIS restrictions, a parking height of 0. Each case killed a
surviving mutant of sql/models/irve_statique.sql (docs/mutation.md); a separate lake, so the
golden CSV of the main fixtures stays as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ocpi_fixtures import LU, connector, evse, hours, location

from ocpiwh import warehouse
from ocpiwh.lake import write_batch

OVERRIDES = "location_id,country_code,party_id,nom_station\nSAME1,FR,XYZ,Renommée XYZ\n"
"""The override of one party's SAME1 only (the other party's SAME1 keeps its name)."""


def _one(lid: str, evse_id: str, **kw: Any) -> dict[str, Any]:
    restrictions = kw.pop("restrictions", None)
    tariffs = kw.pop("tariffs", None)
    kw.setdefault("opening", {"twentyfourseven": True})
    plug = connector("1", "IEC_62196_T2", tariffs=tariffs)
    return location(lid, [evse(f"U-{lid}", evse_id, [plug], restrictions=restrictions)], **kw)


def locations_221() -> list[dict[str, Any]]:
    return [
        # OCPI text with blanks around it: help phone, directions, hours bounds, tariff text
        _one(
            "FRABCP0101",
            "FR*ABC*E101",
            help_phone="  +33 1 40 00 01 01 ",
            directions=[{"language": "fr", "text": "  Entrée rue Neuve  "}],
            opening=hours((1, " 08:00", "19:00 ")),
            tariffs=["T-PAD"],
        ),
        # station ids: no station-shaped EVSE id (no prefix) with or without a station-shaped
        # location id; an EVSE prefix other than the location's; a location id with nothing left
        _one("SITE-130", "FR*ABC*0130"),
        _one("FRABCP0131", "FR*ABC*0131"),
        _one("FRXYZP0132", "FR*ABC*E132"),
        _one("*", "FR*ABC*E133"),
        # one location id under two parties: the override names party XYZ
        _one("SAME1", "FR*ABC*E140"),
        _one("SAME1", "FR*XYZ*E141", party="XYZ"),
        # a second postal code of Paris (the main fixtures have 75002 only)
        _one("FRABCP0150", "FR*ABC*E150", postal_code="75011"),
        # reserved access by TENANTS, by TAXIS (alone on their station)
        _one("FRABCP0160", "FR*ABC*E160", restrictions=["TENANTS"]),
        _one("FRABCP0161", "FR*ABC*E161", restrictions=["TAXIS"]),
    ]


def locations_230() -> list[dict[str, Any]]:
    # a parking place of height 0 (unknown): no height restriction
    return [
        _one("FRABCP0170", "FR*ABC*E170", parking_places=[{"id": "P", "max_vehicle_height": 0}])
    ]


def tariffs() -> list[dict[str, Any]]:
    return [
        {
            "country_code": "FR",
            "party_id": "ABC",
            "id": "T-PAD",
            "currency": "EUR",
            "type": "REGULAR",
            "elements": [{"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}]}],
            "tariff_alt_text": [{"language": "fr", "text": "  0,30 €/kWh  "}],
            "last_updated": LU,
        }
    ]


def build_edge_lake(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_batch(root, source="t", module="locations", version="2.2.1", objects=locations_221())
    write_batch(root, source="t", module="locations", version="2.3.0", objects=locations_230())
    write_batch(root, source="t", module="tariffs", version="2.2.1", objects=tariffs())
    warehouse.refresh(root)
    (root / "ocpiwh.toml").write_text('warehouse_id = "edges"\n[irve]\noverrides = "o.csv"\n')
    (root / "o.csv").write_text(OVERRIDES, encoding="utf-8")
    return root
