"""SQL text built from values: string literals and quoted identifiers, through sqlglot's own
renderer (one quoting rule for every place that writes SQL around a path or a name)."""

from __future__ import annotations

from os import PathLike

from sqlglot import exp


def literal(value: str | PathLike[str]) -> str:
    """``value`` as a DuckDB string literal (``'it''s'``)."""
    return str(exp.Literal.string(str(value)).sql(dialect="duckdb"))


def identifier(name: str) -> str:
    """``name`` as a quoted DuckDB identifier (``"a""b"``)."""
    return str(exp.to_identifier(name, quoted=True).sql(dialect="duckdb"))
