"""The paging frontier of a shrinking result set: what has been received, where to ask next.

Pure bookkeeping, no I/O (:mod:`ocpiwh.ocpi.paging` drives it). A sync window
``[date_from, date_to)`` with ``date_to`` in the past is *frozen*: while we page, objects can
only leave it (an update moves their ``last_updated`` past ``date_to``), never enter. Each
departure before a position shifts every later object down by one, and ``X-Total-Count``
drops by one. So positions are only meaningful together with the total they were measured in.

The frontier ``position`` says: every object still in the set at a position below it (counted
in the set of size ``total``, the newest total seen) has been received. A response
``(offset, count, total)`` is judged against it:

* ``total`` below the current one: ``s`` objects left; unreceived objects may have moved down
  by up to ``s``, so the frontier moves back by ``s`` (and the total becomes the new one);
* ``total`` above the current one, for a request sent before the response that set the
  current total was judged: an *older* response, served before ``d`` later departures. Its
  objects now sit up to ``d`` positions lower: it proves ``[offset, offset + count − d)``;
* ``total`` above the current one otherwise: the set grew (objects appended at the end, as
  on an unfrozen listing ordered by ``last_updated``): the total is raised;
* a response that starts at or below the frontier extends it; one that starts above it
  leaves a *gap*: it is kept (its objects are delivered) and its coverage waits until the
  frontier reaches its offset, then counts for ``offset + count − d``.

Proof of the older-response rule: an object now at position ``q`` in ``[position, offset +
count − d)`` was at ``q' ∈ [q, q + d]`` when the response was served; ``q' ≥ position ≥
offset`` and ``q' < offset + count``, so the response held it.

A response *advances* the frontier when it gains more than the shrink it revealed (the
frontier then ends above where it was before the response). ``stalled`` counts responses in
a row that did not; the caller fails past a bound instead of keeping a budget of step-backs.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

__all__ = ["Frontier", "Verdict"]

_MIN_SPREAD = 2.0
_MAX_SPREAD = 8.0
_SPREAD_DECAY = 0.1
_MAX_SPREAD_COST = 0.2


@dataclass(frozen=True)
class Verdict:
    """What one response did to the frontier."""

    shrink: int
    """Objects that left the set since the newest response judged before (0 if none)."""
    gap: bool
    """The response could not be joined to the frontier: its coverage waits for it."""
    advanced: bool
    """The frontier ends above where it was before the response (net of the shrink)."""


@dataclass
class _Kept:
    """A response not joined to the frontier yet (its objects were delivered already)."""

    offset: int
    end: int
    total: int
    first: int | None
    fingerprints: frozenset[int] = field(repr=False)


class Frontier:
    """Received prefix of a list that may shrink while it is paged (see the module doc)."""

    def __init__(self, *, start: int, total: int, limit: int, memory: int = 8) -> None:
        self.position = start
        self.total = total
        self.limit = max(1, limit)
        """Objects per page the server actually returns (lowered when it returns fewer)."""
        self.stalled = 0
        self.max_shrink = 0
        self.judged = 0
        """Responses judged so far: a request records it when sent (see :meth:`observe`)."""
        self.joined_above = 0
        """Responses joined although they started above the frontier (see :meth:`_joins`)."""
        self._total_set_at = -1  # index of the judged response that set ``total``
        self._kept: list[_Kept] = []
        self._edge: _Kept | None = None  # the response that last moved the frontier
        self._shrinks: deque[int] = deque(maxlen=max(1, memory))
        self._ended = False
        self.spread = _MIN_SPREAD
        """How many responses' worth of shrink consecutive pages overlap by: pages in flight
        together may be served in any order, so the shrink between two of them can be a few
        responses' worth. Raised by one on each gap, lowered slowly while pages join."""

    @property
    def waiting(self) -> int:
        """Responses kept above a gap, waiting for the frontier to reach them."""
        return len(self._kept)

    @property
    def done(self) -> bool:
        """Every object still in the set has been received."""
        return self._ended or self.position >= self.total

    def observe(
        self,
        offset: int,
        count: int,
        total: int | None,
        *,
        sent_at: int,
        first: int | None = None,
        fingerprints: frozenset[int] = frozenset(),
    ) -> Verdict:
        """Judge one response. ``sent_at`` is :attr:`judged` when its request was sent: it
        tells an older response (a higher total) from a set that grew. ``first`` and
        ``fingerprints`` identify its objects (see :meth:`_joins`)."""
        t = self.total if total is None else total
        shrink = 0
        if t < self.total:
            shrink = self.total - t
            self.total = t
            self.position = max(0, self.position - shrink)
            self._total_set_at = self.judged
        elif t > self.total and sent_at > self._total_set_at:
            self.total = t  # served after the newest total: the set grew
            self._total_set_at = self.judged
        self.judged += 1
        self._shrinks.append(shrink)
        self.max_shrink = max(self.max_shrink, shrink)
        before = self.position
        kept = _Kept(offset, offset + count, t, first, fingerprints)
        gap = not self._joins(kept)
        if count == 0:
            if not gap:
                self._ended = True  # nothing at or past a received position
        else:
            if not gap and count < self.limit and offset + count < t:
                self.limit = count  # the server pages smaller than asked
            self._kept.append(kept)
            self._absorb()
        if gap:  # pages are served further apart than planned for: overlap more
            self.spread = min(self.spread + 1.0, _MAX_SPREAD)
        else:
            self.spread = max(_MIN_SPREAD, self.spread - _SPREAD_DECAY)
        advanced = self.done or self.position - before > shrink
        self.stalled = 0 if advanced else self.stalled + 1
        return Verdict(shrink=shrink, gap=gap, advanced=advanced)

    def _joins(self, kept: _Kept) -> bool:
        """Whether every object that stays in the set is received up to the response's last
        object. True when the response starts at or below the frontier; or when it starts
        within the *edge* response (the one that last moved the frontier), counted in the
        older of their two totals (pages served in the same state chain exactly, whatever
        left the set after both); or when its first object is on the edge page (identity:
        the departures in between were ahead of us, not behind)."""
        if kept.offset <= self.position:
            return True
        edge = self._edge
        if edge is None:
            return False
        if kept.offset <= edge.end - max(0, edge.total - kept.total):
            return True
        return kept.first is not None and kept.first in edge.fingerprints

    def _absorb(self) -> None:
        """Join every kept response that now joins the frontier; drop those that add nothing."""
        progress = True
        while progress:
            progress = False
            for kept in sorted(self._kept, key=lambda k: k.offset):
                if not self._joins(kept):
                    continue
                self._kept.remove(kept)
                if kept.offset > self.position:
                    self.joined_above += 1
                end = kept.end - max(0, kept.total - self.total)
                if end > self.position:
                    self.position = end
                    self._edge = kept
                    progress = True

    def _margin(self, shrinks: int) -> int:
        if not self.max_shrink:  # the set held still so far
            return 0
        return min(self.limit - 1, shrinks + 1)

    @property
    def rate(self) -> float:
        """Objects leaving the set per response, over the last few responses."""
        return sum(self._shrinks) / len(self._shrinks) if self._shrinks else 0.0

    @property
    def overlap(self) -> int:
        """How much consecutive pages overlap: the recent shrink per response times the
        spread, plus one once the set has shrunk at all (0 while it holds still)."""
        return self._margin(math.ceil(self._spread_rate()))

    def backoff(self, ahead: int) -> int:
        """How far below the frontier to ask for a page that ``ahead`` responses precede:
        the shrink expected until it is served, plus the spread's margin."""
        return self._margin(math.ceil(ahead * self.rate + self._spread_rate()))

    def _spread_rate(self) -> float:
        # a wider spread than two responses may cost at most a fifth of each page: beyond,
        # a bridge request per gap is cheaper than the overlap
        base = _MIN_SPREAD * self.rate
        return max(base, min(self.spread * self.rate, self.limit * _MAX_SPREAD_COST))
