"""Retry policy (exponential backoff with full jitter, Retry-After) and adaptive concurrency."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType

#: HTTP statuses worth retrying: rate limiting and transient server/gateway failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How :class:`~ocpiwh.ocpi.http.OcpiClient` retries one request.

    ``max_attempts`` counts every attempt (the first one included); ``max_total`` bounds the
    time spent on one request including waits. ``sleep`` and ``rng`` are injectable so tests
    run instantly and deterministically.
    """

    max_attempts: int = 8
    base_delay: float = 0.2
    max_delay: float = 30.0
    max_total: float = 300.0
    jitter: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    rng: random.Random | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total < 0:
            raise ValueError("RetryPolicy delays must not be negative")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        A server's ``Retry-After`` wins (capped by ``max_delay``); otherwise exponential
        backoff ``base_delay * 2**(attempt-1)`` capped by ``max_delay``, with full jitter.
        """
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_delay))
        exp = min(self.max_delay, self.base_delay * math.pow(2.0, min(attempt - 1, 62)))
        if not self.jitter:
            return exp
        rand = self.rng.random() if self.rng is not None else random.random()
        return exp * rand


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


class AdaptiveLimiter:
    """AIMD concurrency limiter shared by all worker threads of one client.

    ``with limiter:`` holds one slot while a request is in flight. On HTTP 429,
    :meth:`on_throttled` halves the allowed concurrency (never below 1); a burst of 429s
    answering requests that were started before the last decrease counts once. Each
    success adds ``1/limit`` (about one slot per round of successful requests) up to
    ``max_limit``. Acquiring is re-entrant per thread, so a worker may hold a slot around
    ``client.get`` (which acquires one itself) without deadlocking.
    """

    def __init__(self, max_limit: int) -> None:
        if max_limit < 1:
            raise ValueError("max_limit must be at least 1")
        self.max_limit = max_limit
        self._limit = float(max_limit)
        self._in_flight = 0
        self._epoch = 0
        self._cond = threading.Condition()
        self._local = threading.local()

    @property
    def limit(self) -> int:
        """Requests currently allowed in flight at once."""
        return max(1, int(self._limit))

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def acquire(self) -> None:
        depth: int = getattr(self._local, "depth", 0)
        if depth == 0:
            with self._cond:
                while self._in_flight >= self.limit:
                    self._cond.wait()
                self._in_flight += 1
        self._local.depth = depth + 1
        self._local.epoch = self._epoch

    def release(self) -> None:
        depth: int = getattr(self._local, "depth", 0)
        if depth <= 0:
            raise RuntimeError("AdaptiveLimiter.release() without acquire()")
        self._local.depth = depth - 1
        if depth == 1:
            self._local.epoch = None
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def __enter__(self) -> AdaptiveLimiter:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def on_throttled(self) -> None:
        """The platform answered 429: halve the allowed concurrency (min 1)."""
        started: int | None = getattr(self._local, "epoch", None)
        with self._cond:
            if started is not None and started != self._epoch:
                return  # this request began before the last decrease: already accounted for
            self._limit = max(1.0, float(self.limit // 2))
            self._epoch += 1
            if started is not None:
                self._local.epoch = self._epoch

    def on_success(self) -> None:
        """A request succeeded: grow the allowed concurrency slowly back to ``max_limit``."""
        with self._cond:
            if self._limit < self.max_limit:
                before = self.limit
                self._limit = min(float(self.max_limit), self._limit + 1.0 / self._limit)
                if self.limit != before:
                    self._cond.notify_all()
