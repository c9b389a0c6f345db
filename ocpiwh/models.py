"""SQL models: parameterized, documented, audited queries over the views (``sql/models/*.sql``).

A model file starts with a header comment block::

    -- description: Delivered energy per operator and period.
    -- grain: one row per period, operator and party
    -- @param from timestamp 2000-01-01T00:00:00Z "sessions starting at or after (UTC)"
    -- @param grain enum(day|week|month) month "period length"
    -- @audit no_negative_energy: SELECT * FROM energy_by_operator WHERE kwh < 0

followed by one SELECT that uses ``$name`` bound parameters (DuckDB prepared-statement
parameters; values are never pasted into SQL text). Audits return failing rows; they read the
model's result under the model's name and may be given in ``<name>.audits.sql`` too
(``-- @audit name`` then the query). A model may read another model by name: dependencies are
inlined as CTEs, in order, and their parameters become the reader's (its own win).

Parameter types: date, timestamp (UTC; a date means midnight UTC), int, float, string, bool,
enum(a|b|c).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError

from ocpiwh import modelcache, resources, warehouse
from ocpiwh.errors import OcpiwhError, UsageError

PARAM_TYPES: tuple[str, ...] = ("date", "timestamp", "int", "float", "string", "bool", "enum")
DIALECTS: tuple[str, ...] = (
    "spark",
    "databricks",
    "trino",
    "presto",
    "athena",
    "postgres",
    "bigquery",
    "snowflake",
    "redshift",
    "clickhouse",
    "duckdb",
    "mysql",
    "tsql",
    "oracle",
    "hive",
)

_PARAM_RE = re.compile(
    r"^@param\s+(?P<name>[A-Za-z_]\w*)\s+(?P<type>\w+(?:\([^)]*\))?)\s+"
    r"(?P<default>\"[^\"]*\"|\S+)(?:\s+\"(?P<doc>.*)\")?\s*$"
)
_AUDIT_RE = re.compile(r"^@audit\s+(?P<name>[A-Za-z_]\w*)\s*:?\s*(?P<sql>.*)$")
_FUNCTION_RE = re.compile(r"^(?P<name>[a-z_]\w*)\((?P<arg>[a-z_]\w*)\)\s*=\s*(?P<body>.+)$")
FUNCTIONS_FILE = "_functions.sql.in"
"""Scalar functions shared by models and rules (``sql/models/_functions.sql.in``)."""
T = TypeVar("T")
_TRUE = {"true", "t", "yes", "y", "1", "on"}
_FALSE = {"false", "f", "no", "n", "0", "off"}


def models_dir() -> Path:
    return resources.sql_dir() / "models"


# -- parameters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """A declared model parameter."""

    name: str
    type: str
    default: Any
    doc: str = ""
    choices: tuple[str, ...] = ()

    @property
    def type_label(self) -> str:
        return f"enum({'|'.join(self.choices)})" if self.type == "enum" else self.type

    def parse(self, value: Any) -> Any:
        """Text (or an already-typed Python value) → the bound value; ValueError if ill-typed."""
        if value is None:
            return None
        t = self.type
        if t == "timestamp":
            if isinstance(value, datetime):
                ts = value
            elif isinstance(value, date):
                ts = datetime(value.year, value.month, value.day)
            else:
                ts = datetime.fromisoformat(str(value).strip().replace(" ", "T"))
            return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
        if t == "date":
            if isinstance(value, datetime):
                return value.date()
            if isinstance(value, date):
                return value
            return date.fromisoformat(str(value).strip())
        if t == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(str(value).strip()) if isinstance(value, str) else int(value)
        if t == "float":
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if t == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(value)
        if t == "enum":
            text = str(value).strip()
            if text not in self.choices:
                raise ValueError(value)
            return text
        return str(value)


def _parse_param(line: str, where: str) -> Param:
    m = _PARAM_RE.match(line)
    if not m:
        raise OcpiwhError(
            f"{where}: malformed parameter line {line!r}",
            hint='expected: @param name type default "doc"',
        )
    typ: str = m["type"]
    choices: tuple[str, ...] = ()
    enum = re.fullmatch(r"enum\(([^)]*)\)", typ)
    if enum:
        typ, choices = "enum", tuple(c.strip() for c in enum[1].split("|") if c.strip())
    if typ not in PARAM_TYPES:
        raise OcpiwhError(
            f"{where}: parameter {m['name']} has unknown type {typ!r}",
            hint=f"types: {', '.join(PARAM_TYPES)}",
        )
    raw_default: str = m["default"]
    param = Param(m["name"], typ, None, m["doc"] or "", choices)
    if raw_default.lower() != "null":
        text = raw_default[1:-1] if raw_default.startswith('"') else raw_default
        try:
            param = Param(m["name"], typ, param.parse(text), m["doc"] or "", choices)
        except ValueError:
            raise OcpiwhError(f"{where}: default of {m['name']} is not a {typ}") from None
    return param


# -- models ----------------------------------------------------------------------------------


@dataclass
class Model:
    """One model file: header, body, audits; ``registry`` resolves models it reads."""

    name: str
    path: Path
    description: str
    grain: str
    params: dict[str, Param]
    sql: str
    audits: dict[str, str] = field(default_factory=dict)
    registry: Mapping[str, Model] = field(default_factory=dict, repr=False)
    cache_key: str | None = field(default=None, repr=False, compare=False)
    """:func:`ocpiwh.modelcache.files_key` of the folder it was loaded from (None: no cache)."""

    def cached(self, what: str, compute: Callable[[], T]) -> T:
        """``compute()`` kept in :mod:`ocpiwh.modelcache` under this model's ``what``."""
        if self.cache_key is None:
            return compute()
        return modelcache.entries(self.cache_key).get(f"{self.name}:{what}", compute)

    # -- structure --

    @cached_property
    def tree(self) -> exp.Expr:
        try:
            tree = sqlglot.parse_one(self.sql, read="duckdb")
        except ParseError as exc:
            raise OcpiwhError(f"model {self.name}: SQL does not parse: {exc}") from None
        if tree is None:
            raise OcpiwhError(f"model {self.name} has no query")
        return tree

    @cached_property
    def reads(self) -> frozenset[str]:
        """Views and models this model reads (CTE names excluded)."""

        def compute() -> list[str]:
            ctes = {c.alias_or_name for c in self.tree.find_all(exp.CTE)}
            return sorted({t.name for t in self.tree.find_all(exp.Table) if t.name not in ctes})

        return frozenset(self.cached("reads", compute))

    @property
    def model_dependencies(self) -> list[str]:
        """Models this one reads, directly or not, dependencies first."""
        order: list[str] = []

        def visit(name: str, path: tuple[str, ...]) -> None:
            if name in path:
                raise OcpiwhError(f"models form a cycle: {' → '.join((*path, name))}")
            model = self.registry[name]
            for dep in sorted(model.reads & set(self.registry)):
                visit(dep, (*path, name))
            if name != self.name and name not in order:
                order.append(name)

        visit(self.name, ())
        return order

    @property
    def views(self) -> set[str]:
        """Views read, through model dependencies too."""
        out = set(self.reads) - set(self.registry)
        for dep in self.model_dependencies:
            out |= set(self.registry[dep].reads) - set(self.registry)
        return out

    @property
    def all_params(self) -> dict[str, Param]:
        """Own parameters plus those of the models it reads (its own win)."""
        merged: dict[str, Param] = {}
        for dep in self.model_dependencies:
            merged.update(self.registry[dep].params)
        merged.update(self.params)
        return merged

    @cached_property
    def expanded_tree(self) -> exp.Expr:
        """The query with every model it reads inlined as a CTE (dependencies first)."""
        deps = self.model_dependencies
        if not deps:
            return self.tree
        tree = self.tree.copy()
        with_ = tree.args.get("with_")
        existing = list(with_.expressions) if with_ is not None else []
        ctes = [
            exp.CTE(
                this=self.registry[d].tree.copy(), alias=exp.TableAlias(this=exp.to_identifier(d))
            )
            for d in deps
        ]
        tree.set("with_", exp.With(expressions=[*ctes, *existing]))
        return tree

    @cached_property
    def expanded_sql(self) -> str:
        if not self.model_dependencies:
            return self.sql
        return self.cached(
            "expanded_sql", lambda: self.expanded_tree.sql(dialect="duckdb", pretty=True)
        )

    @cached_property
    def placeholders(self) -> frozenset[str]:
        """``$name`` parameters the expanded query uses."""
        return frozenset(
            self.cached("placeholders", lambda: sorted(self._placeholders(self.expanded_tree)))
        )

    @cached_property
    def lake_reads(self) -> int:
        """How many times the expanded query reads one of :data:`SHARED_VIEWS`."""

        def compute() -> int:
            ctes = {c.alias_or_name for c in self.expanded_tree.find_all(exp.CTE)}
            return sum(
                1
                for t in self.expanded_tree.find_all(exp.Table)
                if t.name in SHARED_VIEWS and t.name not in ctes and not t.db
            )

        return self.cached("lake_reads", compute)

    def sql_reading(self, tables: Mapping[str, str]) -> str:
        """The expanded SQL with each view of ``tables`` read from the table it names
        (:func:`share_views`)."""
        if not tables:
            return self.expanded_sql
        # cached with a token per view (table names change from run to run)
        token = {view: f"__ocpiwh_reading_{view}__" for view in tables}

        def compute() -> str:
            tree = self.expanded_tree.copy()
            ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
            for t in tree.find_all(exp.Table):
                if t.name in token and t.name not in ctes and not t.db:
                    t.set("this", exp.to_identifier(token[t.name]))
            return tree.sql(dialect="duckdb", pretty=True)

        sql = self.cached(f"reading({','.join(sorted(token))})", compute)
        for view, table in tables.items():
            sql = sql.replace(token[view], table)
        return sql

    @staticmethod
    def _placeholders(sql_or_tree: str | exp.Expr) -> set[str]:
        tree = (
            sqlglot.parse_one(sql_or_tree, read="duckdb")
            if isinstance(sql_or_tree, str)
            else sql_or_tree
        )
        return {p.name for p in tree.find_all(exp.Placeholder) if p.name}

    # -- parameters --

    def signature(self) -> str:
        return ", ".join(f"{p.name} ({p.type_label})" for p in self.all_params.values()) or "none"

    def bind(self, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Validate and type ``values`` (text or Python); fill defaults. UsageError if wrong."""
        params = self.all_params
        values = dict(values or {})
        unknown = sorted(set(values) - set(params))
        if unknown:
            raise UsageError(
                f"model {self.name} has no parameter {', '.join(map(repr, unknown))}; "
                f"valid: {self.signature()}"
            )
        bound: dict[str, Any] = {}
        for name, param in params.items():
            if name not in values:
                bound[name] = param.default
                continue
            try:
                bound[name] = param.parse(values[name])
            except (ValueError, TypeError):
                raise UsageError(
                    f"parameter {name} of model {self.name} must be a {param.type_label}, "
                    f"got {values[name]!r}; valid: {self.signature()}"
                ) from None
        return bound

    # -- running --

    def run(
        self,
        con: duckdb.DuckDBPyConnection,
        params: Mapping[str, Any] | None = None,
        *,
        shared: Mapping[str, str] | None = None,
    ) -> pa.Table:
        """Run on a connection from :func:`ocpiwh.warehouse.connect`; values are bound.

        A model reading the lake's location views more than once reads them once
        (:func:`share_views`); ``shared``: tables the caller already made that way."""
        bound = self.bind(params)
        values = {k: bound[k] for k in self.placeholders}
        if shared is not None:
            return warehouse.run_sql(con, self.sql_reading(shared), values)
        if self.lake_reads < 2:
            return warehouse.run_sql(con, self.expanded_sql, values)
        tables = share_views(con, self.views)
        try:
            return warehouse.run_sql(con, self.sql_reading(tables), values)
        finally:
            drop_shared(con, tables)

    def run_audits(
        self,
        con: duckdb.DuckDBPyConnection,
        params: Mapping[str, Any] | None = None,
        result: pa.Table | None = None,
    ) -> dict[str, pa.Table]:
        """Each audit's failing rows (empty tables when the model passes)."""
        bound = self.bind(params)
        if result is None:
            result = self.run(con, params)
        out: dict[str, pa.Table] = {}
        con.register(self.name, result)
        try:
            for name, sql in self.audits.items():
                used = self._placeholders(sql)
                out[name] = warehouse.run_sql(con, sql, {k: bound[k] for k in used})
        finally:
            con.unregister(self.name)
        return out

    # -- lineage and dialects --

    def lineage(
        self, schema: Mapping[str, Mapping[str, str]] | None = None
    ) -> dict[str, set[tuple[str, str]]]:
        """Output column → the (view, column) pairs that feed it (through model dependencies)."""
        from sqlglot.lineage import lineage as column_lineage

        schema = dict(schema or view_schema())
        sources = {d: self.registry[d].tree.sql(dialect="duckdb") for d in self.model_dependencies}
        # output columns: expand stars against the schema (dependencies' outputs included)
        full_schema: dict[str, object] = dict(schema)
        for dep in self.model_dependencies:
            full_schema[dep] = {c: "UNKNOWN" for c in self.registry[dep].output_columns(schema)}
        outputs = self.output_columns(schema)
        result: dict[str, set[tuple[str, str]]] = {}
        for column in outputs:
            try:
                node = column_lineage(
                    column, self.sql, schema=full_schema, sources=sources, dialect="duckdb"
                )
            except Exception as exc:  # sqlglot cannot trace every construct
                raise OcpiwhError(f"model {self.name}: no lineage for {column}: {exc}") from None
            feeds: set[tuple[str, str]] = set()
            for n in node.walk():
                if n.downstream or not isinstance(n.source, exp.Table):
                    continue
                table = n.source.name
                col = n.name.split(".")[-1]
                if table in schema and col != "*":
                    feeds.add((table, col))
            result[column] = feeds
        return result

    def output_columns(self, schema: Mapping[str, Mapping[str, str]] | None = None) -> list[str]:
        """The names of the model's columns, stars expanded against ``schema`` (default: the
        views', and then kept in :mod:`ocpiwh.modelcache`: sqlglot's qualify costs 0.1–0.5 s
        a model, paid by every feed, stream and get that resolves one)."""
        if schema is None:
            return self.cached("output_columns", lambda: self._output_columns(view_schema()))
        return self._output_columns(schema)

    def _output_columns(self, schema: Mapping[str, Mapping[str, str]]) -> list[str]:
        from sqlglot.optimizer.qualify import qualify

        schema = dict(schema)
        full: dict[str, object] = dict(schema)
        for dep in self.model_dependencies:
            full[dep] = {c: "UNKNOWN" for c in self.registry[dep].output_columns(schema)}
        tree = qualify(
            self.tree.copy(), schema=full, dialect="duckdb", validate_qualify_columns=False
        )
        if not isinstance(tree, exp.Query):
            return []
        return [s.alias_or_name for s in tree.selects]

    def compile(self, dialect: str) -> tuple[str, list[str]]:
        """SQL for another engine (dependencies inlined) and sqlglot's warnings about it."""
        return compile(self, dialect)


def compile(model: Model, dialect: str) -> tuple[str, list[str]]:
    """Transpile ``model`` to ``dialect`` with sqlglot; returns (sql, warnings).

    Transpiling is syntax-level: views must exist on the target engine with the same names
    and columns, and the result must be tested there. Parameters stay placeholders in the
    target's syntax; a name the target cannot parse (``:from`` in Spark) becomes ``p_<name>``.
    """
    from sqlglot.dialects.dialect import Dialect

    try:
        target = Dialect.get_or_raise(dialect)
    except ValueError:
        raise UsageError(f"unknown dialect {dialect!r}; try one of {', '.join(DIALECTS)}") from None
    tree = model.expanded_tree.copy()
    from ocpiwh.scaleout.transforms import transform  # dialect fixes (Spark, Trino families)

    tree = transform(tree, dialect)
    warnings: list[str] = []

    def generate(t: exp.Expr) -> tuple[str, list[str]]:
        gen = target.generator(unsupported_level=ErrorLevel.IGNORE, pretty=True)
        return gen.generate(t, copy=True), list(gen.unsupported_messages)

    sql, unsupported = generate(tree)
    try:
        sqlglot.parse_one(sql, read=target)
    except ParseError:
        renamed = sorted(model._placeholders(tree))
        for p in tree.find_all(exp.Placeholder):
            if p.name:
                p.set("this", f"p_{p.name}")
        sql, unsupported = generate(tree)
        warnings.append(
            "parameters renamed for this dialect: " + ", ".join(f"{n} → p_{n}" for n in renamed)
        )
    warnings.extend(unsupported)
    return sql, warnings


# -- reading the lake once ---------------------------------------------------------------------

SHARED_VIEWS: tuple[str, ...] = ("locations", "evses", "connectors")
"""Views of the lake's current locations. Each reference to one of them re-reads the raw
Parquet and deduplicates it (a window over every version): a model reading them several
times (irve_statique: seven) reads them once into temporary tables instead."""
SHARED_PREFIX = "_shared_"
_SHARED_RUNS = itertools.count()


@cache
def _view_reading(name: str, source: str) -> str:
    """The SELECT of view ``name`` with ``locations`` read from table ``source``."""
    tree = sqlglot.parse_one(warehouse.view_sql(name), read="duckdb")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    for t in tree.find_all(exp.Table):
        if t.name == "locations" and t.name not in ctes:
            t.set("this", exp.to_identifier(source))
    return tree.sql(dialect="duckdb")


def share_views(con: duckdb.DuckDBPyConnection, views: Iterable[str]) -> dict[str, str]:
    """Read the current locations once into temporary tables, for the :data:`SHARED_VIEWS`
    among ``views``: ``{view: table}`` (same rows and columns as the view; for
    :meth:`Model.sql_reading`), ``locations`` always included (the others are made from it).
    Names are new on each call (a model run inside an export makes its own); drop them with
    :func:`drop_shared`."""
    wanted = [v for v in SHARED_VIEWS if v in set(views)]
    if not wanted:
        return {}
    prefix = f"{SHARED_PREFIX}{next(_SHARED_RUNS)}_"
    made = {"locations": prefix + "locations"}
    try:
        con.execute(f"CREATE TEMP TABLE {made['locations']} AS SELECT * FROM locations")
        for view in wanted:
            if view != "locations":
                made[view] = prefix + view
                body = _view_reading(view, made["locations"])
                con.execute(f"CREATE TEMP TABLE {made[view]} AS {body}")
    except duckdb.Error as exc:
        drop_shared(con, made)
        detail = " ".join(str(exc).split())[:300]
        raise OcpiwhError(f"could not read the locations: {detail}") from None
    return made


def drop_shared(con: duckdb.DuckDBPyConnection, tables: Mapping[str, str]) -> None:
    """Drop the tables of :func:`share_views`."""
    for table in tables.values():
        con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")


# -- loading ---------------------------------------------------------------------------------


@cache
def sql_functions() -> dict[str, str]:
    """``name → body`` of every function of :data:`FUNCTIONS_FILE`; the body is DuckDB SQL
    with ``{}`` where the argument goes."""
    functions: dict[str, str] = {}
    for line in (models_dir() / FUNCTIONS_FILE).read_text().splitlines():
        if not line.strip() or line.startswith("--"):
            continue
        m = _FUNCTION_RE.match(line.strip())
        if not m:
            raise OcpiwhError(f"{FUNCTIONS_FILE}: malformed line {line!r} (name(arg) = expression)")
        body = sqlglot.parse_one(m["body"], read="duckdb")
        for column in list(body.find_all(exp.Column)):
            if not column.table and column.name == m["arg"]:
                column.replace(exp.column("__arg__"))
        text = body.sql(dialect="duckdb").replace("{", "{{").replace("}", "}}")
        functions[m["name"]] = text.replace("__arg__", "({})")
    return functions


def _argument(sql: str, start: int, where: str) -> tuple[str, int]:
    """The text of a call's argument list from ``start`` (just after the ``(``) and the index
    after its ``)``: parentheses balanced, quoted strings and identifiers skipped."""
    depth, i = 0, start
    while i < len(sql):
        c = sql[i]
        if c in "'\"":
            close = sql.find(c, i + 1)
            while close != -1 and sql[close + 1 : close + 2] == c:  # '' / "" escapes
                close = sql.find(c, close + 2)
            if close == -1:
                break
            i = close
        elif c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                return sql[start:i], i + 1
            depth -= 1
        i += 1
    raise OcpiwhError(f"{where}: unbalanced parentheses in a function call")


def inline_functions(sql: str, where: str) -> str:
    """``sql`` with every call of a function of :func:`sql_functions` replaced by its body
    (the argument substituted), as text: the rest of the query is left exactly as written."""
    for name, body in sql_functions().items():
        call = re.compile(rf"\b{name}\s*\(", re.IGNORECASE)
        while m := call.search(sql):
            arg, end = _argument(sql, m.end(), where)
            if not arg.strip() or _top_level_comma(arg):
                raise OcpiwhError(f"{where}: {name}() takes one argument")
            sql = sql[: m.start()] + body.format(arg.strip()) + sql[end:]
    return sql


def _top_level_comma(arg: str) -> list[int]:
    """Where ``arg`` has a comma outside parentheses and quotes (two arguments)."""
    found: list[int] = []
    depth, quote = 0, ""
    for i, c in enumerate(arg):
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            found.append(i)
    return found


def _split_header(text: str) -> tuple[list[str], str]:
    header: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines) and (lines[i].startswith("--") or not lines[i].strip()):
        if lines[i].startswith("--"):
            header.append(lines[i][2:].strip())
        i += 1
    return header, "\n".join(lines[i:])


def _parse_audit_file(path: Path) -> dict[str, str]:
    audits: dict[str, str] = {}
    current: str | None = None
    body: list[str] = []
    for line in path.read_text().splitlines():
        m = _AUDIT_RE.match(line[2:].strip()) if line.startswith("--") else None
        if m:
            if current:
                audits[current] = "\n".join(body).strip().rstrip(";")
            current, body = m["name"], [m["sql"]] if m["sql"] else []
        elif current:
            body.append(line)
    if current:
        audits[current] = "\n".join(body).strip().rstrip(";")
    return audits


def parse_model(path: Path) -> Model:
    """Read one model file (and its sibling ``.audits.sql``)."""
    name = path.name.removesuffix(".sql")
    header, body = _split_header(path.read_text())
    description: list[str] = []
    grain = ""
    params: dict[str, Param] = {}
    audits: dict[str, str] = {}
    last: list[str] | None = None
    for line in header:
        if line.startswith("@param"):
            p = _parse_param(line, path.name)
            params[p.name] = p
            last = None
        elif line.startswith("@audit"):
            m = _AUDIT_RE.match(line)
            if not m or not m["sql"]:
                raise OcpiwhError(
                    f"{path.name}: malformed audit line {line!r}",
                    hint="expected: @audit name: SELECT … (failing rows)",
                )
            audits[m["name"]] = m["sql"].rstrip(";")
            last = None
        elif line.lower().startswith("description:"):
            description = [line.split(":", 1)[1].strip()]
            last = description
        elif line.lower().startswith("grain:"):
            grain = line.split(":", 1)[1].strip()
            last = None
        elif line and last is not None:
            last.append(line)
    sibling = path.with_name(f"{name}.audits.sql")
    if sibling.exists():
        audits.update(_parse_audit_file(sibling))
    if not body.strip():
        raise OcpiwhError(f"{path.name} has no query after its header")
    return Model(
        name=name,
        path=path,
        description=" ".join(description),
        grain=grain,
        params=params,
        sql=inline_functions(body.strip().rstrip(";"), path.name),
        audits=audits,
    )


def load_models(directory: Path | None = None) -> dict[str, Model]:
    """Every model of ``sql/models`` (or ``directory``), by name."""
    folder = directory or models_dir()
    key = modelcache.files_key(folder)
    registry: dict[str, Model] = {}
    for path in sorted(folder.glob("*.sql")):
        if path.name.endswith(".audits.sql"):
            continue
        model = parse_model(path)
        model.cache_key = key
        registry[model.name] = model
    for model in registry.values():
        model.registry = registry
    return registry


def get_model(name: str, models: Mapping[str, Model] | None = None) -> Model:
    models = models if models is not None else load_models()
    try:
        return models[name]
    except KeyError:
        raise UsageError(
            f"no model named {name!r}; models: {', '.join(sorted(models)) or 'none'}"
        ) from None


@cache
def view_schema() -> dict[str, dict[str, str]]:
    """{view: {column: type}} of every public view (from an empty warehouse: types are fixed
    by the view definitions, so it is kept in :mod:`ocpiwh.modelcache` under their hash)."""
    import tempfile

    def compute() -> dict[str, dict[str, str]]:
        with tempfile.TemporaryDirectory() as empty:
            con = warehouse.connect(Path(empty), read_only=False)
            try:
                return {v: dict(warehouse.describe_view(con, v)) for v in warehouse.view_order()}
            finally:
                con.close()

    return warehouse.definitions_cache().get("view_schema", compute)


def check_models(models: Iterable[Model]) -> list[str]:
    """Problems a model file can have that only show when run: undeclared parameters…"""
    problems = []
    views = set(warehouse.view_order())
    for model in models:
        declared = set(model.all_params)
        for name in sorted(model._placeholders(model.expanded_tree) - declared):
            problems.append(f"{model.name}: ${name} is used but not declared")
        for table in sorted(model.views - views):
            problems.append(f"{model.name}: reads {table!r}, which is neither a view nor a model")
    return problems
