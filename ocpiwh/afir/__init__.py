"""AFIR publications (EU 2023/1804 art. 20, DATEX II recharging profile 01-00-00).

    from ocpiwh import afir
    result = afir.publish(root, "afir_table", Path("table.json"))
    result.sites, result.invalid_sites, result.report_path

The models (``afir_table``, ``afir_status``) assemble each site in DuckDB; this package adds the
publication envelope, validates every site against the shipped schema (invalid sites are left
out and reported) and writes the file atomically with its report and manifest. docs/afir.md.
"""

from __future__ import annotations

from ocpiwh.afir.config import AfirConfig
from ocpiwh.afir.publish import AFIR_MODELS, DUCKDB_ONLY_MODELS, AfirResult, parse_since, publish
from ocpiwh.afir.schema import SCHEMA_FILE, validate_document

__all__ = [
    "AFIR_MODELS",
    "DUCKDB_ONLY_MODELS",
    "SCHEMA_FILE",
    "AfirConfig",
    "AfirResult",
    "parse_since",
    "publish",
    "validate_document",
]
