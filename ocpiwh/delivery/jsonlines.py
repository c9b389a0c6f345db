"""Rows → JSON lines, one Arrow record batch at a time, onto a stdout that may go away.

Memory stays bounded by one batch whatever the result's size: DuckDB streams record
batches, each is rendered (by DuckDB's ``to_json`` when it can, else by
:func:`ocpiwh.output.jsonl_batch`, the form of every ``jsonl`` output), written and dropped.
Times are RFC 3339 UTC with a ``Z`` (``2026-06-01T08:00:00Z``; fractional seconds only when
there are some); columns without a zone are UTC (every connection runs in UTC). JSON
columns (``_raw``, ``charging_periods``…) are embedded as JSON, not as strings; decimals
keep every digit.
"""

from __future__ import annotations

import os
import select
import sys
from collections.abc import Iterable
from typing import IO, Any

import duckdb
from duckdb.sqltypes import DuckDBPyType

from ocpiwh.output import jsonl_batch
from ocpiwh.sqltext import identifier

BATCH_ROWS = 8192
"""Rows per record batch: small enough that ``| head -1`` returns at once."""

EMBEDDED = frozenset({"_raw"})
"""Text columns always holding JSON the lake itself wrote (the stored object)."""


def json_columns(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> frozenset[str]:
    """Columns of ``sql``'s result holding JSON: typed JSON (DuckDB hands them to Arrow as
    text) and :data:`EMBEDDED`. Quarantine's ``payload`` may be unparseable: it stays text."""
    rel = con.sql(sql, params=params or None)
    return frozenset(
        c
        for c, t in zip(rel.columns, rel.types, strict=True)
        if str(t) == "JSON" or (c in EMBEDDED and str(t) == "VARCHAR")
    )


class PipeClosed(Exception):
    """The reader of our standard output went away (``| head -1``): stop, successfully."""


class Sink:
    """Standard output (or any binary stream) written batch by batch and flushed after each,
    noticing a closed pipe at the next write — or while idle, through :meth:`wait`."""

    def __init__(self, stream: IO[bytes] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout.buffer
        self.rows = 0

    def write(self, data: bytes, rows: int = 0) -> None:
        if not data:
            return
        try:
            self.stream.write(data)
            self.stream.flush()
        except BrokenPipeError:
            raise PipeClosed from None
        self.rows += rows

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds``, returning early with :class:`PipeClosed` when our reader closes
        the pipe (POLLERR on its write end) — ``get --follow | head -3`` ends then, not at
        the next commit."""
        try:
            fd = self.stream.fileno()
        except (AttributeError, OSError, ValueError):
            fd = -1
        if fd < 0 or not hasattr(select, "poll"):
            select.select([], [], [], seconds)
            return
        poller = select.poll()
        poller.register(fd, select.POLLERR | select.POLLHUP)
        if poller.poll(max(0, int(seconds * 1000))):
            raise PipeClosed


def silence_stdout() -> None:
    """After :class:`PipeClosed`: point fd 1 at /dev/null so the interpreter's final flush
    does not fail (and print) a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


_WHOLE = "'%Y-%m-%dT%H:%M:%SZ'"
_FRACTION = "'%Y-%m-%dT%H:%M:%S.%fZ'"


def _for_json(expr: str, typ: DuckDBPyType, depth: int = 0) -> str | None:
    """``expr`` as ``to_json`` must see it to write :func:`ocpiwh.output.jsonl_batch`'s form:
    times as RFC 3339 text, NaN and infinities as null (DuckDB writes ``NaN``, not JSON),
    at any depth (``locations.evses[].connectors[].last_updated``). None: DuckDB cannot
    (intervals; times or floats in a map or union), the Python path renders the rows."""
    kind = typ.id
    if kind.startswith("timestamp"):
        return (
            f"CASE WHEN epoch_us({expr}) % 1000000 = 0 THEN strftime({expr}, {_WHOLE}) "
            f"ELSE strftime({expr}, {_FRACTION}) END"
        )
    if kind in ("float", "double"):
        return f"CASE WHEN isfinite({expr}) THEN {expr} END"
    if kind == "interval":
        return None
    if kind == "list":
        var, child = f"_e{depth}", typ.children[0][1]
        inner = _for_json(var, child, depth + 1) if isinstance(child, DuckDBPyType) else None
        if inner is None or inner == var:
            return None if inner is None else expr
        return f"list_transform({expr}, lambda {var}: {inner})"
    if kind == "struct":
        fields, changed = [], False
        for name, field_type in typ.children:
            get = f"struct_extract({expr}, '{name.replace(chr(39), chr(39) * 2)}')"
            if not isinstance(field_type, DuckDBPyType):
                return None
            inner = _for_json(get, field_type, depth + 1)
            if inner is None:
                return None
            changed |= inner != get
            fields.append(f"{identifier(name)} := {inner}")
        if not changed:
            return expr
        return f"CASE WHEN {expr} IS NOT NULL THEN struct_pack({', '.join(fields)}) END"
    if kind in ("map", "union", "array"):
        t = str(typ).upper()
        return None if any(k in t for k in ("TIMESTAMP", "FLOAT", "DOUBLE", "INTERVAL")) else expr
    return expr


def _as_json_sql(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any], json_cols: Iterable[str]
) -> str | None:
    """``sql`` turned into one JSON text per row by DuckDB itself (``to_json``, in parallel,
    three times faster than Arrow → Python → orjson), with the same rendering
    (:func:`_for_json`; JSON columns embedded). None when DuckDB cannot render a column so:
    the Python path then encodes the rows."""
    rel = con.sql(sql, params=params or None)
    embed = set(json_cols)
    exprs = []
    for column, typ in zip(rel.columns, rel.types, strict=True):
        q = identifier(column)
        if column in embed and str(typ).upper() != "JSON":
            expr: str | None = f"CAST({q} AS JSON)"
        else:
            expr = _for_json(q, typ)
        if expr is None:
            return None
        exprs.append(f"{expr} AS {q}")
    return f"SELECT CAST(to_json(_row) AS VARCHAR) FROM (SELECT {', '.join(exprs)} FROM ({sql})) AS _row"


def stream_query(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: dict[str, Any],
    sink: Sink,
    json_cols: Iterable[str] = (),
) -> int:
    """Run ``sql`` and write its rows to ``sink``; returns how many."""
    cols = tuple(json_cols)
    as_json = _as_json_sql(con, sql, params, cols)
    reader = con.sql(as_json or sql, params=params or None).to_arrow_reader(BATCH_ROWS)
    n = 0
    for batch in reader:
        if as_json is not None:
            lines = batch.column(0).to_pylist()
            data = ("\n".join(lines) + "\n").encode() if lines else b""
        else:
            data = jsonl_batch(batch, cols)
        sink.write(data, batch.num_rows)
        n += batch.num_rows
    return n
