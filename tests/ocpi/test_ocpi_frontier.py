"""The frontier's bookkeeping, response by response (no HTTP)."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpiwh.ocpi.frontier import Frontier


def fp(*ids: int) -> frozenset[int]:
    return frozenset(ids)


def started(total: int = 1000, limit: int = 100) -> Frontier:
    f = Frontier(start=0, total=total, limit=limit)
    f.observe(0, limit, total, sent_at=0)
    return f


def test_extends_and_finishes() -> None:
    f = started(250)
    assert f.position == 100 and not f.done
    v = f.observe(100, 100, 250, sent_at=1)
    assert f.position == 200 and v.advanced and not v.gap and v.shrink == 0
    f.observe(200, 50, 250, sent_at=2)
    assert f.done and f.overlap == 0


def test_shrink_moves_the_frontier_back_and_leaves_a_gap() -> None:
    f = started()
    v = f.observe(100, 100, 997, sent_at=1)  # 3 left: objects 100..102 may now sit at 97..99
    assert v.shrink == 3 and v.gap and not v.advanced
    assert f.position == 97 and f.total == 997 and f.waiting == 1
    assert f.rate == 1.5 and f.spread == 3  # 3 over 2 responses; the gap widened the spread
    assert f.overlap == math.ceil(3 * 1.5) + 1
    v = f.observe(90, 100, 997, sent_at=2)  # the refetch below the frontier
    assert not v.gap and v.advanced
    assert f.position == 200 and f.waiting == 0  # the kept page joined once reached


def test_older_response_counts_minus_the_later_departures() -> None:
    f = started()
    f.observe(100, 100, 990, sent_at=1)  # served last: 10 left before it
    assert f.position == 90
    f.observe(80, 100, 990, sent_at=1)
    assert f.position == 200  # up to 180, then the kept page (same total) joined
    # sent before the 990 response was judged, served before it: an older state
    v = f.observe(170, 100, 995, sent_at=1)
    assert f.total == 990 and v.shrink == 0
    assert f.position == 170 + 100 - 5


def test_kept_older_page_joins_minus_the_later_departures() -> None:
    f = started()
    f.observe(150, 100, 1000, sent_at=1)  # above the frontier: kept
    f.observe(85, 100, 990, sent_at=1)  # frontier 90, then 185; 10 left since the kept page
    assert f.position == 250 - 10 and f.waiting == 0


def test_a_higher_total_after_the_newest_one_is_growth() -> None:
    f = started(200)
    f.observe(100, 100, 200, sent_at=1)
    assert f.done
    f2 = started(200)
    v = f2.observe(100, 100, 203, sent_at=1)  # sent after the first page was judged
    assert f2.total == 203 and f2.position == 200 and not f2.done and v.advanced


def test_pages_served_in_the_same_state_chain_after_a_bridge() -> None:
    """Four pages sent together; one object leaves before the first is served, the others
    are served before any more leave: once bridged, they chain without a discount each."""
    f = started(1000)
    assert f.observe(100, 100, 999, sent_at=1).gap  # frontier 99
    assert f.observe(200, 100, 999, sent_at=1).gap
    assert f.observe(300, 100, 999, sent_at=1).gap
    f.observe(97, 100, 998, sent_at=2)  # the bridge, after one more left
    assert f.waiting == 0 and f.position == 400 - 1  # one discount, not one per page
    assert f.joined_above == 2  # 200 and 300 start where the page before ended (same total)


def test_identity_joins_what_arithmetic_cannot() -> None:
    """Departures ahead of the crawler shrink the total without shifting what follows."""
    f = Frontier(start=0, total=1000, limit=100)
    f.observe(0, 100, 1000, sent_at=0, first=0, fingerprints=fp(*range(100)))
    # 5 objects far ahead left; the next page still starts at object 99 (overlap 1)
    v = f.observe(99, 100, 995, sent_at=1, first=99, fingerprints=fp(*range(99, 199)))
    assert not v.gap and f.position == 199 and f.joined_above == 1
    # without the fingerprints the same response is a gap
    g = Frontier(start=0, total=1000, limit=100)
    g.observe(0, 100, 1000, sent_at=0)
    assert g.observe(99, 100, 995, sent_at=1).gap and g.position == 95


def test_empty_page_at_the_frontier_ends() -> None:
    f = started(5000)
    assert f.observe(100, 0, 5000, sent_at=1).advanced
    assert f.done


def test_empty_page_above_the_frontier_is_a_gap() -> None:
    f = started(5000)
    v = f.observe(300, 0, 5000, sent_at=1)
    assert v.gap and not f.done and f.stalled == 1


def test_short_page_lowers_the_page_size() -> None:
    f = started(1000, limit=100)
    f.observe(100, 40, 1000, sent_at=1)
    assert f.limit == 40 and f.position == 140


def test_stalls_when_the_set_shrinks_by_a_page_per_response() -> None:
    f = started(100_000, limit=10)
    total = 100_000
    for i in range(12):
        total -= 20
        f.observe(max(0, f.position - f.backoff(0)), 10, total, sent_at=i + 1)
    assert f.stalled == 12 and f.position <= 10


def test_overlap_is_capped_below_a_page() -> None:
    f = started(100_000, limit=10)
    f.observe(10, 10, 99_000, sent_at=1)
    assert f.overlap == 9 and f.backoff(4) == 9


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 400),
    limit=st.integers(1, 40),
    rate=st.floats(0, 6),
    seed=st.integers(0, 1000),
    ahead=st.booleans(),
)
def test_sequential_crawl_never_skips(
    n: int, limit: int, rate: float, seed: int, ahead: bool
) -> None:
    """Drive the frontier as the crawler does against a shrinking list: whenever it says
    done, every object that stayed was on some page."""
    rng = random.Random(seed)
    objects = list(range(n))
    stayed = set(objects)
    seen: set[int] = set()
    f: Frontier | None = None
    debt = 0.0
    offset = 0
    for step in range(2000):
        page = objects[offset : offset + limit]
        total = len(objects)
        if f is None:
            f = Frontier(start=0, total=total, limit=limit)
        f.observe(
            offset,
            len(page),
            total,
            sent_at=step,
            first=page[0] if page else None,
            fingerprints=frozenset(page),
        )
        seen.update(page)
        debt += rate
        while debt >= 1 and objects:
            debt -= 1
            pool = page if (page and not ahead) else objects
            victim = pool[rng.randrange(len(pool))]
            if victim in objects:
                objects.remove(victim)
                stayed.discard(victim)
        if f.done or f.stalled >= 12:
            break
        offset = max(0, f.position - f.backoff(0))
    assert f is not None
    if f.done:
        assert stayed <= seen
    else:
        assert f.stalled >= 12 and rate * 1 >= limit / 3


@pytest.mark.parametrize("memory", [1, 8])
def test_rate_is_the_recent_mean(memory: int) -> None:
    f = Frontier(start=0, total=1000, limit=100, memory=memory)
    f.observe(0, 100, 1000, sent_at=0)
    f.observe(90, 100, 996, sent_at=1)
    f.observe(180, 100, 996, sent_at=2)
    assert f.rate == (0.0 if memory == 1 else 4 / 3)


# --- pinned by mutation testing (docs/mutation.md): each test kills mutants that survived ---


def test_the_shrink_rate_is_averaged_over_the_last_eight_responses() -> None:
    f = Frontier(start=0, total=1000, limit=100)
    f.observe(0, 100, 992, sent_at=0)  # 8 left before the first response
    for k in range(1, 8):
        f.observe(100 * k, 100, 992, sent_at=k)
    assert f.rate == 1.0  # 8 over the 8 responses so far
    f.observe(800, 100, 992, sent_at=8)
    assert f.rate == 0.0 and f.position == 900  # the shrink left the window


def test_a_one_object_page_never_overlaps() -> None:
    f = Frontier(start=0, total=10, limit=1)
    assert f.limit == 1
    v = f.observe(5, 1, 9, sent_at=0)  # above the frontier (limit not lowered), one object left
    assert v.gap and f.limit == 1 and f.max_shrink == 1
    assert f.overlap == 0 and f.backoff(3) == 0  # nothing below a one-object page to re-ask


def test_a_response_above_the_frontier_before_any_join_is_a_gap() -> None:
    f = Frontier(start=0, total=1000, limit=100)
    v = f.observe(300, 100, 1000, sent_at=0)
    assert v.gap and not v.advanced and f.position == 0 and f.waiting == 1
    assert f.stalled == 1
    f.observe(500, 100, 1000, sent_at=0)
    assert f.stalled == 2
    v = f.observe(0, 100, 1000, sent_at=0)
    assert v.advanced and not v.gap and f.stalled == 0 and f.position == 100


def test_judged_counts_the_responses() -> None:
    f = Frontier(start=0, total=1000, limit=100)
    assert f.judged == 0
    for k in range(3):
        f.observe(100 * k, 100, 1000, sent_at=k)
    assert f.judged == 3


def test_a_response_without_a_total_keeps_the_current_one() -> None:
    f = started(250)
    v = f.observe(100, 100, None, sent_at=1)
    assert f.total == 250 and f.position == 200 and v.shrink == 0 and v.advanced


def test_an_equal_total_does_not_date_the_set() -> None:
    """Two requests sent together; the one answered second saw the set grow. A response with
    the same total as before set nothing, so the growth is not taken for an older total."""
    f = Frontier(start=0, total=10, limit=5)
    f.observe(0, 5, 10, sent_at=0)
    f.observe(5, 5, 12, sent_at=0)
    assert f.total == 12 and f.position == 10 and not f.done


def test_the_set_may_grow_twice() -> None:
    f = started(total=200, limit=100)
    f.observe(100, 100, 210, sent_at=1)
    f.observe(200, 10, 220, sent_at=2)
    assert f.total == 220 and f.position == 210 and not f.done


def test_only_a_short_page_inside_the_set_lowers_the_limit() -> None:
    gap = Frontier(start=0, total=100, limit=10)
    assert gap.observe(50, 5, 100, sent_at=0).gap
    assert gap.limit == 10  # a page above a gap proves nothing about the page size
    last = Frontier(start=0, total=25, limit=10)
    for k, (offset, count) in enumerate([(0, 10), (10, 10), (20, 5)]):
        last.observe(offset, count, 25, sent_at=k)
    assert last.done and last.limit == 10  # the last page is short because the set ends
    inner = Frontier(start=0, total=25, limit=10)
    inner.observe(0, 8, 25, sent_at=0)
    assert inner.limit == 8


def test_a_kept_response_joins_once_a_later_one_moves_the_frontier_past_it() -> None:
    f = Frontier(start=0, total=1000, limit=10)
    f.observe(0, 10, 1000, sent_at=0, first=1, fingerprints=fp(*range(1, 11)))
    assert f.observe(20, 10, 1000, sent_at=1, first=21, fingerprints=fp(*range(21, 31))).gap
    # its first object is on the edge page: it joins, and the one kept at 20 with it
    v = f.observe(25, 10, 1000, sent_at=2, first=5, fingerprints=fp(5, *range(26, 35)))
    assert not v.gap and f.position == 35 and f.waiting == 0


def test_a_response_ending_at_the_frontier_does_not_become_the_edge() -> None:
    f = Frontier(start=0, total=1000, limit=10)
    f.observe(0, 10, 1000, sent_at=0, first=1, fingerprints=fp(*range(1, 11)))
    f.observe(5, 5, 1000, sent_at=1, first=6, fingerprints=fp(*range(6, 11)))
    v = f.observe(12, 10, 1000, sent_at=2, first=3, fingerprints=fp(3, *range(13, 22)))
    assert not v.gap and f.position == 22  # joined through the first page's objects


def test_a_wide_spread_costs_at_most_a_fifth_of_a_page() -> None:
    f = started(total=10_000, limit=100)
    v = f.observe(500, 100, 9940, sent_at=1)  # 60 left, and a gap: spread 3, rate 30
    assert v.gap and f.spread == 3 and f.rate == 30
    # spread x rate = 90 is capped at a fifth of a page (20), but never below 2 x rate
    assert f.overlap == 60 + 1
