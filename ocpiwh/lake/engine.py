"""The DuckDB instances of the write path: one capped instance types every batch of a
process; capped single-threaded connections do the lake's housekeeping.

A sync's memory must stay bounded by its batch, whatever the dataset: every DuckDB here has a
memory cap and spills to a temporary folder beyond it.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ocpiwh.lake.layout import (
    PARTITIONED_BY_START,
    UNPADDED_SEARCH_PATH,
    normalize_macros,
    normalize_sql,
    unpadded_macros,
)
from ocpiwh.paths import MODULES

ENGINE_MEMORY = os.environ.get("OCPIWH_DUCKDB_MEMORY", "96MB")
"""Cap of the DuckDB instance that types batches (it spills beyond): keeps a sync's memory
bounded by the batch, whatever the dataset."""

_engine_lock = threading.Lock()
typing_lock = threading.Lock()
"""One batch in DuckDB at a time: concurrent batches would multiply its working memory."""
_engine: duckdb.DuckDBPyConnection | None = None
_engine_users = 0


def _shared_engine() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB instance for all normalizing threads of the process (call with
    ``_engine_lock`` held).

    Each instance has its own buffer pool and allocator; one shared instance (a cursor per
    thread) keeps the sync's native memory bounded by one cap, not one per module.
    """
    global _engine
    if _engine is None:
        _engine = housekeeping_connection(ENGINE_MEMORY)
        _engine.execute(normalize_macros())
        _engine.execute(unpadded_macros())
    return _engine


def release_engine() -> None:
    """Close the shared typing instance if no :class:`Normalizer` uses it (the end of a
    sync), so that its buffer pool is returned before compaction opens its own DuckDB."""
    global _engine
    with _engine_lock:
        if _engine is not None and _engine_users == 0:
            _engine.close()
            _engine = None


def housekeeping_connection(memory: str = ENGINE_MEMORY) -> duckdb.DuckDBPyConnection:
    """A capped, single-threaded DuckDB in memory, for typing batches and for lake
    housekeeping during a sync (new/updated counts, removal detection, compaction): its
    memory must stay within the sync's bound."""
    con = duckdb.connect(
        config={
            "memory_limit": memory,
            "threads": 1,
            # row order within a batch is irrelevant (views order by last_updated and
            # batch); keeping it would make partitioned COPY buffer the batch
            "preserve_insertion_order": False,
            # an in-memory database cannot spill without it: work over the cap goes to
            # disk instead of failing
            "temp_directory": str(Path(tempfile.gettempdir()) / f"ocpiwh-{os.getpid()}"),
        }
    )
    con.execute("SET TimeZone='UTC'")
    return con


class Normalizer:
    """Types batches in DuckDB; one per thread (a cursor on the shared instance).

    The batch never becomes Python objects: DuckDB scans it as a one-column Arrow table over
    the page buffers (no copy), types it into a temp table (its buffer manager bounds the
    memory), and COPYs it to Parquet.
    """

    def __init__(self) -> None:
        global _engine_users
        with _engine_lock:  # a connection object is not thread-safe, even to make cursors
            self.con = _shared_engine().cursor()
            _engine_users += 1
        self._closed = False
        self.con.execute("SET TimeZone='UTC'")
        self._sql = {m: normalize_sql(m) for m in MODULES}

    def typed_sql(self, module: str, source: str) -> str:
        """The batch in the table or view ``source`` (one column ``_raw``: the objects' JSON
        text) as typed rows with lineage columns (bound parameters
        ``$source $batch_id $fetched_at $version $privacy $platform_cc $platform_party``)
        and, for sessions/CDRs, the year/month partition columns."""
        partition = (
            ", lpad(CAST(year(start_date_time) AS VARCHAR), 4, '0') AS year"
            ", lpad(CAST(month(start_date_time) AS VARCHAR), 2, '0') AS month"
            if module in PARTITIONED_BY_START
            else ""
        )
        batch = f"SELECT CAST(_raw AS VARCHAR) AS _raw FROM {source}"
        normalize = self._sql[module].replace("FROM batch", f"FROM ({batch}) AS batch")
        return f"""SELECT * EXCLUDE (_error, _raw),
                   CAST($source AS VARCHAR) AS _source,
                   CAST($batch_id AS VARCHAR) AS _batch_id,
                   CAST($fetched_at AS TIMESTAMPTZ) AS _fetched_at,
                   CAST($version AS VARCHAR) AS _ocpi_version,
                   CAST($privacy AS VARCHAR) AS _privacy,
                   _raw, _error {partition}
            FROM ({normalize})"""

    @contextmanager
    def macros_for(self, unpadded: bool) -> Iterator[None]:
        """Type with ``trim``-free macros while inside, if the batch is ``unpadded``
        (:attr:`ocpiwh.lake.JsonLines.unpadded`): same rows, ~20 % less work."""
        if not unpadded:
            yield
            return
        self.con.execute(f"SET search_path = '{UNPADDED_SEARCH_PATH}'")  # a constant
        try:
            yield
        finally:
            self.con.execute("RESET search_path")

    def close(self) -> None:
        global _engine_users
        with _engine_lock:
            if not self._closed:
                self._closed = True
                self.con.close()
                _engine_users -= 1
