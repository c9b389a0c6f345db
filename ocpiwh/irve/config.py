"""The ``[irve]`` section of ``ocpiwh.toml``: IRVE values OCPI does not carry.

    [irve]
    overrides = "irve-overrides.csv"      # optional, relative to the warehouse folder
    session_max_age_days = 15             # QualiCharge refuses older sessions
    status_max_age_days = 1               # ... and statuses older than a day (the push stream)
    blocked_as = "occupe"                 # occupation_pdc of a BLOCKED EVSE (or "inconnu")

    [irve.defaults]                       # every station
    contact_operateur = "support@cpo.example"
    restriction_gabarit = "Aucune"

    [irve.operators."FR*ABC"]             # a party (CC*PPP: country_code and party_id) ...
    siren_amenageur = "130025265"
    [irve.operators."Alpha Borne Charge"] # ... or an operator name (Location.operator.name)
    nom_enseigne = "Réseau Alpha"

The overrides CSV has one row per station: a ``location_id`` column (optionally
``country_code`` and ``party_id``) or an ``id_station_itinerance`` column as key, and any of
:data:`CONFIG_FIELDS` as columns; an empty cell overrides nothing.

Precedence for one field: station override > value from OCPI > operator table (name, then
party) > defaults. Nothing is invented: a value found nowhere stays empty and the validation
reports it. The whole configuration reaches SQL as one bound JSON parameter
(``$irve_config``), never as SQL text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import orjson

from ocpiwh.config import Config, Source
from ocpiwh.errors import UsageError
from ocpiwh.irve.geo import communes
from ocpiwh.irve.phone import check_phone
from ocpiwh.irve.schema import load_schema
from ocpiwh.lake import Location, Store, open_store
from ocpiwh.privacy import PrivacyProfile, Sites
from ocpiwh.sqltext import identifier

CONFIG_FIELDS: tuple[str, ...] = (
    "nom_amenageur", "siren_amenageur", "contact_amenageur", "nom_operateur",
    "contact_operateur", "telephone_operateur", "nom_enseigne", "id_station_itinerance",
    "nom_station", "implantation_station", "code_insee_commune", "gratuit", "paiement_acte",
    "paiement_cb", "paiement_autre", "tarification", "condition_acces", "horaires",
    "accessibilite_pmr", "restriction_gabarit", "raccordement", "num_pdl",
    "date_mise_en_service", "observations",
)  # fmt: skip
"""IRVE fields the configuration may set (the SQL model ``irve_statique`` reads these)."""

BOOL_FIELDS = frozenset({"gratuit", "paiement_acte", "paiement_cb", "paiement_autre"})
STATION_ONLY = frozenset({"id_station_itinerance"})
KEY_COLUMNS = ("location_id", "country_code", "party_id")
INFO_COLUMNS = ("missing", "adresse")
"""Overrides CSV columns ``ocpiwh irve init`` writes for the reader: ignored when read."""
SITE_COLUMNS = ("public",)
"""Overrides CSV columns about the location itself (keyed by location_id): ``public`` = true
declares a location without a publish flag (OCPI 2.1.1) public; false leaves any out."""
_PARTY_RE = re.compile(r"^([A-Za-z]{2})[*\-]?([A-Za-z0-9]{3})$")
DEFAULT_SESSION_MAX_AGE_DAYS = 15.0
"""QualiCharge's session age limit: 15 days (its changelog 0.31.0, PR #688 "for legal reasons",
quality rule FRES); its code's default ``API_MAX_SESSION_AGE`` is a year, set per deployment."""
DEFAULT_STATUS_MAX_AGE_DAYS = 1.0
"""``API_MAX_STATUS_AGE`` = 86,400 s: ``StatusCreate`` refuses an older ``horodatage``."""


def _enums() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in load_schema("statique")["fields"]:
        enum = f.get("constraints", {}).get("enum")
        if enum:
            out[str(f["name"])] = [str(v) for v in enum]
    return out


def _value(name: str, raw: Any, where: str) -> str | None:
    """One configured value → the text the SQL model expects, or a usage error."""
    if raw is None:
        return None
    if name in BOOL_FIELDS or name in SITE_COLUMNS:
        if isinstance(raw, bool):
            return "true" if raw else "false"
        text = str(raw).strip().lower()
        if text == "":
            return None
        if text in ("true", "1", "yes", "oui"):
            return "true"
        if text in ("false", "0", "no", "non"):
            return "false"
        raise UsageError(f"{where}: {name} must be true or false, got {raw!r}")
    if name == "date_mise_en_service":
        if isinstance(raw, date):
            return raw.isoformat()
        text = str(raw).strip()
        if text == "":
            return None
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise UsageError(f"{where}: {name} must be a date YYYY-MM-DD, got {raw!r}") from None
    if isinstance(raw, dict | list):
        raise UsageError(f"{where}: {name} must be a single value")
    text = str(raw).strip()
    if text == "":
        return None
    if name == "telephone_operateur":
        e164, why = check_phone(text)
        if e164 is None:
            raise UsageError(
                f"{where}: telephone_operateur {text!r} is {why}; QualiCharge accepts French "
                "numbers (01 23 45 67 89) or international ones (+262 262 12 34 56)"
            )
        return e164
    enums = _enums()
    if name in enums and text not in enums[name]:
        raise UsageError(f"{where}: {name} must be one of {', '.join(enums[name])}; got {text!r}")
    return text


def _fields(table: dict[str, Any], where: str, *, allow_station_id: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, raw in table.items():
        if key not in CONFIG_FIELDS:
            raise UsageError(
                f"{where}: unknown IRVE field {key!r}; settable fields: {', '.join(CONFIG_FIELDS)}"
            )
        if key in STATION_ONLY and not allow_station_id:
            raise UsageError(f"{where}: {key} can only be set per station (overrides CSV)")
        value = _value(key, raw, where)
        if value is not None:
            out[key] = value
    return out


def _positive(data: dict[str, Any], key: str, default: float) -> float:
    if key not in data:
        return default
    try:
        value = float(data[key])
    except (TypeError, ValueError):
        raise UsageError(f"ocpiwh.toml: [irve] {key} must be a number of days") from None
    if value <= 0:
        raise UsageError(f"ocpiwh.toml: [irve] {key} must be positive")
    return value


@dataclass
class IrveConfig:
    """Parsed ``[irve]`` section plus the overrides CSV."""

    defaults: dict[str, str] = field(default_factory=dict)
    operators: list[dict[str, str | None]] = field(default_factory=list)
    by_location: list[dict[str, str | None]] = field(default_factory=list)
    by_station: list[dict[str, str | None]] = field(default_factory=list)
    overrides_path: Path | None = None
    places: list[dict[str, str | None]] = field(default_factory=list)
    communes: list[dict[str, str | None]] = field(default_factory=list)
    session_max_age_days: float = DEFAULT_SESSION_MAX_AGE_DAYS
    status_max_age_days: float = DEFAULT_STATUS_MAX_AGE_DAYS
    blocked_as: str | None = None
    ocpi211_public: bool | None = None

    @classmethod
    def load(cls, root: Location | Store) -> IrveConfig:
        """The ``[irve]`` section of ``<root>/ocpiwh.toml`` (empty when there is none).

        A relative ``overrides`` path resolves against the warehouse folder (the current
        folder for an object-store warehouse)."""
        store = open_store(root)
        if not store.is_warehouse():
            return cls()
        section = Config.load(store).extra.get("irve", {})
        return cls.from_mapping(section, base=store.local_root or Path.cwd())

    @classmethod
    def from_mapping(cls, data: Any, *, base: Path | None = None) -> IrveConfig:
        """Parse an ``[irve]`` table; relative ``overrides`` paths resolve against ``base``."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise UsageError("ocpiwh.toml: [irve] must be a table")
        known = {
            "defaults", "operators", "overrides", "session_max_age_days", "status_max_age_days",
            "blocked_as", "ocpi211_public",
        }  # fmt: skip
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(
                f"ocpiwh.toml: unknown key(s) in [irve]: {', '.join(unknown)}; "
                f"valid: {', '.join(sorted(known))}"
            )
        cfg = cls()
        defaults = data.get("defaults", {})
        if not isinstance(defaults, dict):
            raise UsageError("ocpiwh.toml: [irve.defaults] must be a table")
        cfg.defaults = _fields(defaults, "[irve.defaults]", allow_station_id=False)
        operators = data.get("operators", {})
        if not isinstance(operators, dict):
            raise UsageError("ocpiwh.toml: [irve.operators] must be tables keyed by party or name")
        for key, table in operators.items():
            where = f"[irve.operators.{key!r}]"
            if not isinstance(table, dict):
                raise UsageError(f"ocpiwh.toml: {where} must be a table")
            row: dict[str, str | None] = dict(_fields(table, where, allow_station_id=False))
            party = _PARTY_RE.match(str(key).strip())
            if party:
                row["party"] = (party[1] + party[2]).upper()
                row["operator_name"] = None
            else:
                row["party"] = None
                row["operator_name"] = str(key)
            cfg.operators.append(row)
        cfg.session_max_age_days = _positive(data, "session_max_age_days", cfg.session_max_age_days)
        cfg.status_max_age_days = _positive(data, "status_max_age_days", cfg.status_max_age_days)
        if "ocpi211_public" in data:
            if not isinstance(data["ocpi211_public"], bool):
                raise UsageError(
                    "ocpiwh.toml: [irve] ocpi211_public must be true or false (are the locations "
                    "without a publish flag, OCPI 2.1.1, open to the public?)"
                )
            cfg.ocpi211_public = data["ocpi211_public"]
        if "blocked_as" in data:
            if data["blocked_as"] not in ("occupe", "inconnu"):
                raise UsageError('ocpiwh.toml: [irve] blocked_as must be "occupe" or "inconnu"')
            cfg.blocked_as = str(data["blocked_as"])
        if data.get("overrides"):
            path = Path(str(data["overrides"])).expanduser()
            if not path.is_absolute() and base is not None:
                path = base / path
            cfg.overrides_path = path
            cfg.read_overrides(path)
        return cfg

    def read_overrides(self, path: Path) -> None:
        """Add the rows of an overrides CSV (UTF-8, comma-separated, header row)."""
        if not path.is_file():
            raise UsageError(f"[irve] overrides file {path} does not exist")
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            unknown = [
                h
                for h in header
                if h not in CONFIG_FIELDS
                and h not in KEY_COLUMNS
                and h not in SITE_COLUMNS
                and h not in INFO_COLUMNS
            ]
            if unknown:
                raise UsageError(
                    f"{path.name}: unknown column(s) {', '.join(unknown)}; columns: location_id "
                    f"(or id_station_itinerance) as key, then any of {', '.join(CONFIG_FIELDS)}"
                )
            if "location_id" not in header and "id_station_itinerance" not in header:
                raise UsageError(
                    f"{path.name}: needs a location_id or id_station_itinerance column as key"
                )
            for n, raw in enumerate(reader, start=2):
                row = {
                    k.strip(): (v or "").strip()
                    for k, v in raw.items()
                    if k and k.strip() not in INFO_COLUMNS
                }
                where = f"{path.name} line {n}"
                location = row.pop("location_id", "")
                cc = row.pop("country_code", "") or None
                party = row.pop("party_id", "") or None
                public = _value("public", row.pop("public", ""), where)
                if location:
                    values: dict[str, str | None] = dict(_fields(row, where, allow_station_id=True))
                    values.update(location_id=location, country_code=cc, party_id=party)
                    values["public"] = public
                    self.by_location.append(values)
                elif public is not None:
                    raise UsageError(f"{where}: public needs a location_id")
                elif row.get("id_station_itinerance"):
                    station = row.pop("id_station_itinerance")
                    values = dict(_fields(row, where, allow_station_id=False))
                    values["station"] = station
                    self.by_station.append(values)
                else:
                    raise UsageError(f"{where}: no location_id nor id_station_itinerance")

    def source_profile(self, profile: PrivacyProfile, src: Source) -> PrivacyProfile:
        """The policy ``src``'s batches are written under (its fingerprint is stored with
        every row, ``_privacy``): an OCPI 2.1.1 source adds these site declarations."""
        if src.version == "2.1.1":
            return profile.with_sites(self.sites(src.lake_party))
        return profile

    def sites(self, party: tuple[str, str] | None = None) -> Sites:
        """The declarations the privacy stage reads for OCPI 2.1.1 locations (docs/irve.md,
        the open-data boundary): ``ocpi211_public`` and the ``public`` column. A public
        declaration naming a country or party applies only to the source whose platform
        party (the party of its 2.1.1 objects in the lake) it names, as ``irve_sites``
        matches it; a declaration "not public" applies whatever the party."""
        public: set[str] = set()
        private: set[str] = set()
        for row in self.by_location:
            lid, value = row.get("location_id"), row.get("public")
            if not lid or value is None:
                continue
            if value == "false":
                private.add(lid)
            elif (row.get("country_code") in (None, party and party[0])) and (
                row.get("party_id") in (None, party and party[1])
            ):
                public.add(lid)
        return Sites(self.ocpi211_public, frozenset(public - private), frozenset(private))

    def configured_codes(self) -> set[str]:
        """Every ``code_insee_commune`` the configuration sets."""
        tables: list[dict[str, str | None]] = [
            dict(self.defaults),
            *self.operators,
            *self.by_location,
            *self.by_station,
        ]
        return {str(t["code_insee_commune"]) for t in tables if t.get("code_insee_commune")}

    def add_geography(
        self, con: duckdb.DuckDBPyConnection, locations: str = "locations"
    ) -> IrveConfig:
        """Derive ``code_insee_commune`` of every (postal code, city) of the French locations
        (``places``, with the reason when none is derived) and describe every code used or
        configured (``communes``: department, region, EPCI, kind, known to QualiCharge).
        ``locations``: the view, or a table holding its rows.

        A place is keyed by (postal code, city); only where that leaves several communes does
        each of its locations with coordinates get a place of its own (keyed also by
        ``country_code, party_id, location_id``), decided by the nearest commune centre
        (geo.py). The models prefer a location's place to its (postal code, city) one."""
        rows = con.execute(
            f"SELECT DISTINCT postal_code, city FROM {identifier(locations)} "
            "WHERE COALESCE(country, 'FRA') = 'FRA' AND postal_code IS NOT NULL "
            "ORDER BY postal_code, city NULLS FIRST"  # the same places, the same JSON (sha256)
        ).fetchall()
        table = communes()
        self.places = []
        tied: set[tuple[str, str | None]] = set()
        for cp, city in rows:
            code, how = table.resolve(cp, city)
            self.places.append(
                {"postal_code": cp, "city": city, "code_insee_commune": code, "how": how}
            )
            if code is None and table.tie(cp, city):
                tied.add((cp, city))
        located = (
            con.execute(
                f"SELECT country_code, party_id, id, postal_code, city, "
                "TRY_CAST(latitude AS DOUBLE), TRY_CAST(longitude AS DOUBLE) "
                f"FROM {identifier(locations)} "
                "WHERE COALESCE(country, 'FRA') = 'FRA' AND list_contains(?, postal_code) "
                "ORDER BY country_code, party_id, id",
                [sorted({cp for cp, _ in tied})],
            ).fetchall()
            if tied
            else []
        )
        for cc, party, lid, cp, city, lat, lon in located:
            if (cp, city) not in tied or lat is None or lon is None:
                continue
            code, how = table.resolve(cp, city, lat, lon)
            self.places.append(
                {
                    "postal_code": cp,
                    "city": city,
                    "code_insee_commune": code,
                    "how": how,
                    "country_code": cc,
                    "party_id": party,
                    "location_id": lid,
                }
            )
        codes = {str(p["code_insee_commune"]) for p in self.places if p["code_insee_commune"]}
        self.communes = []
        for code in sorted(codes | self.configured_codes()):
            c = table.by_code.get(code)
            self.communes.append(
                {
                    "code": code,
                    "kind": c.kind if c else None,
                    "departement": c.departement if c else None,
                    "region": c.region if c else None,
                    "epci": (c.epci or None) if c else None,
                    "in_qualicharge": "true" if c and c.in_qualicharge else "false",
                }
            )
        return self

    def to_json(self) -> str:
        """The ``$irve_config`` parameter of ``irve_statique`` and ``ind_pdc``."""
        return orjson.dumps(
            {
                "defaults": self.defaults,
                "operators": self.operators,
                "by_location": self.by_location,
                "by_station": self.by_station,
                "places": self.places,
                "communes": self.communes,
                "ocpi211_public": None
                if self.ocpi211_public is None
                else str(self.ocpi211_public).lower(),
            }
        ).decode()


MODEL_PARAMS: frozenset[str] = frozenset({"irve_config", "blocked_as"})
"""The model parameters :func:`model_values` fills from ``[irve]``."""


def model_values(
    root: Location | Store,
    con: duckdb.DuckDBPyConnection,
    declared: Iterable[str],
    given: Mapping[str, Any] | None = None,
    cfg: IrveConfig | None = None,
    locations: str | None = None,
) -> dict[str, Any]:
    """``given`` completed from ``[irve]``, the same way for ``models run``, ``export``,
    ``check`` and ``indicators``: ``irve_config`` (with the derived geography) and
    ``blocked_as`` (:data:`MODEL_PARAMS`) when the model declares them and they are not
    given. ``locations``: a table holding the rows of the ``locations`` view (already read
    by the caller)."""
    values = dict(given or {})
    declared = set(declared)
    if "irve_config" in declared and "irve_config" not in values:
        cfg = cfg or IrveConfig.load(root)
        values["irve_config"] = cfg.add_geography(con, locations or "locations").to_json()
    if "blocked_as" in declared and "blocked_as" not in values:
        cfg = cfg or IrveConfig.load(root)
        if cfg.blocked_as:
            values["blocked_as"] = cfg.blocked_as
    return values
