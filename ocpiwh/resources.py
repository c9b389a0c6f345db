"""Locate the SQL shipped with ocpiwh: the one place that knows where ``sql/`` lives.

``sql/`` is edited at the repository root; wheels and sdists carry it as ``ocpiwh/sql``
(pyproject.toml maps the folder into the package).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def sql_dir() -> Path:
    """``ocpiwh/sql`` in an installed package, else ``sql/`` beside the package in a checkout.

    The package's own copy is tried first: an installed ocpiwh must never pick up some other
    ``sql/`` folder that happens to sit next to site-packages.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "sql", here.parent / "sql"):
        if (candidate / "normalize").is_dir():
            return candidate
    raise FileNotFoundError("ocpiwh's sql/ folder is missing from this installation")
