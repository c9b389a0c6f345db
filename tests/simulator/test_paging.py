"""Pagination per spec: X-Limit, X-Total-Count, Link, offsets, date windows, ordering."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import orjson

from ocpiwh.simulator import SimConfig, serve_in_thread

from .conftest import START, Ocpi


def test_limit_capped_and_reported(client_for) -> None:
    with serve_in_thread(SimConfig(sessions=300, clean=True, max_limit=50, start=START)) as sim:
        c: Ocpi = client_for(sim)
        url = c.endpoints("2.2.1")["sessions"]
        r = c.get(url, "2.2.1", date_from="2000-01-01T00:00:00Z", limit=500)
        assert r.headers["X-Limit"] == "50"
        assert len(orjson.loads(r.content)["data"]) == 50
        assert r.headers["X-Total-Count"] == "300"
        q = parse_qs(urlsplit(r.links["next"]["url"]).query)
        assert q["offset"] == ["50"] and q["limit"] == ["50"]
        # default page size is the cap
        r = c.get(url, "2.2.1", date_from="2000-01-01T00:00:00Z")
        assert len(orjson.loads(r.content)["data"]) == 50
        # a smaller limit is honoured, X-Limit still shows the cap
        r = c.get(url, "2.2.1", date_from="2000-01-01T00:00:00Z", limit=7)
        assert len(orjson.loads(r.content)["data"]) == 7 and r.headers["X-Limit"] == "50"


def test_link_carries_filters_and_is_absent_on_last_page(clean_sim, client_for) -> None:
    c: Ocpi = client_for(clean_sim)
    params = {"date_from": "2024-02-25T00:00:00Z", "date_to": "2024-02-28T00:00:00Z", "limit": 100}
    pages = list(c.pages("2.2.1", "sessions", **params))
    assert len(pages) > 2
    total = int(pages[0].headers["X-Total-Count"])
    got = []
    for k, r in enumerate(pages):
        assert int(r.headers["X-Total-Count"]) == total
        got.extend(orjson.loads(r.content)["data"])
        if k < len(pages) - 1:
            nxt = r.links["next"]["url"]
            assert nxt.startswith(clean_sim.base_url + "/ocpi/2.2.1/cpo/sessions?")
            q = parse_qs(urlsplit(nxt).query)
            assert q["date_from"] == ["2024-02-25T00:00:00Z"]
            assert q["date_to"] == ["2024-02-28T00:00:00Z"]
            assert q["offset"] == [str(100 * (k + 1))]
        else:
            assert "next" not in r.links and "Link" not in r.headers
    assert len(got) == total
    lus = [s["last_updated"] for s in got]
    assert lus == sorted(lus)
    assert all("2024-02-25T00:00:00Z" <= x < "2024-02-28T00:00:00Z" for x in lus)
    # stable order: last_updated then id
    keys = [(s["last_updated"], s["id"]) for s in got]
    assert keys == sorted(keys)


def test_date_from_inclusive_date_to_exclusive(clean_sim, client_for) -> None:
    c: Ocpi = client_for(clean_sim)
    objs = clean_sim.truth("sessions")
    pivot = objs[len(objs) // 2]["last_updated"]
    before = c.all("2.2.1", "sessions", date_from="2000-01-01T00:00:00Z", date_to=pivot)
    after = c.all("2.2.1", "sessions", date_from=pivot)
    assert all(s["last_updated"] < pivot for s in before)
    assert any(s["last_updated"] == pivot for s in after)
    assert len(before) + len(after) == len(objs)
    # no Z and fractional seconds are accepted too
    r = c.get(c.endpoints("2.2.1")["sessions"], "2.2.1", date_from=pivot.rstrip("Z") + ".000")
    assert r.headers["X-Total-Count"] == str(len(after))


def test_offsets_and_beyond_the_end(clean_sim, client_for) -> None:
    c: Ocpi = client_for(clean_sim)
    url = c.endpoints("2.2.1")["cdrs"]
    full = orjson.loads(c.get(url, "2.2.1", limit=1000).content)["data"]
    part = orjson.loads(c.get(url, "2.2.1", offset=10, limit=5).content)["data"]
    assert part == full[10:15]
    r = c.get(url, "2.2.1", offset=10**6)
    assert r.status_code == 200 and orjson.loads(r.content)["data"] == []
    assert c.get(url, "2.2.1", offset=-1).status_code == 400
    assert c.get(url, "2.2.1", limit="x").json()["status_code"] == 2001


def test_truth_equals_paging_everything(clean_sim, client_for) -> None:
    c: Ocpi = client_for(clean_sim)
    for v in ("2.1.1", "2.2.1", "2.3.0"):
        for m in ("locations", "sessions", "cdrs", "tariffs", "tokens"):
            params = {"date_from": "2000-01-01T00:00:00Z"} if m == "sessions" else {}
            assert c.all(v, m, limit=97, **params) == clean_sim.truth(m, v), (v, m)


def test_admin_endpoints(clean_sim) -> None:
    import httpx

    r = httpx.get(clean_sim.base_url + "/admin/clock")
    assert r.json()["data"]["now"] == "2024-03-01T12:00:00Z"
    r = httpx.get(
        clean_sim.base_url + "/admin/truth", params={"module": "tariffs", "version": "2.3.0"}
    )
    lines = [orjson.loads(x) for x in r.content.splitlines()]
    assert lines == clean_sim.truth("tariffs", "2.3.0")
    assert httpx.get(clean_sim.base_url + "/admin/summary").json()["counts"]["sessions"] == 1500
