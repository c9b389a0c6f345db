"""Tariffs: one AC, one DC and one home tariff per operator, rendered per OCPI version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .formats import ascii_text, iso
from .hashing import Rng, salt
from .names import OPERATORS


@dataclass
class Tariff:
    idx: int
    cc: str
    pid: str
    id: str
    kind: str  # AC, DC, HOME
    energy: float  # €/kWh excl. VAT
    time: float  # €/h while charging
    parking: float  # €/h idle after the free period
    parking_free_h: float
    flat: float
    created: int
    alt_text: str


def build_tariffs(seed: int, t0: int) -> list[Tariff]:
    r = Rng(salt(seed, "tariffs"))
    out: list[Tariff] = []
    for cc, pid, _name, _web in OPERATORS:
        for kind in ("AC", "DC", "HOME"):
            if kind == "AC":
                e, t, p, free, fl = round(r.uniform(0.28, 0.42), 2), 0.0, 6.0, 2.0, 0.0
                text = "Recharge AC : prix au kWh, stationnement facturé après 2 h"
            elif kind == "DC":
                e, t, p, free, fl = round(r.uniform(0.49, 0.69), 2), 0.0, 12.0, 0.75, 0.5
                text = "Recharge rapide DC : prix au kWh et frais de session"
            else:
                e, t, p, free, fl = round(r.uniform(0.18, 0.24), 2), 0.0, 0.0, 0.0, 0.0
                text = "Recharge à domicile"
            out.append(
                Tariff(
                    idx=len(out),
                    cc=cc,
                    pid=pid,
                    id=f"{cc}{pid}-{kind}-STD",
                    kind=kind,
                    energy=e,
                    time=t,
                    parking=p,
                    parking_free_h=free,
                    flat=fl,
                    created=t0 - 86400 * (100 + r.below(300)),
                    alt_text=text,
                )
            )
    return out


def tariff_obj(
    t: Tariff, version: str, kind: str | None = None, lu: int | None = None
) -> dict[str, Any]:
    """The Tariff object (also embedded in CDRs, with ``kind=None``)."""
    v211 = version == "2.1.1"
    z = kind != "timestamps_without_z"
    ns = kind == "numbers_as_strings"

    def pc(typ: str, price: float, step: int) -> dict[str, Any]:
        o: dict[str, Any] = {"type": typ, "price": str(price) if ns else price}
        if not v211:
            o["vat"] = 20.0
        o["step_size"] = step
        return o

    elements: list[dict[str, Any]] = []
    comps = [pc("ENERGY", t.energy, 1)]
    if t.flat:
        comps.insert(0, pc("FLAT", t.flat, 1))
    elements.append({"price_components": comps})
    if t.parking:
        elements.append(
            {
                "price_components": [pc("PARKING_TIME", t.parking, 60)],
                "restrictions": {"min_duration": int(t.parking_free_h * 3600)},
            }
        )
    o: dict[str, Any] = {}
    if not v211:
        o["country_code"] = t.cc
        o["party_id"] = t.pid
    o["id"] = t.id
    o["currency"] = "EUR"
    if not v211:
        o["type"] = "REGULAR"
    text = ascii_text(t.alt_text) if v211 else t.alt_text
    o["tariff_alt_text"] = None if kind == "null_lists" else [{"language": "fr", "text": text}]
    if version == "2.3.0":
        o["min_price"] = {"before_taxes": 0.0, "after_taxes": 0.0}
        o["max_price"] = {"before_taxes": 90.0, "after_taxes": 108.0}
    o["elements"] = elements
    if version == "2.3.0":
        o["tax_included"] = "NO"
        if kind == "unknown_fields":
            o["x_sim_tariff_group"] = "standard-2024"
    o["last_updated"] = iso(t.created if lu is None else lu, z)
    return o
