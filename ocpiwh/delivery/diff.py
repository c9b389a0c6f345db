"""The rows of a relation new, changed or removed between two cursors.

The relation is evaluated twice on one connection, on the lake as of ``before`` and as of
``after`` (:func:`ocpiwh.delivery.cursor.time_travel`); both results stay in DuckDB (temp
tables, spilled to disk when large). A row of ``after`` absent, whole, from ``before`` is
*new* when its key was not there, *changed* when it was (a new version of the key); a key of
``before`` absent from ``after`` is *removed*: a tombstone row holding the key only. Without
a key, rows are compared whole (a row that differs is a new row and the old one removed).

Both evaluations read only rows whose batch is within a cursor, so the outcome depends on
the two cursors, the SQL and its parameters alone: run again later, it is the same rows
(this is what makes a feed's delivery rebuildable byte for byte).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from ocpiwh.delivery.cursor import set_cursor
from ocpiwh.delivery.relations import Relation
from ocpiwh.sqltext import identifier

CHANGE = "_change"
"""Column of a delivery saying new, changed or removed."""


@dataclass
class Counts:
    new: int = 0
    changed: int = 0
    removed: int = 0

    @property
    def rows(self) -> int:
        return self.new + self.changed + self.removed


def diff(
    con: duckdb.DuckDBPyConnection,
    rel: Relation,
    before: Mapping[str, str],
    after: Mapping[str, str],
    table: str = "_delivery",
) -> Counts:
    """Create temp table ``table`` (``_change`` then the relation's columns) on ``con``,
    which :func:`~ocpiwh.delivery.cursor.time_travel` prepared."""
    params = rel.params or None
    set_cursor(con, before)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _before AS {rel.sql}", params)
    set_cursor(con, after)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _after AS {rel.sql}", params)
    cols = ", ".join(identifier(c) for c in rel.columns)
    key = rel.key or rel.columns
    keys = ", ".join(identifier(c) for c in key)

    def same(a: str, b: str) -> str:
        return " AND ".join(
            f"{a}.{identifier(c)} IS NOT DISTINCT FROM {b}.{identifier(c)}" for c in key
        )

    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _fresh AS "
        f"SELECT {cols} FROM _after EXCEPT SELECT {cols} FROM _before"
    )
    # the outer SELECT restores the relation's column order, whatever UNION BY NAME made of it
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {identifier(table)} AS
SELECT {CHANGE}, {cols} FROM (
    SELECT
        CASE WHEN EXISTS (SELECT 1 FROM _before AS b WHERE {same("b", "f")})
            THEN 'changed' ELSE 'new' END AS {CHANGE},
        f.*
    FROM _fresh AS f
    UNION ALL BY NAME
    SELECT 'removed' AS {CHANGE}, g.*
    FROM (SELECT DISTINCT {keys} FROM _before) AS g
    WHERE NOT EXISTS (SELECT 1 FROM _after AS a WHERE {same("a", "g")})
)"""
    )
    counts = Counts()
    for change, n in con.execute(
        f"SELECT {CHANGE}, count(*) FROM {identifier(table)} GROUP BY ALL"
    ).fetchall():
        setattr(counts, str(change), int(n))
    for tmp in ("_before", "_after", "_fresh"):
        con.execute(f"DROP TABLE IF EXISTS {tmp}")
    return counts
