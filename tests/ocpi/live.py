"""A fake live OCPI list endpoint for the paging tests (an httpx.MockTransport handler).

It models one frozen sync window of a busy platform: ``n`` objects sorted by
``(last_updated, id)``; after each page it serves, ``updates_per_page`` objects of the window
are updated, i.e. leave the window (their ``last_updated`` moves past ``date_to``). Fractional
rates accumulate (0.1 = one update after every tenth page). Victims are taken from the page
just served (``victims="page"``, the worst case: every departure is behind the crawler, like
the bundled simulator) or anywhere in the window (``victims="any"``). Pages honour ``offset``,
``limit`` (capped at ``cap``, reported in ``X-Limit``), ``X-Total-Count`` and
``Link: rel="next"`` as the spec describes.
"""

from __future__ import annotations

import base64
import bisect
import random
import threading
from typing import Literal

import httpx

from .fakes import envelope

URL = "https://cpo.example/ocpi/cpo/2.2.1/sessions"


class LiveList:
    def __init__(
        self,
        n: int,
        *,
        cap: int,
        updates_per_page: float = 0.0,
        victims: Literal["page", "any"] = "page",
        link: Literal["offset", "cursor", "none"] = "offset",
        total: bool = True,
        seed: int = 7,
    ) -> None:
        self.ids = [f"S{i:07d}" for i in range(n)]  # sorted: position = rank
        self.original = list(self.ids)
        self.removed: set[str] = set()
        self.cap = cap
        self.rate = updates_per_page
        self.victims = victims
        self.link = link
        self.total = total
        self.requests = 0
        self.last_total = n  # X-Total-Count of the newest response
        self._debt = 0.0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    @property
    def stayed(self) -> set[str]:
        """Objects that were in the window during the whole crawl."""
        return set(self.original) - self.removed

    def _remove(self, key: str) -> None:
        i = bisect.bisect_left(self.ids, key)
        if i < len(self.ids) and self.ids[i] == key:
            del self.ids[i]
            self.removed.add(key)

    def _update_after(self, served: list[str]) -> None:
        self._debt += self.rate
        candidates = list(served)  # all still in the window: they were just served
        while self._debt >= 1 and self.ids:
            self._debt -= 1
            if self.victims == "page" and candidates:
                key = candidates.pop(self._rng.randrange(len(candidates)))
            else:
                key = self.ids[self._rng.randrange(len(self.ids))]
            self._remove(key)

    def _offset(self, params: httpx.QueryParams) -> int:
        if self.link == "cursor":
            token = params.get("page")
            return int(base64.b64decode(token)) if token else 0
        return int(params.get("offset", 0))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        with self._lock:
            self.requests += 1
            offset = self._offset(params)
            limit = min(int(params.get("limit", self.cap)), self.cap)
            served = self.ids[offset : offset + limit]
            size = self.last_total = len(self.ids)
            headers = {"X-Limit": str(self.cap)}
            if self.total:
                headers["X-Total-Count"] = str(size)
            nxt = offset + len(served)
            if served and nxt < size and self.link != "none":
                q = params.set("limit", str(limit))
                if self.link == "cursor":  # an opaque page token: no offset to step back to
                    q = q.remove("offset").set("page", base64.b64encode(str(nxt).encode()).decode())
                else:
                    q = q.set("offset", str(nxt))
                target = str(request.url.copy_with(query=str(q).encode()))
                headers["Link"] = f'<{target}>; rel="next"'
            self._update_after(served)
        return envelope([{"id": k} for k in served], headers=headers)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)
