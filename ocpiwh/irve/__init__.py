"""IRVE / QualiCharge: the French charge-point open-data schemas, from the OCPI mirror.

    from ocpiwh import irve
    report = irve.validate(table, schema="statique")        # Arrow table, DuckDB relation, CSV
    report.ok, report.invalid, report.by_rule()             # rows, rules, failing values
    cfg = irve.IrveConfig.load(root)                        # [irve] of ocpiwh.toml + overrides
    irve.check_phone("01 44 27 63 50")                      # ('+33144276350', None), as QualiCharge
    irve.resolve_commune("75011", "Paris")                  # ('75056', 'postal code'), COG table

The SQL models ``irve_statique``, ``irve_dynamique``, ``irve_dynamique_events`` and
``qualicharge_sessions`` produce the tables; ``ocpiwh.export.export`` writes and validates them.
See docs/irve.md.
"""

from __future__ import annotations

from ocpiwh.irve.config import CONFIG_FIELDS, IrveConfig, model_values
from ocpiwh.irve.geo import resolve as resolve_commune
from ocpiwh.irve.phone import check_phone
from ocpiwh.irve.schema import (
    MODEL_SCHEMAS,
    SCHEMAS,
    field_names,
    load_schema,
    normalize_id,
    siren_is_valid,
)
from ocpiwh.irve.validate import PROFILES, ValidationReport, check_table, validate

__all__ = [
    "CONFIG_FIELDS",
    "MODEL_SCHEMAS",
    "PROFILES",
    "SCHEMAS",
    "IrveConfig",
    "ValidationReport",
    "check_phone",
    "check_table",
    "field_names",
    "load_schema",
    "model_values",
    "normalize_id",
    "resolve_commune",
    "siren_is_valid",
    "validate",
]
