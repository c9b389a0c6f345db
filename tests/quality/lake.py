"""Hand-made golden lakes for the quality rules: a clean station that passes every rule, and
one mutation per rule that makes it fail (OCPI objects written with ``write_batch``)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ocpiwh.lake import write_batch

DAY = "2026-03-09"
WINDOW = {"from_": "2026-03-09", "to": "2026-03-10"}

IRVE: dict[str, str] = {
    "nom_amenageur": "Aménageur SAS",
    "siren_amenageur": "130025265",
    "contact_amenageur": "amenageur@example.fr",
    "contact_operateur": "support@example.fr",
    "telephone_operateur": "+33 1 23 45 67 89",
    "code_insee_commune": "75110",
    "raccordement": "Direct",
    "num_pdl": "12345678901234",
    "restriction_gabarit": "Aucune",
}


def t(hhmm: str, day: str = DAY) -> str:
    return f"{day}T{hhmm}:00Z"


@dataclass
class Evse:
    uid: str
    kw: float
    standard: str
    statuses: list[tuple[str, str]]  # (status, time)
    evse_id: str | None = None

    def obj(self, at: str) -> dict[str, Any] | None:
        seen = [(s, when) for s, when in self.statuses if when <= at]
        if not seen:
            return None
        status, when = seen[-1]
        power_type = "DC" if self.standard in ("IEC_62196_T2_COMBO", "CHADEMO") else "AC_3_PHASE"
        return {
            "uid": self.uid,
            "evse_id": self.evse_id or f"FR*ABC*E{self.uid}",
            "status": status,
            "connectors": [
                {"id": "1", "standard": self.standard, "format": "CABLE", "power_type": power_type,
                 "max_voltage": 400, "max_amperage": 32, "max_electric_power": int(self.kw * 1000),
                 "last_updated": when}
            ],
            "last_updated": when,
        }  # fmt: skip


@dataclass
class Location:
    id: str
    evses: list[Evse]
    lat: str = "48.876"
    lon: str = "2.359"
    operator: str | None = "Alpha"
    address: str = "1 rue de la Gare"
    city: str = "Paris"
    postal_code: str = "75010"
    owner: str | None = None

    def obj(self, at: str) -> dict[str, Any] | None:
        evses = [o for e in self.evses if (o := e.obj(at)) is not None]
        if not evses:
            return None
        o: dict[str, Any] = {
            "country_code": "FR", "party_id": "ABC", "id": self.id, "publish": True,
            "parking_type": "ON_STREET", "name": f"Station {self.id}", "address": self.address,
            "city": self.city, "postal_code": self.postal_code, "country": "FRA",
            "coordinates": {"latitude": self.lat, "longitude": self.lon},
            "opening_times": {"twentyfourseven": True},
            "evses": evses, "last_updated": max(e["last_updated"] for e in evses),
        }  # fmt: skip
        if self.operator:
            o["operator"] = {"name": self.operator}
        if self.owner:
            o["owner"] = {"name": self.owner}
        return o


def cdr(
    sid: str, uid: str, start: str, end: str, kwh: float, loc: str = "FRABCP1"
) -> dict[str, Any]:
    return {
        "country_code": "FR", "party_id": "ABC", "id": f"C{sid}", "session_id": sid,
        "start_date_time": start, "end_date_time": end, "total_energy": kwh,
        "cdr_token": {"uid": "TOK", "type": "RFID", "contract_id": "FR-ABC-X",
                      "country_code": "FR", "party_id": "ABC"},
        "cdr_location": {"id": loc, "evse_uid": uid, "evse_id": f"FR*ABC*E{uid}", "connector_id": "1"},
        "currency": "EUR", "total_cost": {"excl_vat": 1.0}, "total_time": 1.0, "last_updated": end,
    }  # fmt: skip


@dataclass
class Spec:
    locations: list[Location] = field(default_factory=list)
    cdrs: list[dict[str, Any]] = field(default_factory=list)
    irve: dict[str, str] = field(default_factory=lambda: dict(IRVE))
    quality_toml: str = ""
    status_lag_s: int = 120  # statuses reach the warehouse 2 minutes after they happen (FRET)
    cdrs_fetched_at: str = "2026-03-10T06:00:00Z"  # CDRs of the 9th fetched the next morning


def clean() -> Spec:
    """One station, an AC 22 kW point (E1) and a DC 150 kW point (E2): each is free, then
    charging once (with its CDR), then free again, on 2026-03-09."""
    cycle = [("AVAILABLE", t("08:00")), ("CHARGING", t("09:00")), ("AVAILABLE", t("10:00"))]
    e1 = Evse("1", 22, "IEC_62196_T2", list(cycle))
    e2 = Evse("2", 150, "IEC_62196_T2_COMBO", list(cycle))
    return Spec(
        locations=[Location("FRABCP1", [e1, e2])],
        cdrs=[
            cdr("S1", "1", t("09:00"), t("10:00"), 12.0),
            cdr("S2", "2", t("09:00"), t("09:30"), 40.0),
        ],
    )


def build(spec: Spec, root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    times = sorted({when for loc in spec.locations for e in loc.evses for _, when in e.statuses})
    for at in times:  # one batch per instant: the history the status events come from
        objs = [o for loc in spec.locations if (o := loc.obj(at)) is not None]
        fetched = datetime.fromisoformat(at) + timedelta(seconds=spec.status_lag_s)
        write_batch(
            root, source="t", module="locations", version="2.2.1", objects=objs, fetched_at=fetched
        )
    if spec.cdrs:
        write_batch(
            root,
            source="t",
            module="cdrs",
            version="2.2.1",
            objects=spec.cdrs,
            fetched_at=datetime.fromisoformat(spec.cdrs_fetched_at),
        )
    lines = ['warehouse_id = "qa"', "", "[irve.defaults]"]
    lines += [f'{k} = "{v}"' for k, v in spec.irve.items()]
    (root / "ocpiwh.toml").write_text("\n".join(lines) + "\n" + spec.quality_toml)
    return root


# -- one mutation per rule: (the rule fails, the flagged items) ------------------------------


def _evse(spec: Spec, uid: str) -> Evse:
    return next(e for loc in spec.locations for e in loc.evses if e.uid == uid)


def m_powl(s: Spec) -> list[str]:
    _evse(s, "1").kw = 1.0
    return ["FRABCE1"]


def m_powu(s: Spec) -> list[str]:
    _evse(s, "2").kw = 5000.0
    return ["FRABCE2"]


def _drop(field_name: str) -> Callable[[Spec], list[str]]:
    def mutate(s: Spec) -> list[str]:
        s.irve.pop(field_name)
        return ["FRABCE1", "FRABCE2"]

    return mutate


def m_opem1(s: Spec) -> list[str]:
    s.locations[0].operator = None
    return ["FRABCE1", "FRABCE2"]


def m_siri(s: Spec) -> list[str]:
    s.irve["siren_amenageur"] = "123456789"
    return ["FRABCE1", "FRABCE2"]


def m_crdf(s: Spec) -> list[str]:
    s.locations[0].lat, s.locations[0].lon = "-21.115", "55.536"  # La Réunion
    return ["FRABCE1", "FRABCE2"]


def m_afip(s: Spec) -> list[str]:
    for e in s.locations[0].evses:
        e.evse_id = f"BE*BEC*E{e.uid}"
    return ["BEBECE1", "BEBECE2"]


def m_afie(s: Spec) -> list[str]:
    _evse(s, "1").evse_id = "FR*ABC*X1"
    return ["FRABCX1"]


def m_pdcm(s: Spec) -> list[str]:
    s.locations.append(
        Location("FRABCP9", [Evse(str(100 + i), 22, "IEC_62196_T2", [("AVAILABLE", t("08:00"))])
                             for i in range(51)], lat="48.9", lon="2.4")
    )  # fmt: skip
    return ["FRABCP9"]


def m_locp(s: Spec) -> list[str]:
    for i in range(2, 5):
        s.locations.append(
            Location(
                f"FRABCP{i}", [Evse(str(10 * i), 22, "IEC_62196_T2", [("AVAILABLE", t("08:00"))])]
            )
        )
    return ["FRABCP1", "FRABCP2", "FRABCP3", "FRABCP4"]


def m_pdlm(s: Spec) -> list[str]:
    s.irve.pop("num_pdl")
    return ["FRABCP1"]


def m_ne10(s: Spec) -> list[str]:
    s.irve["num_pdl"] = "PDL-42"
    return ["FRABCP1"]


def m_dups(s: Spec) -> list[str]:
    s.cdrs.append(cdr("S9", "1", t("09:00"), t("10:00"), 12.0))
    return ["S9"]


def m_ovrs(s: Spec) -> list[str]:
    for i in range(60):
        start = f"{DAY}T{10 + i // 6:02d}:{(i % 6) * 10:02d}:00Z"
        end = f"{DAY}T{10 + i // 6:02d}:{(i % 6) * 10 + 5:02d}:00Z"
        s.cdrs.append(cdr(f"S{100 + i}", "1", start, end, 1.0))
    return [f"FRABCE1@{DAY}"]


def m_lons(s: Spec) -> list[str]:
    s.cdrs.append(cdr("S5", "1", t("01:00"), t("01:00", "2026-03-17"), 5.0))
    return ["S5"]


def m_negs(s: Spec) -> list[str]:
    s.cdrs.append(cdr("S5", "1", t("12:00"), t("11:00"), 5.0))
    return ["S5"]


def m_eneu(s: Spec) -> list[str]:
    s.cdrs.append(cdr("S5", "2", t("00:30"), t("10:30"), 1200.0))
    return ["S5"]


def m_odur(s: Spec) -> list[str]:
    s.cdrs.append(cdr("S5", "1", t("12:00"), t("12:00"), 5.0))
    return ["S5"]


def m_enea(s: Spec) -> list[str]:
    s.cdrs.append(cdr("S5", "1", t("12:00"), t("13:00"), 30.0))
    return ["S5"]


def m_enex(s: Spec) -> list[str]:
    s.cdrs.append(cdr("S5", "1", t("12:00"), t("13:00"), 60.0))
    return ["S5"]


def m_enez(s: Spec) -> list[str]:
    s.cdrs.append(cdr("S5", "1", t("12:00"), t("12:10"), 0.0))
    return ["S5"]


def m_ftrt(s: Spec) -> list[str]:
    for e in s.locations[0].evses:
        e.statuses.insert(0, ("UNKNOWN", "2023-06-01T00:00:00Z"))
    return ["FRABCE1@2023-06-01T00:00:00Z", "FRABCE2@2023-06-01T00:00:00Z"]


def m_inac(s: Spec) -> list[str]:
    s.locations[0].evses.append(
        Evse("3", 22, "IEC_62196_T2", [("AVAILABLE", "2026-01-15T00:00:00Z")])
    )
    return ["FRABCE3"]


def m_rats(s: Spec) -> list[str]:
    for i in range(4):
        s.cdrs.append(cdr(f"S{20 + i}", "2", t(f"1{2 + i}:00"), t(f"1{2 + i}:20"), 20.0))
    return ["FRABCE2"]  # 3 statuses for 5 sessions


def m_occt(s: Spec) -> list[str]:
    _evse(s, "2").statuses += [("CHARGING", t("11:00")), ("AVAILABLE", t("12:00"))]
    s.cdrs = [c for c in s.cdrs if c["session_id"] != "S2"]
    return [f"FRABCE2@{DAY}"]


def m_sest(s: Spec) -> list[str]:
    _evse(s, "1").statuses = [("AVAILABLE", t("08:00"))]
    return [f"FRABCE1@{DAY}"]


def m_inse(s: Spec) -> list[str]:
    # a place the COG table cannot resolve: the configured 75110 (an arrondissement) is used,
    # and QualiCharge's commune table has no arrondissements
    s.locations[0].postal_code, s.locations[0].city = "01400", "Nulle-Part"
    return ["FRABCE1", "FRABCE2"]


def m_ovls(s: Spec) -> list[str]:
    s.cdrs.append(cdr("S5", "1", t("09:30"), t("10:30"), 5.0))
    return ["S5"]


def m_afop(s: Spec) -> list[str]:
    s.locations.append(
        Location("FRABCP2", [Evse("20", 22, "IEC_62196_T2", [("AVAILABLE", t("08:00"))])],
                 lat="48.9", lon="2.4", operator="Beta")
    )  # fmt: skip
    return ["FRABCP1", "FRABCP2"]


def m_sirn(s: Spec) -> list[str]:
    s.locations.append(
        Location("FRABCP2", [Evse("20", 22, "IEC_62196_T2", [("AVAILABLE", t("08:00"))])],
                 lat="48.9", lon="2.4", owner="Autre Aménageur SA")
    )  # fmt: skip
    return ["FRABCE1", "FRABCE2", "FRABCE20"]


def m_blk2(s: Spec) -> list[str]:
    s.locations.append(
        Location("FRABCP2", [Evse("20", 22, "IEC_62196_T2", [("AVAILABLE", t("08:00"))])],
                 address="3 rue de la Gare")
    )  # fmt: skip
    return ["[2.359,48.876]"]


def m_fres(s: Spec) -> list[str]:
    s.cdrs_fetched_at = "2026-03-26T00:00:00Z"  # 16 days after: too late to push
    return ["S1", "S2"]


def m_fret(s: Spec) -> list[str]:
    s.status_lag_s = 600
    return [f"FRABCE{e}@{DAY}T{h}:00:00Z" for e in (1, 2) for h in ("08", "09", "10")]


MUTATIONS: dict[str, Callable[[Spec], list[str]]] = {
    "INSE": m_inse, "OVLS": m_ovls, "AFOP": m_afop, "SIRN": m_sirn, "BLK2": m_blk2,
    "FRES": m_fres, "FRET": m_fret,
    "POWL": m_powl, "POWU": m_powu,
    "AMEM1": _drop("nom_amenageur"), "AMEM2": _drop("siren_amenageur"),
    "AMEM3": _drop("contact_amenageur"), "OPEM1": m_opem1, "OPEM2": _drop("telephone_operateur"),
    "SIRI": m_siri, "CRDF": m_crdf, "AFIP": m_afip, "AFIE": m_afie, "PDCM": m_pdcm,
    "LOCP": m_locp, "PDLM": m_pdlm, "NE10": m_ne10,
    "DUPS": m_dups, "OVRS": m_ovrs, "LONS": m_lons, "NEGS": m_negs, "ENEU": m_eneu,
    "ODUR": m_odur, "ENEA": m_enea, "ENEX": m_enex, "ENEZ": m_enez,
    "FTRT": m_ftrt, "INAC": m_inac, "RATS": m_rats, "OCCT": m_occt, "SEST": m_sest,
}  # fmt: skip
"""Rules a hand-made OCPI dataset can make fail."""


def mutated(code: str) -> tuple[Spec, list[str]]:
    spec = copy.deepcopy(clean())
    items = MUTATIONS[code](spec)
    return spec, items
