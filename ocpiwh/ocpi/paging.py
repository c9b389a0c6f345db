"""Paginated GET of OCPI list endpoints (spec §3.3)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import httpx
import msgspec
import orjson

from ocpiwh.errors import OcpiError

from .datetimes import format_ocpi_datetime, parse_ocpi_datetime
from .http import OcpiClient, Params, Response

log = logging.getLogger("ocpiwh.ocpi")

#: How many times one crawl may step back after X-Total-Count shrank.
MAX_STEP_BACKS = 100

__all__ = [
    "CrawlStats",
    "Page",
    "crawl",
    "crawl_window",
    "fetch_offsets",
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


def _to_page(client: OcpiClient, resp: Response, offset: int) -> Page:
    data: msgspec.Raw | bytes = b"[]" if resp.raw_data is None else resp.raw_data
    try:
        count = len(_ITEMS.decode(data))  # a scan that checks the shape, not a parse
    except msgspec.ValidationError:
        raise OcpiError(
            f"{client._safe_path(resp.url)} returned {type(resp.data).__name__} data where a "
            "list was expected",
            hint="check that the URL is a module's list endpoint",
        ) from None
    links = parse_link_header(resp.headers.get("Link"), base=resp.url)
    return Page(
        data=data,
        count=count,
        total=_int_header(resp, "X-Total-Count"),
        limit=_int_header(resp, "X-Limit"),
        next_url=links.get("next"),
        timestamp=resp.timestamp,
        offset=offset,
        url=resp.url,
        raw_size=resp.raw_size,
    )


def crawl(
    client: OcpiClient,
    url: str,
    params: Params | None,
    *,
    module: str,
    page_limit: int | None = None,
) -> Iterator[Page]:
    """Yield every page of a list GET, from ``params`` (filters, optional offset/limit).

    Follows ``Link: <…>; rel="next"`` verbatim; without one, continues at
    ``offset + len(objects)`` while ``X-Total-Count`` says more remain. Stops at an empty
    page. When ``X-Total-Count`` shrinks between pages, redoes the request with the offset
    lowered by the shrink (at least 1), so no object is skipped (duplicates may occur).
    Raises :class:`OcpiError` when the server loops.
    """
    query = _query(params)
    if page_limit is not None:
        query["limit"] = str(page_limit)
    current = httpx.URL(url).copy_merge_params(query)
    offset = _offset_of(current) or 0
    seen: set[str] = set()
    prev_total: int | None = None
    step_backs = 0
    path = client._safe_path(url)
    while True:
        key = str(current)
        if key in seen:
            raise OcpiError(
                f"the platform's paging for {path} loops (asked for the same page twice)",
                hint="report this to the platform operator; try again later",
            )
        seen.add(key)
        resp = client.get(key, module=module)
        page = _to_page(client, resp, offset)
        total = page.total

        if prev_total is not None and total is not None and total < prev_total and offset > 0:
            step_backs += 1
            if step_backs > MAX_STEP_BACKS:
                raise OcpiError(
                    f"the result set of {path} kept shrinking while paging "
                    f"({step_backs - 1} step-backs)",
                    hint="try again later, or sync a smaller window",
                )
            if _offset_of(current) is not None:
                back = max(1, prev_total - total)
                new_offset = max(0, offset - back)
                log.info(
                    "%s: X-Total-Count shrank from %d to %d; redoing at offset %d",
                    path,
                    prev_total,
                    total,
                    new_offset,
                )
                current = current.copy_set_param("offset", new_offset)
                offset = new_offset
                prev_total = total
                seen = set()  # a step-back legitimately revisits pages
                continue
            log.warning(
                "%s: X-Total-Count shrank from %d to %d but the page URL has no offset to "
                "lower; objects may be missed until the next sync",
                path,
                prev_total,
                total,
            )
        if total is not None:
            prev_total = total

        yield page

        if not page.count:
            return
        if page.next_url is not None:
            nxt = httpx.URL(page.next_url)
            next_offset = _offset_of(nxt)
            if next_offset is not None and next_offset <= offset:
                raise OcpiError(
                    f"the platform's paging for {path} makes no progress "
                    f"(next page offset {next_offset} after offset {offset})",
                    hint="report this to the platform operator; try again later",
                )
            current = nxt
            offset = next_offset if next_offset is not None else offset + page.count
            continue
        if total is not None and offset + page.count < total:
            offset += page.count
            current = current.copy_set_param("offset", offset)
            continue
        return


def fetch_offsets(
    client: OcpiClient,
    url: str,
    params: Params | None,
    *,
    module: str,
    offsets: list[int],
    limit: int,
) -> list[Page]:
    """Fetch the pages at ``offsets`` (each with ``limit``) of a frozen window, in order.

    For parallel fetching: the caller splits the offsets over its worker threads. Pages
    may hold fewer objects than ``limit`` (server cap); the caller checks ``Page.limit``
    and fills gaps with :func:`crawl` or further offsets.
    """
    query = _query(params)
    base = httpx.URL(url).copy_merge_params(query)
    pages = []
    for off in offsets:
        target = base.copy_merge_params({"offset": str(off), "limit": str(limit)})
        resp = client.get(str(target), module=module)
        pages.append(_to_page(client, resp, off))
    return pages


@dataclass
class CrawlStats:
    """What a window's crawl cost: requests made, pages kept, refetches."""

    requests: int = 0
    pages: int = 0
    objects: int = 0
    gaps: int = 0
    max_shrink: int = 0
    final_total: int | None = None


T = TypeVar("T")


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
    """Every page of a frozen window, ``prepare``d in the worker that fetched it."""
    stats = stats if stats is not None else CrawlStats()
    pages = crawl(client, url, params, module=module, page_limit=page_limit)
    first = next(pages, None)
    if first is None:
        return
    stats.requests += 1
    if on_first is not None:
        on_first(first)
    yield prepare(first)
    total, limit = first.total, first.limit or first.count
    parallel = (
        concurrency > 1
        and total is not None
        and limit > 0
        and first.count < total
        and first.next_url is not None
        and "offset=" in first.next_url
    )
    if not parallel:
        for page in pages:
            stats.requests += 1
            yield prepare(page)
            if stop is not None and stop.is_set():
                return
        return
    assert total is not None
    offsets = list(range(first.count, total, limit))
    shifted = False

    def fetch_one(off: int) -> tuple[int | None, T]:
        (page,) = fetch_offsets(client, url, params, module=module, offsets=[off], limit=limit)
        return page.total, prepare(page)

    in_flight: list[Future[tuple[int | None, T]]] = []
    it = iter(offsets)

    def submit() -> bool:
        off = next(it, None)
        if off is None:
            return False
        in_flight.append(executor.submit(fetch_one, off))
        return True

    for _ in range(concurrency + 1):
        if not submit():
            break
    try:
        while in_flight:
            page_total, item = in_flight.pop(0).result()
            stats.requests += 1
            if page_total is not None and page_total != total:
                shifted = True
            if stop is None or not stop.is_set():
                submit()
            yield item
            if stop is not None and stop.is_set():
                return
    finally:
        for fut in in_flight:
            fut.cancel()
    if shifted:
        for page in crawl(client, url, params, module=module, page_limit=limit):
            stats.requests += 1
            yield prepare(page)
