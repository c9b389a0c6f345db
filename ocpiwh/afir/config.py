"""The ``[afir]`` section of ``ocpiwh.toml``: what a DATEX II publication needs that OCPI lacks.

[afir]
country = "FR"                          # publicationCreator.country (default: the data's)
national_identifier = "FR-NAP-CPO-42"   # publicationCreator.nationalIdentifier
lang = "fr"                             # language of names and texts (default "en")
information_status = "real"             # or "test"
table_id = "ocpiwh"                     # idG of the EnergyInfrastructureTable
service_type = "unattended"             # or "physicalAttendance" (OCPI has no staffing)
operator_name = "…"                     # when Location.operator is absent
helpdesk_phone = "+33…"                 # when Location.help_phone (2.3.0) is absent
status_max_age_s = 60                   # ocpiwh check --profile afir: dynamic deadline
static_max_age_h = 24                   # … and the static one
feed_min_interval_s = 1                 # feeds: at most one delta per this many seconds
feed_full_every = 3500                  # … a full snapshot every N deltas
feed_full_every_h = 6                   # … or every this many hours
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from ocpiwh.config import Config
from ocpiwh.errors import UsageError
from ocpiwh.lake import Location, Store, open_store

_TEXT = ("country", "national_identifier", "lang", "information_status", "table_id",
         "service_type", "operator_name", "helpdesk_phone")  # fmt: skip
_NUMBERS = ("status_max_age_s", "static_max_age_h", "feed_min_interval_s", "feed_full_every",
            "feed_full_every_h")  # fmt: skip
_CHOICES = {
    "information_status": ("real", "test"),
    "service_type": ("unattended", "physicalAttendance"),
}


@dataclass
class AfirConfig:
    """Parsed ``[afir]`` (defaults when absent)."""

    country: str | None = None
    national_identifier: str | None = None
    lang: str = "en"
    information_status: str = "real"
    table_id: str = "ocpiwh"
    service_type: str = "unattended"
    operator_name: str | None = None
    helpdesk_phone: str | None = None
    status_max_age_s: float = 60.0
    static_max_age_h: float = 24.0
    feed_min_interval_s: float = 1.0
    feed_full_every: float = 3500
    feed_full_every_h: float = 6.0

    @classmethod
    def load(cls, root: Location | Store) -> AfirConfig:
        store = open_store(root)
        if not store.is_warehouse():
            return cls()
        return cls.from_mapping(Config.load(store).extra.get("afir", {}))

    @classmethod
    def from_mapping(cls, data: Any) -> AfirConfig:
        if not isinstance(data, dict):
            raise UsageError("ocpiwh.toml: [afir] must be a table")
        unknown = sorted(set(data) - set(_TEXT) - set(_NUMBERS))
        if unknown:
            raise UsageError(
                f"ocpiwh.toml: unknown key(s) in [afir]: {', '.join(unknown)}; "
                f"valid: {', '.join(sorted(_TEXT + _NUMBERS))}"
            )
        values: dict[str, Any] = {}
        for key in _TEXT:
            if key in data:
                text = str(data[key]).strip()
                if key in _CHOICES and text not in _CHOICES[key]:
                    raise UsageError(
                        f"ocpiwh.toml: [afir] {key} must be one of {', '.join(_CHOICES[key])}"
                    )
                values[key] = text or None
        for key in _NUMBERS:
            if key in data:
                value = data[key]
                if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                    raise UsageError(f"ocpiwh.toml: [afir] {key} must be a positive number")
                values[key] = float(value)
        cfg = cls(**values)
        if not re.fullmatch(r"[a-z]{2}", cfg.lang or ""):
            raise UsageError('ocpiwh.toml: [afir] lang must be two lower-case letters ("fr")')
        if cfg.country is not None and not re.fullmatch(r"[A-Z]{2}", cfg.country):
            raise UsageError('ocpiwh.toml: [afir] country must be two capital letters ("FR")')
        return cfg

    def to_json(self) -> str:
        """The ``$afir_config`` parameter of ``afir_table``."""
        keep = ("lang", "service_type", "operator_name", "helpdesk_phone")
        return orjson.dumps({k: v for k, v in asdict(self).items() if k in keep}).decode()
