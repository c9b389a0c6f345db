"""Sub-windows: a large window is fetched and committed in slices of ``last_updated``.

A first sync of a year of sessions, or a sync after a long pause, is one window of millions of
objects. Committed as one, any interruption (a kill, a reboot, a platform outage) throws all of
it away. So a window holding more than about ``target`` objects is cut on ``last_updated`` into
sub-windows, each committed before the next is fetched: a kill loses at most the one in flight.

Sizes come from ``X-Total-Count``: a probe (a one-object page of ``[start, guess)``) counts a
candidate slice; the end is searched by interpolation on the counts, with bisection when the
counts give no slope (an empty prefix, e.g. a first sync that starts in 1970), and the
density of the last accepted slice guesses the next. A slice that holds more than ``target``
objects within one second is taken whole (OCPI filters have one-second resolution). Without
``X-Total-Count`` the window is not cut.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

Counter = Callable[[datetime | None, datetime], int | None]
"""Objects of ``[start, end)`` as the platform counts them (``X-Total-Count``), or None."""

SECOND = timedelta(seconds=1)


@dataclass
class Slice:
    end: datetime
    objects: int | None
    """What the probe counted in ``[start, end)`` (None: the platform does not say)."""


class SubWindows:
    """Chooses where each sub-window of ``[start, end)`` ends."""

    def __init__(self, count: Counter, target: int, max_probes: int = 24) -> None:
        if target < 1:
            raise ValueError("target must be >= 1")
        self.count = count
        self.target = target
        self.max_probes = max_probes
        self.density: float | None = None
        """Objects per second of the last accepted slice."""
        self.probes = 0
        self.remaining: int | None = None
        """What the platform counted in the whole rest ``[start, end)`` at the last call."""

    def _probe(self, start: datetime | None, end: datetime) -> int | None:
        self.probes += 1
        return self.count(start, end)

    def next(self, start: datetime | None, end: datetime) -> Slice:
        """The next slice ``[start, slice.end)``; ``slice.end == end`` when the rest fits."""
        total = self.remaining = self._probe(start, end)
        high = self.target + self.target // 2
        if total is None or total <= high or start is None:
            return Slice(end, total)
        low = max(1, self.target // 2)
        lo, n_lo = start, 0
        hi, n_hi = end, total
        if self.density:
            guess = start + timedelta(seconds=self.target / self.density)
        else:
            guess = start + (end - start) * (self.target / total)
        for _ in range(self.max_probes):
            guess = _whole_seconds(min(max(guess, lo + SECOND), hi - SECOND))
            if not lo < guess < hi:
                break
            n = self._probe(start, guess)
            if n is None:
                return Slice(end, total)
            if low <= n <= high:
                return self._accept(start, guess, n)
            if n > high:
                hi, n_hi = guess, n
            else:
                lo, n_lo = guess, n
            if hi - lo <= SECOND:
                break
            if n_lo == 0:  # no slope to follow yet: halve the empty prefix
                guess = lo + (hi - lo) / 2
            else:
                guess = lo + (hi - lo) * ((self.target - n_lo) / (n_hi - n_lo))
        # No slice of the right size: the smaller bracket if it holds anything, else the
        # larger one (more than the target within a second cannot be cut).
        if n_lo > 0:
            return self._accept(start, lo, n_lo)
        return self._accept(start, hi, n_hi) if hi < end else Slice(end, total)

    def _accept(self, start: datetime, end: datetime, objects: int) -> Slice:
        seconds = (end - start).total_seconds()
        if seconds > 0 and objects > 0:
            self.density = objects / seconds
        return Slice(end, objects)


def _whole_seconds(dt: datetime) -> datetime:
    return dt.replace(microsecond=0)
