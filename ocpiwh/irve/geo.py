"""``code_insee_commune`` from a location's postal code and city, with the official table.

The table (``refdata/communes.csv.gz``, see docs/refdata.md) is INSEE's *Code officiel
géographique* with La Poste's postal codes and DGCL's EPCI, shipped with the package: nothing is
fetched at run time. :func:`resolve` derives the code of one (postal code, city):

1. candidates = the communes whose postal codes contain the postal code, each under its own
   name and under the names of its municipal arrondissements, delegated and associated
   communes (a merged commune is found by its old name);
2. one commune only → it; else the one whose name is the city (accents, case, punctuation,
   ``St``/``Ste``, ``Cedex NN`` and an arrondissement suffix ignored);
3. unknown postal code (a Cedex code, a typo) → the commune of that name in the postal code's
   department (20xxx: 2A or 2B; 97x/98x: three digits) when there is exactly one;
4. otherwise nothing, with the reason.

Paris, Lyon and Marseille get the **commune** code (75056, 69123, 13055), not the
arrondissement's (75111): QualiCharge's rule INSE checks codes against the communes of Etalab's
*contours administratifs 2024*, which list no arrondissements. The table has no commune
geometry, so coordinates cannot break a tie: a tie is left empty and reported.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

REFDATA = Path(__file__).resolve().parent / "refdata"
_ARR_RE = re.compile(r"\s+\d{1,2}\s*(er|e|eme|ème)?(\s+arrondissement)?$")
_CEDEX_RE = re.compile(r"\bcedex\b.*$")
_ABBREV = {"st": "saint", "ste": "sainte"}


@dataclass(frozen=True)
class Commune:
    code: str
    nom: str
    kind: str  # commune, arrondissement, deleguee, associee
    parent: str
    departement: str
    region: str
    epci: str
    codes_postaux: tuple[str, ...]
    in_qualicharge: bool

    @property
    def current(self) -> str:
        """The code of the current commune (itself, or its parent)."""
        return self.parent or self.code


def norm(name: str) -> str:
    """City name for comparison: no accents, case, punctuation, Cedex or arrondissement."""
    text = unicodedata.normalize("NFKD", name.replace("œ", "oe").replace("Œ", "oe"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = _CEDEX_RE.sub("", text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = " ".join(_ABBREV.get(w, w) for w in text.split())
    return _ARR_RE.sub("", text) or text


def department_of(postal_code: str) -> str | None:
    """Department of a French postal code (``20xxx``: 2A below 20200, else 2B)."""
    if not re.fullmatch(r"\d{5}", postal_code):
        return None
    if postal_code.startswith(("97", "98")):
        return postal_code[:3]
    if postal_code.startswith("20"):
        return "2A" if postal_code < "20200" else "2B"
    return postal_code[:2]


class CommuneTable:
    """The shipped commune table, indexed for :meth:`resolve`."""

    def __init__(self, rows: Iterable[Commune]) -> None:
        self.by_code: dict[str, Commune] = {}
        self.by_cp: dict[str, list[tuple[str, str]]] = {}
        self.by_dept: dict[tuple[str, str], set[str]] = {}
        rows = list(rows)
        for c in rows:
            if c.kind == "commune" or c.code not in self.by_code:
                self.by_code[c.code] = c
        communes = {c.code: c for c in rows if c.kind == "commune"}
        for c in rows:
            owner = communes.get(c.current)
            if owner is None:
                continue
            cps = c.codes_postaux or owner.codes_postaux
            for cp in cps:
                self.by_cp.setdefault(cp, []).append((norm(c.nom), owner.code))
            self.by_dept.setdefault((owner.departement, norm(c.nom)), set()).add(owner.code)

    def resolve(self, postal_code: str | None, city: str | None) -> tuple[str | None, str]:
        """(commune code, how) — or (None, why not)."""
        cp = (postal_code or "").strip().replace(" ", "")
        name = norm(city or "")
        if not cp:
            return None, "no postal code"
        dept = department_of(cp)
        if dept is None:
            return None, f"postal code {cp!r} is not a French postal code"
        candidates = self.by_cp.get(cp)
        if candidates:
            codes = {code for _, code in candidates}
            if len(codes) == 1:
                return next(iter(codes)), "postal code"
            named = {code for n, code in candidates if n == name}
            if len(named) == 1:
                return next(iter(named)), "postal code and city"
            if not name:
                return (
                    None,
                    f"postal code {cp} is shared by {len(codes)} communes and no city is given",
                )
            if not named:
                return None, (
                    f"postal code {cp} is shared by {len(codes)} communes and none is named "
                    f"{city!r}"
                )
            return None, f"postal code {cp} and city {city!r} match {len(named)} communes"
        if not name:
            return None, f"unknown postal code {cp} and no city"
        named = self.by_dept.get((dept, name), set())
        if len(named) == 1:
            return next(
                iter(named)
            ), "city in the postal code's department (Cedex or unlisted code)"
        if not named:
            return None, f"unknown postal code {cp} and no commune {city!r} in department {dept}"
        return (
            None,
            f"unknown postal code {cp} and {len(named)} communes {city!r} in department {dept}",
        )


def _read(path: Path) -> list[Commune]:
    with gzip.open(path, "rb") as fh:
        reader = csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8"))
        return [
            Commune(
                code=r["code"],
                nom=r["nom"],
                kind=r["kind"],
                parent=r["parent"],
                departement=r["departement"],
                region=r["region"],
                epci=r["epci"],
                codes_postaux=tuple(r["codes_postaux"].split()),
                in_qualicharge=r["in_qualicharge"] == "1",
            )
            for r in reader
        ]


@cache
def communes() -> CommuneTable:
    """The shipped table (read once per process)."""
    return CommuneTable(_read(REFDATA / "communes.csv.gz"))


def resolve(postal_code: str | None, city: str | None) -> tuple[str | None, str]:
    """``code_insee_commune`` of a French (postal code, city), or None and why."""
    return communes().resolve(postal_code, city)


def report_not_derived(
    con: duckdb.DuckDBPyConnection,
    table: str,
    places: list[dict[str, str | None]],
    errors_table: str = "_irve_errors",
    locations: str = "locations",
) -> None:
    """Add to the validation report why ``code_insee_commune`` was not derived, on the rows
    already reported without one (rule ``ocpiwh:insee_not_derived``; the value is the reason).
    ``locations``: the view, or a table holding its rows."""
    missing = [p for p in places if not p.get("code_insee_commune")]
    if not missing:
        return
    reasons = pa.Table.from_pylist(
        [{"postal_code": p["postal_code"], "city": p["city"], "how": p["how"]} for p in missing]
    )
    con.register("_irve_geo_reasons", reasons)
    try:
        con.execute(f"""
INSERT INTO "{errors_table}"
SELECT DISTINCT t.rowid + 1, t.id_pdc_itinerance, 'code_insee_commune',
       'ocpiwh:insee_not_derived', r.how
FROM "{table}" AS t
JOIN "{locations}" AS l ON l.id = t.id_station_local
JOIN _irve_geo_reasons AS r
    ON r.postal_code = l.postal_code AND r.city IS NOT DISTINCT FROM l.city
WHERE t.code_insee_commune IS NULL
    AND t.rowid + 1 IN (SELECT "row" FROM "{errors_table}")
""")
    finally:
        con.unregister("_irve_geo_reasons")
