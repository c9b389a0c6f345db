"""The sync: mirror a platform's Sender modules into the lake, incrementally and crash-safely.

Per module, one window ``[date_from, date_to)`` on ``last_updated``, where ``date_to`` is the
*platform's* clock minus a lag (a local clock running ahead must never make us skip objects).
A large window is fetched in sub-windows (:mod:`ocpiwh.sync.subwindows`), each committed
before the next. A window's pages come from the frontier crawler (:func:`ocpiwh.ocpi.crawl_window`:
in parallel, converging while objects leave the window), every object goes through the
privacy stage, batches are written by the module's :class:`~ocpiwh.sync.window.WindowWriter`,
and the module's manifest advances only after all the window's batches are durable.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import duckdb

from ocpiwh import lake, warehouse
from ocpiwh.config import Config, Source
from ocpiwh.errors import OcpiwhError, UsageError, os_error
from ocpiwh.lake import BatchRecord, ModuleState, StateStore, folders_source
from ocpiwh.ocpi import (
    CrawlStats,
    OcpiClient,
    Page,
    RetryPolicy,
    crawl_window,
    format_ocpi_datetime,
)
from ocpiwh.paths import MODULES
from ocpiwh.privacy import PrivacyProfile, load_or_create_key
from ocpiwh.sync.privacy_workers import MIN_OBJECTS, PrivacyWorkers, default_workers
from ocpiwh.sync.results import (
    ModuleResult,
    NullProgress,
    Progress,
    SourceResult,
    iso,
    run_record,
)
from ocpiwh.sync.subwindows import SubWindows
from ocpiwh.sync.tuning import limit_malloc_arenas, trim_malloc, tuned_interpreter
from ocpiwh.sync.window import ModuleContext, WindowWriter

if TYPE_CHECKING:
    from ocpiwh.irve.config import IrveConfig

log = logging.getLogger("ocpiwh.sync")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

MAX_LAG = timedelta(days=1)
"""A larger lag leaves more than a day of changes out of every sync: a mistake, not a choice."""

DATED_BY_SINCE: frozenset[str] = frozenset({"sessions", "cdrs"})
"""Modules ``--since`` applies to. Locations, tariffs and tokens are reference data: their
first sync lists them whole, whatever ``--since`` says (a session refers to a location or a
token last changed long before it)."""

__all__ = [
    "EPOCH",
    "ModuleResult",
    "SourceResult",
    "SyncOptions",
    "limit_malloc_arenas",
    "make_client",
    "sync",
]


@dataclass
class SyncOptions:
    modules: list[str] | None = None
    full: bool = False
    since: datetime | None = None
    """First sync of sessions and CDRs: only changes since then (see DATED_BY_SINCE)."""
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
    window_objects: int = 100_000
    """A window holding more objects is fetched in sub-windows of about this many, each
    committed before the next: a kill loses at most one sub-window."""
    privacy_passes: tuple[str, ...] = ()
    compact: bool = True
    """Merge small files of partitions that grew past ``compaction.AUTO_THRESHOLD`` files."""
    retry: RetryPolicy | None = None
    timeout: float = 60.0
    privacy_workers: int | None = None
    """Processes for the privacy stage of large windows; 0: in the sync process; None: one
    per core beyond the first, at most two (:func:`default_workers`)."""
    privacy_workers_from: int = MIN_OBJECTS
    """How many objects make a window large enough for them."""

    def validate(self) -> None:
        """Refuse options that would silently lose data, before any work."""
        if self.lag < timedelta(0):
            raise UsageError(
                f"--lag must not be negative (got {_span(self.lag)}): the window would end "
                "after the platform's now, and changes made in between would never be fetched",
                hint="use --lag 0s or more (default 60s)",
            )
        if self.lag > MAX_LAG:
            raise UsageError(
                f"--lag {_span(self.lag)} is more than {_span(MAX_LAG)}: every sync would leave "
                "that much of the platform's changes out",
                hint="use a lag of seconds or minutes (default 60s)",
            )
        if self.privacy_workers is not None and self.privacy_workers < 0:
            raise UsageError("--privacy-workers must be 0 or more")
        if self.window_objects < 1:
            raise UsageError("--window-objects must be at least 1")
        if self.modules:
            unknown = [m for m in self.modules if m not in MODULES]
            if unknown:
                raise UsageError(
                    f"unknown module {unknown[0]!r}", hint=f"choose from: {', '.join(MODULES)}"
                )


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{sign}{seconds // size}{unit}"
    return f"{sign}{seconds}s"


def sync(
    root: lake.Location,
    *,
    source: str | None = None,
    options: SyncOptions | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    client_factory: Callable[[Config, Source, SyncOptions], OcpiClient] | None = None,
) -> list[SourceResult]:
    """Sync every selected source of the warehouse at ``root``; the library entry point.

    ``stop`` (e.g. set on Ctrl-C) ends the sync after the current page: what was fetched is
    kept, the interrupted (sub-)window is fetched again next time. Ends by writing
    ``warehouse.duckdb`` (local warehouses), so the DuckDB shell sees the new data.
    """
    options = options or SyncOptions()
    options.validate()
    progress = progress or NullProgress()
    stop = stop or threading.Event()
    config = Config.load(root)
    selected = config.selected_sources(source)
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
    try:
        with lake.warehouse_lock(config.store), tuned_interpreter():
            results = _sync_locked(
                config.store, config, selected, options, progress, stop, client_factory
            )
            warehouse.refresh(config.store)  # the DuckDB shell's views: the new commit
            return results
    except OSError as exc:  # read-only folder, full disk, permission denied
        raise os_error(exc, config.store) from None


COUNT_MEMORY = "32MB"
"""DuckDB cap of the new/updated count after a module's run. It groups every key the run
touched (1M sessions: ~80 MB under a 128 MB cap, while the other module may still be
syncing); at 32 MB it spills a little: 0.27 s instead of 0.17 s for 1M keys."""


def _sync_locked(
    root: lake.Store,
    config: Config,
    selected: list[Source],
    options: SyncOptions,
    progress: Progress,
    stop: threading.Event,
    client_factory: Callable[[Config, Source, SyncOptions], OcpiClient] | None,
) -> list[SourceResult]:
    fresh_from = lake.new_batch_id()  # files of this run sort from here (deferred compaction)
    report = lake.recover(root)
    if report.rolled_back:
        log.warning(
            "recovered from an interrupted sync: %d uncommitted batch(es) rolled back "
            "(%d file(s)); their windows are fetched again",
            report.rolled_back,
            report.files_removed,
        )
    profile = PrivacyProfile(passes=tuple(config.privacy_passes) + tuple(options.privacy_passes))
    irve = _site_declarations(root) if any(s.version == "2.1.1" for s in selected) else None
    key = load_or_create_key(config.pseudonym_key_file)
    results = []
    for src in selected:
        factory = client_factory or make_client
        client = factory(config, src, options)
        try:
            src_profile = profile if irve is None else irve.source_profile(profile, src)
            if (
                irve is not None
                and src.version == "2.1.1"
                and src_profile.sites.ocpi211_public is None
            ):
                log.warning(
                    "source %s speaks OCPI 2.1.1 (no publish flag): its locations are "
                    "stored as private sites (name, address dropped, coordinates "
                    "coarsened) unless declared public with [irve] ocpi211_public = true "
                    "in ocpiwh.toml or a public column in the [irve] overrides CSV; "
                    "declare before syncing (docs/privacy.md)",
                    src.name,
                )
            results.append(
                SourceSync(config, src, client, options, src_profile, key, progress, stop).run()
            )
        finally:
            client.close()
    if options.compact:
        _compact_after(root, results, fresh_from)
    return results


def _site_declarations(root: lake.Store) -> IrveConfig:
    """The ``[irve]`` section, whose site declarations a 2.1.1 source's locations need.

    ``ocpiwh.irve`` is imported here, not with this module: with its validator and
    phonenumbers it costs ~60 ms to import, and a source speaking 2.2.1 or later has no use
    for it (its locations say themselves whether they are published)."""
    from ocpiwh.irve.config import IrveConfig

    return IrveConfig.load(root)


def _compact_after(root: lake.Store, results: list[SourceResult], fresh_from: str) -> None:
    """Merge the small files of the partitions of this sync's modules that earlier syncs
    grew past the threshold. The files this run wrote wait for the next sync: a backfill
    is not slowed down by merging what it has just written (``docs/architecture.md``)."""
    modules = {m.module for r in results for m in r.modules}
    threshold = lake.AUTO_THRESHOLD + 1
    try:
        if not modules or not lake.compaction_due(
            root, modules=modules, min_files=threshold, fresh_from=fresh_from
        ):
            return
        lake.release_engine()
        trim_malloc()  # compaction's DuckDB comes on top of what the sync left allocated
        done = lake.compact(root, modules=modules, min_files=threshold, fresh_from=fresh_from)
    except (OcpiwhError, duckdb.Error, OSError) as exc:
        # the windows are committed: a failed optimization must not fail the sync
        log.warning("automatic compaction failed (%s); run `ocpiwh compact` later", exc)
        return
    if done.partitions:
        log.info(
            "compacted %d partition(s): %d files into %d",
            done.partitions,
            done.files_before,
            done.files_after,
        )


def platform_now(client: OcpiClient, url: str) -> datetime:
    """The platform's *now*: the envelope timestamp of a cheap request, else its HTTP
    ``Date``, else (with a warning) the local clock."""
    resp = client.get(url)
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
    """One sync run of one source: modules in parallel, each its own windows and writer."""

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
        self.progress = progress
        self.stop = stop
        self.state = StateStore(self.root, src.name)
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, options.concurrency), thread_name_prefix=f"fetch-{src.name}"
        )
        # Parsing a page and filtering/serializing it is GIL-bound Python work: the fetch
        # workers take turns (one page at a time, start to finish) while their requests stay
        # in flight concurrently. Interleaved, four half-processed pages thrashed the caches
        # and stayed alive together (100k-session sync: ~10.5 s -> ~9.5 s).
        cpu_lock = threading.Lock()
        if isinstance(client, OcpiClient):
            client.parse_lock = cpu_lock
        n = options.privacy_workers
        n = default_workers() if n is None else n
        self.workers = PrivacyWorkers(profile, key, n) if n else None
        self.ctx = ModuleContext(
            store=self.root,
            source=src.name,
            version=src.version,
            platform_party=src.lake_party,
            profile=profile,
            key=key,
            cpu_lock=cpu_lock,
            batch_rows=options.batch_rows,
            batch_bytes=options.batch_bytes,
            workers=self.workers,
            privacy_workers_from=options.privacy_workers_from,
        )

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
            if self.workers is not None:
                self.workers.close()
            stats = self.client.stats.snapshot()
            result.retries = int(stats.get("retries", 0))
            result.throttled = int(stats.get("throttled", 0))
            result.requests = int(stats.get("requests", 0))
            result.elapsed = time.monotonic() - started
            self.state.append_run(run_record(result, run_started, self.ctx.profile.fingerprint))
        return result

    def _modules(self) -> list[str]:
        offered = self.src.sender_modules()
        if self.options.modules:  # validated by sync() before the run
            return [m for m in MODULES if m in self.options.modules and m in offered]
        return offered

    def platform_clock(self) -> datetime:
        return platform_now(self.client, self.src.connection.details_url)

    # -- one module --------------------------------------------------------------------------

    def _sync_module(self, module: str, platform_now: datetime) -> ModuleResult:
        started = time.monotonic()
        result = ModuleResult(module=module, version=self.src.version)
        state = self.state.load(module)
        full = self.options.full and module in lake.FULL_LISTING
        date_to = platform_now - self.options.lag
        date_from = self._date_from(module, state, full)
        result.window_from, result.window_to = date_from, date_to
        if date_from is not None and date_from >= date_to:
            result.skipped = "up to date"
            self.progress.module_done(self.src.name, result)
            return result
        window = WindowWriter(self.ctx, module, result)
        try:
            if full:
                self._full_listing(module, state, platform_now, date_to, window, result)
            else:
                self._sub_windows(module, state, date_from, date_to, window, result)
            self._count_new_updated(module, window, result)
        except OcpiwhError as exc:
            result.error = str(exc)
            window.abort()
        except OSError as exc:
            result.error = str(os_error(exc, self.root))
            window.abort()
        except Exception as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            log.exception("sync of %s failed", module)
            window.abort()
        finally:
            window.close()
            result.elapsed = time.monotonic() - started
            result.unknown_fields = window.stats.unknown_total
            result.unknown_field_paths = dict(window.stats.unknown_fields_dropped)
            self.progress.module_done(self.src.name, result)
        return result

    def _full_listing(
        self,
        module: str,
        state: ModuleState,
        platform_now: datetime,
        date_to: datetime,
        window: WindowWriter,
        result: ModuleResult,
    ) -> None:
        """``--full``: list the whole module; keys it no longer lists get tombstones.

        The listing is a frozen window (``last_updated`` before ``date_to``): without that
        bound, an object updated while we page moves to the end of the listing without the
        total changing, and the object shifted past the crawler would be missed — and taken
        for removed. Objects updated meanwhile left the frozen listing: the window after it
        lists them, so that no live object is ever marked removed.
        """
        window.bounds = (None, date_to)
        self._fetch(
            module, {"date_to": format_ocpi_datetime(date_to)}, window, result, announce=True
        )
        end = date_to
        if not result.interrupted:
            later = self.platform_clock() - self.options.lag
            if later > date_to:
                window.bounds = (date_to, later)
                params = {
                    "date_from": format_ocpi_datetime(date_to),
                    "date_to": format_ocpi_datetime(later),
                }
                self._fetch(module, params, window, result, announce=False)
                end = later
        if result.interrupted:
            self.state.keep_batches(module, window.take_records())
            return
        window.write_removals()
        state.last_full = platform_now
        self._commit(module, state, end, None, window.take_records())
        result.window_to = end

    def _sub_windows(
        self,
        module: str,
        state: ModuleState,
        date_from: datetime | None,
        date_to: datetime,
        window: WindowWriter,
        result: ModuleResult,
    ) -> None:
        """Fetch ``[date_from, date_to)`` slice by slice, committing each (see subwindows)."""
        url = self._url(module)
        planner = SubWindows(
            lambda a, b: self._count(url, module, a, b), target=self.options.window_objects
        )
        start = date_from
        done = 0
        first = True
        while True:
            piece = planner.next(start, date_to)
            if planner.remaining is not None:
                result.estimate = done + planner.remaining
            if first:
                self.progress.module_started(self.src.name, module, result.estimate)
                first = False
            end = piece.end
            window.bounds = (start, end)
            params = {"date_to": format_ocpi_datetime(end)}
            if start is not None:
                params["date_from"] = format_ocpi_datetime(start)
            before = result.fetched
            self._fetch(module, params, window, result, announce=False, wait=False)
            if result.interrupted:
                window.flush()  # the previous sub-window's commit, if it waited
                self.state.keep_batches(module, window.take_records())
                return
            done += result.fetched - before
            backfill = {"until": iso(date_to), "objects": done, "estimate": result.estimate}
            # Committed once its last batch is written, while the next one is fetched: the
            # writer and the fetch workers do not drain at every sub-window boundary.
            window.commit_when_written(
                partial(self._commit, module, state, end, backfill if end < date_to else None)
            )
            result.sub_windows += 1
            if end >= date_to:
                window.flush()  # the last commit
                return
            start = end

    def _commit(
        self,
        module: str,
        state: ModuleState,
        end: datetime,
        backfill: dict[str, Any] | None,
        records: list[BatchRecord],
    ) -> None:
        """Commit the (sub-)window ending at ``end``: its batches become part of the lake."""
        state.window_end = end
        state.backfill = backfill
        state.interrupted = False
        self.state.commit(module, state, records)

    def _url(self, module: str) -> str:
        url = self.src.sender_url(module)
        assert url is not None  # _modules() only returns offered modules
        return url

    def _count(self, url: str, module: str, start: datetime | None, end: datetime) -> int | None:
        """``X-Total-Count`` of ``[start, end)`` from a one-object page (None: not sent)."""
        params = {"date_to": format_ocpi_datetime(end), "offset": "0", "limit": "1"}
        if start is not None:
            params["date_from"] = format_ocpi_datetime(start)
        resp = self.client.get(url, params, module=module)
        value = resp.headers.get("X-Total-Count")
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    def _fetch(
        self,
        module: str,
        params: dict[str, str],
        window: WindowWriter,
        result: ModuleResult,
        *,
        announce: bool,
        wait: bool = True,
    ) -> None:
        """Every page of one (sub-)window into the module's batches, then flush them (and
        wait until they are written, with ``wait``)."""
        stats = CrawlStats()

        def on_first(page: Page) -> None:
            result.estimate = page.total
            self.progress.module_started(self.src.name, module, page.total)

        pages = crawl_window(
            self.client,
            self._url(module),
            params,
            module=module,
            page_limit=self.options.page_limit,
            concurrency=self.options.concurrency,
            executor=self.pool,
            prepare=window.prepare,
            stop=self.stop,
            on_first=on_first if announce else None,
            stats=stats,
        )
        for prepared in pages:
            result.pages += 1
            result.fetched += prepared.count
            result.bytes += prepared.raw_size
            self.progress.page_done(self.src.name, module, prepared.count, prepared.total)
            window.add(prepared)
            if self.stop.is_set():
                break
        if self.stop.is_set():  # the crawl may also have returned early, between pages:
            result.interrupted = True  # either way the window is incomplete
        result.requests += stats.requests
        window.flush(wait=wait)

    def _date_from(self, module: str, state: ModuleState, full: bool) -> datetime | None:
        if full:
            return None
        since = self.options.since if module in DATED_BY_SINCE else None
        if state.window_end is not None:
            start = state.window_end
            if self.src.version == "2.1.1":
                start -= self.options.overlap_211
            if since is not None and since > start:
                start = since
            return start
        if since is not None:
            return since
        return EPOCH  # every module's first window starts at the epoch (sessions require it)

    def _count_new_updated(self, module: str, window: WindowWriter, result: ModuleResult) -> None:
        """New keys and keys with a newer version, from the lake itself (one aggregate).

        Only the partitions the run wrote are read: an object's versions share its
        partition (sessions and CDRs are partitioned by their start), so the cost follows the
        run, not the lake (a session whose start moved between versions counts as new).
        """
        records = window.all_records
        if not records or not any(r.kind == "data" and r.rows for r in records):
            return
        first_batch = min(r.batch_id for r in records)
        touched = {
            f.rsplit("/", 1)[0]
            for r in records
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
