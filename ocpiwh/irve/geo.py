"""``code_insee_commune`` from a location's postal code, city and coordinates, with the
official table.

The table (``refdata/communes.csv.gz``, see docs/refdata.md) is INSEE's *Code officiel
géographique* with La Poste's postal codes, DGCL's EPCI and each commune's centre (the centroid
of its IGN outline), shipped with the package: nothing is fetched at run time. :func:`resolve`
derives the code of one (postal code, city[, latitude, longitude]):

1. candidates = the communes whose postal codes contain the postal code, each under its own
   name and under the names of its municipal arrondissements, delegated and associated
   communes (a merged commune is found by its old name);
2. one commune only → it; else the one whose name is the city (accents, case, punctuation,
   ``St``/``Ste``, ``Cedex NN`` and an arrondissement suffix ignored);
3. unknown postal code (a Cedex code, a typo) → the commune of that name in the postal code's
   department (20xxx: 2A or 2B; 97x/98x: three digits) when there is exactly one;
4. still several communes (the city is missing, misspelt or a homonym) and the location has
   coordinates → the commune whose centre is nearest, **only when that is clear**: the nearest
   centre is within :data:`MAX_KM` km and the next candidate's is more than :data:`RATIO` times
   as far (a commune's distance is that of the nearest of its centre and the centres of its
   arrondissements, delegated and associated communes). A point between two centres, far from
   all, or a tie with a candidate that has no centre in the table decides nothing (on points
   drawn uniformly inside the communes, the rule decides half and is wrong on 2 % of those:
   docs/refdata.md);
5. otherwise nothing, with the reason.

The name always comes before the coordinates, and an override in the configuration before both
(the SQL models' COALESCE).

Paris, Lyon and Marseille get the **commune** code (75056, 69123, 13055), not the
arrondissement's (75111): QualiCharge's rule INSE checks codes against the communes of Etalab's
*contours administratifs 2024*, which list no arrondissements. A centre is not an outline: near
a border the nearest centre may not be the commune the point is in, hence the margin of rule 4.
"""

from __future__ import annotations

import gc
import math
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa
from pyarrow import csv as pa_csv

REFDATA = Path(__file__).resolve().parent / "refdata"
_ARR_RE = re.compile(r"\s+\d{1,2}\s*(er|e|eme|ème)?(\s+arrondissement)?$")
_CEDEX_RE = re.compile(r"\bcedex\b.*$")
_PUNCT_RE = re.compile(r"[^a-z0-9]+")
_ABBREV = {"st": "saint", "ste": "sainte"}
MAX_KM = 20.0
"""Farther than this from every candidate's centre, coordinates are not trusted to choose (a
wrong or swapped position; a commune's centre is rarely farther from its edge)."""
RATIO = 2.0
"""The second nearest candidate must be more than this many times as far as the nearest."""
EARTH_KM = 6371.0088


class Commune(NamedTuple):
    """One row of the table (a tuple: 38,000 of them are built per process)."""

    code: str
    nom: str
    kind: str  # commune, arrondissement, deleguee, associee
    parent: str
    departement: str
    region: str
    epci: str
    codes_postaux: tuple[str, ...]
    in_qualicharge: bool
    latitude: float | None = None
    longitude: float | None = None

    @property
    def current(self) -> str:
        """The code of the current commune (itself, or its parent)."""
        return self.parent or self.code


def norm(name: str) -> str:
    """City name for comparison: no accents, case, punctuation, Cedex or arrondissement."""
    text = name
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe"))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _CEDEX_RE.sub("", text.lower())
    text = _PUNCT_RE.sub(" ", text).strip()
    text = " ".join(_ABBREV.get(w, w) for w in text.split())
    return _ARR_RE.sub("", text) or text


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


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
    """The shipped commune table, indexed for :meth:`resolve`.

    Names are normalized lazily (those of one postal code, or of one department for the
    Cedex rule, when first asked): every command that exports or checks IRVE rows loads the
    table, and normalizing its 38,000 names up front cost more than a second per process."""

    def __init__(self, rows: Iterable[Commune]) -> None:
        self.by_code: dict[str, Commune] = {}
        self.by_cp: dict[str, list[tuple[str, str]]] = {}
        """postal code -> (name as written, current commune), normalized when compared"""
        self.centres: dict[str, list[tuple[float, float]]] = {}
        self._in_dept: dict[str, list[tuple[str, str]]] = {}
        self._by_dept: dict[str, dict[str, set[str]]] = {}
        self._norm: dict[str, str] = {}
        self._cp_index: dict[str, tuple[frozenset[str], dict[str, frozenset[str]]]] = {}
        rows = list(rows)
        for c in rows:
            if c.kind == "commune" or c.code not in self.by_code:
                self.by_code[c.code] = c
        communes = {c.code: c for c in rows if c.kind == "commune"}
        for c in rows:
            owner = communes.get(c.current)
            if owner is None:
                continue
            for cp in c.codes_postaux or owner.codes_postaux:
                self.by_cp.setdefault(cp, []).append((c.nom, owner.code))
            self._in_dept.setdefault(owner.departement, []).append((c.nom, owner.code))
            if c.latitude is not None and c.longitude is not None:
                self.centres.setdefault(owner.code, []).append((c.latitude, c.longitude))

    def normalized(self, name: str) -> str:
        """:func:`norm`, remembered per name."""
        got = self._norm.get(name)
        if got is None:
            got = self._norm[name] = norm(name)
        return got

    def _postal_code(self, cp: str) -> tuple[frozenset[str], dict[str, frozenset[str]]] | None:
        """(the communes of postal code ``cp``, those communes by normalized name), built on
        first use; None for a postal code the table does not list."""
        got = self._cp_index.get(cp)
        if got is None:
            candidates = self.by_cp.get(cp)
            if not candidates:
                return None
            names: dict[str, set[str]] = {}
            for nom, code in candidates:
                names.setdefault(self.normalized(nom), set()).add(code)
            got = self._cp_index[cp] = (
                frozenset(code for _, code in candidates),
                {n: frozenset(c) for n, c in names.items()},
            )
        return got

    def in_department(self, dept: str, name: str) -> set[str]:
        """The current communes of department ``dept`` named ``name`` (normalized)."""
        index = self._by_dept.get(dept)
        if index is None:
            index = self._by_dept[dept] = {}
            for nom, code in self._in_dept.get(dept, ()):
                index.setdefault(self.normalized(nom), set()).add(code)
        return index.get(name, set())

    def resolve(
        self,
        postal_code: str | None,
        city: str | None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> tuple[str | None, str]:
        """(commune code, how) — or (None, why not). The coordinates are used only when the
        postal code and the city leave several communes (rule 4 of the module's docstring)."""
        code, how, tie = self._by_name(postal_code, city)
        if code is not None or not tie or latitude is None or longitude is None:
            return code, how
        code, why = self.nearest(tie, latitude, longitude)
        if code is None:
            return None, f"{how}; the coordinates do not decide: {why}"
        return code, f"coordinates ({why})"

    def tie(self, postal_code: str | None, city: str | None) -> frozenset[str]:
        """The communes the coordinates may choose between (empty: they are not needed or
        cannot help)."""
        return self._by_name(postal_code, city)[2]

    def _by_name(
        self, postal_code: str | None, city: str | None
    ) -> tuple[str | None, str, frozenset[str]]:
        """(code, how, ()) or (None, why not, the communes left when there are several)."""
        cp = (postal_code or "").strip().replace(" ", "")
        name = self.normalized(city or "")
        none: frozenset[str] = frozenset()
        if not cp:
            return None, "no postal code", none
        dept = department_of(cp)
        if dept is None:
            return None, f"postal code {cp!r} is not a French postal code", none
        found = self._postal_code(cp)
        if found is not None:
            codes, by_name = found
            if len(codes) == 1:
                return next(iter(codes)), "postal code", none
            named = by_name.get(name, none)
            if len(named) == 1:
                return next(iter(named)), "postal code and city", none
            if not name:
                why = f"postal code {cp} is shared by {len(codes)} communes and no city is given"
                return None, why, codes
            if not named:
                why = (
                    f"postal code {cp} is shared by {len(codes)} communes and none is named "
                    f"{city!r}"
                )
                return None, why, codes
            return None, f"postal code {cp} and city {city!r} match {len(named)} communes", named
        if not name:
            return None, f"unknown postal code {cp} and no city", none
        in_dept = frozenset(self.in_department(dept, name))
        if len(in_dept) == 1:
            how = "city in the postal code's department (Cedex or unlisted code)"
            return next(iter(in_dept)), how, none
        if not in_dept:
            why = f"unknown postal code {cp} and no commune {city!r} in department {dept}"
            return None, why, none
        why = f"unknown postal code {cp} and {len(in_dept)} communes {city!r} in department {dept}"
        return None, why, in_dept

    def nearest(
        self, codes: Iterable[str], latitude: float, longitude: float
    ) -> tuple[str | None, str]:
        """(the commune whose centre is clearly nearest, the distances) or (None, why not)."""
        if not (
            math.isfinite(latitude)
            and math.isfinite(longitude)
            and -90 <= latitude <= 90
            and -180 <= longitude <= 180
        ):
            return None, f"({latitude}, {longitude}) are not WGS 84 coordinates"
        ranked = []
        for code in sorted(codes):
            points = self.centres.get(code)
            if not points:
                return None, f"commune {code} has no centre in the table"
            km = min(distance_km(latitude, longitude, lat, lon) for lat, lon in points)
            ranked.append((km, code))
        ranked.sort()
        (d1, c1), (d2, c2) = ranked[0], ranked[1]
        distances = f"{c1} at {d1:.1f} km, next {c2} at {d2:.1f} km"
        if d1 > MAX_KM:
            return None, f"the nearest centre is farther than {MAX_KM:g} km ({distances})"
        if d2 <= RATIO * d1:
            return None, f"the nearest centre is not {RATIO:g} times nearer ({distances})"
        return c1, distances


_TEXT = ("code", "nom", "kind", "parent", "departement", "region", "epci", "codes_postaux")


def _read(path: Path) -> list[Commune]:
    table = pa_csv.read_csv(
        path,
        convert_options=pa_csv.ConvertOptions(
            column_types={**dict.fromkeys(_TEXT, pa.string()), "in_qualicharge": pa.string()},
            strings_can_be_null=False,
        ),
    )
    cols = [table.column(name).to_pylist() for name in (*_TEXT, "in_qualicharge")]
    lat, lon = table.column("latitude").to_pylist(), table.column("longitude").to_pylist()
    return [
        Commune(code, nom, kind, parent, dept, region, epci, tuple(cps.split()), q == "1", y, x)
        for code, nom, kind, parent, dept, region, epci, cps, q, y, x in zip(
            *cols, lat, lon, strict=True
        )
    ]


@cache
def communes() -> CommuneTable:
    """The shipped table (read once per process; the cyclic garbage collector, which would
    rescan the young objects a few hundred times while 38,000 rows are built, is paused)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return CommuneTable(_read(REFDATA / "communes.csv.gz"))
    finally:
        if paused:
            gc.enable()


def resolve(
    postal_code: str | None,
    city: str | None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> tuple[str | None, str]:
    """``code_insee_commune`` of a French (postal code, city[, coordinates]), or None and why."""
    return communes().resolve(postal_code, city, latitude, longitude)


def report_not_derived(
    con: duckdb.DuckDBPyConnection,
    table: str,
    places: list[dict[str, str | None]],
    errors_table: str = "_irve_errors",
    locations: str = "locations",
) -> None:
    """Add to the validation report why ``code_insee_commune`` was not derived, on the rows
    already reported without one (rule ``ocpiwh:insee_not_derived``; the value is the reason).
    A location's own place (coordinates, see ``IrveConfig.add_geography``) gives the reason
    before its (postal code, city) place. ``locations``: the view, or a table holding its rows."""
    missing = [p for p in places if not p.get("code_insee_commune")]
    if not missing:
        return
    keys = ("postal_code", "city", "how", "country_code", "party_id", "location_id")
    reasons = pa.Table.from_pylist(
        [{k: p.get(k) for k in keys} for p in missing],
        schema=pa.schema([(k, pa.string()) for k in keys]),
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
    AND CASE
        WHEN r.location_id IS NOT NULL
            THEN r.location_id = l.id AND r.country_code = l.country_code
                AND r.party_id = l.party_id
        ELSE NOT EXISTS (
            SELECT 1 FROM _irve_geo_reasons AS o
            WHERE o.location_id = l.id AND o.country_code = l.country_code
                AND o.party_id = l.party_id
        )
    END
WHERE t.code_insee_commune IS NULL
    AND t.rowid + 1 IN (SELECT "row" FROM "{errors_table}")
""")
    finally:
        con.unregister("_irve_geo_reasons")
