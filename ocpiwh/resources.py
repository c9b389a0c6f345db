"""Locate the SQL shipped with ocpiwh (``sql/`` at the project root, or inside the package)."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def sql_dir() -> Path:
    """``sql/`` beside the package in a checkout; ``ocpiwh/sql`` in an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "sql", here / "sql"):
        if (candidate / "normalize").is_dir():
            return candidate
    raise FileNotFoundError("ocpiwh's sql/ folder is missing from this installation")
