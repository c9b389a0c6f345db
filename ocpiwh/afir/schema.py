"""The JSON Schema AFIR publications are validated against (``schemas/``, see SOURCE.md).

The Mobilithek profile's own schemas carry no licence, so ocpiwh ships a schema it derived
from the profile's data model (same names, enumerations and required members; only the
members ocpiwh writes). ``OCPIWH_AFIR_SCHEMAS`` (a folder holding the profile's
``EnergyInfrastructure{Table,Status}Publication`` folders, see tools/afir_schemas.py) makes
:func:`validate_document` use the profile's schemas as well.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).parent / "schemas"
SCHEMA_FILE = SCHEMA_DIR / "afir-01-00-00.derived.schema.json"
_ID = "urn:ocpiwh:afir:01-00-00"
DOCUMENTS = {"afir_table": "TableDocument", "afir_status": "StatusDocument"}
SITES = {"afir_table": "EnergyInfrastructureSite", "afir_status": "EnergyInfrastructureSiteStatus"}
UPSTREAM_ENV = "OCPIWH_AFIR_SCHEMAS"
_UPSTREAM = {
    "afir_table": ("EnergyInfrastructureTablePublication", "DATEXII_3_D2Payload.json"),
    "afir_status": ("EnergyInfrastructureStatusPublication", "DATEXII_3_MessageContainer.json"),
}


@cache
def _registry() -> Registry:
    schema = orjson.loads(SCHEMA_FILE.read_bytes())
    registry: Registry = Registry().with_resource(_ID, Resource.from_contents(schema))
    return registry


@cache
def validator(definition: str) -> Draft202012Validator:
    """A validator for one definition of the shipped schema."""
    return Draft202012Validator({"$ref": f"{_ID}#/$defs/{definition}"}, registry=_registry())


def site_errors(model: str, site: Any) -> Iterator[ValidationError]:
    """Every way one site (table) or site status (status) breaks the schema."""
    errors: Iterator[ValidationError] = validator(SITES[model]).iter_errors(site)
    return errors


@cache
def _upstream(model: str, folder: str) -> Draft202012Validator:
    sub, root = _UPSTREAM[model]
    base = Path(folder) / sub
    resources = [
        (p.name, Resource.from_contents(orjson.loads(p.read_bytes())))
        for p in sorted(base.glob("DATEXII_3_*.json"))
    ]
    if not resources:
        raise FileNotFoundError(f"no DATEXII_3_*.json in {base}")
    registry = Registry().with_resources(resources)
    return Draft202012Validator(orjson.loads((base / root).read_bytes()), registry=registry)


def validate_document(model: str, document: Any, upstream: str | None = None) -> list[str]:
    """Errors of a whole publication (empty: valid) against the shipped schema, and against
    the profile's own schemas when ``upstream`` (or ``$OCPIWH_AFIR_SCHEMAS``) names them."""
    errors = [_describe(e) for e in validator(DOCUMENTS[model]).iter_errors(document)]
    folder = upstream or os.environ.get(UPSTREAM_ENV)
    if folder:
        errors += [
            f"profile: {_describe(e)}" for e in _upstream(model, folder).iter_errors(document)
        ]
    return errors


def _describe(error: ValidationError) -> str:
    path = "/".join(str(p) for p in error.absolute_path)
    return f"{path or '(document)'}: {error.message[:200]}"
