"""The JSON Schema AFIR publications are validated against (``schemas/``, see SOURCE.md).

The Mobilithek profile's own schemas carry no licence, so ocpiwh ships a schema it derived
from the profile's data model (same names, enumerations and required members; only the
members ocpiwh writes). ``OCPIWH_AFIR_SCHEMAS`` (a folder holding the profile's
``EnergyInfrastructure{Table,Status}Publication`` folders, see tools/afir_schemas.py) makes
:func:`validate_document` check against the profile's schemas as well.

Validation uses ``jsonschema-rs`` (Rust): ~0.1 ms per site where the pure-Python
``jsonschema`` took 14 ms, which decided a 50k-point publication (docs/benchmarks.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson

SCHEMA_DIR = Path(__file__).parent / "schemas"
SCHEMA_FILE = SCHEMA_DIR / "afir-01-00-00.derived.schema.json"
DOCUMENTS = {"afir_table": "TableDocument", "afir_status": "StatusDocument"}
SITES = {"afir_table": "EnergyInfrastructureSite", "afir_status": "EnergyInfrastructureSiteStatus"}
UPSTREAM_ENV = "OCPIWH_AFIR_SCHEMAS"
_UPSTREAM = {
    "afir_table": ("EnergyInfrastructureTablePublication", "DATEXII_3_D2Payload.json"),
    "afir_status": ("EnergyInfrastructureStatusPublication", "DATEXII_3_MessageContainer.json"),
}
_BASE = "file:///afir-profile/"


@dataclass(frozen=True)
class SchemaError:
    """One failed check: where in the instance, which keyword, why."""

    path: str
    keyword: str
    message: str


@cache
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(SCHEMA_FILE.read_bytes())
    return loaded


@cache
def validator(definition: str) -> Any:
    """A validator for one definition of the shipped schema."""
    return jsonschema_rs.validator_for({**_schema(), "$ref": f"#/$defs/{definition}"})


def _errors(check: Any, instance: Any) -> Iterator[SchemaError]:
    for e in check.iter_errors(instance):
        keyword = str(e.schema_path[-1]) if len(e.schema_path) else "schema"
        path = "/".join(str(p) for p in e.instance_path)
        yield SchemaError(path, keyword, str(e.message)[:200])


def site_errors(model: str, site: Any) -> Iterator[SchemaError]:
    """Every way one site (table) or site status (status) breaks the schema."""
    return _errors(validator(SITES[model]), site)


@cache
def _upstream(model: str, folder: str) -> Any:
    sub, root = _UPSTREAM[model]
    base = Path(folder) / sub
    paths = sorted(base.glob("DATEXII_3_*.json"))
    if not paths:
        raise FileNotFoundError(f"no DATEXII_3_*.json in {base}")
    registry = jsonschema_rs.Registry(
        [(_BASE + p.name, orjson.loads(p.read_bytes())) for p in paths]
    )
    schema = {**orjson.loads((base / root).read_bytes()), "$id": _BASE + root}
    # formats asserted: the profile's Time and DateTime are `format`s, and Mobilithek requires
    # them valid (times of day with a trailing "Z", its annotated example says)
    return jsonschema_rs.validator_for(schema, registry=registry, validate_formats=True)


def validate_document(model: str, document: Any, upstream: str | None = None) -> list[str]:
    """Errors of a whole publication (empty: valid) against the shipped schema, and against
    the profile's own schemas when ``upstream`` (or ``$OCPIWH_AFIR_SCHEMAS``) names them."""
    found = [
        f"{e.path or '(document)'}: {e.message}"
        for e in _errors(validator(DOCUMENTS[model]), document)
    ]
    folder = upstream or os.environ.get(UPSTREAM_ENV)
    if folder:
        found += [
            f"profile: {e.path or '(document)'}: {e.message}"
            for e in _errors(_upstream(model, folder), document)
        ]
    return found
