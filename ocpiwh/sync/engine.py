"""The sync: mirror a platform's Sender modules into the lake, incrementally and crash-safely.

Per module, one window ``[date_from, date_to)`` on ``last_updated``, where ``date_to`` is the
*platform's* clock minus a lag (a local clock running ahead must never make us skip objects).
The window's pages are fetched (in parallel once the window is frozen and its size known),
every object goes through the privacy stage, batches are written by :class:`LakeWriter`,
and the module state advances only after all the window's batches are durable.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import duckdb
import httpx
import pyarrow as pa

from ocpiwh import lake
from ocpiwh.config import Config, Source
from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.lake import (
    BatchRecord,
    Location,
    ModuleState,
    StateStore,
    Store,
    compaction,
    folders_source,
    manifests,
    parquet_source,
    recover,
    warehouse_lock,
)
from ocpiwh.ocpi import OcpiClient, Page, RetryPolicy, crawl, fetch_offsets, format_ocpi_datetime
from ocpiwh.paths import MODULES
from ocpiwh.privacy import (
    FilterStats,
    ObjectFilter,
    PrivacyProfile,
    compile_filter,
    load_or_create_key,
    sanitize_for_quarantine,
)

log = logging.getLogger("ocpiwh.sync")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class SyncOptions:
    modules: list[str] | None = None
    full: bool = False
    since: datetime | None = None
    lag: timedelta = timedelta(seconds=60)
    """Changes younger than this (platform time) wait for the next sync: a platform may stamp
    ``last_updated`` slightly before the object becomes visible."""
    overlap_211: timedelta = timedelta(seconds=60)
    """2.1.1 leaves date-filter inclusivity undefined: windows overlap, the views dedupe."""
    concurrency: int = 4
    page_limit: int | None = None
    batch_rows: int = 50_000
    batch_bytes: int = 8 * 1024 * 1024
    """A batch is written when it holds this many objects or this much JSON, whichever comes
    first: memory stays bounded by the batch, not by the window or the dataset."""
    privacy_passes: tuple[str, ...] = ()
    compact: bool = True
    """Merge small files of partitions that grew past ``compaction.AUTO_THRESHOLD`` files."""
    retry: RetryPolicy | None = None
    timeout: float = 60.0


@dataclass
class ModuleResult:
    module: str
    version: str = ""
    window_from: datetime | None = None
    window_to: datetime | None = None
    fetched: int = 0
    written: int = 0
    new: int = 0
    updated: int = 0
    quarantined: int = 0
    removed: int = 0
    pages: int = 0
    bytes: int = 0
    unknown_fields: int = 0
    elapsed: float = 0.0
    error: str | None = None
    interrupted: bool = False
    skipped: str | None = None


@dataclass
class SourceResult:
    source: str
    version: str
    platform_now: datetime | None
    modules: list[ModuleResult] = field(default_factory=list)
    retries: int = 0
    throttled: int = 0
    requests: int = 0
    elapsed: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(m.error is None for m in self.modules)


class Progress(Protocol):
    """What a front end (the CLI's live bars, or log lines) hears about a running sync."""

    def module_started(self, source: str, module: str, total: int | None) -> None: ...
    def page_done(self, source: str, module: str, objects: int, total: int | None) -> None: ...
    def module_done(self, source: str, result: ModuleResult) -> None: ...


class NullProgress:
    def module_started(self, source: str, module: str, total: int | None) -> None:
        pass

    def page_done(self, source: str, module: str, objects: int, total: int | None) -> None:
        pass

    def module_done(self, source: str, result: ModuleResult) -> None:
        pass


def sync(
    root: Location,
    *,
    source: str | None = None,
    options: SyncOptions | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    client_factory: Callable[[Config, Source, SyncOptions], OcpiClient] | None = None,
) -> list[SourceResult]:
    """Sync every selected source of the warehouse at ``root``; the library entry point.

    ``stop`` (e.g. set on Ctrl-C) ends the sync after the current page: what was fetched is
    kept, the interrupted window is fetched again next time.
    """
    options = options or SyncOptions()
    progress = progress or NullProgress()
    stop = stop or threading.Event()
    config = Config.load(root)
    selected = config.selected_sources(source)
    if options.modules:
        unknown = [m for m in options.modules if m not in MODULES]
        if unknown:
            raise UsageError(
                f"unknown module {unknown[0]!r}", hint=f"choose from: {', '.join(MODULES)}"
            )
    if options.modules:  # refuse before any work: a usage error, not a failed run
        for src in selected:
            offered = src.sender_modules()
            missing = [m for m in options.modules if m not in offered]
            if missing:
                raise UsageError(
                    f"source {src.name!r} does not offer {missing[0]} as a Sender module "
                    f"(it offers: {', '.join(offered) or 'none'})",
                    hint="drop that --module, or run `ocpiwh login` again if the platform changed",
                )
    with warehouse_lock(config.store), _tuned_interpreter():
        return _sync_locked(config.store, config, selected, options, progress, stop, client_factory)


GC_THRESHOLD0 = 50_000
"""Allocations between two young-generation GC passes during a sync (CPython's default: 700)."""

SWITCH_INTERVAL = 0.0002
"""Seconds a thread may hold the GIL while another waits for it, during a sync (default 0.005)."""


COUNT_MEMORY = "32MB"
"""DuckDB cap of the new/updated count after a module's window. It groups every key of the
module (1M sessions: ~80 MB under a 128 MB cap, while the other module may
still be syncing); at 32 MB it spills a little: 0.27 s instead of 0.17 s for 1M keys."""

MALLOC_ARENAS = 2
"""glibc malloc arenas for a sync process (glibc's default: 8 per core)."""


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Let the process's threads share at most ``arenas`` glibc malloc arenas.

    A sync runs a dozen threads (fetch workers, module threads, writers) that each allocate
    and free page-sized buffers; with one arena per thread, each arena keeps its own peak
    of freed memory (measured: 259 MB held by malloc for 65 MB in use, about 60 MB more RSS
    than with two arenas). The limit only takes effect before glibc sizes its arena pool,
    so a command calls this first thing; ``MALLOC_ARENA_MAX`` in the environment wins.
    Elsewhere than glibc this does nothing.
    """
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_arena_max = -8  # glibc malloc.h
    mallopt(m_arena_max, arenas)


def _trim_malloc() -> None:
    """Give the memory glibc holds free in its arenas back to the system (glibc only)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    malloc_trim(0)


@contextmanager
def _tuned_interpreter() -> Iterator[None]:
    """Tune the interpreter for a sync's threads, restoring it afterwards.

    Every parsed page is ~20,000 new dicts and lists (acyclic JSON, freed by reference
    counting): at the default threshold the collector runs every 700 of them, and each older
    generation's pass walks every object the imported libraries hold; that cost about a
    third of the Python-side CPU. Freezing what exists at the start and collecting less
    often leaves the same garbage collected, later.

    The writer threads spend most of their time in DuckDB (GIL released) but come back for
    the GIL between statements and around every file operation, dozens of times per batch;
    with fetch workers busy parsing, each return waited a whole switch interval (the convoy
    effect): a batch took several times its CPU time and the fetch side waited on it. A short
    interval hands the GIL over promptly.
    """
    old = gc.get_threshold()
    old_interval = sys.getswitchinterval()
    gc.freeze()
    gc.set_threshold(max(old[0], GC_THRESHOLD0), old[1], old[2])
    sys.setswitchinterval(min(old_interval, SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(old_interval)
        gc.set_threshold(*old)
        gc.unfreeze()


def _sync_locked(
    root: Store,
    config: Config,
    selected: list[Source],
    options: SyncOptions,
    progress: Progress,
    stop: threading.Event,
    client_factory: Callable[[Config, Source, SyncOptions], OcpiClient] | None,
) -> list[SourceResult]:
    report = recover(root)
    if report.rolled_back:
        log.warning(
            "recovered from an interrupted sync: %d uncommitted batch(es) rolled back "
            "(%d file(s)); their windows are fetched again",
            report.rolled_back,
            report.files_removed,
        )
    profile = PrivacyProfile(passes=tuple(config.privacy_passes) + tuple(options.privacy_passes))
    key = load_or_create_key(config.pseudonym_key_file)
    results = []
    for src in selected:
        factory = client_factory or make_client
        client = factory(config, src, options)
        try:
            results.append(
                SourceSync(config, src, client, options, profile, key, progress, stop).run()
            )
        finally:
            client.close()
    if options.compact:
        synced = {m.module for r in results for m in r.modules if m.written or m.quarantined}
        if synced:
            lake.release_engine()
            _trim_malloc()  # compaction's DuckDB comes on top of what the sync left allocated
            try:
                done = compaction.compact(
                    root, modules=synced, min_files=compaction.AUTO_THRESHOLD + 1
                )
            except (OcpiwhError, duckdb.Error, OSError) as exc:
                # the windows are committed: a failed optimization must not fail the sync
                log.warning("automatic compaction failed (%s); run `ocpiwh compact` later", exc)
                return results
            if done.partitions:
                log.info(
                    "compacted %d partition(s): %d files into %d",
                    done.partitions,
                    done.files_before,
                    done.files_after,
                )
    return results


def make_client(config: Config, src: Source, options: SyncOptions) -> OcpiClient:
    return OcpiClient(
        token=config.token(src.name),
        version=src.version,
        auth_mode=src.connection.auth_mode or "auto",
        from_party=src.party,
        to_party=src.platform_party,
        retry=options.retry,
        timeout=options.timeout,
        max_connections=max(1, options.concurrency),
    )


class SourceSync:
    """One sync run of one source: modules in parallel, each its own window and writer."""

    def __init__(
        self,
        config: Config,
        src: Source,
        client: OcpiClient,
        options: SyncOptions,
        profile: PrivacyProfile,
        key: bytes,
        progress: Progress,
        stop: threading.Event,
    ) -> None:
        self.config = config
        self.root = config.store
        self.src = src
        self.client = client
        self.options = options
        self.profile = profile
        self.key = key
        self.progress = progress
        self.stop = stop
        self.state = StateStore(self.root, src.name)
        self.platform_party = src.platform_party or ("ZZ", "ZZZ")
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, options.concurrency), thread_name_prefix=f"fetch-{src.name}"
        )
        # Parsing a page and filtering/serializing it is GIL-bound Python work: the fetch
        # workers take turns (one page at a time, start to finish) while their requests stay
        # in flight concurrently. Interleaved, four half-processed pages thrashed the caches
        # and stayed alive together (100k-session sync: ~10.5 s -> ~9.5 s).
        self.cpu_lock = threading.Lock()
        if isinstance(client, OcpiClient):
            client.parse_lock = self.cpu_lock

    def run(self) -> SourceResult:
        started = time.monotonic()
        run_started = datetime.now(UTC)
        result = SourceResult(source=self.src.name, version=self.src.version, platform_now=None)
        try:
            modules = self._modules()
            result.platform_now = now = self.platform_clock()
            with ThreadPoolExecutor(
                max_workers=max(1, len(modules)), thread_name_prefix="module"
            ) as modpool:
                futures = {m: modpool.submit(self._sync_module, m, now) for m in modules}
                for m in modules:
                    result.modules.append(futures[m].result())
        except OcpiwhError as exc:
            result.error = str(exc)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
            stats = self.client.stats.snapshot()
            result.retries = int(stats.get("retries", 0))
            result.throttled = int(stats.get("throttled", 0))
            result.requests = int(stats.get("requests", 0))
            result.elapsed = time.monotonic() - started
            self.state.append_run(_run_record(result, run_started, self.profile.fingerprint))
        return result

    def _modules(self) -> list[str]:
        offered = self.src.sender_modules()
        if self.options.modules:  # validated by sync() before the run
            return [m for m in MODULES if m in self.options.modules and m in offered]
        return offered

    def platform_clock(self) -> datetime:
        """The platform's *now*: the envelope timestamp (or HTTP Date) of a cheap request."""
        resp = self.client.get(self.src.connection.details_url)
        if resp.timestamp is not None:
            return resp.timestamp.astimezone(UTC)
        date = resp.headers.get("date")
        if date:
            try:
                return parsedate_to_datetime(date).astimezone(UTC)
            except (TypeError, ValueError):
                pass
        log.warning("the platform sent no timestamp; using the local clock for the sync window")
        return datetime.now(UTC)

    # -- one module --------------------------------------------------------------------------

    def _sync_module(self, module: str, platform_now: datetime) -> ModuleResult:
        started = time.monotonic()
        result = ModuleResult(module=module, version=self.src.version)
        url = self.src.sender_url(module)
        assert url is not None  # _modules() only returns offered modules
        state = self.state.load(module)
        full = self.options.full and module in lake.FULL_LISTING
        date_to = platform_now - self.options.lag
        date_from = self._date_from(module, state, full)
        result.window_from, result.window_to = date_from, date_to
        if date_from is not None and date_from >= date_to:
            result.skipped = "up to date"
            self.progress.module_done(self.src.name, result)
            return result

        params: dict[str, str] = {}
        if not full:
            if date_from is not None:
                params["date_from"] = format_ocpi_datetime(date_from)
            params["date_to"] = format_ocpi_datetime(date_to)
        window = _WindowWriter(self, module, result)
        try:
            for page in self._pages(url, params, module, result, window.prepare):
                window.add(page)
                if self.stop.is_set():
                    result.interrupted = True
                    break
            window.flush()
            if result.interrupted:
                self.state.keep_batches(module, window.records)
            else:
                if full:
                    window.write_removals()
                    state.last_full = platform_now
                state.window_end = date_to
                self.state.commit(module, state, window.records)
            self._count_new_updated(module, window, result)
        except OcpiwhError as exc:
            result.error = str(exc)
            window.abort()
        except Exception as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            log.exception("sync of %s failed", module)
            window.abort()
        finally:
            window.close()
            result.elapsed = time.monotonic() - started
            result.unknown_fields = window.stats.unknown_total
            self.progress.module_done(self.src.name, result)
        return result

    def _date_from(self, module: str, state: ModuleState, full: bool) -> datetime | None:
        if full:
            return None
        since = self.options.since
        if state.window_end is not None:
            start = state.window_end
            if self.src.version == "2.1.1":
                start -= self.options.overlap_211
            if since is not None and since > start:
                start = since
            return start
        if since is not None:
            return since
        return EPOCH if module == "sessions" else None  # sessions always need date_from

    def _pages(
        self,
        url: str,
        params: dict[str, str],
        module: str,
        result: ModuleResult,
        prepare: Callable[[Page], Prepared],
    ) -> Iterator[Prepared]:
        """Every page of the window: sequentially along ``Link``, or in parallel by offset once
        the first page shows the window's size (a frozen window: ``date_to`` is past)."""
        pages = crawl(self.client, url, params, module=module, page_limit=self.options.page_limit)
        first = next(pages, None)
        if first is None:
            return
        self.progress.module_started(self.src.name, module, first.total)
        yield self._count(prepare(first), module, result)
        total, limit = first.total, first.limit or first.count
        parallel = (
            self.options.concurrency > 1
            and total is not None
            and limit > 0
            and first.count < total
            and first.next_url is not None
            and "offset=" in first.next_url
        )
        if not parallel:
            for page in pages:
                yield self._count(prepare(page), module, result)
            return
        assert total is not None
        offsets = list(range(first.count, total, limit))
        shifted = False
        for prepared in self._fetch_parallel(url, params, module, offsets, limit, prepare):
            if prepared.total is not None and prepared.total != total:
                shifted = True
            yield self._count(prepared, module, result)
        if shifted:
            # Objects moved out of the frozen window while we paged (updated meanwhile):
            # offsets shifted, so some objects may have been skipped. Crawl again along Link,
            # which steps back on shrinking totals; the views dedupe what we fetch twice.
            log.info("%s: the window changed while paging; crawling it again", module)
            for page in crawl(self.client, url, params, module=module, page_limit=limit):
                yield self._count(prepare(page), module, result)

    def _fetch_parallel(
        self,
        url: str,
        params: dict[str, str],
        module: str,
        offsets: list[int],
        limit: int,
        prepare: Callable[[Page], Prepared],
    ) -> Iterator[Prepared]:
        """Pages at ``offsets``, in order, with at most ``concurrency + 1`` in flight.

        Each worker filters and serializes its page as soon as it arrives, so what waits in
        the queue is compact JSON, never parsed objects (several times larger).
        """

        def fetch_one(off: int) -> Prepared:
            pages = fetch_offsets(
                self.client, url, params, module=module, offsets=[off], limit=limit
            )
            return prepare(pages[0])

        in_flight: list[Future[Prepared]] = []
        window = max(1, self.options.concurrency + 1)
        it = iter(offsets)

        def submit() -> bool:
            off = next(it, None)
            if off is None:
                return False
            in_flight.append(self.pool.submit(fetch_one, off))
            return True

        for _ in range(window):
            if not submit():
                break
        try:
            while in_flight:
                page = in_flight.pop(0).result()
                if not self.stop.is_set():
                    submit()
                yield page
                if self.stop.is_set():
                    return
        finally:
            for fut in in_flight:
                fut.cancel()

    def _count(self, page: Prepared, module: str, result: ModuleResult) -> Prepared:
        result.pages += 1
        result.fetched += page.count
        result.bytes += page.raw_size
        self.progress.page_done(self.src.name, module, page.count, page.total)
        return page

    def _count_new_updated(self, module: str, window: _WindowWriter, result: ModuleResult) -> None:
        """New keys and keys with a newer version, from the lake itself (one aggregate).

        Only the partitions the window wrote are read: an object's versions share its
        partition (sessions and CDRs are partitioned by their start), so the cost follows the
        window, not the lake (a session whose start moved between versions counts as new).
        """
        if not window.records or not any(r.kind == "data" and r.rows for r in window.records):
            return
        first_batch = min(r.batch_id for r in window.records)
        touched = {
            f.rsplit("/", 1)[0]
            for r in window.records
            if r.kind == "data"
            for f in r.files
            if f.startswith(f"raw/{module}/")
        }
        source = folders_source(self.root, touched)
        if source is None:
            return
        con = lake.housekeeping_connection(COUNT_MEMORY)
        try:
            self.root.register(con)
            row = con.execute(
                f"""
                SELECT count(*) FILTER (WHERE prev IS NULL),
                       count(*) FILTER (WHERE prev IS NOT NULL AND cur > prev)
                FROM (
                    SELECT max(last_updated) FILTER (WHERE _batch_id < $b) AS prev,
                           max(last_updated) FILTER (WHERE _batch_id >= $b) AS cur
                    FROM read_parquet({source}, union_by_name = true)
                    WHERE _source = $s
                    GROUP BY country_code, party_id, id
                    HAVING cur IS NOT NULL
                )
                """,
                {"b": first_batch, "s": self.src.name},
            ).fetchall()[0]
            if row:
                result.new, result.updated = int(row[0]), int(row[1])
        finally:
            con.close()


@dataclass
class Prepared:
    """A fetched page after the privacy stage: what the batch needs, nothing more."""

    count: int
    total: int | None
    raw_size: int
    url: str
    lines: lake.JsonLines
    rejected: list[lake.Rejected]


class _WindowWriter:
    """Buffers a module window's objects into batches: privacy → JSON → typed Parquet."""

    def __init__(self, sync: SourceSync, module: str, result: ModuleResult) -> None:
        self.sync = sync
        self.module = module
        self.result = result
        self.version = sync.src.version
        self._local = threading.local()
        self._filters: list[ObjectFilter] = []
        self._filters_lock = threading.Lock()
        self.writer = lake.LakeWriter(
            sync.root,
            source=sync.src.name,
            module=module,
            platform_party=sync.platform_party,
            privacy=sync.profile.fingerprint,
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

    def prepare(self, page: Page) -> Prepared:
        """Privacy-filter and serialize one page (thread-safe: a filter per thread).

        Runs in the fetch workers: the page's JSON is parsed here, once, by the privacy
        stage, and only the filtered JSON texts move on.
        """
        f = getattr(self._local, "filter", None)
        if f is None:
            f = compile_filter(self.module, self.version, self.sync.profile, self.sync.key)
            self._local.filter = f
            with self._filters_lock:
                self._filters.append(f)
        with self.sync.cpu_lock:
            docs, others = f.filter_page(page.data)
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
        return Prepared(
            page.count, page.total, page.raw_size, url, lake.JsonLines.of(docs), rejected
        )

    def add(self, page: Prepared) -> None:
        """Append a prepared page to the current batch; write the batch when it is full."""
        lake.crashpoint("page")
        self.lines.extend(page.lines)
        self.rejected.extend(page.rejected)
        if self.url is None:
            self.url = page.url
        opts = self.sync.options
        if (
            len(self.lines) + len(self.rejected) >= opts.batch_rows
            or self.lines.nbytes >= opts.batch_bytes
        ):
            self.flush(wait=False)

    @property
    def stats(self) -> FilterStats:
        """Privacy counters of every worker's filter, merged."""
        total = FilterStats()
        with self._filters_lock:
            for f in self._filters:
                total.merge(f.stats)
        return total

    def flush(self, *, wait: bool = True) -> None:
        """Hand the current batch to the writer thread; with ``wait`` (the default), return
        only once every batch handed over so far is in ``raw/`` and recorded."""
        if self.lines or self.rejected:
            self._collect()  # one batch in the writer at a time (bounded memory)
            self._pending = self._io.submit(
                self.writer.write,
                version=self.version,
                lines=self.lines,
                rejected=self.rejected,
                fetched_at=self.fetched_at,
                url=self.url,
                window_end=lakewriter_iso(self.result.window_to),
            )
            self.lines, self.rejected = lake.JsonLines(), []
            self.fetched_at = datetime.now(UTC)
        if wait:
            self._collect()

    def _collect(self) -> None:
        """Wait for the batch being written, if any, and record it (raises its error)."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        res = pending.result()
        self.result.written += res.rows
        self.result.quarantined += res.quarantined
        if res.keys is not None and self.module in lake.FULL_LISTING:
            self.keys.append(res.keys)
        self.records.append(self._record(res, "data"))

    def write_removals(self) -> None:
        """After a complete listing: tombstones for the keys it no longer contains."""
        listed = (
            pa.concat_tables(self.keys)
            if self.keys
            else pa.table({c: pa.array([], pa.string()) for c in lake.KEY_COLUMNS})
        )
        store = self.sync.root
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
            params: dict[str, str] = {"s": self.sync.src.name}
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
            res = self.writer.write_removed(gone, window_end=lakewriter_iso(self.result.window_to))
            self.result.removed = gone.num_rows
            self.records.append(self._record(res, "removed"))

    def _record(self, res: lake.BatchResult, kind: str) -> BatchRecord:
        return BatchRecord(
            batch_id=res.batch_id,
            module=self.module,
            version=self.version,
            rows=res.rows,
            quarantined=res.quarantined,
            bytes=res.bytes,
            privacy=self.sync.profile.fingerprint,
            window_from=lakewriter_iso(self.result.window_from),
            window_to=lakewriter_iso(self.result.window_to),
            kind=kind,
            files=res.files,
        )

    def abort(self) -> None:
        """The window failed: remove what it published; it is fetched again next time."""
        with suppress(Exception):  # its own failure is moot: the window failed anyway
            self._collect()  # a batch still being written is published, then removed
        lake.discard_batches(self.writer.store, [r.batch_id for r in self.records])
        self.records = []

    def close(self) -> None:
        self._io.shutdown(wait=True)
        self.writer.close()


def lakewriter_iso(dt: datetime | None) -> str | None:
    return format_ocpi_datetime(dt) if dt else None


def _run_record(result: SourceResult, started: datetime, privacy: str) -> dict[str, Any]:
    return {
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "ok": result.ok,
        "error": result.error,
        "version": result.version,
        "platform_now": result.platform_now.isoformat() if result.platform_now else None,
        "privacy": privacy,
        "retries": result.retries,
        "throttled": result.throttled,
        "requests": result.requests,
        "elapsed": round(result.elapsed, 3),
        "modules": [
            {
                "module": m.module,
                "fetched": m.fetched,
                "written": m.written,
                "new": m.new,
                "updated": m.updated,
                "quarantined": m.quarantined,
                "removed": m.removed,
                "pages": m.pages,
                "unknown_fields": m.unknown_fields,
                "window_from": lakewriter_iso(m.window_from),
                "window_to": lakewriter_iso(m.window_to),
                "error": m.error,
                "interrupted": m.interrupted,
                "skipped": m.skipped,
            }
            for m in result.modules
        ],
    }
