"""Fixtures for the simulator tests: a running simulator and an OCPI-speaking client."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest

from ocpiwh.simulator import Dirt, SimConfig, Simulator, serve_in_thread

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "secret-token"


def auth_header(version: str | None, token: str = TOKEN) -> dict[str, str]:
    if version in ("2.2.1", "2.3.0"):
        return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}
    return {"Authorization": "Token " + token}


class Ocpi:
    """Minimal discovery + paging client used by the tests."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.http = httpx.Client(timeout=30)

    def get(self, url: str, version: str | None, **params: Any) -> httpx.Response:
        return self.http.get(url, headers=auth_header(version), params=params or None)

    def endpoints(self, version: str) -> dict[str, str]:
        r = self.get(f"{self.sim.base_url}/ocpi/{version}", version)
        r.raise_for_status()
        return {e["identifier"]: e["url"] for e in r.json()["data"]["endpoints"]}

    def pages(self, version: str, module: str, **params: Any) -> Iterator[httpx.Response]:
        url: str | None = self.endpoints(version)[module]
        first = True
        while url:
            r = self.http.get(url, headers=auth_header(version), params=params if first else None)
            first = False
            assert r.status_code == 200, r.text
            yield r
            url = r.links.get("next", {}).get("url")

    def all(self, version: str, module: str, **params: Any) -> list[Any]:
        out: list[Any] = []
        for r in self.pages(version, module, **params):
            out.extend(orjson.loads(r.content)["data"])
        return out


@pytest.fixture(scope="module")
def clean_sim() -> Iterator[Simulator]:
    with serve_in_thread(
        SimConfig(seed=7, locations=30, sessions=1500, clean=True, start=START)
    ) as sim:
        yield sim


@pytest.fixture(scope="module")
def dirty_sim() -> Iterator[Simulator]:
    with serve_in_thread(
        SimConfig(seed=7, locations=60, sessions=3000, start=START, dirt=Dirt())
    ) as sim:
        yield sim


@pytest.fixture
def fresh_sim() -> Iterator[Simulator]:
    with serve_in_thread(
        SimConfig(seed=3, locations=20, sessions=600, clean=True, start=START)
    ) as sim:
        yield sim


@pytest.fixture
def client_for() -> Iterator[Any]:
    clients: list[Ocpi] = []

    def make(sim: Simulator) -> Ocpi:
        c = Ocpi(sim)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.http.close()
