"""Private sites never reach disk in clear: a real sync, then every file is searched.

The scan of test_privacy_e2e.py looks for id-like personal values and skips ``location``,
``cdr_location`` and ``evses``. This one looks for what identifies a home charger: the name,
street address, full postal code and the coordinates (of the location, its EVSEs and related
points, to the stored precision) of every private location of the simulator, and the
``cdr_location`` of every home-charging CDR — in every file's bytes and in every Parquet
value decoded (text and floats).

OCPI 2.1.1 has no publish flag: its locations are private unless declared public
(``[irve] ocpi211_public``, the ``public`` column of the overrides CSV). The simulator's home
chargers are the same sites in every version; its 2.2.1 truth says which they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from ocpiwh import warehouse
from ocpiwh.login import login
from ocpiwh.ocpi import RetryPolicy
from ocpiwh.simulator import SimConfig, serve_in_thread
from ocpiwh.sync.engine import SyncOptions, sync

TOKEN = "privacy-sites-token"
FAST = RetryPolicy(max_attempts=5, base_delay=0.001, max_delay=0.01)
SITE_TEXT = ("name", "address", "postal_code")


def is_private_site(loc: dict[str, Any]) -> bool:
    """The simulator's home chargers, read from its truth (not from the code under test)."""
    return loc.get("publish") is False or loc.get("parking_type") == "ON_DRIVEWAY"


def coordinates(obj: Any) -> Iterator[str]:
    """Every latitude/longitude string at any depth (location, EVSEs, related points)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("latitude", "longitude") and isinstance(v, str):
                yield v
            else:
                yield from coordinates(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from coordinates(v)


def site_values(site: dict[str, Any]) -> set[str]:
    values = {str(site[k]) for k in SITE_TEXT if site.get(k)}
    values |= set(coordinates(site))
    return values


def stored_values(root: Path) -> Iterator[tuple[str, bytes, list[float]]]:
    """Each file's bytes; each Parquet file's decoded values as text, and its floats."""
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        yield path.name, path.read_bytes(), []
        if path.suffix == ".parquet":
            rows = pq.read_table(path).to_pylist()
            yield path.name, repr(rows).encode(), list(floats(rows))


def floats(obj: Any) -> Iterator[float]:
    if isinstance(obj, float):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from floats(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from floats(v)


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCPIWH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("OCPIWH_TOKEN", raising=False)


def sim_config() -> SimConfig:
    return SimConfig(
        seed=5,
        sessions=300,
        locations=40,
        token=TOKEN,
        clean=False,
        start=datetime(2026, 4, 1, tzinfo=UTC),
    )


def assert_not_stored(root: Path, secrets: set[str]) -> None:
    secret_floats = {
        round(float(s), 6) for s in secrets if s.replace(".", "").lstrip("-").isdigit()
    }
    assert secret_floats
    leaks: list[tuple[str, object]] = []
    for name, blob, values in stored_values(root):
        leaks.extend((name, s) for s in secrets if s.encode() in blob)
        leaks.extend((name, v) for v in values if round(v, 6) in secret_floats)
    assert not leaks, leaks[:5]


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_private_sites_are_not_on_disk(tmp_path: Path, version: str) -> None:
    root = tmp_path / "data"
    with serve_in_thread(sim_config()) as sim:
        login(root, sim.versions_url, TOKEN, version=version, retry=FAST)
        for result in sync(root, options=SyncOptions(lag=timedelta(0), retry=FAST)):
            assert result.ok, result.error
        locations = sim.truth("locations", version)
        cdrs = sim.truth("cdrs", version)
    private = [loc for loc in locations if is_private_site(loc)]
    public = [loc for loc in locations if not is_private_site(loc)]
    home_cdrs = [c for c in cdrs if c.get("home_charging_compensation") is True]
    assert private and home_cdrs, "the simulator made no home charger: the test proves nothing"
    secrets: set[str] = set()
    for site in private:
        secrets |= site_values(site)
    for c in home_cdrs:
        secrets |= site_values(c["cdr_location"])
    shared = set().union(*(site_values(site) for site in public))
    secrets -= shared  # a public site's postal code or address may be the same: not a leak
    assert len(secrets) >= 4 * len(private)
    assert_not_stored(root, secrets)
    # the sites are still there, coarsened (not dropped)
    con = warehouse.connect(root)
    try:
        ids = [site["id"] for site in private]
        kept = con.execute(
            "SELECT count(*) FROM locations WHERE id IN (SELECT unnest($ids)) "
            "AND length(postal_code) = 2",
            {"ids": ids},
        ).fetchall()[0][0]
    finally:
        con.close()
    assert kept == len(private)


@pytest.mark.parametrize("declared", [False, True], ids=["undeclared", "declared"])
def test_211_home_chargers_are_not_on_disk(tmp_path: Path, declared: bool) -> None:
    """OCPI 2.1.1 (no publish flag, no ON_DRIVEWAY): undeclared, no site's name or street
    is stored; declared public but for the home chargers (``public = false`` in the
    overrides CSV), the home chargers stay private and the public sites are kept in clear.
    2.1.1 sessions and CDRs embed the location: the same test applies to it."""
    root = tmp_path / "data"
    with serve_in_thread(sim_config()) as sim:
        login(root, sim.versions_url, TOKEN, version="2.1.1", retry=FAST)
        homes = {loc["id"] for loc in sim.truth("locations", "2.2.1") if is_private_site(loc)}
        if declared:
            (root / "ov.csv").write_text(
                "location_id,public\n" + "".join(f"{i},false\n" for i in sorted(homes))
            )
            with (root / "ocpiwh.toml").open("a") as fh:
                fh.write('\n[irve]\nocpi211_public = true\noverrides = "ov.csv"\n')
        for result in sync(root, options=SyncOptions(lag=timedelta(0), retry=FAST)):
            assert result.ok, result.error
        locations = sim.truth("locations", "2.1.1")
        embedded = [o["location"] for m in ("sessions", "cdrs") for o in sim.truth(m, "2.1.1")]
    private = [loc for loc in locations if loc["id"] in homes]
    public = [loc for loc in locations if loc["id"] not in homes]
    assert private and public and "type" in private[0] and "publish" not in private[0]
    secrets: set[str] = set()
    for site in private + [e for e in embedded if e.get("id") in homes]:
        secrets |= site_values(site)
    shared = set().union(*(site_values(site) for site in public))
    secrets -= shared
    assert {p["name"] for p in private} <= secrets and {p["address"] for p in private} <= secrets
    assert_not_stored(root, secrets)
    con = warehouse.connect(root)
    try:
        rows = con.execute(
            "SELECT id, name, address, length(postal_code) FROM locations"
        ).fetchall()
    finally:
        con.close()
    assert {r[0] for r in rows} == homes | {p["id"] for p in public}
    for lid, name, address, postal in rows:
        if declared and lid not in homes:  # declared public: kept in clear
            assert name is not None and address is not None and postal == 5, lid
        else:  # private: coarsened, not dropped
            assert name is None and address is None and postal == 2, lid
