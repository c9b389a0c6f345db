"""`privacy show --unknown`: which fields the platform sent that no policy names, and how often.

The simulator serves undocumented fields (dirt ``unknown_fields``); a real sync drops and
counts them; the command reads the counts back from the sync runs' log (runs.jsonl).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ocpiwh.cli.main import main
from ocpiwh.cli.privacy import unknown_fields
from ocpiwh.lake import StateStore, open_store
from ocpiwh.login import login
from ocpiwh.simulator import Dirt, SimConfig, serve_in_thread
from ocpiwh.sync.engine import SyncOptions, sync

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wh")
    cfg = SimConfig(
        seed=5, locations=8, sessions=400, start=START, dirt=Dirt.only("unknown_fields")
    )
    with serve_in_thread(cfg) as sim:
        login(root, sim.versions_url, cfg.token, source="sim")
        sync(root, source="sim", options=SyncOptions(lag=timedelta(0)))
    return root


def _run(root: Path, *args: str) -> None:
    try:
        main(["--warehouse", str(root), "privacy", "show", "--unknown", *args])
    except SystemExit as exc:
        assert exc.code in (0, None)


def test_every_unknown_field_the_sync_counted_is_accounted_for(synced: Path) -> None:
    store = open_store(synced)
    totals = sum(
        int(m.get("unknown_fields") or 0)
        for run in StateStore(store, "sim").runs()
        for m in run["modules"]
    )
    assert totals > 0  # the simulator did send undocumented fields
    rows, untraced = unknown_fields(store)
    assert sum(r.dropped for r in rows) + untraced == totals


def test_paths_recorded_by_the_runs_are_listed_with_their_counts(
    synced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = StateStore(open_store(synced), "sim")
    for when, count in (("2026-03-03T08:00:00Z", 3), ("2026-03-04T08:00:00Z", 4)):
        state.append_run(  # the shape a sync records: per module, {path: times dropped}
            {
                "finished_at": when,
                "modules": [
                    {
                        "module": "sessions",
                        "unknown_fields": count + 1,
                        "unknown_field_paths": {"x_vendor_note": count, "cdr_token.x_flag": 1},
                    }
                ],
            }
        )
    rows, _ = unknown_fields(open_store(synced), "sessions")
    by_path = {r.path: r for r in rows}
    assert by_path["x_vendor_note"].dropped >= 7 and by_path["x_vendor_note"].runs >= 2
    assert by_path["x_vendor_note"].last_seen >= "2026-03-04T08:00:00Z"
    assert rows[0].dropped >= rows[-1].dropped  # most dropped first
    _run(synced, "sessions")
    text = capsys.readouterr().out
    assert "x_vendor_note" in text and "cdr_token.x_flag" in text
    assert "--privacy-pass sessions:" in text


def test_a_warehouse_without_runs_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(tmp_path)
    assert "no unknown fields in the sync runs' log" in capsys.readouterr().out
