from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocpiwh.errors import OcpiError
from ocpiwh.ocpi import OcpiClient, crawl
from ocpiwh.ocpi.paging import parse_link_header

from .fakes import Recorder, envelope

MakeClient = Callable[..., OcpiClient]
URL = "https://cpo.example/ocpi/cpo/2.2.1/sessions"


class PagedServer:
    """An OCPI list endpoint over ``objects`` with a server-side page cap."""

    def __init__(
        self,
        n: int,
        *,
        cap: int = 10,
        link: str = "absolute",  # absolute | relative | none
        total: bool = True,
        cursor: bool = False,
    ) -> None:
        self.objects: list[dict[str, Any]] = [{"id": str(i)} for i in range(n)]
        self.cap = cap
        self.link = link
        self.total = total
        self.cursor = cursor
        self.before: Callable[[int], None] | None = None  # hook(request number)
        self.calls = 0

    def __call__(self, req: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.before is not None:
            self.before(self.calls)
        params = req.url.params
        offset = int(params.get("offset", 0))
        limit = min(int(params.get("limit", self.cap)), self.cap)
        data = self.objects[offset : offset + limit]
        headers = {"X-Limit": str(self.cap)}
        if self.total:
            headers["X-Total-Count"] = str(len(self.objects))
        nxt = offset + len(data)
        if nxt < len(self.objects) and self.link != "none":
            q = httpx.QueryParams(params).set("offset", str(nxt)).set("limit", str(limit))
            if self.cursor:
                q = q.set("cursor", f"c{nxt}")
            if self.link == "absolute":
                target = str(req.url.copy_with(query=str(q).encode()))
            else:
                target = "sessions?" + str(q)
            headers["Link"] = f'<{target}>; rel="next"'
        return envelope(data, headers=headers)


def ids(pages: list[Any]) -> list[str]:
    return [o["id"] for p in pages for o in p.objects]


def test_follows_link_verbatim_with_filters_and_cursor(make_client: MakeClient) -> None:
    server = PagedServer(25, cap=10, cursor=True)
    rec = Recorder(server)
    client = make_client(rec, version="2.2.1", from_party=("NL", "OWH"))
    since = datetime(2026, 1, 1, tzinfo=UTC)
    pages = list(crawl(client, URL, {"date_from": since}, module="sessions", page_limit=100))
    assert ids(pages) == [str(i) for i in range(25)]
    assert [p.offset for p in pages] == [0, 10, 20]
    assert pages[0].total == 25 and pages[0].limit == 10
    assert pages[-1].next_url is None
    urls = [str(r.url) for r in rec.requests]
    assert urls[0] == f"{URL}?date_from=2026-01-01T00%3A00%3A00Z&limit=100"
    assert urls[1] == pages[0].next_url  # verbatim
    assert "cursor=c10" in urls[1] and "date_from=" in urls[1]
    assert "limit=10" in urls[1]  # the server's cap, not our requested 100
    assert all(r.headers["OCPI-from-party-id"] == "OWH" for r in rec.requests)


def test_relative_link(make_client: MakeClient) -> None:
    server = PagedServer(15, cap=10, link="relative")
    rec = Recorder(server)
    pages = list(crawl(make_client(rec), URL, {}, module="sessions"))
    assert ids(pages) == [str(i) for i in range(15)]
    assert str(rec.requests[1].url).startswith(URL + "?")


def test_offset_fallback_without_link(make_client: MakeClient) -> None:
    server = PagedServer(23, cap=5, link="none")
    rec = Recorder(server)
    pages = list(
        crawl(
            make_client(rec), URL, {"date_to": "2026-02-01T00:00:00Z"}, module="cdrs", page_limit=50
        )
    )
    assert ids(pages) == [str(i) for i in range(23)]
    offsets = [int(r.url.params["offset"]) for r in rec.requests[1:]]
    assert offsets == [5, 10, 15, 20]  # by objects received, never by the requested 50
    assert {r.url.params["limit"] for r in rec.requests[1:]} == {"5"}  # the server's page size
    assert all(r.url.params["date_to"] == "2026-02-01T00:00:00Z" for r in rec.requests)


def test_no_link_no_total_is_last_page(make_client: MakeClient) -> None:
    server = PagedServer(23, cap=5, link="none", total=False)
    rec = Recorder(server)
    pages = list(crawl(make_client(rec), URL, {}, module="cdrs"))
    assert ids(pages) == [str(i) for i in range(5)]
    assert pages[0].total is None


def test_stops_at_empty_page_even_with_link(make_client: MakeClient) -> None:
    def answer(req: httpx.Request) -> httpx.Response:
        return envelope(
            [], headers={"Link": f'<{URL}?offset=999>; rel="next"', "X-Total-Count": "50"}
        )

    rec = Recorder(answer)
    pages = list(crawl(make_client(rec), URL, {}, module="cdrs"))
    assert len(pages) == 1 and pages[0].objects == []
    assert len(rec.requests) == 1


def test_null_data_is_empty(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope(None))
    pages = list(crawl(make_client(rec), URL, {}, module="cdrs"))
    assert pages[0].objects == []


def test_object_data_is_an_error(make_client: MakeClient) -> None:
    rec = Recorder(lambda r: envelope({"id": "1"}))
    with pytest.raises(OcpiError, match="list was expected"):
        list(crawl(make_client(rec), URL, {}, module="cdrs"))


def test_an_error_on_a_later_page_is_raised(make_client: MakeClient) -> None:
    server = PagedServer(50, cap=10)

    def answer(req: httpx.Request) -> httpx.Response:
        if req.url.params.get("offset") == "20":
            return envelope({"id": "x"})  # an object where the page's list belongs
        return server(req)

    rec = Recorder(answer)
    got = []
    with pytest.raises(OcpiError, match="list was expected"):
        for page in crawl(make_client(rec), URL, {}, module="sessions"):
            got.append(page.offset)
    assert got == [0, 10] and len(rec.requests) == 3


def test_loop_guard_same_url(make_client: MakeClient) -> None:
    def answer(req: httpx.Request) -> httpx.Response:
        return envelope([{"id": "1"}], headers={"Link": f'<{URL}?page=a>; rel="next"'})

    rec = Recorder(answer)
    with pytest.raises(OcpiError, match="loops"):
        list(crawl(make_client(rec), URL, {}, module="cdrs"))
    assert len(rec.requests) == 2


def test_loop_guard_no_progress(make_client: MakeClient) -> None:
    def answer(req: httpx.Request) -> httpx.Response:
        off = int(req.url.params.get("offset", 0))
        nxt = f"{URL}?offset={off}&limit={10 + off}"  # different URL, same offset
        return envelope([{"id": "1"}], headers={"Link": f'<{nxt}>; rel="next"'})

    with pytest.raises(OcpiError, match="no progress"):
        list(crawl(make_client(Recorder(answer)), URL, {"offset": 5}, module="cdrs"))


@pytest.mark.parametrize("link", ["absolute", "none"])
@pytest.mark.parametrize("removed_at", [0, 3, 9, 10, 14])
def test_shrinking_total_steps_back_without_skipping(
    make_client: MakeClient, link: str, removed_at: int
) -> None:
    """An object before the cursor leaves the window (updated) while crawling."""
    server = PagedServer(30, cap=5, link=link)
    original = [o["id"] for o in server.objects]
    gone = original[removed_at]

    def before(call: int) -> None:
        if call == 4:  # between page 3 (offset 10) and page 4 (offset 15)
            server.objects = [o for o in server.objects if o["id"] != gone]

    server.before = before
    rec = Recorder(server)
    pages = list(crawl(make_client(rec), URL, {}, module="sessions"))
    seen = ids(pages)
    assert set(seen) >= set(original) - {gone}  # nothing that stayed is skipped
    offsets = [int(r.url.params.get("offset", 0)) for r in rec.requests]
    assert offsets[:4] == [0, 5, 10, 15]
    if removed_at < 15:  # behind us: the frontier moved back to 14, the next page starts below
        assert offsets[4] < 14
    assert len(offsets) <= 8  # continued from there: no restart from 0


def test_shrink_by_several_steps_back_by_shrink(make_client: MakeClient) -> None:
    server = PagedServer(40, cap=10)
    original = [o["id"] for o in server.objects]

    def before(call: int) -> None:
        if call == 3:  # before the offset-20 page: 3 objects of the first pages left
            server.objects = [o for o in server.objects if o["id"] not in {"1", "5", "12"}]

    server.before = before
    rec = Recorder(server)
    pages = list(crawl(make_client(rec), URL, {}, module="sessions"))
    assert set(ids(pages)) >= set(original) - {"1", "5", "12"}
    offsets = [int(r.url.params.get("offset", 0)) for r in rec.requests]
    assert offsets[:3] == [0, 10, 20]
    assert offsets[3] < 17  # below the frontier (20 - 3), lowered by the shrink rate
    assert offsets[4:] == sorted(offsets[4:]) and len(offsets) <= 7
    assert all(p.total == 37 for p in pages[2:])  # every page kept, none thrown away


def test_departures_ahead_are_recognised_not_refetched(make_client: MakeClient) -> None:
    """Once the set has shrunk, pages carry their objects' fingerprints: a page whose total
    dropped by more than the overlap still joins when its first object was on the page
    before (the departures were ahead of the crawler), without a request below it."""
    server = PagedServer(100, cap=10)
    original = [o["id"] for o in server.objects]
    leave = {2: {"0"}, 5: {"90", "91", "92", "93", "94"}}  # request number -> ids that leave

    def before(call: int) -> None:
        server.objects = [o for o in server.objects if o["id"] not in leave.get(call, ())]

    server.before = before
    rec = Recorder(server)
    pages = list(crawl(make_client(rec), URL, {}, module="sessions"))
    assert set(ids(pages)) >= set(original) - {"0", "90", "91", "92", "93", "94"}
    offsets = [int(r.url.params.get("offset", 0)) for r in rec.requests]
    assert offsets[:3] == [0, 10, 6]  # the first shrink: a step back below the frontier
    assert offsets[2:] == sorted(offsets[2:])  # the 5 departures ahead: none


def test_growing_total_keeps_going(make_client: MakeClient) -> None:
    server = PagedServer(12, cap=5)

    def before(call: int) -> None:
        if call == 2:
            server.objects.append({"id": "new"})

    server.before = before
    pages = list(crawl(make_client(Recorder(server)), URL, {}, module="locations"))
    assert ids(pages) == [str(i) for i in range(12)] + ["new"]


def test_parse_link_header() -> None:
    base = "https://h.example/ocpi/cdrs?offset=0"
    header = (
        '<https://h.example/a?x=1,2>; rel="prev", '
        '</ocpi/cdrs?offset=10&limit=5>; title="a;b, c"; rel="next last", '
        "<https://h.example/c>; rel=first"
    )
    links = parse_link_header(header, base=base)
    assert links["next"] == "https://h.example/ocpi/cdrs?offset=10&limit=5"
    assert links["last"] == links["next"]
    assert links["prev"] == "https://h.example/a?x=1,2"
    assert links["first"] == "https://h.example/c"
    assert parse_link_header("<https://x/y>; REL=NEXT") == {"next": "https://x/y"}
    assert parse_link_header("garbage") == {}
    assert parse_link_header(None) == {}


def test_endless_shrinking_is_bounded(make_client: MakeClient) -> None:
    """The set shrinks by two pages per response: the frontier cannot advance."""
    calls = 0

    def answer(req: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        off = int(req.url.params.get("offset", 0))
        headers = {
            "X-Total-Count": str(100_000 - 10 * calls),
            "Link": f'<{URL}?offset={off + 5}&limit=5>; rel="next"',
        }
        return envelope([{"id": f"{calls}-{i}"} for i in range(5)], headers=headers)

    with pytest.raises(OcpiError, match="shrinks faster than it can be paged") as failed:
        list(crawl(make_client(Recorder(answer)), URL, {}, module="sessions"))
    assert calls <= 1 + 12 + 1  # the first page, then 10 + 2 x concurrency without progress
    assert "12 responses in a row" in str(failed.value) + str(failed.value.hint)


def test_slow_shrinking_is_not_a_failure(make_client: MakeClient) -> None:
    """The old fixed budget (100 step-backs) failed here: one departure per response."""
    server = PagedServer(2_000, cap=20)
    original = [o["id"] for o in server.objects]
    gone: set[str] = set()

    def before(call: int) -> None:
        if call > 1:  # one object behind the crawler leaves before every page
            victim = server.objects[0]
            server.objects.remove(victim)
            gone.add(victim["id"])

    server.before = before
    rec = Recorder(server)
    pages = list(crawl(make_client(rec), URL, {}, module="sessions"))
    assert set(ids(pages)) >= set(original) - gone
    assert len(gone) > 100 and len(rec.requests) <= 1.5 * 2_000 / 20


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 60),
    cap=st.integers(1, 12),
    link=st.sampled_from(["absolute", "relative", "none"]),
    requested=st.one_of(st.none(), st.integers(1, 100)),
    removal=st.one_of(st.none(), st.tuples(st.integers(2, 8), st.integers(0, 59))),
)
def test_crawl_property(
    n: int,
    cap: int,
    link: str,
    requested: int | None,
    removal: tuple[int, int] | None,
) -> None:
    """Every object present for the whole crawl is seen, whatever the paging style."""
    server = PagedServer(n, cap=cap, link=link)
    original = [o["id"] for o in server.objects]
    gone: set[str] = set()
    if removal is not None and n:
        at_call, index = removal
        victim = original[index % n]

        def before(call: int) -> None:
            if call == at_call:
                server.objects = [o for o in server.objects if o["id"] != victim]
                gone.add(victim)

        server.before = before
    with OcpiClient("tok", transport=httpx.MockTransport(Recorder(server))) as client:
        pages = list(crawl(client, URL, {}, module="sessions", page_limit=requested))
    seen = ids(pages)
    assert set(seen) >= set(original) - gone
    assert set(seen) <= set(original)


# --- pinned by mutation testing (docs/mutation.md): each test kills mutants that survived ---


class CursorServer:
    """Links that carry a cursor, never an offset; the total shrinks on request."""

    def __init__(self, n: int, *, cap: int = 10, total: bool = False) -> None:
        self.objects = [{"id": str(i)} for i in range(n)]
        self.cap, self.total = cap, total

    def __call__(self, req: httpx.Request) -> httpx.Response:
        cursor = req.url.params.get("cursor")
        start = int(cursor[1:]) if cursor else 0
        data = self.objects[start : start + self.cap]
        headers = {"X-Total-Count": str(len(self.objects))} if self.total else {}
        if start + len(data) < len(self.objects):
            headers["Link"] = f'<{URL}?cursor=c{start + len(data)}>; rel="next"'
        return envelope(data, headers=headers)


def test_cursor_links_number_the_pages_by_their_counts(make_client: MakeClient) -> None:
    rec = Recorder(CursorServer(25))
    pages = list(crawl(make_client(rec), URL, {}, module="cdrs"))
    assert ids(pages) == [str(i) for i in range(25)]
    assert [p.offset for p in pages] == [0, 10, 20]
    assert [str(r.url) for r in rec.requests][1:] == [f"{URL}?cursor=c10", f"{URL}?cursor=c20"]


def test_a_shrink_under_cursor_links_is_logged_once(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    server = CursorServer(40, total=True)
    rec = Recorder(server)
    pages = []
    with caplog.at_level("WARNING", logger="ocpiwh.ocpi"):
        for page in crawl(make_client(rec), URL, {}, module="cdrs"):
            pages.append(page)
            del server.objects[:2]  # two objects leave the set after each page
    warnings = [r.getMessage() for r in caplog.records if "shrank" in r.getMessage()]
    assert warnings == [
        "/ocpi/cpo/2.2.1/sessions: X-Total-Count shrank from 40 to 38 but the page links carry "
        "no offset to step back to; objects may be missed until the next sync"
    ]
    assert len(pages) >= 2


def test_no_progress_names_the_endpoint(make_client: MakeClient) -> None:
    def answer(req: httpx.Request) -> httpx.Response:
        off = int(req.url.params.get("offset", 0))
        nxt = f"{URL}?offset={off}&limit={10 + off}"
        return envelope([{"id": "1"}], headers={"Link": f'<{nxt}>; rel="next"'})

    with pytest.raises(OcpiError, match=r"paging for /ocpi/cpo/2\.2\.1/sessions makes no progress"):
        list(crawl(make_client(Recorder(answer)), URL, {"offset": 5}, module="cdrs"))


def test_parse_link_header_with_trailing_separators() -> None:
    assert parse_link_header('<https://x/y>; rel="next", ') == {"next": "https://x/y"}
    assert parse_link_header('<https://x/y>; rel="next" ,\t') == {"next": "https://x/y"}
    assert parse_link_header('<https://x/y> \t; rel="next"') == {"next": "https://x/y"}


def test_parse_link_header_blanks_escapes_and_empty_parameters() -> None:
    for header in (
        '<https://x/y> ; rel="next"',
        '<https://x/y>; rel= "next"',
        "<https://x/y>; rel=\tnext",
        '<https://x/y>; title="a\\"b;c"; rel="next"',
        '<https://x/y>; crossorigin; rel="next"',
    ):
        assert parse_link_header(header) == {"next": "https://x/y"}, header
    assert parse_link_header("<https://x/y>; rel") == {}  # a relation without a value: none
    assert parse_link_header('<https://x/y>; rel=""') == {}
