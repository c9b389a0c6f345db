"""Fixtures for the OCPI client tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ocpiwh.ocpi import OcpiClient, RetryPolicy

from .fakes import TOKEN, Recorder, Sleeps


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
