"""Fixtures for the OCPI client tests: scripted httpx.MockTransport servers, no sleeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest

from ocpiwh.ocpi import OcpiClient, RetryPolicy

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


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(sleeps: Sleeps) -> Iterator[Callable[..., OcpiClient]]:
    clients: list[OcpiClient] = []

    def make(recorder: Recorder, **kw: Any) -> OcpiClient:
        kw.setdefault("retry", RetryPolicy(sleep=sleeps, jitter=False))
        client = OcpiClient(kw.pop("token", TOKEN), transport=recorder.transport, **kw)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()
