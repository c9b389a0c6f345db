"""SQL text built from values: string literals and quoted identifiers, one quoting rule for
every place that writes SQL around a path or a name.

DuckDB's are rendered without sqlglot, whose import (80–95 ms) a sync would pay for nothing
else: a literal by DuckDB's own expression renderer (``duckdb.ConstantExpression``), an
identifier in the SQL standard's delimited form (in double quotes, an inner one doubled),
which is what sqlglot renders for DuckDB. ``tests/test_sqltext.py`` checks both against
sqlglot's rendering and against DuckDB reading them back. Other dialects (Spark, Trino: the
scale-out SQL) go through sqlglot's renderer.
"""

from __future__ import annotations

from os import PathLike

import duckdb


def literal(value: str | PathLike[str], dialect: str = "duckdb") -> str:
    """``value`` as a string literal of ``dialect`` (DuckDB: ``'it''s'``, Spark: ``'it\\'s'``)."""
    if dialect == "duckdb":
        return str(duckdb.ConstantExpression(str(value)))
    from sqlglot import exp  # the other dialects only (see the module docstring)

    return str(exp.Literal.string(str(value)).sql(dialect=dialect))


def identifier(name: str, dialect: str = "duckdb") -> str:
    """``name`` as a quoted identifier of ``dialect`` (DuckDB: ``"a""b"``, Spark: ```a```)."""
    if dialect == "duckdb":
        return '"' + name.replace('"', '""') + '"'
    from sqlglot import exp  # the other dialects only (see the module docstring)

    return str(exp.to_identifier(name, quoted=True).sql(dialect=dialect))
