"""crawl_window over real HTTP against the bundled simulator, which updates an object of each
page it serves (the frozen window shrinks behind the crawler on every page)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from ocpiwh.ocpi import CrawlStats, OcpiClient, Page, crawl_window, discover
from ocpiwh.simulator import Dirt, Faults, SimConfig, serve_in_thread

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "secret-token"


def keys(page: Page) -> list[tuple[str, str]]:
    return [(o["id"], o["last_updated"]) for o in page.objects]


@pytest.mark.parametrize(("module", "limit"), [("sessions", 100), ("locations", 50)])
@pytest.mark.parametrize("concurrency", [1, 4])
def test_no_object_skipped_while_the_platform_updates_every_page(
    module: str, limit: int, concurrency: int
) -> None:
    cfg = SimConfig(
        seed=5,
        sessions=3_000,
        locations=1_000,
        start=START,
        dirt=Dirt.off(),
        faults=Faults(rate_update_while_paging=1.0),
    )
    with serve_in_thread(cfg, host="127.0.0.1", port=0) as sim:
        date_to = sim.now()  # frozen: every update stamps last_updated = now = date_to
        window = {"date_from": datetime(2000, 1, 1, tzinfo=UTC), "date_to": date_to}
        before = {o["id"] for o in sim.truth(module) if o["last_updated"] < _iso(date_to)}
        with (
            OcpiClient(TOKEN) as client,
            ThreadPoolExecutor(max_workers=concurrency) as pool,
        ):
            connection = discover(client, sim.versions_url)
            url = connection.sender_url(module)
            assert url is not None
            requests_before = sim.stats()["requests"]
            stats = CrawlStats()
            seen: dict[str, set[str]] = {}
            for page in crawl_window(
                client,
                url,
                window,
                module=module,
                page_limit=limit,
                concurrency=concurrency,
                executor=pool,
                prepare=keys,
                stats=stats,
            ):
                for oid, stamp in page:
                    seen.setdefault(oid, set()).add(stamp)
            requests = sim.stats()["requests"] - requests_before
        truth = sim.truth(module)
    stayed = {o["id"] for o in truth if o["last_updated"] < _iso(date_to)}
    updated = before - stayed
    assert updated and sim.stats()["faults"]["update_while_paging"] >= len(updated)
    assert stayed <= set(seen), f"skipped: {sorted(stayed - set(seen))[:5]}"
    assert set(seen) <= before  # nothing from outside the window
    assert all(max(stamps) < _iso(date_to) for stamps in seen.values())
    # one update per page: requests within 1.5x the pages the window needed
    pages = math.ceil(len(before) / limit)
    assert stats.requests == requests <= 1.5 * pages
    # the newest total, less the object updated after the last page served
    assert stats.final_total is not None and 0 <= stats.final_total - len(stayed) <= 1


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
