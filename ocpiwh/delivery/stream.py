"""``ocpiwh get``: a view, module or model as JSON lines on standard output.

First the relation's rows of the last commit (``--since``: whose time column is at or after
T), then, with ``follow``, the rows each later commit brings, until interrupted. Following
polls the module state files (a few small JSON reads) every ``interval``; when one changed,
a new connection reads the new commit and writes:

* module views (``sessions``…) and their ``_history``: the rows of batches committed after
  the last one written whose version (key and ``last_updated``) the lake did not hold before
  — a re-fetched, unchanged version is not written twice;
* any other view or model: the rows new or changed between the two commits
  (:mod:`ocpiwh.delivery.diff`; removed keys are not written).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from ocpiwh import warehouse
from ocpiwh.delivery import cursor as cur
from ocpiwh.delivery.diff import CHANGE, diff
from ocpiwh.delivery.jsonlines import Sink, json_columns, stream_query
from ocpiwh.delivery.relations import Relation, resolve
from ocpiwh.errors import UsageError
from ocpiwh.export import pseudonymous_feeds
from ocpiwh.lake import Location, Store, open_store
from ocpiwh.sqltext import identifier


@dataclass
class GetResult:
    rows: int = 0
    commits: int = 0
    """Commits followed after the first snapshot."""


def _since_filter(rel: Relation, since: datetime | None) -> tuple[str, dict[str, Any]]:
    if since is None:
        return "", {}
    if rel.time_column is None:
        raise UsageError(
            f"{rel.name} has no time column for --since",
            hint="filter with the model's parameters (--param from=…) instead",
        )
    return f" WHERE {identifier(rel.time_column)} >= $get_since", {"get_since": since}


def _version_module(rel: Relation) -> str | None:
    """The module of a module view or its history (rows keyed by id and last_updated)."""
    if rel.kind != "view":
        return None
    base = rel.name.removesuffix("_history")
    return base if base in warehouse.MODULE_VIEWS else None


def get(
    root: Location | Store,
    name: str,
    sink: Sink,
    params: Mapping[str, Any] | None = None,
    *,
    since: datetime | None = None,
    follow: bool = False,
    interval: float = 2.0,
    notice: Callable[[str], None] = lambda _: None,
    polls: int | None = None,
) -> GetResult:
    """Write ``name``'s rows to ``sink``; with ``follow``, then each commit's new rows.

    ``notice`` receives the one-line warnings for stderr (pseudonymized columns); ``polls``
    bounds the follow loop (tests; None: until interrupted or the pipe closes).
    """
    store = open_store(root)
    rel = resolve(store, name, params)
    pseudo = pseudonymous_feeds(name)
    if pseudo:
        notice(
            f"{name} carries pseudonymized columns ({', '.join(pseudo)}): keyed pseudonyms, "
            "not anonymous data; `export` and feeds refuse them, `get` writes them for you"
        )
    where, extra = _since_filter(rel, since)
    params_all = {**rel.params, **extra}
    sql = f"SELECT * FROM ({rel.sql}){where}"
    result = GetResult()
    con = cur.connect(store)
    try:
        position = cur.current(con, rel.modules)
        cur.set_cursor(con, position)
        json_cols = json_columns(con, sql, params_all)
        result.rows += stream_query(con, sql, params_all, sink, json_cols)
    finally:
        con.close()
    if not follow:
        return result
    seen = cur.signature(store, rel.modules)
    n = 0
    while polls is None or n < polls:
        n += 1
        sink.wait(interval)
        now_seen = cur.signature(store, rel.modules)
        if now_seen == seen:
            continue
        seen = now_seen
        con = cur.connect(store)
        try:
            after = cur.current(con, rel.modules)
            if not cur.advanced(position, after):
                continue
            result.rows += _write_new(con, rel, position, after, where, params_all, sink, json_cols)
            result.commits += 1
            position = after
        finally:
            con.close()
    return result


def _write_new(
    con: duckdb.DuckDBPyConnection,
    rel: Relation,
    before: Mapping[str, str],
    after: Mapping[str, str],
    where: str,
    params: dict[str, Any],
    sink: Sink,
    json_cols: frozenset[str],
) -> int:
    module = _version_module(rel)
    if module is None:
        diff(con, rel, before, after, "_get_new")
        cols = ", ".join(identifier(c) for c in rel.columns)
        sql = f"SELECT {cols} FROM _get_new WHERE {CHANGE} <> 'removed'"
        if where:
            sql = f"SELECT * FROM ({sql}){where}"
        # the model's own parameters were bound by diff(); only --since's remains
        since = {k: v for k, v in params.items() if k == "get_since"}
        return stream_query(con, sql, since, sink, json_cols)
    cur.set_cursor(con, after)
    con.execute("CREATE OR REPLACE TEMP TABLE _prev (source VARCHAR, batch_id VARCHAR)")
    prev = [(k.rpartition("/")[0], b) for k, b in before.items() if k.endswith(f"/{module}")]
    if prev:
        con.executemany("INSERT INTO _prev VALUES (?, ?)", prev)
    sql = f"""
SELECT v.* FROM ({rel.sql}) AS v
WHERE v._batch_id > coalesce((SELECT p.batch_id FROM _prev AS p WHERE p.source = v._source), '')
    AND NOT EXISTS (
        SELECT 1 FROM _lake_raw_{module} AS o JOIN _prev AS p ON p.source = o._source
        WHERE o._batch_id <= p.batch_id AND o._source = v._source
            AND o.country_code = v.country_code AND o.party_id = v.party_id
            AND o.id = v.id AND o.last_updated = v.last_updated
    )"""
    if where:
        sql = f"SELECT * FROM ({sql}){where}"
    return stream_query(con, sql, params, sink, json_cols)
