"""Which view columns carry pseudonymized data, derived from the privacy policy.

The privacy policy (:func:`ocpiwh.privacy.policy_rows`) says which OCPI fields are replaced
by keyed pseudonyms (``cdr_token.uid``, ``cdr_token.contract_id``, 2.1.1 ``auth_id``, token
``uid``…). ``sql/normalize/<module>.sql`` says which raw column each field becomes; the views
pass raw columns through by name. ``_raw`` (the object as stored) carries the pseudonyms too.
"""

from __future__ import annotations

import re
from functools import cache

import sqlglot
from sqlglot import exp

from ocpiwh import lake, warehouse
from ocpiwh.privacy import Treatment, policy_rows

OPAQUE_COLUMNS: tuple[str, ...] = ("_raw", "payload")
"""Columns holding whole stored objects: pseudonymous when their module has pseudonyms."""


@cache
def pseudonymized_paths() -> dict[str, frozenset[str]]:
    """Module → OCPI field paths the default policy pseudonymizes (every version)."""
    out: dict[str, set[str]] = {}
    for row in policy_rows(None, None):
        if row.treatment == Treatment.PSEUDONYMIZE:
            out.setdefault(row.module, set()).add(row.path)
    return {m: frozenset(p) for m, p in out.items()}


@cache
def raw_pseudonymous_columns(module: str) -> frozenset[str]:
    """Raw (normalized) columns of ``module`` computed from a pseudonymized field."""
    paths = pseudonymized_paths().get(module, frozenset())
    if not paths:
        return frozenset()
    cols: set[str] = set(OPAQUE_COLUMNS)
    try:
        tree = sqlglot.parse_one(lake.normalize_sql(module), read="duckdb")
    except sqlglot.errors.ParseError:  # fall back to the naming convention
        return frozenset(cols | {p.replace(".", "_") for p in paths})
    if not isinstance(tree, exp.Query):
        return frozenset(cols | {p.replace(".", "_") for p in paths})
    for projection in tree.selects:
        text = projection.sql(dialect="duckdb")
        for path in paths:
            if re.search(r"\bo\." + re.escape(path) + r"\b", text):
                cols.add(projection.alias_or_name)
    return frozenset(cols)


def _reads(sql: str) -> set[str]:
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sql))
    return {t.name for t in tree.find_all(exp.Table)}


@cache
def view_modules(view: str) -> frozenset[str]:
    """Raw modules a view reads (``_raw_<module>``), through the views it reads."""
    views = set(warehouse.view_order())
    out: set[str] = set()
    for name in _reads(warehouse.view_sql(view)):
        if name.startswith("_raw_"):
            out.add(name.removeprefix("_raw_"))
        elif name in views and name != view:
            out |= view_modules(name)
    return frozenset(out)


@cache
def pseudonymous_columns() -> dict[str, frozenset[str]]:
    """View → its columns that carry pseudonymized values (views without any are left out)."""
    from ocpiwh.models import view_schema

    out: dict[str, frozenset[str]] = {}
    for view, columns in view_schema().items():
        modules = view_modules(view)
        bad: set[str] = set()
        for module in modules:
            bad |= raw_pseudonymous_columns(module)
        if "quarantine" in modules:
            bad.add("payload")
        hit = frozenset(c for c in columns if c in bad)
        if hit:
            out[view] = hit
    return out
