"""The coarsenings of a private context's fields, shared by both filters (the generic one and
the page filter's decode hook), so that they agree."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def coarsen_coordinate(v: Any) -> Any:
    """2 decimals (~1 km). Strings stay strings (OCPI coordinates are strings)."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float):
        x = float(v)
        return round(x, 2) if math.isfinite(x) else None
    if isinstance(v, str):
        try:
            x = float(v.strip().replace(",", "."))
        except ValueError:
            return None
        return f"{x:.2f}" if math.isfinite(x) else None
    return None


def coarsen_postal_code(v: Any) -> Any:
    """The first 2 characters (a French département, a German/Dutch region)."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, str | int):
        return str(v).strip()[:2]
    return None


COARSENERS: dict[str, Callable[[Any], Any]] = {
    "coord": coarsen_coordinate,
    "postal": coarsen_postal_code,
}
