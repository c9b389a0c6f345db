"""Shared by every test: a private config folder (secrets) and no ambient token or warehouse;
and a small lake of hand-made OCPI objects for the tests of the commands reading it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# the hand-made OCPI objects of tests/warehouse (ocpi_objects), importable from every test
sys.path.insert(0, str(Path(__file__).parent / "warehouse"))

from ocpi_objects import location, session

from ocpiwh.lake import write_batch


@pytest.fixture(autouse=True)
def private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Tokens and pseudonym keys go to a folder of the test's own, never the user's."""
    cfg = tmp_path / "config"
    monkeypatch.setenv("OCPIWH_CONFIG_DIR", str(cfg))
    monkeypatch.delenv("OCPIWH_TOKEN", raising=False)
    monkeypatch.delenv("OCPIWH_WAREHOUSE", raising=False)
    return cfg


@pytest.fixture(scope="module")
def sessions_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake of source ``sim`` (OCPI 2.2.1): one location, sessions S1 and S2 (3 kWh)."""
    root = tmp_path_factory.mktemp("wh")
    write_batch(
        root, source="sim", module="locations", version="2.2.1", objects=[location("2.2.1")]
    )
    write_batch(
        root,
        source="sim",
        module="sessions",
        version="2.2.1",
        objects=[session("2.2.1"), session("2.2.1", id="S2", kwh=3.0)],
    )
    return root
