"""SQL text built from values: string literals and quoted identifiers, through sqlglot's own
renderer (one quoting rule for every place that writes SQL around a path or a name)."""

from __future__ import annotations

from os import PathLike

from sqlglot import exp


def literal(value: str | PathLike[str], dialect: str = "duckdb") -> str:
    """``value`` as a string literal of ``dialect`` (DuckDB: ``'it''s'``, Spark: ``'it\\'s'``)."""
    return str(exp.Literal.string(str(value)).sql(dialect=dialect))


def identifier(name: str, dialect: str = "duckdb") -> str:
    """``name`` as a quoted identifier of ``dialect`` (DuckDB: ``"a""b"``, Spark: ```a```)."""
    return str(exp.to_identifier(name, quoted=True).sql(dialect=dialect))
