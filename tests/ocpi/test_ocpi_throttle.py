from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from ocpiwh.ocpi import AdaptiveLimiter, OcpiClient, parse_retry_after

from .fakes import Recorder, envelope

MakeClient = Callable[..., OcpiClient]


def test_halves_on_throttle_min_one_and_grows_back() -> None:
    lim = AdaptiveLimiter(8)
    assert lim.limit == 8
    for expected in (4, 2, 1, 1):
        with lim:
            lim.on_throttled()
        assert lim.limit == expected
    for _ in range(200):
        lim.on_success()
    assert lim.limit == 8
    lim.on_success()
    assert lim.limit == 8  # never above max


def test_growth_is_slow() -> None:
    lim = AdaptiveLimiter(8)
    with lim:
        lim.on_throttled()
    assert lim.limit == 4
    lim.on_success()
    lim.on_success()
    assert lim.limit == 4  # needs about `limit` successes per extra slot
    for _ in range(4):
        lim.on_success()
    assert lim.limit >= 5


def test_burst_of_429_from_requests_in_flight_counts_once() -> None:
    lim = AdaptiveLimiter(8)
    barrier = threading.Barrier(4)

    def worker() -> None:
        with lim:
            barrier.wait()  # all four started before any decrease
            barrier.wait()
            lim.on_throttled()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lim.limit == 4


def test_limits_concurrency() -> None:
    lim = AdaptiveLimiter(2)
    active = 0
    peak = 0
    lock = threading.Lock()

    def worker() -> None:
        nonlocal active, peak
        with lim:
            with lock:
                active += 1
                peak = max(peak, active)
            time.sleep(0.01)
            with lock:
                active -= 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak <= 2
    assert lim.in_flight == 0


def test_reentrant_per_thread_so_workers_may_hold_it_around_get(
    make_client: MakeClient,
) -> None:
    rec = Recorder(lambda r: envelope([]))
    client = make_client(rec, max_connections=1)
    with client.throttle:
        client.get("http://cpo.example/x")  # would deadlock if not re-entrant
    assert client.throttle.in_flight == 0


def test_client_feeds_throttle(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope([]))
    rec.queue.append(httpx.Response(429))
    client = make_client(rec, max_connections=8)
    client.get("http://cpo.example/x")
    assert client.stats.throttled == 1
    assert client.throttle.limit == 4


def test_many_threads_share_one_client(make_client: MakeClient) -> None:
    calls = 0
    lock = threading.Lock()

    def answer(req: httpx.Request) -> httpx.Response:
        nonlocal calls
        with lock:
            calls += 1
            n = calls
        if n % 5 == 0:
            return httpx.Response(429, headers={"Retry-After": "0"})
        return envelope([{"id": str(n)}])

    client = make_client(Recorder(answer), max_connections=4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                client.get("http://cpo.example/x")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    stats = client.stats.snapshot()
    assert stats["requests"] == 80 + stats["throttled"]
    assert stats["retries_by_reason"]["429"] == stats["throttled"]
    assert client.throttle.in_flight == 0


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None
