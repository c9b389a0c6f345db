"""Dialect fixes for SQL written in DuckDB's dialect, as sqlglot tree transforms.

sqlglot transpiles syntax; some DuckDB constructs have no equivalent it can produce on its own,
or one with different results (DESIGN §7). :func:`transform` rewrites a tree parsed with
``read="duckdb"`` so that sqlglot's generator for ``spark`` or ``trino`` emits SQL that runs
there and returns what DuckDB returns. Every rewrite is listed in :data:`TRANSFORMS`.

    tree = sqlglot.parse_one(sql, read="duckdb")
    sql = transform(tree, "spark").sql(dialect="spark")

The transforms need the columns of the tables a query reads to expand ``*``: by default the
raw tables (``_raw_<module>``, from :func:`ocpiwh.warehouse.raw_columns`) and the public views
(resolved from ``sql/views/*.sql`` themselves).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.transforms import eliminate_qualify

from ocpiwh import lake, warehouse
from ocpiwh.paths import MODULES

Schema = Callable[[str], "list[str] | None"]
"""table name → its columns in order (None: unknown table)."""

SPARK_LIKE: frozenset[str] = frozenset({"spark", "spark2", "databricks"})
TRINO_LIKE: frozenset[str] = frozenset({"trino", "presto", "athena"})


def family(dialect: Any) -> str | None:
    """``spark`` or ``trino`` for the dialects these transforms know, else None."""
    name = dialect if isinstance(dialect, str) else type(dialect).__name__
    name = str(name).lower()
    if name in SPARK_LIKE:
        return "spark"
    if name in TRINO_LIKE:
        return "trino"
    return None


# -- column resolution (for * EXCLUDE and QUALIFY) --------------------------------------------


@cache
def _raw_schema() -> dict[str, list[str]]:
    return {
        f"_raw_{m}": [c for c, _ in warehouse.raw_columns(m)]
        for m in (*MODULES, lake.REMOVED, "quarantine")
    }


def default_schema(name: str) -> list[str] | None:
    """Columns of a raw table or a public view (resolved from its SQL), None if unknown."""
    raw = _raw_schema()
    if name in raw:
        return raw[name]
    return _view_columns(name)


def _view_columns(name: str) -> list[str] | None:
    if name not in warehouse.view_order():
        return None
    tree = sqlglot.parse_one(warehouse.view_sql(name), read="duckdb")
    if not isinstance(tree, exp.Query):
        return None
    return Resolver(default_schema).query_columns(tree, {})


class Resolver:
    """Output columns of queries, resolving ``*`` through CTEs, subqueries and tables."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    def _ctes(self, query: exp.Expr, outer: Mapping[str, exp.Expr]) -> dict[str, exp.Expr]:
        scope = dict(outer)
        with_ = query.args.get("with_")
        if with_ is not None:
            for cte in with_.expressions:
                scope[cte.alias_or_name] = cte.this
        return scope

    def query_columns(self, query: exp.Expr, outer: Mapping[str, exp.Expr]) -> list[str] | None:
        scope = self._ctes(query, outer)
        if isinstance(query, exp.SetOperation):
            return self.query_columns(query.left, scope)
        if isinstance(query, exp.Subquery):
            return self.query_columns(query.this, scope)
        if not isinstance(query, exp.Select):
            return None
        out: list[str] = []
        for projection in query.expressions:
            cols = self.projection_columns(query, projection, scope)
            if cols is None:
                return None
            out.extend(name for _, name in cols)
        return out

    def sources(
        self, select: exp.Select, scope: Mapping[str, exp.Expr]
    ) -> list[tuple[str, list[str] | None]]:
        """(alias, columns) of each FROM / JOIN source of ``select``, in order."""
        items: list[exp.Expr] = []
        from_ = select.args.get("from_")
        if from_ is not None:
            items.append(from_.this)
        items.extend(j.this for j in select.args.get("joins") or [])
        out: list[tuple[str, list[str] | None]] = []
        for item in items:
            alias = item.alias_or_name
            if isinstance(item, exp.Table):
                name = item.name
                if name in scope:
                    cols = self.query_columns(
                        scope[name], {k: v for k, v in scope.items() if k != name}
                    )
                else:
                    cols = self.schema(name)
            elif isinstance(item, exp.Subquery):
                cols = self.query_columns(item.this, scope)
            else:
                cols = None
            out.append((alias, cols))
        return out

    def projection_columns(
        self, select: exp.Select, projection: exp.Expr, scope: Mapping[str, exp.Expr]
    ) -> list[tuple[str | None, str]] | None:
        """(source alias or None, column) pairs a projection yields (stars expanded)."""
        star: exp.Star | None = None
        table: str | None = None
        if isinstance(projection, exp.Star):
            star = projection
        elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            star, table = projection.this, projection.table
        if star is None:
            return [(None, projection.alias_or_name)]
        excluded = {e.name for e in star.args.get("except_") or star.args.get("except") or []}
        out: list[tuple[str | None, str]] = []
        for alias, cols in self.sources(select, scope):
            if table and alias != table:
                continue
            if cols is None:
                return None
            out.extend((alias, c) for c in cols if c not in excluded)
        return out


def _column(name: str, table: str | None) -> exp.Column:
    ident = exp.to_identifier(name)
    return exp.column(ident, table=exp.to_identifier(table) if table else None)


def expand_stars(tree: exp.Expr, schema: Schema) -> exp.Expr:
    """``* EXCLUDE (…)`` → explicit columns; also ``*`` in a SELECT with QUALIFY.

    Neither Spark nor Trino has EXCLUDE, and sqlglot rewrites QUALIFY as a subquery whose
    window column would leak through ``*``. Stars over several sources are qualified.
    """
    resolver = Resolver(schema)

    def scope_of(node: exp.Expr) -> dict[str, exp.Expr]:
        """CTEs visible from ``node``: those of every enclosing query but its own CTE."""
        scope: dict[str, exp.Expr] = {}
        own = node.find_ancestor(exp.CTE)
        parent: exp.Expr | None = node
        chain: list[exp.Expr] = []
        while parent is not None:
            chain.append(parent)
            parent = parent.parent
        for query in reversed(chain):
            with_ = query.args.get("with_") if isinstance(query, exp.Query) else None
            if with_ is None:
                continue
            for cte in with_.expressions:
                if cte is not own:
                    scope[cte.alias_or_name] = cte.this
        return scope

    for select in list(tree.find_all(exp.Select)):
        stars = [
            p
            for p in select.expressions
            if (
                isinstance(p, exp.Star)
                or (isinstance(p, exp.Column) and isinstance(p.this, exp.Star))
            )
        ]
        if not stars:
            continue
        has_qualify = select.args.get("qualify") is not None
        wanted = [
            p
            for p in stars
            if has_qualify
            or (p if isinstance(p, exp.Star) else p.this).args.get("except_")
            or (p if isinstance(p, exp.Star) else p.this).args.get("except")
        ]
        if not wanted:
            continue
        scope = scope_of(select)
        n_sources = len(resolver.sources(select, scope))
        new: list[exp.Expr] = []
        for projection in select.expressions:
            if projection not in wanted:
                new.append(projection)
                continue
            cols = resolver.projection_columns(select, projection, scope)
            if cols is None:
                raise ValueError(
                    f"cannot expand {projection.sql('duckdb')}: unknown columns of its source"
                )
            qualified = isinstance(projection, exp.Column) or n_sources > 1
            new.extend(_column(c, a if qualified else None) for a, c in cols)
        select.set("expressions", new)
    return tree


# -- expressions ----------------------------------------------------------------------------


def epoch_of_difference(tree: exp.Expr, fam: str) -> exp.Expr:
    """``epoch(a - b)`` (seconds of an interval, DOUBLE) → exact seconds between timestamps.

    sqlglot emits ``UNIX_TIMESTAMP(a - b)``, which Spark rejects (an interval is no timestamp).
    Spark: ``CAST(unix_micros(a) - unix_micros(b) AS DOUBLE) / 1000000``;
    Trino: ``CAST(date_diff('millisecond', b, a) AS DOUBLE) / 1000``.
    """

    def fix(node: exp.Expr) -> exp.Expr:
        if not (isinstance(node, exp.TimeToUnix) and isinstance(node.this, exp.Sub)):
            return node
        a, b = node.this.this, node.this.expression
        if fam == "spark":
            diff: exp.Expr = exp.Sub(
                this=exp.func("unix_micros", a.copy()), expression=exp.func("unix_micros", b.copy())
            )
            scale = 1_000_000
        else:
            diff = exp.Anonymous(
                this="date_diff",
                expressions=[exp.Literal.string("millisecond"), b.copy(), a.copy()],
            )
            scale = 1000
        return exp.Paren(
            this=exp.Div(
                this=exp.cast(diff, exp.DataType.build("DOUBLE")),
                expression=exp.Literal.number(scale),
            )
        )

    return tree.transform(fix)


def decimal_literal_division(tree: exp.Expr, fam: str) -> exp.Expr:
    """``x / 1000.0`` is DOUBLE in DuckDB but DECIMAL in Spark and Trino: cast the literal."""

    def fix(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Div):
            for key in ("this", "expression"):
                side = node.args.get(key)
                if isinstance(side, exp.Literal) and not side.is_string and "." in side.this:
                    node.set(key, exp.cast(side.copy(), exp.DataType.build("DOUBLE")))
        return node

    return tree.transform(fix)


def _list_names() -> frozenset[str]:
    """Names of list-typed columns and struct fields in the raw layer."""
    names: set[str] = set()
    for m in (*MODULES, lake.REMOVED):
        for col, typ in warehouse.raw_columns(m):
            dt = exp.DataType.build(typ, dialect="duckdb")
            _collect_lists(col, dt, names)
    return frozenset(names)


def _collect_lists(name: str, dt: exp.DataType, names: set[str]) -> None:
    if dt.this == exp.DataType.Type.ARRAY:
        names.add(name)
    for child in dt.expressions:
        if isinstance(child, exp.ColumnDef) and isinstance(child.args.get("kind"), exp.DataType):
            _collect_lists(child.name, child.args["kind"], names)
        elif isinstance(child, exp.DataType):
            _collect_lists(name, child, names)


_LIST_FUNCS = (exp.Array, exp.ArrayAgg, exp.ArrayDistinct, exp.ArraySort, exp.Transform, exp.Split)


def list_length(tree: exp.Expr, fam: str) -> exp.Expr:
    """DuckDB ``len(list)`` parses as LENGTH, which is string length in Spark and Trino.

    LENGTH of a list-typed column or field (by name: the raw layer's lists) or of a list
    expression → Spark ``size`` (NULL for a NULL list, whatever spark.sql.legacy.sizeOfNull)
    / Trino ``cardinality``.
    """
    lists = _list_names()

    def fix(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Length):
            return node
        arg = node.this
        name = arg.name if isinstance(arg, exp.Column | exp.Dot) else ""
        if not (name in lists or isinstance(arg, _LIST_FUNCS)):
            return node
        if fam == "trino":
            return exp.Anonymous(this="cardinality", expressions=[arg.copy()])
        return exp.If(
            this=exp.Is(this=arg.copy(), expression=exp.Null()),
            true=exp.Null(),
            false=exp.Anonymous(this="size", expressions=[arg.copy()]),
        )

    return tree.transform(fix)


def regexp_full_match(tree: exp.Expr, fam: str) -> exp.Expr:
    """``regexp_full_match(s, p)`` → ``s RLIKE '^(?:p)$'`` / ``regexp_like(s, '^(?:p)$')``."""

    def fix(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.RegexpFullMatch):
            return node
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            anchored: exp.Expr = exp.Literal.string(f"^(?:{pattern.this})$")
        else:
            anchored = exp.func(
                "concat", exp.Literal.string("^(?:"), pattern.copy(), exp.Literal.string(")$")
            )
        return exp.RegexpLike(this=node.this.copy(), expression=anchored)

    return tree.transform(fix)


_DATE_PARTS: tuple[type[exp.Expr], ...] = tuple(
    t
    for t in (
        getattr(exp, n, None)
        for n in (
            "Year",
            "Quarter",
            "Month",
            "Week",
            "Day",
            "DayOfWeek",
            "DayOfYear",
            "Hour",
            "Minute",
        )
    )
    if isinstance(t, type)
)


def date_part_bigint(tree: exp.Expr, fam: str) -> exp.Expr:
    """DuckDB's ``hour(ts)``, ``month(ts)`` … are BIGINT; Spark's are INT: cast them."""

    def fix(node: exp.Expr) -> exp.Expr:
        if isinstance(node, _DATE_PARTS) and not isinstance(node.parent, exp.Cast):
            return exp.cast(node.copy(), exp.DataType.build("BIGINT"))
        return node

    return tree.transform(fix)


# -- time zones: UTC made explicit ------------------------------------------------------------

_UTC_NAMES = frozenset({"utc", "etc/utc", "z", "gmt", "etc/gmt"})
_US = {"microsecond": 1, "millisecond": 1000, "second": 1_000_000, "minute": 60_000_000}
_US |= {"hour": 3_600_000_000, "day": 86_400_000_000}
_DATE_UNITS = ("week", "month", "quarter", "year")
_UNIT_ALIASES = {"d": "day", "days": "day", "h": "hour", "hours": "hour", "s": "second"}
_UNIT_ALIASES |= {"seconds": "second", "minutes": "minute", "m": "minute", "ms": "millisecond"}
_UNIT_ALIASES |= {"weeks": "week", "w": "week", "months": "month", "mon": "month"}
_UNIT_ALIASES |= {"quarters": "quarter", "years": "year", "y": "year", "yyyy": "year"}


@cache
def _instant_names() -> frozenset[str]:
    """Columns (raw tables, public views) typed TIMESTAMPTZ: the lake's instants."""
    names = {
        c
        for m in (*MODULES, lake.REMOVED)
        for c, t in warehouse.raw_columns(m)
        if t.upper() in ("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE")
    }
    with tempfile.TemporaryDirectory() as empty:
        con = warehouse.connect(Path(empty), read_only=False)
        try:
            for view in warehouse.view_order():
                names |= {
                    c
                    for c, t in warehouse.describe_view(con, view)
                    if t.upper() == "TIMESTAMP WITH TIME ZONE"
                }
        finally:
            con.close()
    return frozenset(names)


def _is_timezone(node: exp.Expr, utc_only: bool = True) -> bool:
    """DuckDB ``timezone('UTC', x)`` (sqlglot keeps it as an anonymous call)."""
    if not (isinstance(node, exp.Anonymous) and str(node.this).lower() == "timezone"):
        return False
    args = node.expressions
    if len(args) != 2:
        return False
    zone = args[0]
    if not utc_only:
        return True
    return isinstance(zone, exp.Literal) and zone.is_string and zone.this.lower() in _UTC_NAMES


_CARRIERS: tuple[type[exp.Expr], ...] = (
    exp.Max,
    exp.Min,
    exp.AnyValue,
    exp.Coalesce,
    exp.Greatest,
    exp.Least,
    exp.Window,
    exp.Paren,
    exp.First,
    exp.Last,
    exp.ArgMax,
    exp.ArgMin,
)


def _instant_aliases(tree: exp.Expr) -> set[str]:
    """Names that hold instants in ``tree``: the lake's, plus aliases of expressions over them."""
    names = set(_instant_names())
    aliases = list(tree.find_all(exp.Alias))
    changed = True
    while changed:
        changed = False
        for alias in aliases:
            if alias.alias not in names and _holds_instant(alias.this, names):
                names.add(alias.alias)
                changed = True
    return names


def _holds_instant(node: exp.Expr, names: set[str]) -> bool:
    while isinstance(node, _CARRIERS):
        node = node.this
    if isinstance(node, exp.TimestampTrunc | exp.DateTrunc):
        return _holds_instant(node.this, names)
    if isinstance(node, exp.Column):
        return node.name in names
    return isinstance(node, exp.CurrentTimestamp | exp.Placeholder) or (
        isinstance(node, exp.Anonymous)
        and str(node.this).lower() in ("now", "get_current_timestamp")
    )


def _spark_utc_wall(x: exp.Expr) -> exp.Expr:
    """TIMESTAMP_NTZ holding the UTC wall clock of instant ``x``, whatever the session zone."""
    epoch = exp.cast(exp.Literal.string("1970-01-01 00:00:00"), exp.DataType.build("TIMESTAMP_NTZ"))
    return exp.Anonymous(
        this="timestampadd",
        expressions=[exp.var("MICROSECOND"), exp.func("unix_micros", x.copy()), epoch],
    )


def _spark_instant_of_date(d: exp.Expr) -> exp.Expr:
    """Midnight UTC of DATE ``d`` as an instant (unix_date counts days: no zone involved)."""
    days = exp.cast(exp.func("unix_date", d), exp.DataType.build("BIGINT"))
    return exp.func(
        "timestamp_micros", exp.Mul(this=days, expression=exp.Literal.number(_US["day"]))
    )


def _spark_trunc_unit(unit: str, x: exp.Expr) -> exp.Expr:
    micros = exp.func("unix_micros", x.copy())
    if unit in _US:
        step = exp.Literal.number(_US[unit])
        mod = exp.Anonymous(this="pmod", expressions=[micros.copy(), step])
        return exp.func("timestamp_micros", exp.Sub(this=micros, expression=mod))
    day = exp.cast(_spark_utc_wall(x), exp.DataType.build("DATE"))
    return _spark_instant_of_date(
        exp.Anonymous(this="trunc", expressions=[day, exp.Literal.string(unit)])
    )


def _unit_name(unit: exp.Expr) -> str | None:
    if isinstance(unit, exp.Literal | exp.Var):
        name = str(unit.this).lower()
        return _UNIT_ALIASES.get(name, name)
    return None


def _spark_utc_trunc(unit: exp.Expr, x: exp.Expr) -> exp.Expr:
    """DuckDB ``date_trunc(unit, x)`` of an instant, truncated in UTC, as an instant.

    Spark's ``date_trunc`` truncates in the session time zone (even a TIMESTAMP_NTZ is cast to
    the session's zone first): sub-day units are micro-second arithmetic, the others go
    through the UTC DATE (``trunc(date, 'week')`` starts on Monday, as DuckDB's).
    """
    name = _unit_name(unit)
    if name is not None:
        if name not in _US and name not in _DATE_UNITS:
            raise ValueError(f"date_trunc unit {name!r} has no Spark translation")
        return _spark_trunc_unit(name, x)
    units: tuple[str, ...] = (*_US, *_DATE_UNITS)
    if isinstance(unit, exp.Case):  # CASE $period WHEN 'd' THEN 'day' …: only those units
        results = [i.args.get("true") for i in unit.args.get("ifs") or []]
        results.append(unit.args.get("default"))
        found = [_unit_name(r) if r is not None else None for r in results]
        if all(u in units for u in found):
            units = tuple(u for u in units if u in found)
    lowered = exp.Lower(this=unit.copy())
    ifs = [
        exp.If(
            this=exp.EQ(this=lowered.copy(), expression=exp.Literal.string(u)),
            true=_spark_trunc_unit(u, x),
        )
        for u in units
    ]
    return exp.Case(ifs=ifs)


_PARTS: tuple[type[exp.Expr], ...] = (*_DATE_PARTS, exp.Extract)


def utc_explicit(tree: exp.Expr, fam: str) -> exp.Expr:
    """Calendar arithmetic on instants done in UTC explicitly: no session time zone involved.

    DuckDB runs in UTC (:func:`ocpiwh.warehouse.connect`); Spark's ``date_trunc``, ``hour``,
    ``CAST(ts AS DATE)`` use ``spark.sql.session.timeZone``. For Spark:
    ``timezone('UTC', date_trunc(u, timezone('UTC', x)))`` and ``date_trunc(u, x)`` →
    :func:`_spark_utc_trunc`; ``hour(x)``, ``month(x)``, ``extract(… FROM x)`` and
    ``CAST(x AS DATE)`` of an instant read its UTC wall clock (a TIMESTAMP_NTZ, on which Spark
    applies no zone); ``get_current_timestamp()`` → ``current_timestamp()``. Trino:
    ``timezone(z, x)`` → ``CAST(x AT TIME ZONE z AS TIMESTAMP)`` (an instant's wall clock
    in ``z``) or, for a wall clock (the result of another ``timezone``/``date_trunc`` of one),
    ``with_timezone(x, z)``; ``get_current_timestamp()`` → ``current_timestamp``.
    """
    names = _instant_aliases(tree)

    def is_wall(node: exp.Expr) -> bool:
        if _is_timezone(node, utc_only=False):
            return True
        if isinstance(node, exp.TimestampTrunc | exp.DateTrunc):
            return is_wall(node.this)
        return False

    def now(node: exp.Expr) -> bool:
        return isinstance(node, exp.Anonymous) and str(node.this).lower() == "get_current_timestamp"

    def spark(node: exp.Expr) -> exp.Expr:
        """Rewrites one node; sub-expressions it moves into a new node are rewritten first
        (``transform`` does not descend into a replacement)."""
        if now(node):
            return exp.CurrentTimestamp()
        if _is_timezone(node):
            inner = node.expressions[1]
            if isinstance(inner, exp.TimestampTrunc | exp.DateTrunc) and _is_timezone(inner.this):
                x = inner.this.expressions[1].transform(spark)
                return _spark_utc_trunc(inner.args["unit"], x)
            return node  # left as is: Spark rejects it (no silent zone change)
        if isinstance(node, exp.TimestampTrunc | exp.DateTrunc) and not is_wall(node.this):
            return _spark_utc_trunc(node.args["unit"], node.this.transform(spark))
        if isinstance(node, _PARTS):
            key = "expression" if isinstance(node, exp.Extract) else "this"
            arg = node.args.get(key)
            if arg is not None and _is_timezone(arg):
                node.set(key, _spark_utc_wall(arg.expressions[1].transform(spark)))
            elif arg is not None and _holds_instant(arg, names):
                node.set(key, _spark_utc_wall(arg.transform(spark)))
            return node
        if (
            isinstance(node, exp.Cast)
            and not isinstance(node, exp.TryCast)
            and node.to.this == exp.DataType.Type.DATE
            and _holds_instant(node.this, names)
        ):
            wall = _spark_utc_wall(node.this.transform(spark))
            return exp.cast(wall, exp.DataType.build("DATE"))
        return node

    def trino(node: exp.Expr) -> exp.Expr:
        if now(node):
            return exp.CurrentTimestamp()
        if _is_timezone(node, utc_only=False):
            zone, x = node.expressions
            wall = is_wall(x)
            x = x.copy().transform(trino)
            if wall:
                return exp.Anonymous(this="with_timezone", expressions=[x, zone.copy()])
            return exp.cast(
                exp.AtTimeZone(this=x, zone=zone.copy()), exp.DataType.build("TIMESTAMP")
            )
        return node

    return tree.transform(spark if fam == "spark" else trino)


# -- JSON ------------------------------------------------------------------------------------


def _structure_type(structure: Any) -> exp.DataType:
    """DuckDB ``from_json`` structure (JSON of type names) → a sqlglot data type."""
    if isinstance(structure, dict):
        fields = [
            exp.ColumnDef(this=exp.to_identifier(k), kind=_structure_type(v))
            for k, v in structure.items()
        ]
        return exp.DataType(this=exp.DataType.Type.STRUCT, expressions=fields, nested=True)
    if isinstance(structure, list):
        if len(structure) != 1:
            raise ValueError("a from_json list structure has exactly one element")
        return exp.DataType(
            this=exp.DataType.Type.ARRAY, expressions=[_structure_type(structure[0])], nested=True
        )
    return exp.DataType.build(str(structure), dialect="duckdb")


def from_json_structure(tree: exp.Expr, fam: str) -> exp.Expr:
    """``from_json(j, '<DuckDB JSON structure>')`` → Spark ``from_json(j, '<DDL type>')`` /
    Trino ``CAST(json_parse(j) AS <ROW type>)``. Missing keys are NULL in all three."""

    def fix(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.FromJson):
            return node
        spec = node.expression
        if not (isinstance(spec, exp.Literal) and spec.is_string):
            return node
        try:
            dtype = _structure_type(json.loads(spec.this))
        except (ValueError, sqlglot.errors.ParseError):
            return node
        if fam == "spark":
            return exp.FromJson(
                this=node.this.copy(), expression=exp.Literal.string(dtype.sql(dialect="spark"))
            )
        doc = node.this.copy()
        if not isinstance(doc, exp.JSONExtract):  # json_extract already returns JSON in Trino
            doc = exp.Anonymous(this="json_parse", expressions=[doc])
        return exp.cast(doc, dtype)

    return tree.transform(fix)


def _path_parts(path: exp.JSONPath) -> list[exp.Expr]:
    return list(path.expressions)


def _is_wildcard(part: exp.Expr) -> bool:
    return isinstance(part, exp.JSONPathSubscript) and isinstance(part.this, exp.JSONPathWildcard)


def _path(parts: list[exp.Expr]) -> exp.JSONPath:
    if not parts or not isinstance(parts[0], exp.JSONPathRoot):
        parts = [exp.JSONPathRoot(), *parts]
    return exp.JSONPath(expressions=[p.copy() for p in parts])


def _path_text(path: exp.JSONPath) -> str:
    """SQL/JSON path text (``$.a[*].b``) of a parsed path."""
    out = ""
    for part in path.expressions:
        if isinstance(part, exp.JSONPathRoot):
            out += "$"
        elif isinstance(part, exp.JSONPathKey):
            key = str(part.this)
            out += f".{key}" if key.isidentifier() else '."' + key.replace('"', '\\"') + '"'
        elif _is_wildcard(part):
            out += "[*]"
        elif isinstance(part, exp.JSONPathSubscript):
            out += f"[{part.this}]"
        else:
            raise ValueError(f"unsupported JSON path step {part!r}")
    return out


def _spark_wildcard(doc: exp.Expr, parts: list[exp.Expr], depth: int = 0) -> exp.Expr:
    """array<string> of the values a wildcard path matches (NULL where a step is missing)."""
    i = next(i for i, p in enumerate(parts) if _is_wildcard(p))
    prefix, rest = parts[:i], parts[i + 1 :]
    items = exp.FromJson(
        this=exp.JSONExtractScalar(this=doc, expression=_path(prefix)),
        expression=exp.Literal.string("ARRAY<STRING>"),
    )
    if not rest:
        return items
    var = exp.to_identifier(f"_j{depth}")
    if any(_is_wildcard(p) for p in rest):
        body = _spark_wildcard(exp.column(var), [exp.JSONPathRoot(), *rest], depth + 1)
        return exp.Flatten(
            this=exp.Transform(this=items, expression=exp.Lambda(this=body, expressions=[var]))
        )
    body = exp.JSONExtractScalar(this=exp.column(var), expression=_path(rest))
    return exp.Transform(this=items, expression=exp.Lambda(this=body, expressions=[var.copy()]))


def json_wildcards(tree: exp.Expr, fam: str) -> exp.Expr:
    """``json_extract_string(j, '$.a[*].b')`` (a VARCHAR[] in DuckDB) → a list of strings.

    Spark's ``get_json_object`` unwraps a single match and returns no list: the path is split
    at each ``[*]`` into ``transform(from_json(get_json_object(…), 'ARRAY<STRING>'), …)``
    (``flatten`` for nested wildcards). Trino: ``CAST(json_query(j, 'lax …' WITH ARRAY
    WRAPPER) AS ARRAY(VARCHAR))``. A missing key gives a NULL element (DuckDB skips it): list
    aggregates (min, max) ignore NULLs either way.
    """

    def fix(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.JSONExtractScalar | exp.JSONExtract):
            return node
        path = node.expression
        if not isinstance(path, exp.JSONPath) or not any(map(_is_wildcard, path.expressions)):
            return node
        if fam == "spark":
            return _spark_wildcard(node.this.copy(), _path_parts(path))
        text = exp.Literal.string("lax " + _path_text(path))
        query = sqlglot.parse_one(
            f"JSON_QUERY(__doc, {text.sql(dialect='trino')} WITH ARRAY WRAPPER)", read="trino"
        )
        query.set("this", node.this.copy())
        if isinstance(node, exp.JSONExtract):
            return query
        return exp.cast(query, exp.DataType.build("ARRAY(VARCHAR)", dialect="trino"))

    return tree.transform(fix)


def ordered_list_agg(tree: exp.Expr, fam: str) -> exp.Expr:
    """``list(x ORDER BY x)`` → Spark ``array_sort(collect_list(x))``.

    Spark's ``collect_list`` has no ORDER BY and sqlglot drops it; sorting the list afterwards
    is the same when the list is ordered by its own values, ascending (``array_sort`` puts
    NULLs last, and ``collect_list`` skips them anyway). Another order is refused, not lost.
    Trino keeps ``array_agg(x ORDER BY x)``.
    """
    if fam != "spark":
        return tree

    def fix(node: exp.Expr) -> exp.Expr:
        if not (isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order)):
            return node
        order = node.this
        value = order.this
        plain = value.expressions[0] if isinstance(value, exp.Distinct) else value
        keys = order.expressions
        if not (
            len(keys) == 1
            and keys[0].this == plain
            and not keys[0].args.get("desc")
            and not keys[0].args.get("nulls_first")
        ):
            raise ValueError(
                f"{node.sql('duckdb')}: Spark lists are ordered only by their own values, ascending"
            )
        return exp.func("array_sort", exp.ArrayAgg(this=value.copy()))

    return tree.transform(fix)


def json_object_text(tree: exp.Expr, fam: str) -> exp.Expr:
    """Trino: DuckDB ``to_json({'k': v, …})`` → ``json_format(CAST(MAP(ARRAY['k', …],
    ARRAY[CAST(v AS JSON), …]) AS JSON))``: Trino has no to_json, and sqlglot turns the struct
    into an unnamed ROW (the keys are lost). A MAP cast to JSON is an object with its keys
    sorted (DuckDB keeps the struct's order: same JSON value). Spark's ``to_json(struct)``
    keeps the names already."""
    if fam != "trino":
        return tree

    def fix(node: exp.Expr) -> exp.Expr:
        if not (
            isinstance(node, exp.Anonymous)
            and str(node.this).lower() == "to_json"
            and len(node.expressions) == 1
            and isinstance(node.expressions[0], exp.Struct)
        ):
            return node
        fields = node.expressions[0].expressions
        if not all(isinstance(f, exp.PropertyEQ) for f in fields):
            return node
        keys = exp.Array(expressions=[exp.Literal.string(f.this.name) for f in fields])
        json_type = exp.DataType.build("JSON")
        values = exp.Array(
            expressions=[exp.cast(f.expression.transform(fix), json_type) for f in fields]
        )
        as_map = exp.Anonymous(this="MAP", expressions=[keys, values])
        return exp.Anonymous(this="json_format", expressions=[exp.cast(as_map, json_type)])

    return tree.transform(fix)


def trino_printf(tree: exp.Expr, fam: str) -> exp.Expr:
    """Trino: ``printf(f, …)`` → ``format(f, …)`` (Java's String.format: the same ``%.7f``,
    ``%02d``); sqlglot keeps PRINTF, which Trino does not have. Spark has ``printf``."""
    if fam != "trino":
        return tree

    def fix(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous) and str(node.this).lower() == "printf":
            return exp.Anonymous(this="format", expressions=[e.copy() for e in node.expressions])
        return node

    return tree.transform(fix)


# -- CTE names -------------------------------------------------------------------------------


def cte_not_materialized(tree: exp.Expr, fam: str) -> exp.Expr:
    """Drop ``AS MATERIALIZED`` from CTEs: neither Spark nor Trino has it (they plan a CTE
    their own way). DuckDB models use it where a CTE over a large constant (the
    ``$irve_config`` JSON with thousands of derived places) is read several times: inlined,
    the optimizer copies the constant into every reference."""
    for cte in tree.find_all(exp.CTE):
        if cte.args.get("materialized") is not None:
            cte.set("materialized", None)
    return tree


def unique_cte_names(tree: exp.Expr, fam: str) -> exp.Expr:
    """Rename CTEs nested in another CTE when their name is used twice in the query.

    A model's dependencies are inlined as CTEs with their own WITH clauses; sqlglot's Spark
    generator hoists nested CTEs to the top level, where two ``cfg`` (a model reading both
    ``irve_statique`` and ``ind_pdc``) are DUPLICATED_CTE_NAMES. No shipped model does today;
    the rename keeps such a model compiling. A nested CTE ``x`` of CTE ``dep`` becomes
    ``dep__x``, with the references in its scope.
    """
    withs = list(tree.find_all(exp.With))
    counts: dict[str, int] = {}
    for with_ in withs:
        for cte in with_.expressions:
            counts[cte.alias_or_name] = counts.get(cte.alias_or_name, 0) + 1
    if all(n == 1 for n in counts.values()):
        return tree
    for with_ in withs:
        owner = with_.parent
        outer = owner.find_ancestor(exp.CTE) if owner is not None else None
        if owner is None or outer is None:
            continue
        renames = {
            cte.alias_or_name: f"{outer.alias_or_name}__{cte.alias_or_name}"
            for cte in with_.expressions
            if counts[cte.alias_or_name] > 1
        }
        if not renames:
            continue
        for cte in with_.expressions:
            if cte.alias_or_name in renames:
                cte.set("alias", exp.TableAlias(this=exp.to_identifier(renames[cte.alias_or_name])))
        for table in owner.find_all(exp.Table):
            if not table.args.get("db") and table.name in renames:
                alias = table.alias_or_name
                table.set("this", exp.to_identifier(renames[table.name]))
                if not table.alias:
                    table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return tree


# -- the pipeline ----------------------------------------------------------------------------

Transform = Callable[[exp.Expr, str], exp.Expr]

TRANSFORMS: tuple[tuple[str, Transform], ...] = (
    ("cte_not_materialized", cte_not_materialized),
    ("unique_cte_names", unique_cte_names),
    ("from_json_structure", from_json_structure),
    ("json_wildcards", json_wildcards),
    ("epoch_of_difference", epoch_of_difference),
    ("decimal_literal_division", decimal_literal_division),
    ("list_length", list_length),
    ("regexp_full_match", regexp_full_match),
    ("utc_explicit", utc_explicit),
    ("ordered_list_agg", ordered_list_agg),
    ("json_object_text", json_object_text),
    ("trino_printf", trino_printf),
    ("date_part_bigint", date_part_bigint),
)
"""Expression rewrites, applied in order after star expansion (name, function)."""


def transform(tree: exp.Expr, dialect: Any, schema: Schema | None = None) -> exp.Expr:
    """A copy of ``tree`` (parsed as DuckDB) rewritten for ``dialect``'s family.

    Dialects outside the Spark and Trino families get the tree back unchanged (copied).
    """
    fam = family(dialect)
    tree = tree.copy()
    if fam is None:
        return tree
    tree = expand_stars(tree, schema or default_schema)
    # after expanding *, sqlglot's own rewrite of QUALIFY is exact: apply it here so that
    # generators that would keep QUALIFY (Spark ≥ 3.4/4 parses it) see the same shape
    tree = eliminate_qualify(tree)
    for _, fn in TRANSFORMS:
        tree = fn(tree, fam)
    return tree
