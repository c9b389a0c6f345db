"""A module's batches: pages → privacy stage → batches handed to a writer thread → the lake.

The fetch workers run :meth:`WindowWriter.prepare` (parse, privacy-filter and serialize a page
in one pass); the module's thread adds prepared pages to the current batch; a full batch goes
to one writer thread per module, which types it in DuckDB and publishes it while the next
batch fills (memory: two batches at most).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pyarrow as pa

from ocpiwh import lake
from ocpiwh.lake import BatchRecord, manifests, parquet_source
from ocpiwh.ocpi import Page
from ocpiwh.privacy import (
    FilterStats,
    ObjectFilter,
    PrivacyProfile,
    compile_filter,
    sanitize_for_quarantine,
)
from ocpiwh.sync.privacy_workers import PrivacyWorkers
from ocpiwh.sync.results import ModuleResult, iso


@dataclass
class Prepared:
    """A fetched page after the privacy stage: what the batch needs, nothing more."""

    count: int
    total: int | None
    raw_size: int
    url: str
    lines: lake.JsonLines
    rejected: list[lake.Rejected]


@dataclass
class ModuleContext:
    """What a module's writer needs of its sync run (no back-reference to the engine)."""

    store: lake.Store
    source: str
    version: str
    platform_party: tuple[str, str]
    profile: PrivacyProfile
    key: bytes
    cpu_lock: threading.Lock
    batch_rows: int
    batch_bytes: int
    workers: PrivacyWorkers | None
    """Worker processes for the privacy stage of large windows (None: always in-process)."""
    privacy_workers_from: int
    """How large a window takes the workers (see :data:`privacy_workers.MIN_OBJECTS`)."""


class WindowWriter:
    """Buffers one module's pages into batches: privacy → JSON → typed Parquet.

    One per module and run; a run may commit several (sub-)windows. ``records`` are the
    batches of the window being fetched (committed by the engine, then cleared);
    ``all_records`` those of the whole run (for the new/updated count).
    """

    def __init__(self, ctx: ModuleContext, module: str, result: ModuleResult) -> None:
        self.sync = ctx
        self.module = module
        self.result = result
        self.version = ctx.version
        self.all_records: list[BatchRecord] = []
        self.bounds: tuple[datetime | None, datetime | None] = (
            result.window_from,
            result.window_to,
        )
        """The (sub-)window being fetched: its batches are recorded with it."""
        self._local = threading.local()
        self._filters: list[ObjectFilter] = []
        self._filters_lock = threading.Lock()
        self._offloaded = FilterStats()
        """The privacy counters of the pages the worker processes filtered."""
        self._seen = 0
        self.writer = lake.LakeWriter(
            ctx.store,
            source=ctx.source,
            module=module,
            platform_party=ctx.platform_party,
            privacy=ctx.profile.fingerprint,
        )
        self.lines = lake.JsonLines()
        self.rejected: list[lake.Rejected] = []
        self.records: list[BatchRecord] = []
        self.keys: list[pa.Table] = []
        self.fetched_at = datetime.now(UTC)
        self.url: str | None = None
        # Batches are typed and written by one background thread per window, so that the
        # fetch workers keep fetching while DuckDB (which releases the GIL) types the last
        # batch. At most one batch is being written while the next one fills: memory stays
        # bounded by two batches.
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"write-{module}")
        self._pending: Future[lake.BatchResult] | None = None
        self._pending_bounds = self.bounds
        self._on_written: Callable[[list[BatchRecord]], None] | None = None
        """The commit of a fetched (sub-)window whose last batch is still being written."""

    def prepare(self, page: Page) -> Prepared:
        """Privacy-filter and serialize one page (thread-safe: a filter per thread).

        Runs in the fetch workers: the page's JSON is parsed here, once, by the privacy
        stage, and only the filtered JSON texts move on; a large window's pages are
        filtered in the worker processes (:mod:`ocpiwh.sync.privacy_workers`), with the
        same output.
        """
        workers = self._workers_for(page)
        lines = lake.JsonLines()
        if workers is not None:
            packed, others, stats = workers.filter_page(self.module, self.version, page.data)
            lines.add_packed(packed)
            with self._filters_lock:
                self._offloaded.merge(stats)
        else:
            f = getattr(self._local, "filter", None)
            if f is None:
                f = compile_filter(self.module, self.version, self.sync.profile, self.sync.key)
                self._local.filter = f
                with self._filters_lock:
                    self._filters.append(f)
            with self.sync.cpu_lock:
                docs, others = f.filter_page(page.data)
            lines.add(docs)
        rejected = [
            lake.Rejected(
                "not a JSON object",
                sanitize_for_quarantine(
                    self.module, self.version, value, self.sync.profile, self.sync.key
                ),
            )
            for value in others
        ]
        url = str(httpx.URL(page.url).copy_with(query=None))
        return Prepared(page.count, page.total, page.raw_size, url, lines, rejected)

    def _workers_for(self, page: Page) -> PrivacyWorkers | None:
        """The worker processes for a module with a large window (by its X-Total-Count) or
        that has fetched many objects this run; None for a small one (starting them would
        cost more than it saves)."""
        workers = self.sync.workers
        if workers is None:
            return None
        with self._filters_lock:
            self._seen += page.count
            seen = self._seen
        return workers if max(seen, page.total or 0) >= self.sync.privacy_workers_from else None

    def add(self, page: Prepared) -> None:
        """Append a prepared page to the current batch; write the batch when it is full."""
        lake.crashpoint("page")
        self.lines.extend(page.lines)
        self.rejected.extend(page.rejected)
        if self.url is None:
            self.url = page.url
        if (
            len(self.lines) + len(self.rejected) >= self.sync.batch_rows
            or self.lines.nbytes >= self.sync.batch_bytes
        ):
            self.flush(wait=False)

    @property
    def stats(self) -> FilterStats:
        """Privacy counters of every worker's filter, merged."""
        total = FilterStats()
        with self._filters_lock:
            total.merge(self._offloaded)
            for f in self._filters:
                total.merge(f.stats)
        return total

    def flush(self, *, wait: bool = True) -> None:
        """Hand the current batch to the writer thread; with ``wait`` (the default), return
        only once every batch handed over so far is in ``raw/`` and recorded."""
        if self.lines or self.rejected:
            self._collect()  # one batch in the writer at a time (bounded memory)
            self._pending_bounds = self.bounds
            self._pending = self._io.submit(
                self.writer.write,
                version=self.version,
                lines=self.lines,
                rejected=self.rejected,
                fetched_at=self.fetched_at,
                url=self.url,
                window_end=iso(self.bounds[1]),
            )
            self.lines, self.rejected = lake.JsonLines(), []
            self.fetched_at = datetime.now(UTC)
        if wait:
            self._collect()

    def commit_when_written(self, commit: Callable[[list[BatchRecord]], None]) -> None:
        """The (sub-)window just fetched is complete: hand it to ``commit`` with its batch
        records once its last batch is written, meanwhile the next window is fetched (the
        commit runs in the thread that hands over the next batch, or that flushes). A
        failure of that batch fails the sync before the commit: the window is fetched again.
        """
        self.flush(wait=False)
        if self._pending is None:
            commit(self.take_records())
        else:
            self._on_written = commit

    def _collect(self) -> None:
        """Wait for the batch being written, if any, and record it (raises its error); then
        run a commit waiting for it (see :meth:`commit_when_written`)."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        try:
            res = pending.result()
        except BaseException:
            self._on_written = None  # that window is not complete: never committed
            raise
        self.result.written += res.rows
        self.result.quarantined += res.quarantined
        if res.keys is not None and self.module in lake.FULL_LISTING:
            self.keys.append(res.keys)
        record = self._record(res, "data", self._pending_bounds)
        self.records.append(record)
        self.all_records.append(record)
        commit, self._on_written = self._on_written, None
        if commit is not None:
            commit(self.take_records())

    def take_records(self) -> list[BatchRecord]:
        """The batches of the window just fetched, handed over for its commit."""
        records, self.records = self.records, []
        return records

    def write_removals(self) -> None:
        """After a complete listing: tombstones for the keys it no longer contains."""
        listed = (
            pa.concat_tables(self.keys)
            if self.keys
            else pa.table({c: pa.array([], pa.string()) for c in lake.KEY_COLUMNS})
        )
        store = self.sync.store
        # this window's files are not committed yet: the manifest lacks them
        window_files = [f for r in self.records for f in r.files]
        states = manifests(store)  # read once
        known = parquet_source(store, f"raw/{self.module}/", window_files, states)
        removed = parquet_source(store, f"raw/{lake.REMOVED}/", states=states)
        has_removed = removed is not None
        if known is None:
            return
        con = lake.housekeeping_connection()
        try:
            store.register(con)
            con.register("listed", listed)
            tomb = (
                f"""SELECT country_code, party_id, id, max(_batch_id) AS b
                    FROM read_parquet({removed})
                    WHERE module = $m AND _source = $s GROUP BY ALL"""
                if has_removed
                else "SELECT NULL::VARCHAR AS country_code, NULL::VARCHAR AS party_id, "
                "NULL::VARCHAR AS id, NULL::VARCHAR AS b WHERE false"
            )
            params: dict[str, str] = {"s": self.sync.source}
            if has_removed:
                params["m"] = self.module
            gone = con.sql(
                f"""
                WITH known AS (
                    SELECT country_code, party_id, id, max(_batch_id) AS b
                    FROM read_parquet({known}, union_by_name = true)
                    WHERE _source = $s GROUP BY ALL
                ), tomb AS ({tomb})
                SELECT k.country_code, k.party_id, k.id FROM known k
                LEFT JOIN tomb t USING (country_code, party_id, id)
                WHERE (t.b IS NULL OR t.b < k.b)
                  AND NOT EXISTS (SELECT 1 FROM listed l WHERE l.country_code = k.country_code
                                  AND l.party_id = k.party_id AND l.id = k.id)
                """,
                params=params,
            ).to_arrow_table()
        finally:
            con.close()
        if gone.num_rows:
            res = self.writer.write_removed(gone, window_end=iso(self.bounds[1]))
            self.result.removed = gone.num_rows
            record = self._record(res, "removed")
            self.records.append(record)
            self.all_records.append(record)

    def _record(
        self,
        res: lake.BatchResult,
        kind: str,
        bounds: tuple[datetime | None, datetime | None] | None = None,
    ) -> BatchRecord:
        bounds = bounds or self.bounds
        return BatchRecord(
            batch_id=res.batch_id,
            module=self.module,
            version=self.version,
            rows=res.rows,
            quarantined=res.quarantined,
            bytes=res.bytes,
            privacy=self.sync.profile.fingerprint,
            window_from=iso(bounds[0]),
            window_to=iso(bounds[1]),
            kind=kind,
            files=res.files,
        )

    def abort(self) -> None:
        """The window failed: remove what it published; it is fetched again next time."""
        with suppress(Exception):  # its own failure is moot: the window failed anyway
            self._collect()  # a batch still being written is published, then removed
        lake.discard_batches(self.writer.store, [r.batch_id for r in self.records])
        done = {r.batch_id for r in self.records}
        self.all_records = [r for r in self.all_records if r.batch_id not in done]
        self.records = []

    def close(self) -> None:
        self._io.shutdown(wait=True)
        self.writer.close()
