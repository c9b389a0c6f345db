"""Exports: any model or view to CSV, Parquet (optionally partitioned) or JSON lines,
atomically, with a manifest; IRVE/QualiCharge models validated on the way. See docs/export.md.

    from ocpiwh.export import export
    result = export(root, "irve_statique", Path("irve.csv"))
"""

from __future__ import annotations

from ocpiwh.export.core import (
    EXPORT_FORMATS,
    ExportResult,
    export,
    manifest_path,
    pseudonymous_feeds,
    report_path,
    validate_table,
)
from ocpiwh.export.pseudonymous import pseudonymous_columns

__all__ = [
    "EXPORT_FORMATS",
    "ExportResult",
    "export",
    "manifest_path",
    "pseudonymous_columns",
    "pseudonymous_feeds",
    "report_path",
    "validate_table",
]
