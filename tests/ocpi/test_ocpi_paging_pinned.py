"""Paging behaviours pinned by mutation testing (docs/mutation.md): each test here failed on
mutants of ocpiwh/ocpi/paging.py that the other paging tests let survive. In-process
(httpx.MockTransport), so mutmut runs them in a fraction of a second per mutant."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ocpiwh.errors import OcpiError
from ocpiwh.ocpi import CrawlStats, OcpiClient, Page, crawl, crawl_window
from ocpiwh.ocpi.paging import _INLINE, parse_link_header

from .fakes import Recorder, envelope

MakeClient = Callable[..., OcpiClient]
URL = "https://cpo.example/ocpi/cpo/2.2.1/sessions"
HINT = "report this to the platform operator; try again later"


def bounded(answer: Callable[[httpx.Request], httpx.Response], most: int) -> Recorder:
    """A recorder that fails the test instead of answering more than ``most`` requests (a
    crawl that does not stop is a failure, not a hang)."""
    rec = Recorder()

    def guarded(req: httpx.Request) -> httpx.Response:
        assert len(rec.requests) <= most, f"request {len(rec.requests)} to {req.url}"
        return answer(req)

    rec.answer = guarded
    return rec


def pages_of(
    client: OcpiClient, url: str = URL, stats: CrawlStats | None = None, limit: int | None = None
) -> list[Page]:
    return list(
        crawl_window(
            client,
            url,
            {},
            module="sessions",
            page_limit=limit,
            concurrency=1,
            executor=_INLINE,
            prepare=lambda page: page,
            stats=stats,
        )
    )


def test_a_link_to_the_same_page_is_a_loop_with_a_hint(make_client: MakeClient) -> None:
    def answer(req: httpx.Request) -> httpx.Response:
        return envelope([{"id": "1"}], headers={"Link": f'<{URL}?page=a>; rel="next"'})

    rec = bounded(answer, 4)
    with pytest.raises(OcpiError, match="loops") as failed:
        list(crawl(make_client(rec), URL, {}, module="cdrs"))
    assert failed.value.hint == HINT
    assert len(rec.requests) == 2


def test_a_link_back_to_the_first_page_is_a_loop(make_client: MakeClient) -> None:
    """The first URL counts as asked for: a link back to it is caught before it is sent."""

    def answer(req: httpx.Request) -> httpx.Response:
        back = URL if req.url.params.get("cursor") else f"{URL}?cursor=a"
        return envelope([{"id": "1"}], headers={"Link": f'<{back}>; rel="next"'})

    rec = bounded(answer, 4)
    with pytest.raises(OcpiError, match="loops"):
        list(crawl(make_client(rec), URL, {}, module="cdrs"))
    assert [str(r.url) for r in rec.requests] == [URL, f"{URL}?cursor=a"]


def test_no_progress_has_a_hint(make_client: MakeClient) -> None:
    def answer(req: httpx.Request) -> httpx.Response:
        off = int(req.url.params.get("offset", 0))
        nxt = f"{URL}?offset={off}&limit={10 + off}"
        return envelope([{"id": "1"}], headers={"Link": f'<{nxt}>; rel="next"'})

    with pytest.raises(OcpiError, match="no progress") as failed:
        list(crawl(make_client(bounded(answer, 4)), URL, {"offset": 5}, module="cdrs"))
    assert failed.value.hint == HINT


def sparse(req: httpx.Request) -> httpx.Response:
    """No X-Total-Count; pages of up to 3 objects at offsets 0, 10, 20 (a server that filters
    its pages after paging them): the next link's offset is not offset + count."""
    off = int(req.url.params.get("offset", 0))
    headers = {"Link": f'<{URL}?offset={off + 10}>; rel="next"'} if off < 20 else {}
    return envelope([{"id": f"{off}-{i}"} for i in range(3)], headers=headers)


def test_pages_followed_by_link_take_the_link_offset_and_are_counted(
    make_client: MakeClient,
) -> None:
    rec = bounded(sparse, 3)
    stats = CrawlStats()
    pages = pages_of(make_client(rec), stats=stats)
    assert [p.offset for p in pages] == [0, 10, 20]
    assert (stats.requests, stats.pages, stats.objects) == (3, 3, 9)
    assert stats.final_total is None and stats.max_shrink == 0


class LiveSet:
    """A live set paged by 10 with X-Total-Count: ``leave[n]`` ids leave it just before
    request n is answered. Links are offsets carrying a ``token`` the crawler must keep, or
    opaque cursors (``cursor=True``: no offset in the URL)."""

    def __init__(self, n: int, leave: dict[int, set[str]], *, cursor: bool = False) -> None:
        self.objects = [{"id": str(i)} for i in range(n)]
        self.leave = leave
        self.cursor = cursor
        self.calls = 0

    def __call__(self, req: httpx.Request) -> httpx.Response:
        self.calls += 1
        gone = self.leave.get(self.calls, set())
        self.objects = [o for o in self.objects if o["id"] not in gone]
        at = req.url.params.get("cursor" if self.cursor else "offset")
        start = int(at) if at else 0
        data = self.objects[start : start + 10]
        headers = {"X-Total-Count": str(len(self.objects))}
        end = start + len(data)
        if end < len(self.objects):
            query = f"cursor={end}" if self.cursor else f"offset={end}&token=t"
            headers["Link"] = f'<{URL}?{query}>; rel="next"'
        return envelope(data, headers=headers)


def test_a_steady_total_under_cursor_links_is_no_shrink(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    stats = CrawlStats()
    with caplog.at_level("WARNING", logger="ocpiwh.ocpi"):
        pages = pages_of(make_client(bounded(LiveSet(30, {}, cursor=True), 3)), stats=stats)
    assert [p.total for p in pages] == [30, 30, 30]
    assert stats.max_shrink == 0 and stats.final_total == 30
    assert not [r for r in caplog.records if "shrank" in r.getMessage()]


def test_a_late_shrink_under_cursor_links_is_measured_against_the_previous_page(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The set shrinks by 3 before the third page only (and by 1 before the fourth): each
    page is compared with the one before it, not only the second with the first."""
    stats = CrawlStats()
    with caplog.at_level("WARNING", logger="ocpiwh.ocpi"):
        pages = pages_of(
            make_client(bounded(LiveSet(50, {3: {"0", "1", "2"}, 4: {"3"}}, cursor=True), 6)),
            stats=stats,
        )
    assert [p.total for p in pages][:4] == [50, 50, 47, 46]
    assert stats.max_shrink == 3 and stats.final_total == 46
    warnings = [r.getMessage() for r in caplog.records if "shrank" in r.getMessage()]
    assert warnings == [
        "/ocpi/cpo/2.2.1/sessions: X-Total-Count shrank from 50 to 47 but the page links carry "
        "no offset to step back to; objects may be missed until the next sync"
    ]


def test_stats_count_offset_paging(make_client: MakeClient) -> None:
    def answer(req: httpx.Request) -> httpx.Response:
        off = int(req.url.params.get("offset", 0))
        data: list[dict[str, Any]] = [{"id": str(i)} for i in range(off, min(off + 10, 25))]
        return envelope(data, headers={"X-Total-Count": "25"})

    stats = CrawlStats()
    pages = pages_of(make_client(bounded(answer, 3)), stats=stats)
    assert [p.offset for p in pages] == [0, 10, 20]
    assert (stats.requests, stats.pages, stats.objects, stats.final_total) == (3, 3, 25, 25)


def test_link_values_separated_by_a_bare_comma() -> None:
    header = '<https://x/a>; rel="prev",<https://x/b>; rel="next",<https://x/c>; rel="last"'
    assert parse_link_header(header) == {
        "prev": "https://x/a",
        "next": "https://x/b",
        "last": "https://x/c",
    }


def test_garbage_before_a_link_value_is_skipped_to_the_next_one() -> None:
    assert parse_link_header('garbage, <https://x/y>; rel="next"') == {"next": "https://x/y"}
    assert parse_link_header('a;b=c, d, <https://x/y>; rel="next"') == {"next": "https://x/y"}


def test_junk_between_a_target_and_its_parameters_leaves_it_without_relation() -> None:
    """RFC 8288: ``"<" URI-Reference ">" *( OWS ";" OWS link-param )``; OWS is blanks only."""
    assert parse_link_header('<https://x/y>X; rel="next"') == {}
    assert parse_link_header('<https://x/y>\t ; rel="next"') == {"next": "https://x/y"}


def test_the_first_link_is_followed_verbatim_under_offset_paging(make_client: MakeClient) -> None:
    """The server pages by 10 but its links echo the limit asked for (100): the link of the
    first page is sent as it is, not rebuilt with the page size the crawler measured."""

    def answer(req: httpx.Request) -> httpx.Response:
        off = int(req.url.params.get("offset", 0))
        data = [{"id": str(i)} for i in range(off, min(off + 10, 25))]
        headers = {"X-Total-Count": "25"}
        if off + 10 < 25:
            headers["Link"] = f'<{URL}?offset={off + 10}&limit=100&token=k{off + 10}>; rel="next"'
        return envelope(data, headers=headers)

    rec = bounded(answer, 3)
    pages = pages_of(make_client(rec), limit=100)
    assert [p.offset for p in pages] == [0, 10, 20]
    assert str(rec.requests[1].url) == pages[0].next_url == f"{URL}?offset=10&limit=100&token=k10"


# --- the Link header: separators, quoted-pairs and parameters at the end of the header ---


@pytest.mark.parametrize(
    ("header", "links"),
    [
        ('<https://x/y>;rel="next"', {"next": "https://x/y"}),  # no blank after ";"
        ("<https://x/y>;rel=next;title=a", {"next": "https://x/y"}),
        ('<https://x/y>; X-Ray="1"; rel="next"', {"next": "https://x/y"}),  # any token name
        ('<https://x/y>; rel="ne\\xt"', {"next": "https://x/y"}),  # a quoted-pair
        ('<https://x/y>; rel="next\\"', {'next"': "https://x/y"}),  # escaping the last char
        ('<https://x/y>; rel="next', {"next": "https://x/y"}),  # unterminated: to the end
        ('<https://x/y>; rel="next\\', {"next\\": "https://x/y"}),  # a lone final backslash
        ("<https://x/y>; rel=", {}),  # an empty value at the end of the header
        ("<https://x/y>; rel= ", {}),
        ('<https://x/y>; title="no relation"', {}),  # no rel parameter at all
        ("<https://x/y>", {}),
    ],
)
def test_link_header_edges(header: str, links: dict[str, str]) -> None:
    assert parse_link_header(header) == links


# --- a page's fields, the request parameters, the errors ---


def test_a_page_carries_its_url_timestamp_and_headers(make_client: MakeClient) -> None:
    def answer(req: httpx.Request) -> httpx.Response:
        return envelope([{"id": "1"}], headers={"X-Total-Count": "1", "X-Limit": "50"})

    (page,) = list(crawl(make_client(Recorder(answer)), URL, {}, module="cdrs"))
    assert page.url == URL
    assert page.timestamp == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # the envelope's
    assert (page.total, page.limit, page.offset, page.count) == (1, 50, 0, 1)


@pytest.mark.parametrize(("value", "total"), [("0", 0), ("-1", None), (" 7 ", 7), ("x", None)])
def test_x_total_count_is_a_count(make_client: MakeClient, value: str, total: int | None) -> None:
    def answer(req: httpx.Request) -> httpx.Response:
        return envelope([], headers={"X-Total-Count": value})

    (page,) = list(crawl(make_client(Recorder(answer)), URL, {}, module="cdrs"))
    assert page.total == total


@pytest.mark.parametrize(("offset", "first"), [("0", 0), ("-5", 0), ("12", 12)])
def test_the_first_page_offset_is_the_url_offset(
    make_client: MakeClient, offset: str, first: int
) -> None:
    rec = Recorder(lambda req: envelope([]))
    (page,) = list(crawl(make_client(rec), f"{URL}?offset={offset}", {}, module="cdrs"))
    assert page.offset == first


def test_booleans_are_sent_as_json_literals(make_client: MakeClient) -> None:
    rec = Recorder(lambda req: envelope([]))
    list(crawl(make_client(rec), URL, {"yes": True, "no": False, "none": None}, module="cdrs"))
    assert dict(rec.requests[0].url.params) == {"yes": "true", "no": "false"}


def test_a_non_list_page_names_the_endpoint_and_the_type(make_client: MakeClient) -> None:
    rec = Recorder(lambda req: envelope({"id": "1"}))
    with pytest.raises(OcpiError) as failed:
        list(crawl(make_client(rec), URL, {}, module="cdrs"))
    assert failed.value.message == (
        "/ocpi/cpo/2.2.1/sessions returned dict data where a list was expected"
    )
    assert failed.value.hint == "check that the URL is a module's list endpoint"


def test_concurrency_below_one_is_refused(make_client: MakeClient) -> None:
    client = make_client(Recorder(lambda req: envelope([])))
    with pytest.raises(ValueError, match=r"^concurrency must be at least 1$"):
        list(
            crawl_window(
                client,
                URL,
                {},
                module="cdrs",
                page_limit=None,
                concurrency=0,
                executor=_INLINE,
                prepare=lambda page: page,
            )
        )


def test_link_followed_pages_carry_the_party_headers(make_client: MakeClient) -> None:
    rec = bounded(sparse, 3)
    client = make_client(rec, version="2.2.1", from_party=("NL", "OWH"))
    assert len(pages_of(client)) == 3
    assert [r.headers.get("OCPI-from-party-id") for r in rec.requests] == ["OWH"] * 3


# --- offset paging against the frontier ---


def test_a_shrink_is_stepped_back_from_the_link_counted_and_logged(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    server = LiveSet(40, {3: {"1", "5", "12"}})
    rec = bounded(server, 8)
    stats = CrawlStats()
    with caplog.at_level("DEBUG", logger="ocpiwh.ocpi"):
        pages = pages_of(make_client(rec), stats=stats)
    offsets = [int(r.url.params.get("offset", 0)) for r in rec.requests]
    assert offsets[:3] == [0, 10, 20] and offsets[3] < 17  # stepped back below the frontier
    # every request after the first is the link's, or built from it: the token is kept
    assert all(r.url.params.get("token") == "t" for r in rec.requests[1:])
    below = sum(1 for i, o in enumerate(offsets) if i and o < max(offsets[:i]))
    assert stats.gaps == below >= 1  # requests sent below an offset already asked for
    assert (stats.requests, stats.pages) == (len(rec.requests), len(pages))
    assert (stats.max_shrink, stats.final_total) == (3, 37)
    messages = [r.getMessage() for r in caplog.records]
    path = "/ocpi/cpo/2.2.1/sessions"
    shrinks = [m for m in messages if "X-Total-Count" in m]
    assert len(shrinks) == 1
    assert shrinks[0].startswith(f"{path}: X-Total-Count 40 -> 37 at offset 20; frontier ")
    assert (
        f"{path}: 3 objects left the result set while paging (the next window has them); "
        f"{len(rec.requests)} requests, {below} to close gaps"
    ) in messages


def test_every_gap_is_counted(make_client: MakeClient) -> None:
    server = LiveSet(80, {3: {"1", "2", "3"}, 7: {"4", "6", "7", "8"}})  # two step-backs
    rec = bounded(server, 16)
    stats = CrawlStats()
    pages_of(make_client(rec), stats=stats)
    offsets = [int(r.url.params.get("offset", 0)) for r in rec.requests]
    below = sum(1 for i, o in enumerate(offsets) if i and o < max(offsets[:i]))
    assert stats.gaps == below >= 2
    assert (stats.max_shrink, stats.final_total) == (4, 73)


def test_requests_are_in_flight_together(make_client: MakeClient) -> None:
    """Slow start: once two pages are judged, two requests are sent before either returns
    (the pages at 20 and 30 wait for each other: one at a time, they would time out)."""
    both = threading.Barrier(2, timeout=10)

    def answer(req: httpx.Request) -> httpx.Response:
        off = int(req.url.params.get("offset", 0))
        if off in (20, 30):
            both.wait()
        data = [{"id": str(i)} for i in range(off, min(off + 10, 60))]
        return envelope(data, headers={"X-Total-Count": "60"})

    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(
            crawl_window(
                make_client(Recorder(answer)),
                URL,
                {},
                module="sessions",
                page_limit=None,
                concurrency=4,
                executor=pool,
                prepare=lambda page: page,
            )
        )
    assert [p.offset for p in pages] == [0, 10, 20, 30, 40, 50]


def test_the_stall_limit_grows_with_concurrency(make_client: MakeClient) -> None:
    calls = 0
    lock = threading.Lock()

    def answer(req: httpx.Request) -> httpx.Response:
        nonlocal calls
        with lock:
            calls += 1
            total = 100_000 - 10 * calls  # two pages leave per response
        off = int(req.url.params.get("offset", 0))
        return envelope(
            [{"id": f"{off}-{i}"} for i in range(5)], headers={"X-Total-Count": str(total)}
        )

    with ThreadPoolExecutor(max_workers=4) as pool, pytest.raises(OcpiError) as failed:
        list(
            crawl_window(
                make_client(Recorder(answer)),
                URL,
                {},
                module="sessions",
                page_limit=None,
                concurrency=4,
                executor=pool,
                prepare=lambda page: page,
            )
        )
    assert "for 18 responses in a row" in failed.value.message  # 10 + 2 x 4
    assert failed.value.hint == (
        "ask for larger pages (--page-limit), or sync a smaller window (--since) when the "
        "platform is less busy"
    )
