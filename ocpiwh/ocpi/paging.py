"""Paginated GET of OCPI list endpoints (spec §3.3), exact on a set that shrinks meanwhile.

See :func:`crawl_window` and :mod:`ocpiwh.ocpi.frontier` (why a frozen window can only
shrink, and how the frontier keeps every object that stays in it).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, ParamSpec, TypeVar

import httpx
import msgspec
import orjson

from ocpiwh.errors import OcpiError

from .datetimes import format_ocpi_datetime, parse_ocpi_datetime
from .frontier import Frontier
from .http import OcpiClient, Params, Response

log = logging.getLogger("ocpiwh.ocpi")

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

__all__ = [
    "CrawlStats",
    "Page",
    "crawl",
    "crawl_window",
    "format_ocpi_datetime",
    "parse_link_header",
    "parse_ocpi_datetime",
]


@dataclass
class Page:
    """One page of a list GET. ``data`` is the JSON text of its objects' array, unparsed:
    the sync parses it once, in the privacy stage; ``objects`` parses it for anyone else."""

    data: msgspec.Raw | bytes
    count: int
    total: int | None
    limit: int | None
    next_url: str | None
    timestamp: datetime | None
    offset: int
    url: str
    raw_size: int

    @property
    def objects(self) -> list[Any]:
        """The page's objects, parsed (a new list on every call)."""
        value: list[Any] = orjson.loads(memoryview(self.data))
        return value


def _split_links(value: str) -> list[tuple[str, dict[str, str]]]:
    """Tokenize an RFC 8288 Link header into (target, params) pairs, honouring quotes."""
    out: list[tuple[str, dict[str, str]]] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " \t,":
            i += 1
        if i >= n:
            break
        if value[i] != "<":  # garbage: skip to the next link-value
            i = value.find(",", i)
            if i < 0:
                break
            continue
        close = value.find(">", i + 1)
        if close < 0:
            break
        target = value[i + 1 : close].strip()
        i = close + 1
        params: dict[str, str] = {}
        while True:
            while i < n and value[i] in " \t":
                i += 1
            if i >= n or value[i] != ";":
                break
            i += 1
            start = i
            while i < n and value[i] not in "=;,":
                i += 1
            name = value[start:i].strip().lower()
            val = ""
            if i < n and value[i] == "=":
                i += 1
                while i < n and value[i] in " \t":
                    i += 1
                if i < n and value[i] == '"':
                    i += 1
                    chars: list[str] = []
                    while i < n and value[i] != '"':
                        if value[i] == "\\" and i + 1 < n:
                            i += 1
                        chars.append(value[i])
                        i += 1
                    i += 1  # closing quote
                    val = "".join(chars)
                else:
                    start = i
                    while i < n and value[i] not in ";,":
                        i += 1
                    val = value[start:i].strip()
            if name and name not in params:
                params[name] = val
        out.append((target, params))
    return out


def parse_link_header(value: str | None, base: str | None = None) -> dict[str, str]:
    """Map each relation type to its (resolved) target from an RFC 8288 ``Link`` header.

    Handles several links in one header, quoted and unquoted ``rel``, several space-separated
    relation types, quoted parameters containing ``;`` or ``,``, and relative targets
    (resolved against ``base``). The first link for a relation wins.
    """
    links: dict[str, str] = {}
    if not value:
        return links
    for target, params in _split_links(value):
        if base is not None:
            try:
                target = str(httpx.URL(base).join(target))
            except (httpx.InvalidURL, ValueError):
                continue
        for rel in params.get("rel", "").lower().split():
            links.setdefault(rel, target)
    return links


def _int_header(resp: Response, name: str) -> int | None:
    value = resp.headers.get(name)
    if value is None:
        return None
    try:
        n = int(value.strip())
    except ValueError:
        return None
    return n if n >= 0 else None


def _offset_of(url: httpx.URL) -> int | None:
    value = url.params.get("offset")
    if value is None:
        return None
    try:
        return max(0, int(value))
    except ValueError:
        return None


def _query(params: Params | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, datetime):
            out[key] = format_ocpi_datetime(value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])


def _to_page(client: OcpiClient, resp: Response, offset: int) -> tuple[Page, list[msgspec.Raw]]:
    """The page, and its objects' JSON texts (views into its data)."""
    data: msgspec.Raw | bytes = b"[]" if resp.raw_data is None else resp.raw_data
    try:
        items = _ITEMS.decode(data)  # a scan that checks the shape, not a parse
    except msgspec.ValidationError:
        raise OcpiError(
            f"{client._safe_path(resp.url)} returned {type(resp.data).__name__} data where a "
            "list was expected",
            hint="check that the URL is a module's list endpoint",
        ) from None
    links = parse_link_header(resp.headers.get("Link"), base=resp.url)
    page = Page(
        data=data,
        count=len(items),
        total=_int_header(resp, "X-Total-Count"),
        limit=_int_header(resp, "X-Limit"),
        next_url=links.get("next"),
        timestamp=resp.timestamp,
        offset=offset,
        url=resp.url,
        raw_size=resp.raw_size,
    )
    return page, items


@dataclass
class CrawlStats:
    """Counters of one crawl (one sync window of one module)."""

    requests: int = 0
    """List requests sent (retries inside :meth:`OcpiClient.get` not counted)."""
    pages: int = 0
    """Responses delivered to the caller (every response is kept, refetches included)."""
    objects: int = 0
    """Objects delivered, duplicates from overlapping pages included."""
    gaps: int = 0
    """Requests sent back below an offset already asked for, to close a gap."""
    max_shrink: int = 0
    """The largest drop of ``X-Total-Count`` revealed by one response."""
    final_total: int | None = None
    """The newest ``X-Total-Count`` (None when the server sends none)."""

    def _add(self, meta: _Meta) -> None:
        self.pages += 1
        self.objects += meta.count
        if meta.total is not None:
            self.final_total = meta.total


@dataclass(frozen=True)
class _Meta:
    """What the crawler keeps of a page once it is prepared: never its data."""

    offset: int
    count: int
    total: int | None
    next_url: str | None
    first: int | None = None
    """The fingerprint of the first object (None on an empty page, or when not identified)."""
    fingerprints: frozenset[int] = frozenset()
    """A hash of each object's JSON text: the frontier recognises an object seen on another
    page by it (an object in a frozen window never changes; an update makes it leave)."""

    @classmethod
    def of(cls, page: Page, items: list[msgspec.Raw] | None = None) -> _Meta:
        """Fingerprint ``items`` when given: a hash of every byte of the page, so only once
        the set has shrunk (before, pages chain by their offsets alone)."""
        if not items:
            return cls(page.offset, page.count, page.total, page.next_url)
        prints = frozenset(map(hash, map(bytes, items)))  # no Python-level loop
        return cls(
            page.offset, page.count, page.total, page.next_url, hash(bytes(items[0])), prints
        )


@dataclass
class _Request(Generic[T]):
    offset: int
    sent_at: int
    future: Future[tuple[_Meta, T]]


class _InlineExecutor(Executor):
    """Runs each task at once in the caller's thread (sequential crawls need no pool)."""

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        future: Future[R] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


def _fetch(
    client: OcpiClient,
    url: str,
    offset: int,
    module: str,
    prepare: Callable[[Page], T],
    identify: bool,
) -> tuple[_Meta, T]:
    """GET one page and prepare it, in the calling (worker) thread; only metadata survives
    (with the objects' fingerprints when ``identify``)."""
    page, items = _to_page(client, client.get(url, module=module), offset)
    return _Meta.of(page, items if identify else None), prepare(page)


def _stall_limit(concurrency: int) -> int:
    return 10 + 2 * concurrency


def crawl_window(
    client: OcpiClient,
    url: str,
    params: Params | None,
    *,
    module: str,
    page_limit: int | None,
    concurrency: int,
    executor: Executor,
    prepare: Callable[[Page], T],
    stop: threading.Event | None = None,
    on_first: Callable[[Page], None] | None = None,
    stats: CrawlStats | None = None,
) -> Iterator[T]:
    """Yield ``prepare(page)`` for pages that together hold every object of a list GET that
    stays in its result set while it is paged; objects that leave it meanwhile (updated in a
    frozen window) may or may not be among them.

    Fetches the first page (``on_first`` sees it before ``prepare``). With ``X-Total-Count``
    and offset paging (a ``Link`` with an ``offset`` parameter, or no ``Link``), pages are
    then fetched by offset, ``concurrency`` requests in flight on ``executor``, and judged in
    the order they were sent against a :class:`~ocpiwh.ocpi.frontier.Frontier`: overlapping
    by the shrink observed, refetching below the frontier after a gap, never restarting.
    Otherwise ``Link: rel="next"`` is followed sequentially. ``prepare`` runs in the thread
    that fetched the page, and the page's data is not kept once it returns. Every response is
    delivered, so objects may come twice. When ``stop`` is set, no request is sent any more
    and the generator returns after the page in hand.

    Raises :class:`OcpiError` when the paging loops, or when the frontier did not advance for
    ``10 + 2 × concurrency`` responses in a row (the set shrinks by a page per response).
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    stats = stats if stats is not None else CrawlStats()
    stopped = stop.is_set if stop is not None else lambda: False
    query = _query(params)
    if page_limit is not None:
        query["limit"] = str(page_limit)
    first_url = httpx.URL(url).copy_merge_params(query)
    start = _offset_of(first_url) or 0
    if stopped():
        return
    stats.requests += 1
    # not the items: views into the page's data, they would keep it for the whole crawl
    page = _to_page(client, client.get(str(first_url), module=module), start)[0]
    if on_first is not None:
        on_first(page)
    meta = _Meta.of(page)
    result = prepare(page)
    del page
    stats._add(meta)
    yield result
    del result
    if stopped() or meta.count == 0:
        return
    next_offset = _offset_of(httpx.URL(meta.next_url)) if meta.next_url else None
    if meta.total is None or (meta.next_url is not None and next_offset is None):
        yield from _follow_links(client, first_url, meta, module, prepare, stopped, stats)
        return
    template = httpx.URL(meta.next_url) if meta.next_url else first_url
    frontier = Frontier(start=start, total=meta.total, limit=meta.count)
    frontier.observe(start, meta.count, meta.total, sent_at=0)
    yield from _crawl_frontier(
        client, template, frontier, module, concurrency, executor, prepare, stopped, stats, meta
    )


def _crawl_frontier(
    client: OcpiClient,
    template: httpx.URL,
    frontier: Frontier,
    module: str,
    concurrency: int,
    executor: Executor,
    prepare: Callable[[Page], T],
    stopped: Callable[[], bool],
    stats: CrawlStats,
    first: _Meta,
) -> Iterator[T]:
    """Offset paging against the frontier (see :func:`crawl_window`)."""
    path = client._safe_path(str(template))
    in_flight: deque[_Request[T]] = deque()
    forward = frontier.position  # next offset of the forward sweep
    highest = first.offset  # highest offset asked for so far
    link = first.next_url  # the newest Link: used verbatim when it points where we go
    gapped = False  # a response could not be joined to the frontier
    start_total = frontier.total  # as the first page measured it

    def url_for(offset: int) -> str:
        if link is not None and _offset_of(httpx.URL(link)) == offset:
            return link
        target = template.copy_set_param("offset", str(offset))
        if "limit" in template.params:
            target = target.copy_set_param("limit", str(frontier.limit))
        return str(target)

    def send() -> bool:
        nonlocal forward, highest, gapped
        if stopped() or frontier.done:
            return False
        # as low as a page may start and still be judged at or below the frontier: lowered
        # by the shrink expected before its answer comes back
        safe = max(0, frontier.position - frontier.backoff(len(in_flight)))
        if not in_flight or (gapped and not any(r.offset <= frontier.position for r in in_flight)):
            # nothing in flight, or a gap that no request in flight can close: re-plan the
            # sweep from the frontier (the pages in flight are judged when they come, kept)
            offset = safe
            gapped = False
            bridge = offset < highest
            if bridge:
                stats.gaps += 1
                # bridge the gap and let the pages above it join once it closes, unless they
                # keep failing to (more waiting than in flight): then re-plan from here
                bridge = frontier.waiting <= concurrency
        elif forward < frontier.total:
            offset = max(forward, safe)  # never below what the frontier already holds
            bridge = False
        else:
            return False
        if not bridge:
            forward = offset + max(1, frontier.limit - frontier.overlap)
        highest = max(highest, offset)
        # objects are recognised across pages only once the set has shrunk: before, pages
        # chain by offset, and a page without fingerprints can only fail to join, not skip
        identify = frontier.max_shrink > 0
        future = executor.submit(_fetch, client, url_for(offset), offset, module, prepare, identify)
        in_flight.append(_Request(offset, frontier.judged, future))
        stats.requests += 1
        return True

    def width() -> int:
        # slow start: one more request in flight per response judged, so the first pages
        # show the shrink rate before many are planned without overlap
        return min(concurrency, frontier.judged)

    try:
        while len(in_flight) < width() and send():
            pass
        while in_flight:
            request = in_flight.popleft()
            meta, result = request.future.result()
            stats._add(meta)
            previous = frontier.total
            verdict = frontier.observe(
                meta.offset,
                meta.count,
                meta.total,
                sent_at=request.sent_at,
                first=meta.first,
                fingerprints=meta.fingerprints,
            )
            gapped = gapped or verdict.gap
            stats.max_shrink = frontier.max_shrink
            stats.final_total = frontier.total
            if meta.next_url is not None:
                link = meta.next_url
            if verdict.shrink:
                log.debug(
                    "%s: X-Total-Count %d -> %d at offset %d; frontier %d",
                    path,
                    previous,
                    frontier.total,
                    meta.offset,
                    frontier.position,
                )
            if frontier.stalled >= _stall_limit(concurrency):
                raise OcpiError(
                    f"the result set of {path} shrinks faster than it can be paged: the "
                    f"frontier stayed at {frontier.position} of {frontier.total} objects for "
                    f"{frontier.stalled} responses in a row",
                    hint="ask for larger pages (--page-limit), or sync a smaller window "
                    "(--since) when the platform is less busy",
                )
            while len(in_flight) < width() and send():
                pass
            yield result
            del result
            if stopped():
                return
    finally:
        for request in in_flight:
            if request.future.cancel():
                stats.requests -= 1
    if stats.max_shrink:
        log.info(
            "%s: %d objects left the result set while paging (the next window has them); "
            "%d requests, %d to close gaps",
            path,
            start_total - frontier.total,
            stats.requests,
            stats.gaps,
        )


def _follow_links(
    client: OcpiClient,
    current: httpx.URL,
    meta: _Meta,
    module: str,
    prepare: Callable[[Page], T],
    stopped: Callable[[], bool],
    stats: CrawlStats,
) -> Iterator[T]:
    """Follow ``Link: rel="next"`` sequentially: for servers without ``X-Total-Count``, or
    whose links carry no offset (cursors), where a shrinking set cannot be stepped back."""
    path = client._safe_path(str(current))
    seen = {str(current)}
    offset = meta.offset
    total = meta.total
    warned = False
    while meta.count and meta.next_url is not None:
        nxt = httpx.URL(meta.next_url)
        next_offset = _offset_of(nxt)
        if next_offset is not None and next_offset <= offset:
            raise OcpiError(
                f"the platform's paging for {path} makes no progress "
                f"(next page offset {next_offset} after offset {offset})",
                hint="report this to the platform operator; try again later",
            )
        key = str(nxt)
        if key in seen:
            raise OcpiError(
                f"the platform's paging for {path} loops (asked for the same page twice)",
                hint="report this to the platform operator; try again later",
            )
        seen.add(key)
        offset = next_offset if next_offset is not None else offset + meta.count
        if stopped():
            return
        stats.requests += 1
        meta, result = _fetch(client, key, offset, module, prepare, identify=False)
        stats._add(meta)
        if meta.total is not None and total is not None and meta.total < total:
            stats.max_shrink = max(stats.max_shrink, total - meta.total)
            if not warned:
                log.warning(
                    "%s: X-Total-Count shrank from %d to %d but the page links carry no "
                    "offset to step back to; objects may be missed until the next sync",
                    path,
                    total,
                    meta.total,
                )
                warned = True
        if meta.total is not None:
            total = meta.total
        yield result
        del result


def crawl(
    client: OcpiClient,
    url: str,
    params: Params | None,
    *,
    module: str,
    page_limit: int | None = None,
) -> Iterator[Page]:
    """Yield every page of a list GET sequentially (see :func:`crawl_window`)."""
    return crawl_window(
        client,
        url,
        params,
        module=module,
        page_limit=page_limit,
        concurrency=1,
        executor=_INLINE,
        prepare=_identity,
    )


def _identity(page: Page) -> Page:
    return page


_INLINE = _InlineExecutor()
