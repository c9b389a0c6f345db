"""Text formats shared by every renderer: OCPI timestamps and 2.1.1's ASCII-only strings."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

MIN_CACHE: dict[int, str] = {}
_DAY_CACHE: dict[int, str] = {}
_HM = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
SEC_Z = tuple(f"{i:02d}Z" for i in range(60))
_SEC = tuple(f"{i:02d}" for i in range(60))


def iso(t: int, z: bool = True) -> str:
    """Epoch seconds → ``YYYY-MM-DDTHH:MM:SSZ`` (hot path: cached per minute)."""
    m, s = divmod(t, 60)
    p = MIN_CACHE.get(m)
    if p is None:
        day, hm = divmod(m, 1440)
        dp = _DAY_CACHE.get(day)
        if dp is None:
            dp = _DAY_CACHE[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%dT")
        p = dp + _HM[hm]
        if len(MIN_CACHE) > 500_000:
            MIN_CACHE.clear()
        MIN_CACHE[m] = p
    return p + (SEC_Z[s] if z else _SEC[s])


def ascii_text(s: str) -> str:
    """Accents dropped: 2.1.1 strings are ASCII."""
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
