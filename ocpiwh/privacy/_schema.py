"""Every field of every OCPI Sender module and version, with its default privacy treatment.

The tables follow ``ocpi-protocol.md`` §4 (2.1.1, 2.2.1, 2.3.0). A field's rule says what the
default profile does with it; ``private`` says what happens instead when the object sits in a
*private* context (a location with ``publish=false`` or ``ON_DRIVEWAY`` parking, an OCPI 2.1.1
location not declared public (:class:`Sites`), a CDR with ``home_charging_compensation=true``). Containers (objects and arrays of objects) are
:class:`Obj`; everything else is a :class:`FieldRule` (a scalar or a list of scalars).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

VERSIONS: tuple[str, ...] = ("2.1.1", "2.2.1", "2.3.0")


class Treatment(StrEnum):
    """What the privacy stage does with one field."""

    KEEP = "KEEP"
    DROP = "DROP"
    PSEUDONYMIZE = "PSEUDONYMIZE"
    COARSEN = "COARSEN"


@dataclass(frozen=True, slots=True)
class FieldRule:
    """The rule for one leaf field (a scalar, or a list of scalars)."""

    treatment: Treatment
    reason: str
    kind: str | None = None  # pseudonym kind ("uid" | "contract") for PSEUDONYMIZE
    private: Treatment | None = None  # treatment in a private context, if different
    private_reason: str = ""
    coarsen: str | None = None  # "coord" (2 decimals) | "postal" (first 2 characters)


@dataclass(frozen=True, slots=True)
class Obj:
    """An object (``many=False``) or an array of objects (``many=True``)."""

    fields: Mapping[str, Node]
    many: bool = False
    treatment: Treatment = Treatment.KEEP  # DROP = the whole container is dropped
    reason: str = ""
    private: Treatment | None = None
    private_reason: str = ""
    # the object opens a private context for its subtree when this returns True:
    private_if: Callable[[dict[str, Any]], bool] | None = None
    private_if_doc: str = ""
    # the fields ``private_if`` reads; it must be true iff it is true of one of them alone
    private_if_keys: tuple[str, ...] = ()
    # ``private_if`` is true of every object (nothing declared makes one public): the page
    # filter applies the private treatments without a test
    private_always: bool = False
    # array items dropped by default: those whose ``skip_item_key`` value, stripped and
    # upper-cased, is in ``skip_item_values`` (``skip_item_if`` is the same test as a predicate)
    skip_item_if: Callable[[Any], bool] | None = None
    skip_item_key: str = ""
    skip_item_values: frozenset[str] = frozenset()
    skip_item_doc: str = ""
    # values of ``skip_item_key`` known to be kept (the OCPI enum less ``skip_item_values``):
    # the page filter matches them in C; any other value makes it decide per value
    skip_item_kept: frozenset[str] = frozenset()


Node = FieldRule | Obj

K, D, P, C = Treatment.KEEP, Treatment.DROP, Treatment.PSEUDONYMIZE, Treatment.COARSEN

# --- reasons ------------------------------------------------------------------------------
R_KEY = "object key / technical id, no personal data"
R_META = "timestamp of the record"
R_PUBLIC = "public charging-infrastructure data (AFIR/IRVE open data)"
R_TARIFF = "public tariff data"
R_ACTIVITY = "charging activity: what the warehouse analyses"
R_COST = "price/cost: what the warehouse analyses"
R_TOKEN_META = "token attribute with few possible values, kept for analysis"
R_COMPANY = "company data (issuer/supplier), not a person"
R_UID = "token uid (RFID / app id) is a direct identifier: keyed HMAC pseudonym (kind uid)"
R_CONTRACT = "contract id (eMA id) identifies the driver: keyed HMAC pseudonym (kind contract)"
R_AUTH_ID_211 = (
    "2.1.1 auth_id is the driver's contract id: keyed HMAC pseudonym (kind contract), "
    "links with 2.2+ contract_id"
)
R_VISUAL = "printed card number: direct identifier"
R_GROUP = "group id links all tokens of one person or company: direct identifier"
R_AUTHREF = "authorization reference can be linked to the driver's account"
R_METER = "meter id identifies a meter (a household's for home chargers)"
R_SIGNED = "signed meter data may embed identifiers: whole object dropped"
R_INVOICE = "invoice reference links the session to the driver's invoice"
R_PUBLISH_TO = "tokens/persons allowed to see a private location: direct identifiers"
R_ENERGY_CONTRACT = "the driver's energy supply contract number: direct identifier"

PR_COORD = "coarsened to 2 decimals (~1 km): a private charger's exact position is a home"
PR_DROP = "dropped: would reveal the owner's home or name"
PR_POSTAL = "only the first 2 characters are kept (e.g. French département)"

SOC_DOC = "entries with type STATE_OF_CHARGE are dropped (SoC is privacy-sensitive per OCPI)"
CDR_DIMENSION_TYPES = frozenset(
    {
        *("CURRENT", "ENERGY", "ENERGY_EXPORT", "ENERGY_IMPORT", "FLAT", "MAX_CURRENT"),
        *("MIN_CURRENT", "MAX_POWER", "MIN_POWER", "PARKING_TIME", "POWER"),
        *("RESERVATION_TIME", "STATE_OF_CHARGE", "TIME"),
    }
)
"""OCPI's CdrDimensionType in 2.1.1, 2.2.1 and 2.3.0 (FLAT is 2.1.1's only)."""


def _keep(reason: str = R_PUBLIC) -> FieldRule:
    return FieldRule(K, reason)


def _drop(reason: str) -> FieldRule:
    return FieldRule(D, reason)


def _pseudo(kind: str, reason: str) -> FieldRule:
    return FieldRule(P, reason, kind=kind)


def _priv_drop(reason: str = R_PUBLIC) -> FieldRule:
    return FieldRule(K, reason, private=D, private_reason=PR_DROP)


def _priv_coord(reason: str = R_PUBLIC) -> FieldRule:
    return FieldRule(K, reason, private=C, private_reason=PR_COORD, coarsen="coord")


def _priv_postal(reason: str = R_PUBLIC) -> FieldRule:
    return FieldRule(K, reason, private=C, private_reason=PR_POSTAL, coarsen="postal")


def _truthy(value: Any) -> bool:
    if value is True:
        return True
    return isinstance(value, str) and value.strip().lower() == "true"


def _falsy(value: Any) -> bool:
    if value is False:
        return True
    return isinstance(value, str) and value.strip().lower() == "false"


def _on_driveway(value: Any) -> bool:
    return isinstance(value, str) and value.strip().upper() == "ON_DRIVEWAY"


def location_is_private(obj: dict[str, Any]) -> bool:
    """A home/private charger: ``publish=false``, or ``parking_type``/``type`` ON_DRIVEWAY."""
    return (
        _falsy(obj.get("publish"))
        or _on_driveway(obj.get("parking_type"))
        or _on_driveway(obj.get("type"))
    )


@dataclass(frozen=True, slots=True)
class Sites:
    """What the configuration declares about locations without a publish flag (OCPI 2.1.1
    has neither ``publish`` nor ``ON_DRIVEWAY``): the same declarations that let them reach
    the IRVE files (``[irve] ocpi211_public``, the ``public`` column of the overrides CSV).

    Undeclared, a 2.1.1 location is private: a home charger cannot be told from a public
    one by what 2.1.1 sends, and names or street addresses stored in clear cannot be taken
    back. A location id declared not public stays private whatever ``ocpi211_public`` says.
    """

    ocpi211_public: bool | None = None
    public: frozenset[str] = frozenset()  # location ids declared public
    private: frozenset[str] = frozenset()  # location ids declared not public

    @property
    def declared(self) -> bool:
        return self.ocpi211_public is not None or bool(self.public or self.private)

    def digest(self) -> str:
        """A stable text of the declarations (part of the policy fingerprint)."""
        public = sorted(f"+{i}" for i in self.public)
        private = sorted(f"-{i}" for i in self.private)
        return "\n".join([f"211={self.ocpi211_public}", *public, *private])


NO_SITES = Sites()
"""Nothing declared: every OCPI 2.1.1 location is private."""


@dataclass(frozen=True, slots=True)
class Location211IsPrivate:
    """The private-context test of an OCPI 2.1.1 location under :class:`Sites`.

    A value object (hashable, equal for equal declarations), so the page filter's marker
    types made for one filter serve every filter with the same declarations."""

    sites: Sites

    def __call__(self, obj: dict[str, Any]) -> bool:
        if location_is_private(obj):
            return True
        lid = obj.get("id")
        if lid.__class__ is str:
            if lid in self.sites.private:
                return True
            if lid in self.sites.public:
                return False
        return self.sites.ocpi211_public is not True

    @property
    def always(self) -> bool:
        """True of every location: none is declared public, one by one or all together."""
        return self.sites.ocpi211_public is not True and not self.sites.public


def cdr_is_private(obj: dict[str, Any]) -> bool:
    """A CDR of a home charger: ``home_charging_compensation=true``."""
    return _truthy(obj.get("home_charging_compensation"))


def is_soc_dimension(item: Any) -> bool:
    if item.__class__ is not dict:
        return False
    t = item.get("type")
    return isinstance(t, str) and t.strip().upper() == "STATE_OF_CHARGE"


LOCATION_PRIVATE_DOC = "private location (publish=false, or parking_type/type ON_DRIVEWAY)"
LOCATION_211_PRIVATE_DOC = (
    "private location (type ON_DRIVEWAY, or not declared public: OCPI 2.1.1 has no publish "
    "flag; declare with [irve] ocpi211_public or a public column of the [irve] overrides CSV)"
)
CDR_PRIVATE_DOC = "home charger CDR (home_charging_compensation=true)"


# --- shared classes -------------------------------------------------------------------------
def _geo() -> Obj:
    return Obj({"latitude": _priv_coord(), "longitude": _priv_coord()})


def _display_text(*, many: bool = True, private_drop: bool = False) -> Obj:
    return Obj(
        {"language": _keep(), "text": _keep()},
        many=many,
        private=D if private_drop else None,
        private_reason=PR_DROP if private_drop else "",
    )


def _image(*, many: bool, private_drop: bool) -> Obj:
    return Obj(
        {
            "url": _keep(),
            "thumbnail": _keep(),
            "category": _keep(),
            "type": _keep(),
            "width": _keep(),
            "height": _keep(),
        },
        many=many,
        private=D if private_drop else None,
        private_reason=PR_DROP if private_drop else "",
    )


def _business(*, private_drop: bool) -> Obj:
    return Obj(
        {"name": _keep(), "website": _keep(), "logo": _image(many=False, private_drop=False)},
        private=D if private_drop else None,
        private_reason=PR_DROP if private_drop else "",
    )


def _hours() -> Obj:
    period = {"period_begin": _keep(), "period_end": _keep()}
    return Obj(
        {
            "twentyfourseven": _keep(),
            "regular_hours": Obj(
                {"weekday": _keep(), "period_begin": _keep(), "period_end": _keep()}, many=True
            ),
            "exceptional_openings": Obj(period, many=True),
            "exceptional_closings": Obj(period, many=True),
        }
    )


def _energy_mix(version: str) -> Obj:
    impact_key = "source" if version == "2.1.1" else "category"
    return Obj(
        {
            "is_green_energy": _keep(),
            "energy_sources": Obj({"source": _keep(), "percentage": _keep()}, many=True),
            "environ_impact": Obj({impact_key: _keep(), "amount": _keep()}, many=True),
            "supplier_name": _keep(),
            "energy_product_name": _keep(),
        }
    )


def _connector(version: str) -> Obj:
    f: dict[str, Node] = {
        "id": _keep(),
        "standard": _keep(),
        "format": _keep(),
        "power_type": _keep(),
    }
    if version == "2.1.1":
        f |= {"voltage": _keep(), "amperage": _keep(), "tariff_id": _keep()}
    else:
        f |= {
            "max_voltage": _keep(),
            "max_amperage": _keep(),
            "max_electric_power": _keep(),
            "tariff_ids": _keep(),
        }
    f |= {"terms_and_conditions": _keep()}
    if version == "2.3.0":
        f |= {"capabilities": _keep()}
    f |= {"last_updated": _keep(R_META)}
    return Obj(f, many=True)


def _evse(version: str) -> Obj:
    f: dict[str, Node] = {
        "uid": _keep(),
        "evse_id": _keep(),
        "status": _keep(),
        "status_schedule": Obj(
            {"period_begin": _keep(), "period_end": _keep(), "status": _keep()}, many=True
        ),
        "capabilities": _keep(),
        "connectors": _connector(version),
        "floor_level": _keep(),
        "coordinates": _geo(),
        "physical_reference": _keep(),
        "directions": _display_text(private_drop=True),
        "parking_restrictions": _keep(),
        "images": _image(many=True, private_drop=True),
    }
    if version == "2.3.0":
        f |= {
            "parking": Obj({"parking_id": _keep(), "evse_position": _keep()}, many=True),
            "accepted_service_providers": _keep(),
        }
    f |= {"last_updated": _keep(R_META)}
    return Obj(f, many=True)


def _parking_places() -> Obj:
    names = [
        "id",
        "physical_reference",
        "vehicle_types",
        "max_vehicle_weight",
        "max_vehicle_height",
        "max_vehicle_length",
        "max_vehicle_width",
        "parking_space_length",
        "parking_space_width",
        "dangerous_goods_allowed",
        "direction",
        "drive_through",
        "restricted_to_type",
        "reservation_required",
        "time_limit",
        "roofed",
    ]
    f: dict[str, Node] = {n: _keep() for n in names}
    f["images"] = _image(many=True, private_drop=True)
    for n in ("lighting", "refrigeration_outlet", "standards", "apds_reference"):
        f[n] = _keep()
    return Obj(f, many=True)


def _publish_allowed_to() -> Obj:
    return Obj(
        {
            "uid": _drop(R_PUBLISH_TO),
            "type": _drop(R_PUBLISH_TO),
            "visual_number": _drop(R_PUBLISH_TO),
            "issuer": _drop(R_PUBLISH_TO),
            "group_id": _drop(R_PUBLISH_TO),
        },
        many=True,
        treatment=D,
        reason=R_PUBLISH_TO + ": every entry dropped",
    )


def location(version: str, sites: Sites = NO_SITES) -> Obj:
    f: dict[str, Node] = {}
    if version != "2.1.1":
        f |= {"country_code": _keep(R_KEY), "party_id": _keep(R_KEY)}
    f["id"] = _keep(R_KEY)
    if version == "2.1.1":
        f["type"] = _keep()
    else:
        f |= {"publish": _keep(), "publish_allowed_to": _publish_allowed_to()}
    f |= {
        "name": _priv_drop(),
        "address": _priv_drop(),
        "city": _keep(),
        "postal_code": _priv_postal(),
    }
    if version != "2.1.1":
        f["state"] = _keep()
    f |= {
        "country": _keep(),
        "coordinates": _geo(),
        "related_locations": Obj(
            {
                "latitude": _priv_coord(),
                "longitude": _priv_coord(),
                "name": _display_text(many=False, private_drop=True),
            },
            many=True,
        ),
    }
    if version != "2.1.1":
        f["parking_type"] = _keep()
    f["evses"] = _evse(version)
    if version == "2.3.0":
        f["parking_places"] = _parking_places()
    f |= {
        "directions": _display_text(private_drop=True),
        "operator": _business(private_drop=False),
        "suboperator": _business(private_drop=False),
        "owner": _business(private_drop=True),
        "facilities": _keep(),
        "time_zone": _keep(),
        "opening_times": _hours(),
        "charging_when_closed": _keep(),
        "images": _image(many=True, private_drop=True),
        "energy_mix": _energy_mix(version),
    }
    if version == "2.3.0":
        f["help_phone"] = _priv_drop()
    f["last_updated"] = _keep(R_META)
    if version == "2.1.1":
        test = Location211IsPrivate(sites)
        return Obj(
            f,
            private_if=test,
            private_if_doc=LOCATION_211_PRIVATE_DOC,
            private_if_keys=("type", "id"),
            private_always=test.always,
        )
    return Obj(
        f,
        private_if=location_is_private,
        private_if_doc=LOCATION_PRIVATE_DOC,
        private_if_keys=("publish", "parking_type", "type"),
    )


def _price(version: str, reason: str = R_COST) -> Node:
    if version == "2.1.1":
        return _keep(reason)
    if version == "2.2.1":
        return Obj({"excl_vat": _keep(reason), "incl_vat": _keep(reason)})
    return Obj(
        {
            "before_taxes": _keep(reason),
            "taxes": Obj(
                {
                    "name": _keep(reason),
                    "account_number": _keep("the CPO's tax account, company data"),
                    "percentage": _keep(reason),
                    "amount": _keep(reason),
                },
                many=True,
            ),
        }
    )


def _cdr_token() -> Obj:
    return Obj(
        {
            "country_code": _keep(R_KEY),
            "party_id": _keep(R_KEY),
            "uid": _pseudo("uid", R_UID),
            "type": _keep(R_TOKEN_META),
            "contract_id": _pseudo("contract", R_CONTRACT),
        }
    )


def _charging_periods(version: str) -> Obj:
    f: dict[str, Node] = {
        "start_date_time": _keep(R_ACTIVITY),
        "dimensions": Obj(
            {"type": _keep(R_ACTIVITY), "volume": _keep(R_ACTIVITY)},
            many=True,
            skip_item_if=is_soc_dimension,
            skip_item_key="type",
            skip_item_values=frozenset({"STATE_OF_CHARGE"}),
            skip_item_doc=SOC_DOC,
            skip_item_kept=CDR_DIMENSION_TYPES - {"STATE_OF_CHARGE"},
        ),
    }
    if version != "2.1.1":
        f["tariff_id"] = _keep(R_ACTIVITY)
    return Obj(f, many=True)


def tariff(version: str, *, many: bool = False) -> Obj:
    t = R_TARIFF
    f: dict[str, Node] = {}
    if version != "2.1.1":
        f |= {"country_code": _keep(R_KEY), "party_id": _keep(R_KEY)}
    f |= {"id": _keep(R_KEY), "currency": _keep(t)}
    if version != "2.1.1":
        f["type"] = _keep(t)
    f |= {
        "tariff_alt_text": Obj({"language": _keep(t), "text": _keep(t)}, many=True),
        "tariff_alt_url": _keep(t),
    }
    if version == "2.2.1":
        f |= {"min_price": _price(version, t), "max_price": _price(version, t)}
    elif version == "2.3.0":
        limit = Obj({"before_taxes": _keep(t), "after_taxes": _keep(t)})
        f |= {"min_price": limit, "max_price": limit}
    comp: dict[str, Node] = {"type": _keep(t), "price": _keep(t)}
    if version != "2.1.1":
        comp["vat"] = _keep(t)
    comp["step_size"] = _keep(t)
    restr_names = ["start_time", "end_time", "start_date", "end_date", "min_kwh", "max_kwh"]
    if version != "2.1.1":
        restr_names += ["min_current", "max_current"]
    restr_names += ["min_power", "max_power", "min_duration", "max_duration", "day_of_week"]
    if version != "2.1.1":
        restr_names += ["reservation"]
    f["elements"] = Obj(
        {
            "price_components": Obj(comp, many=True),
            "restrictions": Obj({n: _keep(t) for n in restr_names}),
        },
        many=True,
    )
    if version == "2.3.0":
        f["tax_included"] = _keep(t)
    if version != "2.1.1":
        f |= {"start_date_time": _keep(t), "end_date_time": _keep(t)}
    f["energy_mix"] = _energy_mix(version)
    if version == "2.3.0":
        f["preauthorize_amount"] = _keep(t)
    f["last_updated"] = _keep(R_META)
    return Obj(f, many=many)


def _cdr_location() -> Obj:
    return Obj(
        {
            "id": _keep(R_KEY),
            "name": _priv_drop(),
            "address": _priv_drop(),
            "city": _keep(),
            "postal_code": _priv_postal(),
            "state": _keep(),
            "country": _keep(),
            "coordinates": _geo(),
            "evse_uid": _keep(R_KEY),
            "evse_id": _keep(),
            "connector_id": _keep(R_KEY),
            "connector_standard": _keep(),
            "connector_format": _keep(),
            "connector_power_type": _keep(),
        }
    )


def session(version: str, sites: Sites = NO_SITES) -> Obj:
    a = R_ACTIVITY
    f: dict[str, Node] = {}
    if version == "2.1.1":
        f |= {
            "id": _keep(R_KEY),
            "start_datetime": _keep(a),
            "end_datetime": _keep(a),
            "kwh": _keep(a),
            "auth_id": _pseudo("contract", R_AUTH_ID_211),
            "auth_method": _keep(a),
            "location": location(version, sites),
        }
    else:
        f |= {
            "country_code": _keep(R_KEY),
            "party_id": _keep(R_KEY),
            "id": _keep(R_KEY),
            "start_date_time": _keep(a),
            "end_date_time": _keep(a),
            "kwh": _keep(a),
            "cdr_token": _cdr_token(),
            "auth_method": _keep(a),
            "authorization_reference": _drop(R_AUTHREF),
            "location_id": _keep(a),
            "evse_uid": _keep(a),
            "connector_id": _keep(a),
        }
    f |= {
        "meter_id": _drop(R_METER),
        "currency": _keep(R_COST),
        "charging_periods": _charging_periods(version),
        "total_cost": _price(version),
        "status": _keep(a),
        "last_updated": _keep(R_META),
    }
    return Obj(f)


def cdr(version: str, sites: Sites = NO_SITES) -> Obj:
    a = R_ACTIVITY
    f: dict[str, Node] = {}
    if version != "2.1.1":
        f |= {"country_code": _keep(R_KEY), "party_id": _keep(R_KEY)}
    f |= {"id": _keep(R_KEY), "start_date_time": _keep(a)}
    if version == "2.1.1":
        f |= {
            "stop_date_time": _keep(a),
            "auth_id": _pseudo("contract", R_AUTH_ID_211),
            "auth_method": _keep(a),
            "location": location(version, sites),
        }
    else:
        f |= {
            "end_date_time": _keep(a),
            "session_id": _keep(R_KEY),
            "cdr_token": _cdr_token(),
            "auth_method": _keep(a),
            "authorization_reference": _drop(R_AUTHREF),
            "cdr_location": _cdr_location(),
        }
    f |= {
        "meter_id": _drop(R_METER),
        "currency": _keep(R_COST),
        "tariffs": tariff(version, many=True),
        "charging_periods": _charging_periods(version),
    }
    if version != "2.1.1":
        f["signed_data"] = Obj(
            {
                "encoding_method": _drop(R_SIGNED),
                "encoding_method_version": _drop(R_SIGNED),
                "public_key": _drop(R_SIGNED),
                "signed_values": Obj(
                    {
                        "nature": _drop(R_SIGNED),
                        "plain_data": _drop(R_SIGNED),
                        "signed_data": _drop(R_SIGNED),
                    },
                    many=True,
                ),
                "url": _drop(R_SIGNED),
            },
            treatment=D,
            reason=R_SIGNED,
        )
    f["total_cost"] = _price(version)
    if version != "2.1.1":
        for n in ("fixed", "energy", "time", "parking", "reservation"):
            f[f"total_{n}_cost"] = _price(version)
    f |= {
        "total_energy": _keep(a),
        "total_time": _keep(a),
        "total_parking_time": _keep(a),
        "remark": _keep("the CPO's remark on the transaction (e.g. why it stopped)"),
    }
    if version != "2.1.1":
        f |= {
            "invoice_reference_id": _drop(R_INVOICE),
            "credit": _keep(a),
            "credit_reference_id": _keep(R_KEY),
            "home_charging_compensation": _keep(a),
        }
    f["last_updated"] = _keep(R_META)
    return Obj(
        f,
        private_if=cdr_is_private,
        private_if_doc=CDR_PRIVATE_DOC,
        private_if_keys=("home_charging_compensation",),
    )


def token(version: str) -> Obj:
    f: dict[str, Node] = {}
    if version != "2.1.1":
        f |= {"country_code": _keep(R_KEY), "party_id": _keep(R_KEY)}
    f |= {"uid": _pseudo("uid", R_UID), "type": _keep(R_TOKEN_META)}
    if version == "2.1.1":
        f["auth_id"] = _pseudo("contract", R_AUTH_ID_211)
    else:
        f["contract_id"] = _pseudo("contract", R_CONTRACT)
    f |= {"visual_number": _drop(R_VISUAL), "issuer": _keep(R_COMPANY)}
    if version != "2.1.1":
        f["group_id"] = _drop(R_GROUP)
    f |= {"valid": _keep(R_TOKEN_META), "whitelist": _keep(R_TOKEN_META)}
    f["language"] = _keep(R_TOKEN_META)
    if version != "2.1.1":
        f |= {
            "default_profile_type": _keep(R_TOKEN_META),
            "energy_contract": Obj(
                {
                    "supplier_name": _keep(R_COMPANY),
                    "contract_id": _drop(R_ENERGY_CONTRACT),
                }
            ),
        }
    f["last_updated"] = _keep(R_META)
    return Obj(f)


_BUILDERS: dict[str, Callable[[str, Sites], Obj]] = {
    "locations": location,
    "sessions": session,
    "cdrs": cdr,
    "tariffs": lambda version, _sites: tariff(version),
    "tokens": lambda version, _sites: token(version),
}

_CACHE: dict[tuple[str, str, Sites], Obj] = {}


def schema(module: str, version: str, sites: Sites = NO_SITES) -> Obj:
    """The root node of ``module`` in ``version`` (both already validated); ``sites`` only
    changes the OCPI 2.1.1 location test (locations, and those embedded in sessions/CDRs)."""
    if version != "2.1.1" or module not in ("locations", "sessions", "cdrs"):
        sites = NO_SITES
    key = (module, version, sites)
    node = _CACHE.get(key)
    if node is None:
        node = _CACHE[key] = _BUILDERS[module](version, sites)
    return node
