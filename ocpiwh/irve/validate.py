"""Validate a table against an IRVE Table Schema, plus QualiCharge's stricter rules, in DuckDB.

The checks are generated from the Table Schema JSON shipped in the package (required, types,
formats, patterns, enums, minimum/maximum, lengths) and run as **one vectorized query**: each
row yields a list of failed checks, unnested into the report. Values are checked in the text
form they take in a CSV export (booleans ``true``/``false``, dates ``YYYY-MM-DD``, times
``YYYY-MM-DDThh:mm:ssZ``), so what is validated is what is written. Patterns, enums and limits
are bound parameters.

Profiles: ``irve`` = the official Table Schema only; ``qualicharge`` (default) adds the
QualiCharge API's hard rules (docs/irve.md lists them).
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.irve.checkplan import Derived, Group, Plan, check_sets, probe_query
from ocpiwh.irve.phone import refused
from ocpiwh.irve.schema import load_schema
from ocpiwh.sqltext import identifier as _quote

identifier = functools.cache(_quote)
"""Quoted identifiers, cached: a validation query quotes ~300 names, and sqlglot's renderer
(one quoting rule for the project) costs 0.2 ms a name (0.06 s a validation)."""

PROFILES: tuple[str, ...] = ("qualicharge", "irve")
REPORT_COLUMNS: tuple[str, ...] = ("row", "key", "field", "rule", "value")
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    "statique": ("id_pdc_itinerance",),
    "dynamique": ("horodatage",),
    "sessions": ("start", "end", "energy"),
}
"""Fields expected to differ on nearly every row: checked per row, not per distinct value
(:mod:`ocpiwh.irve.checkplan`)."""
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "statique": ("id_pdc_itinerance",),
    "dynamique": ("id_pdc_itinerance", "horodatage"),
    "sessions": ("id_pdc_itinerance", "start"),
}

# QualiCharge (src/api/qualicharge/models/static.py, dynamic.py); see docs/irve.md
QC_REQUIRED_STATIQUE = (
    "nom_amenageur", "siren_amenageur", "contact_amenageur", "nom_operateur",
    "telephone_operateur", "code_insee_commune", "raccordement",
)  # fmt: skip
QC_STATION_FIELDS = (
    "nom_amenageur", "siren_amenageur", "contact_amenageur", "nom_operateur",
    "contact_operateur", "telephone_operateur", "nom_enseigne", "nom_station",
    "implantation_station", "nbre_pdc", "condition_acces", "horaires", "station_deux_roues",
    "date_maj", "num_pdl", "id_station_local", "raccordement", "date_mise_en_service",
    "coordonneesXY",
)  # fmt: skip
"""QualiCharge bulk rule (1): rows of one id_station_itinerance must agree on these."""
QC_STATION_RE = r"FR[A-Z0-9]{3}P[A-Z0-9]{1,29}"
QC_PDC_RE = r"FR[A-Z0-9]{3}E[A-Z0-9]{1,29}"
FRANCE_POLYGONS: tuple[tuple[str, tuple[tuple[float, float], ...]], ...] = (
    # (territory, (lon, lat) vertices): the 7 polygons QualiCharge's ``within_france`` accepts
    # (src/api/qualicharge/models/static.py @ 42f10b9); a point must lie strictly inside one.
    ("métropole", ((-5.369284924224935, 48.63883346764537), (2.452980700775065, 51.500646243597934),
                   (9.022804919525065, 49.08693443628708), (8.363625232025065, 43.71407420597216),
                   (3.243996325775065, 41.95798747209415), (-2.249167736724935, 43.09148506970579))),
    ("Corse", ((9.294434, 43.049908), (9.637756, 43.007756), (9.541626, 41.32684),
               (8.940125, 41.33715), (8.415527, 41.91595), (8.522644, 42.586663))),
    ("Guyane", ((-53.97583, 6.241388), (-51.026001, 4.529683), (-52.69043, 1.814989),
                (-54.876709, 1.990673), (-54.810791, 5.033293))),
    ("La Réunion", ((55.519409, -20.70217), (56.052246, -21.197216), (55.645752, -21.591043),
                    (55.019531, -21.089625))),
    ("Martinique", ((-61.399841, 14.86516), (-60.976868, 15.034991), (-60.650024, 14.397439),
                    (-61.026306, 14.320276))),
    ("Guadeloupe", ((-61.965637, 16.322775), (-61.416321, 16.586185), (-60.864258, 16.330683),
                    (-61.182861, 15.768466), (-61.710205, 15.794896))),
    ("Mayotte", ((44.958115, -12.616887), (45.093384, -13.108236), (45.279465, -13.027973),
                 (45.334396, -12.73747), (45.11467, -12.628948))),
)  # fmt: skip
TOO_OLD = "qualicharge:too_old"
SESSION_AGE_OPTION = "--max-age-days or [irve] session_max_age_days"
STATUS_AGE_OPTION = "--max-status-age-days or [irve] status_max_age_days"
"""Rule of rows QualiCharge refuses only for their age: counted apart from invalid rows."""
_INT = r"[+-]?\d+"
_NUM = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_GEO_NUM = r"\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*"
_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?"
_AWARE = r".*(Z|[+-]\d{2}(:?\d{2})?)"
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
TRUE_VALUES = ["true", "True", "TRUE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "0"]


def render_text(column: str, duck_type: str) -> str:
    """SQL rendering ``column`` as the text a CSV export writes (NULL stays NULL)."""
    c = identifier(column)
    t = duck_type.upper()
    if t == "BOOLEAN":
        return f"CASE WHEN {c} THEN 'true' WHEN NOT {c} THEN 'false' END"
    if t == "DATE":
        return f"strftime({c}, '%Y-%m-%d')"
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return f"strftime(timezone('UTC', {c}), '%Y-%m-%dT%H:%M:%SZ')"
    if t.startswith("TIMESTAMP"):
        return f"strftime({c}, '%Y-%m-%dT%H:%M:%S')"
    if t.endswith("[]") or t.startswith(("STRUCT", "MAP", "UNION")) or t == "JSON":
        return f"CAST(to_json({c}) AS VARCHAR)"
    return f"CAST({c} AS VARCHAR)"


@dataclass
class ValidationReport:
    """Result of :func:`validate`: one report row per failed check (row, key, field, rule, value).

    ``row`` is the 1-based data row (the header is not counted). Rules are ``schema:<check>``
    (the official Table Schema) or ``qualicharge:<check>`` (the QualiCharge API's rules).
    ``invalid``: rows failing a rule other than :data:`TOO_OLD`; ``too_old``: well-formed rows
    QualiCharge refuses only for their age (a CPO fixes those by pushing sooner, not by fixing
    data); ``valid`` = the rest.
    """

    schema: str
    profile: str
    rows: int
    errors: pa.Table
    invalid: int = 0
    too_old: int = 0
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        return int(self.errors.num_rows) == 0

    @property
    def valid(self) -> int:
        return self.rows - self.invalid - self.too_old

    def age_limits(self) -> list[str]:
        """The age limits that made rows too old, with the option that changes them."""
        if not self.too_old:
            return []
        values = self.errors.filter(pc.equal(self.errors.column("rule"), TOO_OLD))
        notes = {str(v).partition(" (")[2].rstrip(")") for v in values.column("value").to_pylist()}
        return sorted(n for n in notes if n)

    def by_rule(self) -> list[tuple[str, str, int]]:
        """(rule, field, failing rows), most frequent first."""
        counts = self.errors.group_by(["rule", "field"]).aggregate([([], "count_all")])
        order = [("count_all", "descending"), ("rule", "ascending"), ("field", "ascending")]
        counts = counts.sort_by(order)
        return [(str(r["rule"]), str(r["field"]), int(r["count_all"])) for r in counts.to_pylist()]

    def write_csv(self, path: Path) -> None:
        write_report_csv(self.errors, path)

    def summary(self) -> str:
        old = f", {self.too_old} too old to submit" if self.too_old else ""
        lines = [
            f"{self.rows} rows checked against {self.schema} ({self.profile}): "
            f"{self.valid} valid, {self.invalid} invalid{old}"
        ]
        lines += [f"  too old: {note}" for note in self.age_limits()]
        lines += [f"  {n:>7}  {rule}  {fld}" for rule, fld, n in self.by_rule()]
        return "\n".join(lines)


def write_report_csv(errors: pa.Table, path: Path) -> None:
    """The report as CSV (Arrow's writer: the report has a row per failing value, which can be
    millions; a missing value is an empty cell)."""
    with path.open("wb") as fh:
        fh.write((",".join(REPORT_COLUMNS) + "\n").encode())
        options = pcsv.WriteOptions(include_header=False, quoting_style="needed")
        pcsv.write_csv(errors.select(list(REPORT_COLUMNS)), fh, options)


_SAFE_TIMESTAMPTZ = (
    "BETWEEN TIMESTAMPTZ '1000-01-01 00:00:00+00' AND TIMESTAMPTZ '9999-12-31 23:59:59+00'"
)
_SAFE_DATE = "BETWEEN DATE '1000-01-01' AND DATE '9999-12-31'"
_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
TYPED_SOURCES = ("TIMESTAMP WITH TIME ZONE", "DOUBLE", "DATE", "BOOLEAN", *_INTEGER_TYPES)
"""Column types whose CSV text (:func:`render_text`) is known well-formed in a safe range:
the checks read the typed value there instead of parsing the text again (the text stays what
is reported and what patterns, enums and lengths read)."""


def typed_column(name: str) -> str:
    """The column of ``src`` holding a field's typed source value (see :data:`TYPED_SOURCES`)."""
    return identifier(f"s_{name}")


class _Checks:
    """Collects SQL check expressions and their bound parameters."""

    def __init__(self, sources: dict[str, str] | None = None) -> None:
        self.items: list[str] = []
        self.conditions: list[str] = []
        self.params: dict[str, Any] = {}
        self._n = itertools.count()
        self.once: dict[str, str] = {}  # expression → the column of ``w`` holding it
        # text column (``"t_<field>"``) → type of its typed twin ``s_<field>`` in ``src``
        self.sources: dict[str, str] = {
            identifier(f"t_{name}"): typ for name, typ in (sources or {}).items()
        }

    def typed(self, v: str) -> tuple[str, str] | None:
        """(typed twin column, its type) of text column ``v``, when it has one."""
        typ = self.sources.get(v)
        if typ is None:
            return None
        return identifier("s_" + v.strip('"')[2:]), typ

    def column(self, expr: str) -> str:
        """``expr`` computed once per row (a column of ``w``): several checks read the same
        parsed value or pattern test, and DuckDB evaluates every occurrence."""
        if expr not in self.once:
            self.once[expr] = f"_once{len(self.once)}"
        return self.once[expr]

    def cast(self, v: str, duck_type: str) -> str:
        """``TRY_CAST(v AS duck_type)``, read from the typed source value where it is the
        same (a rendered text parses back to the value, truncated to the second for times)."""
        text = f"TRY_CAST({v} AS {duck_type})"
        twin = self.typed(v)
        if twin is not None:
            s, typ = twin
            if typ == "TIMESTAMP WITH TIME ZONE" and duck_type == "TIMESTAMPTZ":
                # a whole second renders and parses back to itself (date_trunc is slow: ICU)
                whole = f"{s} {_SAFE_TIMESTAMPTZ} AND epoch_us({s}) % 1000000 = 0"
                text = f"CASE WHEN {whole} THEN {s} ELSE {text} END"
            elif typ == "DOUBLE" and duck_type == "DOUBLE":
                text = f"CASE WHEN isfinite({s}) THEN {s} ELSE {text} END"
            elif typ in _INTEGER_TYPES and duck_type in ("DOUBLE", "BIGINT"):
                text = f"TRY_CAST({s} AS {duck_type})"
            elif typ == "DATE" and duck_type == "DATE":
                text = f"CASE WHEN {s} {_SAFE_DATE} THEN {s} ELSE {text} END"
        return self.column(text)

    def bind(self, value: Any) -> str:
        name = f"p{next(self._n)}"
        self.params[name] = value
        return f"${name}"

    def add(self, condition: str, fld: str, rule: str, value_sql: str) -> None:
        self.conditions.append(condition)
        self.items.append(
            f"CASE WHEN {condition} THEN {{'field': {self.bind(fld)}, 'rule': {self.bind(rule)}, "
            f"'value': CAST({value_sql} AS VARCHAR)}} END"
        )


def _type_ok(v: str, f: dict[str, Any], checks: _Checks) -> tuple[str | None, str]:
    """(SQL true when ``v`` (text, not null) is of the field's type, rule name)."""
    typ = f.get("type", "string")
    fmt = f.get("format", "default")
    fast = _typed_ok(v, f, typ, fmt, checks)
    text_sql, rule = _text_type_ok(v, f, typ, fmt, checks)
    if fast is None or text_sql is None:
        return text_sql, rule
    if fast == "true":
        return "true", rule
    return f"CASE WHEN {fast} THEN true ELSE {text_sql} END", rule


def _typed_ok(v: str, f: dict[str, Any], typ: str, fmt: str, checks: _Checks) -> str | None:
    """SQL true where the typed source value of ``v`` renders as a well-formed text of the
    field's type (the text checks are then skipped), or None."""
    twin = checks.typed(v)
    if twin is None:
        return None
    s, source = twin
    if typ == "datetime" and source == "TIMESTAMP WITH TIME ZONE":
        return f"{s} {_SAFE_TIMESTAMPTZ}"
    if typ == "number" and source == "DOUBLE":
        return f"isfinite({s})"
    if typ in ("number", "integer") and source in _INTEGER_TYPES:
        return "true"
    if typ == "date" and source == "DATE" and fmt in ("default", "any", "%Y-%m-%d"):
        return f"{s} {_SAFE_DATE}"
    if typ == "boolean" and source == "BOOLEAN":  # rendered true / false
        values = list(f.get("trueValues", TRUE_VALUES)) + list(f.get("falseValues", FALSE_VALUES))
        return "true" if {"true", "false"} <= set(values) else None
    return None


def _text_type_ok(
    v: str, f: dict[str, Any], typ: str, fmt: str, checks: _Checks
) -> tuple[str | None, str]:
    if typ == "string":
        if fmt == "email":
            return f"regexp_full_match({v}, {checks.bind(_EMAIL)})", "schema:format"
        return None, ""
    if typ == "integer":
        return f"regexp_full_match({v}, {checks.bind(_INT)})", "schema:type"
    if typ == "number":
        return f"regexp_full_match({v}, {checks.bind(_NUM)})", "schema:type"
    if typ == "boolean":
        values = list(f.get("trueValues", TRUE_VALUES)) + list(f.get("falseValues", FALSE_VALUES))
        return f"list_contains({checks.bind(values)}, {v})", "schema:type"
    if typ == "date":
        pattern = "%Y-%m-%d" if fmt in ("default", "any") else str(fmt)
        return f"try_strptime({v}, {checks.bind(pattern)}) IS NOT NULL", "schema:type"
    if typ == "datetime":
        return (
            f"(regexp_full_match({v}, {checks.bind(_DATETIME)}) "
            f"AND {checks.cast(v, 'TIMESTAMPTZ')} IS NOT NULL)"
        ), "schema:type"
    if typ == "geopoint":
        if fmt == "array":
            geo = r"\[" + _GEO_NUM + "," + _GEO_NUM + r"\]"
            lon = _json_num(v, 0)
            lat = _json_num(v, 1)
        else:  # default "lon, lat"
            geo = _GEO_NUM + "," + _GEO_NUM
            lon = f"TRY_CAST(split_part({v}, ',', 1) AS DOUBLE)"
            lat = f"TRY_CAST(split_part({v}, ',', 2) AS DOUBLE)"
        return (
            f"(regexp_full_match({v}, {checks.bind(geo)}) AND {lon} BETWEEN -180 AND 180 "
            f"AND {lat} BETWEEN -90 AND 90)"
        ), "schema:type"
    return None, ""


def _json_num(v: str, index: int) -> str:
    """Element ``index`` of a JSON array held as text, as a number (NULL if not JSON)."""
    return (
        f"CASE WHEN json_valid({v}) THEN "
        f"TRY_CAST(json_extract_string({v}, '$[{index}]') AS DOUBLE) END"
    )


def typed_sources(schema: dict[str, Any], columns: dict[str, str]) -> dict[str, str]:
    """field → source type, for the fields whose source column is of a :data:`TYPED_SOURCES`
    type (``src`` then carries it as :func:`typed_column`)."""
    fields = {str(f["name"]) for f in schema["fields"]}
    return {
        name: typ.upper()
        for name, typ in columns.items()
        if name in fields and typ.upper() in TYPED_SOURCES
    }


def build_checks(
    schema_name: str,
    profile: str,
    columns: dict[str, str],
    now: datetime,
    max_session_age_days: float | None,
    max_status_age_days: float | None = None,
    refused_phones: list[str] | None = None,
) -> tuple[Derived, list[str], dict[str, Any]]:
    """(derived columns, check expressions, parameters) over the text columns ``t_<field>``.

    ``refused_phones``: the distinct ``telephone_operateur`` values QualiCharge refuses
    (:func:`ocpiwh.irve.phone.refused`, computed in Python: libphonenumber has no SQL twin)."""
    schema = load_schema(schema_name)
    missing_values = [str(m) for m in schema.get("missingValues", [""])]
    checks = _Checks(typed_sources(schema, columns))
    derived = Derived()
    for f in schema["fields"]:
        name = str(f["name"])
        v = identifier(f"t_{name}")
        cons = f.get("constraints", {})
        present = f"({v} IS NOT NULL AND NOT list_contains({checks.bind(missing_values)}, {v}))"
        twin = checks.typed(v)
        if twin is not None and missing_values == [""]:
            present = f"({twin[0]} IS NOT NULL)"  # a rendered value is never empty
        if cons.get("required"):
            checks.add(f"NOT {present}", name, "schema:required", v)
        type_sql, type_rule = _type_ok(v, f, checks)
        typed = present
        if type_sql:
            type_sql = checks.column(type_sql)  # read again by pattern, enum, limits
            checks.add(f"{present} AND NOT COALESCE({type_sql}, false)", name, type_rule, v)
            typed = f"{present} AND COALESCE({type_sql}, false)"
        if "pattern" in cons:
            checks.add(
                f"{typed} AND NOT regexp_full_match({v}, {checks.bind(cons['pattern'])})",
                name,
                "schema:pattern",
                v,
            )
        if "enum" in cons:
            checks.add(
                f"{typed} AND NOT list_contains({checks.bind([str(e) for e in cons['enum']])}, {v})",
                name,
                "schema:enum",
                v,
            )
        if "minimum" in cons and f.get("type") in ("integer", "number"):
            checks.add(
                f"{typed} AND {checks.cast(v, 'DOUBLE')} < {checks.bind(float(cons['minimum']))}",
                name,
                "schema:minimum",
                v,
            )
        if "maximum" in cons and f.get("type") in ("integer", "number"):
            checks.add(
                f"{typed} AND {checks.cast(v, 'DOUBLE')} > {checks.bind(float(cons['maximum']))}",
                name,
                "schema:maximum",
                v,
            )
        if "minLength" in cons:
            checks.add(
                f"{typed} AND length({v}) < {checks.bind(int(cons['minLength']))}",
                name,
                "schema:minLength",
                v,
            )
        if "maxLength" in cons:
            checks.add(
                f"{typed} AND length({v}) > {checks.bind(int(cons['maxLength']))}",
                name,
                "schema:maxLength",
                v,
            )
    if profile == "qualicharge":
        if schema_name == "statique":
            derived = _qc_statique(checks, now, refused_phones or [])
        elif schema_name == "dynamique":
            _qc_dynamique(checks, now, max_status_age_days)
        elif schema_name == "sessions":
            _qc_sessions(checks, now, max_session_age_days)
    derived.columns.update({alias: expr for expr, alias in checks.once.items()})
    derived.conditions = checks.conditions
    return derived, checks.items, checks.params


def _t(name: str) -> str:
    return identifier(f"t_{name}")


def _qc_pdc(checks: _Checks) -> None:
    v = _t("id_pdc_itinerance")
    checks.add(
        f"{v} IS NOT NULL AND NOT regexp_full_match({v}, {checks.bind(QC_PDC_RE)})",
        "id_pdc_itinerance",
        "qualicharge:id_pdc_itinerance",
        v,
    )


def _in_france(checks: _Checks) -> str:
    """SQL true when (_lon, _lat) lies inside one of :data:`FRANCE_POLYGONS` (even-odd rule)."""
    polygons = []
    for _, ring in FRANCE_POLYGONS:
        edges = []
        for i, (xi, yi) in enumerate(ring):
            xj, yj = ring[i - 1]
            if yi == yj:
                continue  # a horizontal edge never crosses the ray
            x0, y0, dx = checks.bind(xi), checks.bind(yi), checks.bind((xj - xi) / (yj - yi))
            edges.append(
                f"CASE WHEN ((_lat < {y0}) <> (_lat < {checks.bind(yj)})) "
                f"AND _lon < {x0} + (_lat - {y0}) * {dx} THEN 1 ELSE 0 END"
            )
        polygons.append(f"(({' + '.join(edges)}) % 2 = 1)")
    return " OR ".join(polygons)


def _qc_statique(checks: _Checks, now: datetime, refused_phones: list[str]) -> Derived:
    for name in QC_REQUIRED_STATIQUE:
        v = _t(name)
        checks.add(f"({v} IS NULL OR {v} = '')", name, "qualicharge:required", v)
    siren = _t("siren_amenageur")
    digits = [f"CAST(substr({siren}, {i}, 1) AS INTEGER)" for i in range(1, 10)]
    terms = [
        d if i % 2 == 0 else f"(CASE WHEN 2 * {d} > 9 THEN 2 * {d} - 9 ELSE 2 * {d} END)"
        for i, d in enumerate(digits)
    ]
    checks.add(
        f"regexp_full_match({siren}, '\\d{{9}}') AND (({' + '.join(terms)}) % 10 <> 0 "
        f"OR {siren} = '000000000')",
        "siren_amenageur",
        "qualicharge:siren_luhn",
        siren,
    )
    p = _t("puissance_nominale")
    kw = checks.cast(p, "DOUBLE")
    checks.add(
        f"{kw} < 1.3 OR {kw} > 4000",
        "puissance_nominale",
        "qualicharge:power_range",
        p,
    )
    st, pdc = _t("id_station_itinerance"), _t("id_pdc_itinerance")
    checks.add(
        f"{st} IS NOT NULL AND NOT regexp_full_match({st}, {checks.bind(QC_STATION_RE)})",
        "id_station_itinerance",
        "qualicharge:id_station_itinerance",
        st,
    )
    _qc_pdc(checks)
    checks.add(
        f"{st} IS NOT NULL AND {pdc} IS NOT NULL AND left({st}, 5) <> left({pdc}, 5)",
        "id_pdc_itinerance",
        "qualicharge:prefix_mismatch",
        f"{pdc} || ' / ' || {st}",
    )
    xy = _t("coordonneesXY")
    checks.add(
        f"_lon IS NOT NULL AND _lat IS NOT NULL AND NOT ({_in_france(checks)})",
        "coordonneesXY",
        "qualicharge:outside_france",
        xy,
    )
    today = checks.bind(now.astimezone(UTC).date())
    for name in ("date_maj", "date_mise_en_service"):
        v = _t(name)
        checks.add(f"{checks.cast(v, 'DATE')} > {today}", name, "qualicharge:future_date", v)
    rac, pdl = _t("raccordement"), _t("num_pdl")
    checks.add(
        f"{rac} = 'Direct' AND ({pdl} IS NULL OR {pdl} = '')",
        "num_pdl",
        "qualicharge:num_pdl_required",
        pdl,
    )
    checks.add(f"length({pdl}) > 64", "num_pdl", "qualicharge:num_pdl_length", pdl)
    gab = _t("restriction_gabarit")
    checks.add(
        f"{gab} IS NOT NULL AND length(trim({gab})) < 2",
        "restriction_gabarit",
        "qualicharge:restriction_gabarit",
        gab,
    )
    tel = _t("telephone_operateur")
    checks.add(
        f"list_contains({checks.bind(refused_phones or [''])}, {tel})",
        "telephone_operateur",
        "qualicharge:telephone",
        tel,
    )
    nb = _t("nbre_pdc")
    checks.add(
        f"{checks.cast(nb, 'BIGINT')} < 1 OR {checks.cast(nb, 'BIGINT')} <> _station_rows",
        "nbre_pdc",
        "qualicharge:nbre_pdc_rows",
        f"{nb} || ' (' || CAST(_station_rows AS VARCHAR) || ' rows)'",
    )
    checks.add("_pdc_rows > 1", "id_pdc_itinerance", "qualicharge:duplicate_pdc", pdc)
    for name in QC_STATION_FIELDS:
        checks.add(f"_differs_{name}", name, "qualicharge:station_consistency", _t(name))
    for name in ("adresse_station", "code_insee_commune"):
        checks.add(f"_xy_differs_{name}", name, "qualicharge:location_consistency", _t(name))
    # a row without a station id / pdc id / coordinates is a group of its own: one row,
    # consistent with itself (it matches no group: the facts' defaults)
    derived = Derived(columns={"_lon": _json_num(xy, 0), "_lat": _json_num(xy, 1)})
    derived.groups = [
        _consistency(checks, "_by_station", st, QC_STATION_FIELDS, "_differs_", "_station_rows"),
        Group(
            "_by_pdc",
            pdc,
            f"SELECT {pdc} AS _key, count(*) AS _pdc_rows FROM src "
            f"WHERE {pdc} IS NOT NULL GROUP BY {pdc}",
            {"_pdc_rows": "1"},
        ),
        _consistency(
            checks, "_by_xy", xy, ("adresse_station", "code_insee_commune"), "_xy_differs_"
        ),
    ]
    return derived


def _consistency(
    checks: _Checks,
    name: str,
    key: str,
    fields: tuple[str, ...],
    prefix: str,
    rows: str | None = None,
) -> Group:
    """Group ``name`` by ``key``: ``<prefix><field>`` true where the rows of a key do not all
    hold the same text of ``field``; ``rows`` (if given) counts the rows of the key.

    Aggregated over the distinct (key, values) first (``<name>_values``, every row): whether
    values differ does not depend on how often each occurs. The probe form only counts the
    combinations of a key (more than one: some field may differ); ``min``/``max`` per field,
    whose cost is per group, run only when the probe found one. Typed values are deduplicated
    as they are and rendered after (their text is a function of the value)."""
    values = []
    for f in fields:
        twin = checks.typed(_t(f))
        values.append(twin[0] if twin is not None else _t(f))
    facts = {f"{prefix}{f}": "false" for f in fields}
    aggregates = [_differs(_t(f), f"{prefix}{f}") for f in fields]
    many = [f"_many AS {prefix}{f}" for f in fields]  # the probe: some field differs
    if rows is not None:
        facts = {rows: "1", **facts}
        aggregates.insert(0, f"CAST(sum(_n) AS BIGINT) AS {rows}")
        many.insert(0, rows)
    columns = [key, *dict.fromkeys(values)]
    distinct = f"SELECT {', '.join(columns)}, count(*) AS _n FROM src GROUP BY ALL"
    keyed = f"FROM {name}_values WHERE {key} IS NOT NULL GROUP BY {key}"
    select = f"SELECT {key} AS _key, {', '.join(aggregates)} {keyed}"
    counted = f"CAST(sum(_n) AS BIGINT) AS {rows}, " if rows is not None else ""
    probe = (
        f"SELECT _key, {', '.join(many)} FROM (SELECT {key} AS _key, {counted}"
        f"count(*) > 1 AS _many {keyed})"
    )
    return Group(name, key, select, facts, probe, distinct, frozenset(columns))


def _differs(v: str, alias: str) -> str:
    """True when the rows of the group do not all hold the same value (NULL included)."""
    return f"(min({v}) IS DISTINCT FROM max({v}) OR count({v}) NOT IN (0, count(*))) AS {alias}"


def _aware_and_past(checks: _Checks, name: str, now: str) -> None:
    v = _t(name)
    # the usual form ends with Z: no pattern to run (`.` of the pattern excludes newlines)
    utc = f"suffix({v}, 'Z') AND strpos({v}, chr(10)) = 0"
    notnull = f"{v} IS NOT NULL"
    twin = checks.typed(v)
    if twin is not None and twin[1] == "TIMESTAMP WITH TIME ZONE":  # rendered with a Z
        utc = f"{twin[0]} {_SAFE_TIMESTAMPTZ} OR ({utc})"
        notnull = f"{twin[0]} IS NOT NULL"
    checks.add(
        f"{notnull} AND NOT CASE WHEN {utc} THEN true "
        f"ELSE regexp_full_match({v}, {checks.bind(_AWARE)}) END",
        name,
        "qualicharge:naive_datetime",
        v,
    )
    checks.add(f"{checks.cast(v, 'TIMESTAMPTZ')} >= {now}", name, "qualicharge:future", v)


def _too_old(checks: _Checks, name: str, now: datetime, days: float | None, what: str) -> None:
    """QualiCharge refuses a ``name`` older than ``now - days`` (``not_older_than``: the
    limit itself is accepted); rule :data:`TOO_OLD`, apart from invalid rows."""
    if days is None:
        return
    v = _t(name)
    checks.add(
        f"{checks.cast(v, 'TIMESTAMPTZ')} < {checks.bind(now - timedelta(days=days))}",
        name,
        TOO_OLD,
        f"{v} || {checks.bind(f' (older than {_fmt_days(days)}: {what})')}",
    )


def _fmt_days(days: float) -> str:
    if days < 1:
        return f"{days * 24:g} hours"
    return f"{days:g} day" + ("" if days == 1 else "s")


def _qc_dynamique(checks: _Checks, now: datetime, max_age_days: float | None) -> None:
    _qc_pdc(checks)
    now_sql = checks.bind(now)
    _aware_and_past(checks, "horodatage", now_sql)
    _too_old(checks, "horodatage", now, max_age_days, STATUS_AGE_OPTION)
    etat, occ = _t("etat_pdc"), _t("occupation_pdc")
    checks.add(
        f"{occ} = 'occupe' AND {etat} IN ('hors_service', 'inconnu')",
        "occupation_pdc",
        "qualicharge:occupe_out_of_service",
        f"{etat} || '/' || {occ}",
    )


def _qc_sessions(checks: _Checks, now: datetime, max_age_days: float | None) -> None:
    _qc_pdc(checks)
    now_sql = checks.bind(now)
    _aware_and_past(checks, "start", now_sql)
    _aware_and_past(checks, "end", now_sql)
    start = checks.cast(_t("start"), "TIMESTAMPTZ")
    end = checks.cast(_t("end"), "TIMESTAMPTZ")
    checks.add(
        f"{start} > {end}",
        "end",
        "qualicharge:start_after_end",
        f"{_t('start')} || ' > ' || {_t('end')}",
    )
    checks.add(
        f"{end} - {start} > INTERVAL 7 DAY",
        "end",
        "qualicharge:longer_than_7_days",
        f"CAST({end} - {start} AS VARCHAR)",
    )
    _too_old(checks, "start", now, max_age_days, SESSION_AGE_OPTION)


def check_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    schema: str = "statique",
    *,
    profile: str = "qualicharge",
    now: datetime | None = None,
    max_session_age_days: float | None = 15.0,
    max_status_age_days: float | None = None,
    errors_table: str = "_irve_errors",
    row_column: str | None = None,
    probe: bool = True,
) -> int:
    """Validate ``table`` (a table or view on ``con``) into the temp table ``errors_table``
    (row, key, field, rule, value); returns the number of rows checked.

    ``max_session_age_days`` / ``max_status_age_days``: QualiCharge's age limits for session
    starts / status times (None: not checked); rows past them fail :data:`TOO_OLD` only.
    ``row_column`` names a column holding the row number; default: ``rowid + 1`` (tables).

    ``probe``: find first, on distinct values, the checks that fail on some row
    (:mod:`ocpiwh.irve.checkplan`), and run only those per row; False runs every check on
    every row (same report: the reference the tests compare the probe with).
    """
    if profile not in PROFILES:
        raise UsageError(f"unknown validation profile {profile!r}; choose {', '.join(PROFILES)}")
    sch = load_schema(schema)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    described = con.execute(
        f"SELECT column_name, column_type FROM (DESCRIBE {identifier(table)})"
    ).fetchall()
    columns = {str(c): str(t) for c, t in described}
    row_sql = identifier(row_column) if row_column else "rowid + 1"
    text_cols = []
    typed = typed_sources(sch, columns)
    lazy: dict[str, str] = {}  # text column → its rendering from the typed twin
    for f in sch["fields"]:
        name = str(f["name"])
        if name in typed:  # the typed value; its text is rendered where a check reads it
            text_cols.append(f"{identifier(name)} AS {typed_column(name)}")
            lazy[identifier(f"t_{name}")] = f"({render_text(f's_{name}', typed[name])})"
        elif name in columns:
            text_cols.append(f"{render_text(name, columns[name])} AS {identifier('t_' + name)}")
        else:
            text_cols.append(f"CAST(NULL AS VARCHAR) AS {identifier('t_' + name)}")
    phones: list[str] = []
    if profile == "qualicharge" and schema == "statique" and "telephone_operateur" in columns:
        tel = render_text("telephone_operateur", columns["telephone_operateur"])
        distinct = con.execute(f"SELECT DISTINCT {tel} FROM {identifier(table)}").fetchall()
        phones = refused(str(v[0]) for v in distinct if v[0] is not None)
    derived, items, params = build_checks(
        schema, profile, columns, now, max_session_age_days, max_status_age_days, phones
    )
    keys = [identifier("t_" + k) for k in KEY_FIELDS.get(schema, ()) if k in columns]
    key_sql = (" || '|' || ".join(f"COALESCE({k}, '')" for k in keys)) if keys else "NULL"
    src = f"WITH src AS NOT MATERIALIZED (\n    SELECT {row_sql} AS _row, {', '.join(text_cols)} FROM {identifier(table)}\n)"

    def render(sql: str) -> str:  # a typed value's text, rendered only where read
        for text, rendering in lazy.items():
            sql = sql.replace(text, rendering)
        return sql

    plan = Plan(derived, render)
    sets = check_sets(plan, derived.conditions)
    per_row = {identifier(f"{p}_{name}") for name in ROW_FIELDS.get(schema, ()) for p in "ts"}
    probe_sql = probe_query(plan, src, sets, derived.conditions, per_row)
    try:
        if probe:
            found = con.execute(render(probe_sql), _used(params, probe_sql)).fetchall()
            failing = {int(r[0]) for r in found}
        else:
            failing = set(range(len(sets)))
        n = con.execute(f"SELECT count(*) FROM {identifier(table)}").fetchall()[0][0]
        chosen = sorted(i for k, s in enumerate(sets) if k in failing for i in s.checks)
        sql = _errors_sql(
            plan, src, key_sql, [items[i] for i in chosen], [derived.conditions[i] for i in chosen]
        )
        sql = f"CREATE OR REPLACE TEMP TABLE {identifier(errors_table)} AS\n{render(sql)}"
        con.execute(sql, _used(params, sql))
    except duckdb.Error as exc:
        raise OcpiwhError(f"validation query failed: {' '.join(str(exc).split())[:400]}") from None
    return int(n)


def _used(params: dict[str, Any], sql: str) -> dict[str, Any]:
    """The parameters ``sql`` binds (DuckDB refuses unused ones)."""
    used = set(re.findall(r"\$(p\d+)\b", sql))
    return {k: v for k, v in params.items() if k in used}


def _errors_sql(plan: Plan, src: str, key_sql: str, items: list[str], conditions: list[str]) -> str:
    """The report: for each row failing one of ``conditions``, the list of its failed checks
    (``items``, one per condition) unnested. With no check left (nothing can fail), an empty
    table of the same columns."""
    if not items:
        return (
            f'{src}\nSELECT _row AS "row", {key_sql} AS "key", CAST(NULL AS VARCHAR) AS field, '
            "CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS VARCHAR) AS value FROM src LIMIT 0"
        )
    reads = plan.reads(" ".join(items))
    ctes = "".join(f",\n{c}" for c in plan.ctes(reads.groups))
    # rows failing no check are passed over on plain booleans; the list of failures is
    # built for the others only
    return f"""{src}{ctes},
w AS ({plan.row_sql("src", "src", reads)}),
failed AS (
    SELECT _row, {key_sql} AS _key,
           list_filter([{", ".join(items)}], lambda x: x IS NOT NULL) AS errs
    FROM w
    WHERE {" OR ".join(f"({c})" for c in conditions)}
)
SELECT _row AS "row", _key AS "key", e.field AS field, e.rule AS rule, e.value AS value
FROM (SELECT _row, _key, unnest(errs) AS e FROM failed WHERE len(errs) > 0)
ORDER BY "row", field, rule
"""


def validate(
    data: pa.Table | duckdb.DuckDBPyRelation | Path | str,
    schema: str = "statique",
    *,
    profile: str = "qualicharge",
    now: datetime | None = None,
    max_session_age_days: float | None = 15.0,
    max_status_age_days: float | None = None,
) -> ValidationReport:
    """Check ``data`` against the IRVE Table Schema ``schema`` (statique, dynamique, sessions).

    ``data`` is an Arrow table, a DuckDB relation, or the path of a CSV file (read as text,
    every cell a string, as a Table Schema validator reads it). ``profile="irve"`` checks the
    official schema only; ``"qualicharge"`` adds QualiCharge's hard rules. Runs in DuckDB.
    """
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        if isinstance(data, str | Path):
            path = Path(data)
            if not path.is_file():
                raise UsageError(f"no file {path}")
            con.execute(
                "CREATE TEMP TABLE _input AS SELECT * FROM read_csv($p, all_varchar = true, "
                "header = true, delim = ',', quote = '\"', escape = '\"')",
                {"p": str(path)},
            )
        else:
            table = data.to_arrow_table() if isinstance(data, duckdb.DuckDBPyRelation) else data
            con.register("_arrow_input", table)
            con.execute("CREATE TEMP TABLE _input AS SELECT * FROM _arrow_input")
            con.unregister("_arrow_input")
        rows = check_table(
            con,
            "_input",
            schema,
            profile=profile,
            now=now,
            max_session_age_days=max_session_age_days,
            max_status_age_days=max_status_age_days,
        )
        return read_report(con, schema, profile, rows)
    finally:
        con.close()


def read_report(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    profile: str,
    rows: int,
    errors_table: str = "_irve_errors",
) -> ValidationReport:
    """The :class:`ValidationReport` of a :func:`check_table` run: rows failing only
    :data:`TOO_OLD` are counted as ``too_old``, apart from ``invalid`` ones."""
    errors = con.sql(
        f"SELECT {', '.join(identifier(c) for c in REPORT_COLUMNS)} FROM {identifier(errors_table)} "
        'ORDER BY "row", field, rule'
    ).to_arrow_table()
    counts = con.execute(
        f"""SELECT count(*) FILTER (WHERE NOT only_old), count(*) FILTER (WHERE only_old)
        FROM (SELECT "row", bool_and(rule = $old) AS only_old FROM {identifier(errors_table)}
              GROUP BY "row")""",
        {"old": TOO_OLD},
    ).fetchall()
    invalid, too_old = counts[0] if counts else (0, 0)
    return ValidationReport(
        schema=schema,
        profile=profile,
        rows=rows,
        errors=errors,
        invalid=int(invalid or 0),
        too_old=int(too_old or 0),
    )
