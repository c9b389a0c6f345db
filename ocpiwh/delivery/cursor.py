"""A cursor: a position in the lake's commit history, and the lake as it was there.

A cursor maps ``source/module`` to the greatest batch id of that module committed at that
moment. Batch ids sort by the time they were made, and a module's windows are fetched and
committed one after the other, so within one (source, module) every batch committed later
has a greater id: "the rows of batches after the cursor" is exactly "what was committed
since". Modules of a source sync in parallel, hence one position per module, not one id.

Rows keep their ``_batch_id`` through compaction, so the lake *as of* a cursor is the rows
of the committed files whose batch is at or before the cursor's entry for their source and
module: :func:`time_travel` rebinds the internal ``_raw_<module>`` views that way, and every
view and model on the connection then reads that past state (``set_cursor`` moves it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import duckdb

from ocpiwh import lake, warehouse
from ocpiwh.lake import Store, manifests
from ocpiwh.paths import MODULES

Cursor = dict[str, str]
"""``"source/module"`` → last committed batch id (absent: nothing of it yet)."""

_TIME_TRAVEL_MODULES: tuple[str, ...] = (*MODULES, lake.REMOVED)


def _key(source: str, module: str) -> str:
    return f"{source}/{module}"


def connect(store: Store, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """:func:`ocpiwh.warehouse.connect` then :func:`time_travel` (closed if that fails).

    The views are built on the connection, never the stored ones: time travel rebinds the
    ``_raw_<module>`` views they read, which views stored in warehouse.duckdb would ignore."""
    con = warehouse.connect(store, read_only=read_only, stored=False)
    try:
        time_travel(con, store)
    except BaseException:
        con.close()
        raise
    return con


def time_travel(con: duckdb.DuckDBPyConnection, store: Store) -> None:
    """Rebind ``_raw_<module>`` on ``con`` (from :func:`ocpiwh.warehouse.connect`) to the
    committed files of this moment (one consistent snapshot of the manifests), filtered by
    the table ``_cursor``. Until :func:`set_cursor` is called, nothing is visible."""
    states = manifests(store)
    con.execute(
        "CREATE OR REPLACE TABLE _cursor (source VARCHAR, module VARCHAR, batch_id VARCHAR)"
    )
    for module in _TIME_TRAVEL_MODULES:
        con.execute(
            f"CREATE OR REPLACE VIEW _lake_raw_{module} AS "
            + warehouse.raw_view_sql(store, module, states)
        )
        owner = "r.module" if module == lake.REMOVED else f"'{module}'"
        con.execute(
            f"CREATE OR REPLACE VIEW _raw_{module} AS SELECT r.* FROM _lake_raw_{module} AS r "
            f"JOIN _cursor AS c ON c.source = r._source AND c.module = {owner} "
            "WHERE r._batch_id <= c.batch_id"
        )


def current(con: duckdb.DuckDBPyConnection, modules: Iterable[str]) -> Cursor:
    """The cursor of everything committed that ``con``'s :func:`time_travel` views can see,
    for ``modules`` (tombstones count for the module they remove from)."""
    wanted = {m for m in modules if m in MODULES}  # quarantine has no cursor: not delivered
    out: Cursor = {}

    def take(source: str, module: str, batch: str | None) -> None:
        k = _key(source, module)
        if batch is not None and (k not in out or batch > out[k]):
            out[k] = batch

    for module in sorted(wanted):
        for source, batch in con.execute(
            f"SELECT _source, max(_batch_id) FROM _lake_raw_{module} GROUP BY ALL"
        ).fetchall():
            take(str(source), module, batch)
    if wanted:
        for source, module, batch in con.execute(
            "SELECT _source, module, max(_batch_id) FROM _lake_raw_removed "
            "WHERE list_contains($m, module) GROUP BY ALL",
            {"m": sorted(wanted)},
        ).fetchall():
            take(str(source), str(module), batch)
    return dict(sorted(out.items()))


def set_cursor(con: duckdb.DuckDBPyConnection, cursor: Mapping[str, str]) -> None:
    """Make ``con``'s views read the lake as of ``cursor``."""
    con.execute("DELETE FROM _cursor")
    rows = []
    for k, batch in sorted(cursor.items()):
        source, _, module = k.rpartition("/")
        rows.append((source, module, batch))
    if rows:
        con.executemany("INSERT INTO _cursor VALUES (?, ?, ?)", rows)


def batch_time(batch_id: str) -> datetime:
    """When a batch was made (its id starts with UTC time to the microsecond)."""
    return datetime.strptime(batch_id[:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)


def cursor_time(cursor: Mapping[str, str]) -> datetime | None:
    """The time of the latest batch of ``cursor`` (None: empty)."""
    return max((batch_time(b) for b in cursor.values()), default=None)


def advanced(before: Mapping[str, str], after: Mapping[str, str]) -> bool:
    """Has any module committed since ``before``?"""
    return any(b > before.get(k, "") for k, b in after.items())


def signature(store: Store, modules: Iterable[str]) -> tuple[tuple[str, str, str, int], ...]:
    """A cheap fingerprint of the manifests of ``modules`` (module state files only): it
    changes whenever one of them commits. Polled by ``get --follow`` and ``feed run --watch``."""
    wanted = set(modules)
    return tuple(
        (source, module, st.updated_at.isoformat() if st.updated_at else "", len(st.files or []))
        for (source, module), st in sorted(manifests(store).items())
        if module in wanted
    )
