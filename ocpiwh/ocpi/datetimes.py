"""OCPI DateTime helpers: strict on output, lenient on input."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_FRACTION = re.compile(r"(\.\d+)")


def format_ocpi_datetime(dt: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC without fraction; naive datetimes are taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    u = dt.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def parse_ocpi_datetime(value: object) -> datetime | None:
    """Parse an OCPI DateTime leniently into an aware UTC datetime, or None if impossible.

    Accepts a trailing ``Z`` or not (no zone means UTC), any number of fraction digits,
    numeric offsets such as ``+00:00`` or ``+0200``, a space instead of ``T``, a date alone,
    and datetime objects.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        if s[-1] in "zZ":
            s = s[:-1] + "+00:00"
        # Python accepts at most 6 fraction digits; OCPI platforms send 0..9.
        s = _FRACTION.sub(lambda m: m.group(1)[:7].ljust(7, "0"), s, count=1)
        if len(s) > 10 and s[10] in " t":
            s = s[:10] + "T" + s[11:]
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            return None
    else:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
