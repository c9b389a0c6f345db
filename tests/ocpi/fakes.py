"""Helpers for the OCPI client tests: scripted httpx.MockTransport servers, fake sleep."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson

TOKEN = "s3cr3t-T0ken-xyz"


def envelope(
    data: Any = None,
    status_code: int = 1000,
    *,
    http_status: int = 200,
    headers: dict[str, str] | None = None,
    status_message: str | None = None,
    timestamp: str = "2026-01-02T03:04:05Z",
) -> httpx.Response:
    body: dict[str, Any] = {"data": data, "status_code": status_code, "timestamp": timestamp}
    if status_message is not None:
        body["status_message"] = status_message
    return httpx.Response(http_status, content=orjson.dumps(body), headers=headers or {})


class Recorder:
    """A MockTransport handler that records requests and answers from a callable or a queue."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.queue: list[httpx.Response | Exception] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.queue:
            item = self.queue.pop(0)
            if isinstance(item, Exception):
                raise item
            return item
        assert self.answer is not None, f"unexpected request {request.url}"
        return self.answer(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)
