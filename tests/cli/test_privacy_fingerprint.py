"""`privacy show` prints the policy fingerprint the rows are stored under: for an OCPI 2.1.1
source with [irve] site declarations, the one with its `+sites-…` part."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ocpiwh import warehouse
from ocpiwh.cli.main import main
from ocpiwh.login import login
from ocpiwh.simulator import SimConfig, serve_in_thread
from ocpiwh.sync.engine import SyncOptions, sync

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _synced(root: Path, version: str, declare: bool) -> set[str]:
    """Sync a small simulator over ``version``; the fingerprints stored with the rows."""
    cfg = SimConfig(seed=5, locations=4, sessions=20, start=START)
    with serve_in_thread(cfg) as sim:
        login(root, sim.versions_url, cfg.token, source="sim", version=version)
        if declare:
            with (root / "ocpiwh.toml").open("a") as fh:
                fh.write("\n[irve]\nocpi211_public = true\n")
        for result in sync(root, source="sim", options=SyncOptions(lag=timedelta(0))):
            assert result.ok, result.error
    con = warehouse.connect(root)
    try:
        rows = con.execute("SELECT DISTINCT _privacy FROM _raw_locations").fetchall()
    finally:
        con.close()
    return {str(r[0]) for r in rows}


def _shown(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    try:
        main(["--warehouse", str(root), "privacy", "show", "locations", "--version", "2.1.1"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("version", "declare"), [("2.1.1", True), ("2.1.1", False), ("2.2.1", False)]
)
def test_show_prints_the_stored_fingerprint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str, declare: bool
) -> None:
    root = tmp_path / "wh"
    stored = _synced(root, version, declare)
    assert len(stored) == 1
    (fingerprint,) = stored
    assert ("+sites-" in fingerprint) == declare
    shown = _shown(root, capsys)
    assert fingerprint in shown.split()
