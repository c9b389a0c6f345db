"""crawl_window against a live platform: objects leave the frozen window while we page."""

from __future__ import annotations

import logging
import math
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import httpx
import pytest

from ocpiwh.errors import OcpiError
from ocpiwh.ocpi import CrawlStats, OcpiClient, Page, crawl_window

from .fakes import envelope
from .live import URL, LiveList

T = TypeVar("T")

WINDOW = {"date_from": "2026-01-01T00:00:00Z", "date_to": "2026-02-01T00:00:00Z"}


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="fetch") as executor:
        yield executor


def ids_of(page: Page) -> list[str]:
    return [o["id"] for o in page.objects]


def crawl_live(
    server: LiveList,
    executor: ThreadPoolExecutor,
    prepare: Callable[[Page], T],
    *,
    limit: int = 100,
    concurrency: int = 4,
    stop: threading.Event | None = None,
    on_first: Callable[[Page], None] | None = None,
    stats: CrawlStats | None = None,
) -> Iterator[T]:
    """crawl_window over the fake's window, as the sync engine calls it."""
    with OcpiClient("tok", transport=server.transport) as client:
        yield from crawl_window(
            client,
            URL,
            WINDOW,
            module="sessions",
            page_limit=limit,
            concurrency=concurrency,
            executor=executor,
            prepare=prepare,
            stop=stop,
            on_first=on_first,
            stats=stats,
        )


def run(
    server: LiveList,
    executor: ThreadPoolExecutor,
    *,
    limit: int,
    concurrency: int,
    stop: threading.Event | None = None,
) -> tuple[set[str], CrawlStats]:
    stats = CrawlStats()
    seen: set[str] = set()
    for got in crawl_live(
        server, executor, ids_of, limit=limit, concurrency=concurrency, stop=stop, stats=stats
    ):
        seen.update(got)
    return seen, stats


# (updates per page, page size) -> objects: 50 pages of 100, 20 pages of 1000
SIZES = {100: 5_000, 1000: 20_000}


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("limit", [100, 1000])
@pytest.mark.parametrize("rate", [0, 0.1, 1, 3, 5, 10])
def test_no_object_that_stayed_is_skipped(
    pool: ThreadPoolExecutor, rate: float, limit: int, concurrency: int
) -> None:
    n = SIZES[limit]
    server = LiveList(n, cap=limit, updates_per_page=rate)
    seen, stats = run(server, pool, limit=limit, concurrency=concurrency)
    missing = server.stayed - seen
    assert not missing, f"{len(missing)} skipped, e.g. {sorted(missing)[:5]}"
    assert seen <= set(server.original)
    assert stats.requests == server.requests == stats.pages
    assert stats.final_total == server.last_total
    if rate >= 1:
        assert len(server.removed) > 0 and stats.max_shrink >= 1
    pages = math.ceil(n / limit)
    ratio = server.requests / pages
    if rate == 0:
        assert server.requests == pages and stats.gaps == 0
    elif rate <= 1:
        assert ratio <= 1.5, f"{server.requests} requests for {pages} pages"
    elif rate <= 5:
        assert ratio <= 2.5, f"{server.requests} requests for {pages} pages"


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("rate", [1, 10])
def test_departures_anywhere_in_the_window(
    pool: ThreadPoolExecutor, rate: float, concurrency: int
) -> None:
    server = LiveList(5_000, cap=100, updates_per_page=rate, victims="any", seed=3)
    seen, _ = run(server, pool, limit=100, concurrency=concurrency)
    assert server.stayed <= seen
    assert server.requests <= 1.5 * 50


@pytest.mark.parametrize("concurrency", [1, 4])
def test_server_cap_below_requested_limit(pool: ThreadPoolExecutor, concurrency: int) -> None:
    server = LiveList(3_000, cap=100, updates_per_page=2)
    seen, _ = run(server, pool, limit=1000, concurrency=concurrency)
    assert server.stayed <= seen
    assert server.requests <= 1.5 * 30


@pytest.mark.parametrize("concurrency", [1, 4])
def test_stall_when_the_set_shrinks_by_a_page_per_response(
    pool: ThreadPoolExecutor, concurrency: int
) -> None:
    server = LiveList(100_000, cap=10, updates_per_page=20)
    with pytest.raises(OcpiError, match="shrinks faster than it can be paged") as err:
        run(server, pool, limit=10, concurrency=concurrency)
    message = str(err.value)
    assert "/ocpi/cpo/2.2.1/sessions" in message and "\n" not in message
    assert "of 99" in message  # the total it was measured in
    assert err.value.hint is not None and "--page-limit" in err.value.hint
    assert server.requests <= 3 * (10 + 2 * concurrency)


class BrokenAt(LiveList):
    """The live list, answering an object where the page at ``offset`` belongs."""

    def __init__(self, n: int, *, cap: int, offset: int) -> None:
        super().__init__(n, cap=cap)
        self.broken = str(offset)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.params.get("offset") == self.broken:
            with self._lock:
                self.requests += 1
            return envelope({"id": "x"})
        return super().__call__(request)


@pytest.mark.parametrize("concurrency", [1, 4])
def test_an_error_in_a_worker_is_raised_and_ends_the_crawl(
    pool: ThreadPoolExecutor, concurrency: int
) -> None:
    server = BrokenAt(2_000, cap=100, offset=500)
    got: list[int] = []
    with pytest.raises(OcpiError, match="list was expected"):
        for count in crawl_live(server, pool, lambda p: p.count, concurrency=concurrency):
            got.append(count)
    assert len(got) == 5  # the pages before it, in order
    assert server.requests <= 6 + concurrency  # what was in flight, no more


def test_no_total_follows_links(pool: ThreadPoolExecutor) -> None:
    server = LiveList(950, cap=100, total=False)
    seen, stats = run(server, pool, limit=100, concurrency=4)
    assert seen == set(server.original)
    assert server.requests == 10 and stats.final_total is None


def test_no_total_no_link_is_one_page(pool: ThreadPoolExecutor) -> None:
    server = LiveList(950, cap=100, total=False, link="none")
    seen, _ = run(server, pool, limit=100, concurrency=4)
    assert len(seen) == 100 and server.requests == 1


def test_total_without_link_pages_by_offset(pool: ThreadPoolExecutor) -> None:
    server = LiveList(2_000, cap=100, link="none", updates_per_page=1)
    seen, _ = run(server, pool, limit=100, concurrency=4)
    assert server.stayed <= seen
    assert server.requests <= 1.5 * 20


def test_cursor_links_are_followed(pool: ThreadPoolExecutor) -> None:
    server = LiveList(950, cap=100, link="cursor")
    seen, stats = run(server, pool, limit=100, concurrency=4)
    assert seen == set(server.original)
    assert server.requests == 10 and stats.max_shrink == 0


def test_cursor_links_warn_on_shrinking_total(
    pool: ThreadPoolExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    server = LiveList(950, cap=100, link="cursor", updates_per_page=1)
    with caplog.at_level(logging.WARNING, logger="ocpiwh.ocpi"):
        seen, stats = run(server, pool, limit=100, concurrency=4)
    assert stats.max_shrink == 1 and server.requests == 10
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "may be missed until the next sync" in warnings[0]
    assert len(seen) >= 950 - 2 * 10  # a cursor cannot step back: some may be skipped


def test_stop_returns_promptly(pool: ThreadPoolExecutor) -> None:
    server = LiveList(5_000, cap=100, updates_per_page=1)
    stop = threading.Event()
    got = 0
    for _ in crawl_live(server, pool, ids_of, stop=stop):
        got += 1
        if got == 3:
            stop.set()
    assert got == 3
    assert server.requests <= 3 + 4  # what was in flight when stop was set, no more


def test_stop_set_before_the_start_sends_nothing(pool: ThreadPoolExecutor) -> None:
    server = LiveList(500, cap=100)
    stop = threading.Event()
    stop.set()
    seen, stats = run(server, pool, limit=100, concurrency=4, stop=stop)
    assert not seen and server.requests == 0 and stats.requests == 0


def test_prepare_in_workers_first_page_to_on_first_and_no_page_kept(
    pool: ThreadPoolExecutor,
) -> None:
    server = LiveList(2_000, cap=100, updates_per_page=1)
    alive: list[weakref.ref[Page]] = []
    threads: list[str] = []
    firsts: list[tuple[int | None, int | None]] = []
    lock = threading.Lock()

    def prepare(page: Page) -> int:
        with lock:
            alive.append(weakref.ref(page))
            threads.append(threading.current_thread().name)
        return page.count

    most_alive = 0
    for _ in crawl_live(
        server, pool, prepare, on_first=lambda p: firsts.append((p.total, p.limit))
    ):
        with lock:
            most_alive = max(most_alive, sum(r() is not None for r in alive))
    assert firsts == [(2_000, 100)]
    assert threads[0] == threading.current_thread().name
    assert all(name.startswith("fetch") for name in threads[1:])
    assert most_alive <= 4  # at most the pages being prepared by the workers
    assert all(r() is None for r in alive)
