"""Phone numbers as QualiCharge accepts them (``FrenchPhoneNumber`` of its API models).

QualiCharge parses ``telephone_operateur`` with Google's libphonenumber (the ``phonenumbers``
package) with France as the default region: a national number (``01 44 27 63 50``) is read in
the French numbering plan, an international one (``+44 …``, ``0033 …``) in its own, and the
number must be *valid* in its plan (right length and prefix), not merely well formed. It then
stores the number re-formatted (``tel:+33-1-44-27-63-50``). ocpiwh applies the same test and
writes the number in E.164 (``+33144276350``): one canonical form, accepted as is.

Overseas numbers written nationally (``0262 …``) are read as metropolitan numbers and refused,
as QualiCharge does: write them with their country code (``+262 262 …``).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import duckdb
import phonenumbers
import pyarrow as pa

DEFAULT_REGION = "FR"


@lru_cache(maxsize=65536)
def check_phone(raw: str) -> tuple[str | None, str | None]:
    """``(E.164 number, None)`` when QualiCharge accepts ``raw``, else ``(None, why)``."""
    text = raw.strip()
    if not text:
        return None, "empty"
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        return None, f"not a phone number ({exc._msg})"
    if not phonenumbers.is_valid_number(number):
        return None, "not a valid number of its numbering plan (French by default)"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def normalize_phone(raw: str | None) -> str | None:
    """E.164 form of an accepted number; ``None`` for a blank; the text itself if refused."""
    if raw is None or not raw.strip():
        return None
    e164, _ = check_phone(raw)
    return e164 if e164 is not None else raw.strip()


def refused(values: Iterable[str | None]) -> list[str]:
    """The distinct non-blank values QualiCharge would refuse (sorted)."""
    bad = {v for v in values if v is not None and v.strip() and check_phone(v)[0] is None}
    return sorted(bad)


def normalize_phones(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Rewrite ``telephone_operateur`` of ``table`` in E.164 where QualiCharge accepts it
    (refused numbers stay as they are, for the validation to report them)."""
    cols = {str(r[0]) for r in con.execute(f'DESCRIBE "{table}"').fetchall()}
    if "telephone_operateur" not in cols:
        return
    rows = con.execute(f'SELECT DISTINCT telephone_operateur FROM "{table}"').fetchall()
    pairs = [
        (raw, e164)
        for (raw,) in rows
        if isinstance(raw, str) and (e164 := check_phone(raw)[0]) is not None and e164 != raw
    ]
    if not pairs:
        return
    mapping = pa.table({"raw": [r for r, _ in pairs], "e164": [e for _, e in pairs]})
    con.register("_irve_phone_map", mapping)
    try:
        con.execute(
            f'UPDATE "{table}" SET telephone_operateur = m.e164 FROM _irve_phone_map AS m '
            f'WHERE "{table}".telephone_operateur = m.raw'
        )
    finally:
        con.unregister("_irve_phone_map")
