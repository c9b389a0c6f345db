"""QualiCharge's API acceptance rules, re-stated as pydantic models for the tests.

A re-statement (not a copy) of ``Statique``, ``StatusCreate`` and ``SessionCreate`` of
MTES-MCT/qualicharge @ 42f10b9 (src/api/qualicharge/models/{static,dynamic}.py), built on the
same libraries QualiCharge builds on (pydantic, pydantic-extra-types' PhoneNumber with France as
default region, email-validator, shapely), so that "ocpiwh says valid" can be checked against
an independent implementation of each constraint rather than against ocpiwh's own SQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import orjson
import shapely
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_extra_types.phone_numbers import PhoneNumber

from ocpiwh.irve.validate import FRANCE_POLYGONS

SHAPES = [shapely.Polygon(ring) for _, ring in FRANCE_POLYGONS]


class FrPhone(PhoneNumber):
    default_region_code = "FR"


def _strip(v: Any) -> Any:
    return v.strip() if isinstance(v, str) else v


Text = Annotated[str, StringConstraints(strip_whitespace=True)]


def _siren(v: str) -> str:
    digits = [int(c) for c in reversed(v)]  # raises on a non-digit: refused
    total = sum(sum(map(int, str(d * 2 if i % 2 else d))) for i, d in enumerate(digits))
    if v == "000000000" or total % 10:
        raise ValueError("not a SIREN")
    return v


def _xy(v: Any) -> tuple[float, float]:
    lon, lat = orjson.loads(v) if isinstance(v, str) else v
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise ValueError("not a coordinate")
    if not any(shapely.contains(s, shapely.Point(lon, lat)) for s in SHAPES):
        raise ValueError("outside France")
    return lon, lat


def _not_future(v: date) -> date:
    if v > datetime.now(UTC).date():
        raise ValueError("in the future")
    return v


def _past(v: datetime) -> datetime:
    if v >= datetime.now(UTC):
        raise ValueError("not in the past")
    return v


def _younger_than(seconds: float) -> Any:
    def check(v: datetime) -> datetime:
        if v < datetime.now(UTC) - timedelta(seconds=seconds):
            raise ValueError("too old")
        return v

    return AfterValidator(check)


class Implantation(StrEnum):
    A = "Voirie"
    B = "Parking public"
    C = "Parking privé à usage public"
    D = "Parking privé réservé à la clientèle"
    E = "Station dédiée à la recharge rapide"


class Statique(BaseModel):
    nom_amenageur: Text
    siren_amenageur: Annotated[str, Field(min_length=9, max_length=9), AfterValidator(_siren)]
    contact_amenageur: Annotated[EmailStr, BeforeValidator(_strip)]
    nom_operateur: Text
    contact_operateur: Annotated[EmailStr, BeforeValidator(_strip)]
    telephone_operateur: Annotated[FrPhone, BeforeValidator(_strip)]
    nom_enseigne: Text
    id_station_itinerance: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, pattern="(^FR[A-Z0-9]{3}P[A-Z0-9]{1,29}$|Non concerné)"
        ),
    ]
    id_station_local: Text | None = None
    nom_station: Text
    implantation_station: Implantation
    adresse_station: Text
    code_insee_commune: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^([013-9]\d|2[AB1-9])\d{3}$")
    ]
    coordonneesXY: Annotated[tuple[float, float], BeforeValidator(_xy)]
    nbre_pdc: Annotated[int, Field(gt=0)]
    id_pdc_itinerance: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, pattern="(^FR[A-Z0-9]{3}E[A-Z0-9]{1,29}$|Non concerné)"
        ),
    ]
    id_pdc_local: Text | None = None
    puissance_nominale: Annotated[float, Field(ge=1.3, le=4000.0)]
    prise_type_ef: bool
    prise_type_2: bool
    prise_type_combo_ccs: bool
    prise_type_chademo: bool
    prise_type_autre: bool
    gratuit: bool | None = None
    paiement_acte: bool
    paiement_cb: bool | None = None
    paiement_autre: bool | None = None
    tarification: Text | None = None
    condition_acces: Annotated[str, Field(pattern="^(Accès libre|Accès réservé)$")]
    reservation: bool
    horaires: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, pattern=r"(.*?)((\d{1,2}:\d{2})-(\d{1,2}:\d{2})|24/7)"
        ),
    ]
    accessibilite_pmr: Annotated[
        str,
        Field(
            pattern="^(Réservé PMR|Accessible mais non réservé PMR|Non accessible|Accessibilité inconnue)$"
        ),
    ]
    restriction_gabarit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2)]
    station_deux_roues: bool
    raccordement: Annotated[str, Field(pattern="^(Direct|Indirect)$")]
    num_pdl: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None
    date_mise_en_service: Annotated[date, AfterValidator(_not_future)] | None = None
    observations: Text | None = None
    date_maj: Annotated[date, AfterValidator(_not_future)]
    cable_t2_attache: bool | None = None

    @model_validator(mode="after")
    def _prefixes(self) -> Statique:
        if self.id_pdc_itinerance[:5] != self.id_station_itinerance[:5]:
            raise ValueError("AFIREV prefixes differ")
        if self.raccordement == "Direct" and not self.num_pdl:
            raise ValueError("num_pdl required for Direct")
        return self


PdcId = Annotated[str, Field(pattern="(?:(?:^|,)(^[A-Z]{2}[A-Z0-9]{4,33}$|Non concerné))+$")]
Etat = Annotated[str, Field(pattern="^(fonctionnel|hors_service|inconnu)$")]


def status_model(max_age_s: float = 86400) -> type[BaseModel]:
    class StatusCreate(BaseModel):
        id_pdc_itinerance: PdcId
        etat_pdc: Annotated[str, Field(pattern="^(en_service|hors_service|inconnu)$")]
        occupation_pdc: Annotated[str, Field(pattern="^(libre|occupe|reserve|inconnu)$")]
        horodatage: Annotated[AwareDatetime, AfterValidator(_past), _younger_than(max_age_s)]
        etat_prise_type_2: Etat | None = None
        etat_prise_type_combo_ccs: Etat | None = None
        etat_prise_type_chademo: Etat | None = None
        etat_prise_type_ef: Etat | None = None

    return StatusCreate


def session_model(max_age_s: float = 15 * 86400) -> type[BaseModel]:
    class SessionCreate(BaseModel):
        id_pdc_itinerance: PdcId
        start: Annotated[AwareDatetime, AfterValidator(_past), _younger_than(max_age_s)]
        end: Annotated[AwareDatetime, AfterValidator(_past)]
        energy: Annotated[float, Field(ge=0.0, le=1000.0)]

        @model_validator(mode="after")
        def _dates(self) -> Any:
            if self.start > self.end:
                raise ValueError("start after end")
            if self.end - self.start > timedelta(weeks=1):
                raise ValueError("longer than a week")
            return self

    return SessionCreate


def csv_row(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the API would receive it: an empty cell is a null."""
    return {k: (v if v != "" else None) for k, v in row.items()}
