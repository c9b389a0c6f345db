"""Views and models compiled for Spark or Trino: sqlglot transpiling plus our transforms."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, ParseError

from ocpiwh import warehouse
from ocpiwh.errors import UsageError
from ocpiwh.models import Model
from ocpiwh.scaleout.transforms import family, transform

DIALECTS: tuple[str, ...] = ("spark", "trino")


@dataclass(frozen=True)
class Compiled:
    """SQL for a target engine; ``params`` maps its placeholder names to the model's."""

    sql: str
    warnings: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)


def _dialect(name: str) -> Dialect:
    if family(name) is None:
        raise UsageError(f"unknown dialect {name!r}; choose one of {', '.join(DIALECTS)}")
    return Dialect.get_or_raise(name)


def _generate(tree: exp.Expr, target: Dialect, pretty: bool) -> tuple[str, list[str]]:
    gen = target.generator(unsupported_level=ErrorLevel.IGNORE, pretty=pretty)
    return gen.generate(tree, copy=True), list(gen.unsupported_messages)


def compile_tree(tree: exp.Expr, dialect: str, *, pretty: bool = True) -> Compiled:
    """Transform and generate a DuckDB-parsed query; placeholders renamed when needed.

    Same rule as :func:`ocpiwh.models.compile`: ``$name`` stays a named placeholder in the
    target's syntax unless the result does not parse back (``:from`` in Spark): then every
    placeholder becomes ``p_<name>``.
    """
    target = _dialect(dialect)
    tree = transform(tree, dialect)
    names = sorted({p.name for p in tree.find_all(exp.Placeholder) if p.name})
    sql, unsupported = _generate(tree, target, pretty)
    params = {n: n for n in names}
    warnings: list[str] = []
    try:
        sqlglot.parse_one(sql, read=target)
    except ParseError:
        for p in tree.find_all(exp.Placeholder):
            if p.name:
                p.set("this", f"p_{p.name}")
        sql, unsupported = _generate(tree, target, pretty)
        params = {f"p_{n}": n for n in names}
        warnings.append(
            "parameters renamed for this dialect: " + ", ".join(f"{n} → p_{n}" for n in names)
        )
    warnings.extend(unsupported)
    return Compiled(sql, warnings, params)


def compile_model(model: Model, dialect: str) -> Compiled:
    """A model (its model dependencies inlined) for ``dialect``."""
    return compile_tree(model.expanded_tree, dialect)


def compile_view(name: str, dialect: str, *, pretty: bool = True) -> str:
    """The SELECT of public view ``name`` for ``dialect`` (reads ``_raw_<module>`` tables)."""
    tree = sqlglot.parse_one(warehouse.view_sql(name), read="duckdb")
    compiled = compile_tree(tree, dialect, pretty=pretty)
    return compiled.sql
