"""Every view and model compiles for Trino with functions Trino documents (no Trino here).

The functions the compiled SQL calls must be listed in docs/scale-out.md ("Trino functions"),
each with the documented Trino equivalent of what DuckDB does: a new function in a model
fails here until someone checks it against Trino's documentation and lists it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from ocpiwh import afir, models, warehouse
from ocpiwh.scaleout import compile_model, compile_view

DOC = Path(__file__).parents[2] / "docs" / "scale-out.md"
DUCKDB_ONLY = {"TIMEZONE", "GET_CURRENT_TIMESTAMP", "EPOCH", "REGEXP_FULL_MATCH", "TO_JSON"}
DUCKDB_ONLY |= {"PRINTF", "LIST", "STRUCT_EXTRACT", "JSON_EXTRACT_STRING", "FROM_JSON", "LEN"}


def documented() -> set[str]:
    section = DOC.read_text().split("### Trino functions", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)`", section, re.M))


@functools.cache
def functions(sql: str) -> frozenset[str]:
    tree = sqlglot.parse_one(sql, read="trino")
    out: set[str] = set()
    for node in tree.find_all(exp.Func):
        if isinstance(node, exp.Cast | exp.Case | exp.If | exp.Paren | exp.Exists):
            continue
        text = node.sql(dialect="trino")
        match = re.match(r"([A-Z_]+)\(", text)
        if match:
            out.add(match.group(1))
    return frozenset(out)


SOURCES = [("model", m) for m in sorted(models.load_models()) if m not in afir.DUCKDB_ONLY_MODELS]
SOURCES += [("view", v) for v in warehouse.view_order()]


@functools.cache  # each source compiled and parsed once for both tests (sqlglot is slow)
def compiled(kind: str, name: str) -> tuple[str, tuple[str, ...]]:
    if kind == "view":
        return compile_view(name, "trino"), ()
    c = compile_model(models.get_model(name), "trino")
    return c.sql, tuple(w for w in c.warnings if not w.startswith("parameters renamed"))


@pytest.mark.parametrize(("kind", "name"), SOURCES, ids=[f"{k}-{n}" for k, n in SOURCES])
def test_trino_sql_uses_documented_functions(kind: str, name: str) -> None:
    sql, warnings = compiled(kind, name)
    assert warnings == (), f"{name}: sqlglot could not translate: {warnings}"
    used = functions(sql)
    assert not used & DUCKDB_ONLY, f"{name}: DuckDB-only functions left: {used & DUCKDB_ONLY}"
    missing = {f.lower() for f in used} - documented()
    assert not missing, f"{name}: functions not checked against Trino's docs: {sorted(missing)}"


def test_documented_list_is_not_stale() -> None:
    """Every function the docs list is still used somewhere (the list claims only that)."""
    used: set[str] = set()
    for kind, name in SOURCES:
        used |= {f.lower() for f in functions(compiled(kind, name)[0])}
    assert documented() - used == set()
