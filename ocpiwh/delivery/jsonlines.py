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

from ocpiwh.output import jsonl_batch

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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _as_json_sql(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any], json_cols: Iterable[str]
) -> str | None:
    """``sql`` turned into one JSON text per row by DuckDB itself (``to_json``, in parallel,
    three times faster than Arrow → Python → orjson), with the same rendering: times as
    RFC 3339 text, JSON columns embedded. None when a nested column holds times (DuckDB
    would render those its own way): the Python path then encodes the rows."""
    rel = con.sql(sql, params=params or None)
    embed = set(json_cols)
    exprs = []
    for column, typ in zip(rel.columns, rel.types, strict=True):
        t, q = str(typ).upper(), _quote(column)
        nested = t.endswith("]") or t.startswith(("STRUCT", "MAP", "UNION"))
        if nested and "TIMESTAMP" in t:
            return None
        if t.startswith("TIMESTAMP"):
            expr = (
                f"CASE WHEN epoch_us({q}) % 1000000 = 0 THEN strftime({q}, '%Y-%m-%dT%H:%M:%SZ') "
                f"ELSE strftime({q}, '%Y-%m-%dT%H:%M:%S.%fZ') END"
            )
        elif column in embed and t != "JSON":
            expr = f"CAST({q} AS JSON)"
        elif t in ("DOUBLE", "FLOAT", "REAL"):  # NaN and infinities are not JSON
            expr = f"CASE WHEN isfinite({q}) THEN {q} END"
        else:
            expr = q
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
