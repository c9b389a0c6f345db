"""The IRVE Table Schemas shipped with ocpiwh (verbatim copies of etalab/schema-irve v2.3.1).

schema-statique.json     IRVE statique (40 fields, one row per point de recharge)
schema-dynamique.json    IRVE dynamique (8 fields, state of a point de recharge)
qualicharge-sessions.json  QualiCharge sessions (4 fields; written by ocpiwh from the
                           QualiCharge API model: there is no official schema)
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from ocpiwh.errors import UsageError

SCHEMAS: dict[str, str] = {
    "statique": "schema-statique.json",
    "dynamique": "schema-dynamique.json",
    "sessions": "qualicharge-sessions.json",
}
"""Schema name → file in ``ocpiwh/irve/schemas``."""

MODEL_SCHEMAS: dict[str, str] = {
    "irve_statique": "statique",
    "irve_dynamique": "dynamique",
    "irve_dynamique_events": "dynamique",
    "qualicharge_sessions": "sessions",
}
"""Models whose exports are validated, and against which schema."""

_PDC_RE = re.compile(r"[^A-Z0-9]")


def schemas_dir() -> Path:
    return Path(__file__).resolve().parent / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The Table Schema ``name`` (statique, dynamique, sessions) as a dict."""
    try:
        filename = SCHEMAS[name]
    except KeyError:
        raise UsageError(
            f"unknown IRVE schema {name!r}; choose one of {', '.join(SCHEMAS)}"
        ) from None
    data: dict[str, Any] = json.loads((schemas_dir() / filename).read_text(encoding="utf-8"))
    return data


def field_names(name: str) -> list[str]:
    return [str(f["name"]) for f in load_schema(name)["fields"]]


def normalize_id(value: str | None) -> str | None:
    """eMI3/AFIREV id as QualiCharge wants it: separators stripped, upper case.

    ``"fr*a68*e680210015"`` → ``"FRA68E680210015"``; ``None``/blank → ``None``. The same rule
    as the SQL models (``regexp_replace(upper(trim(x)), '[^A-Z0-9]', '', 'g')``).
    """
    if value is None:
        return None
    text = _PDC_RE.sub("", value.strip().upper())
    return text or None


def siren_is_valid(siren: str) -> bool:
    """9 digits, Luhn checksum, not ``000000000`` (QualiCharge's ``Siren`` type)."""
    if not re.fullmatch(r"\d{9}", siren) or siren == "000000000":
        return False
    total = 0
    for i, ch in enumerate(reversed(siren)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
