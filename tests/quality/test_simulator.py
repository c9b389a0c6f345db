"""On the simulator's dirty data, each injected kind of dirt is caught by its rule; and the
`check` command: table, JSON, exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import ocpiwh.cli.check  # noqa: F401  (registers `check` until cli/commands.py does)
from ocpiwh import models, quality, warehouse
from ocpiwh.cli.main import main
from ocpiwh.login import login
from ocpiwh.ocpi import RetryPolicy
from ocpiwh.simulator import SimConfig, serve_in_thread
from ocpiwh.sync.engine import SyncOptions, sync

TOKEN = "quality-token-7"
FAST = RetryPolicy(max_attempts=12, base_delay=0.001, max_delay=0.01, max_total=60.0)
WIDE = {"from_": "2000-01-01", "to": "2100-01-01"}


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    import os

    old = os.environ.get("OCPIWH_CONFIG_DIR")
    os.environ["OCPIWH_CONFIG_DIR"] = str(tmp_path_factory.mktemp("cfg"))
    root = tmp_path_factory.mktemp("sim") / "data"
    cfg = SimConfig(seed=7, locations=20, sessions=1200, token=TOKEN, clean=False,
                    start=datetime(2026, 3, 2, 12, tzinfo=UTC), max_limit=500)  # fmt: skip
    with serve_in_thread(cfg) as sim:
        login(root, sim.versions_url, TOKEN, retry=FAST)
        opts = SyncOptions(lag=timedelta(0), retry=FAST)
        for step in range(2):
            if step:
                sim.advance(days=13)  # long sessions end (and get their CDR)
            errors = [m.error for r in sync(root, options=opts) for m in r.modules if m.error]
            assert not errors, errors
        summary = sim.summary()
    yield root, summary
    if old is None:
        os.environ.pop("OCPIWH_CONFIG_DIR", None)
    else:
        os.environ["OCPIWH_CONFIG_DIR"] = old


def _completed_in_lake(root: Path) -> set[str]:
    """Sessions that ended, at a location whose points are open data (irve_sites): the ones
    QualiCharge receives and the rules look at."""
    con = warehouse.connect(root)
    try:
        con.register("irve_sites", models.get_model("irve_sites").run(con))
        rows = con.execute(
            "SELECT id FROM sessions AS s WHERE status = 'COMPLETED' AND end_date_time IS NOT NULL"
            " AND {open} UNION SELECT session_id FROM cdrs AS s WHERE session_id IS NOT NULL"
            " AND {open}".format(
                open="NOT EXISTS (SELECT 1 FROM irve_sites AS o WHERE NOT o.open_data"
                " AND o.country_code = s.country_code AND o.party_id = s.party_id"
                " AND o.location_id = s.location_id)"
            )
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


@pytest.mark.parametrize(
    "kind,rule",
    [("zero_energy", "ENEZ"), ("end_before_start", "NEGS"), ("long_session", "LONS"),
     ("duplicate_content", "DUPS")],
)  # fmt: skip
def test_injected_dirt_is_caught(dirty: tuple[Path, dict[str, Any]], kind: str, rule: str) -> None:
    root, summary = dirty
    injected = set(summary["dirty"]["sessions"].get(kind, []))
    if kind != "duplicate_content":  # a duplicate copies the previous session, dirt included
        for sid in summary["dirty"]["sessions"].get("duplicate_content", []):
            if f"S{int(sid[1:]) - 1:09d}" in injected:
                injected.add(sid)
    delivered = injected & _completed_in_lake(root)
    assert delivered, f"the simulator injected no {kind} session that ended"
    report = quality.run_checks(root, **WIDE, rules=[rule])
    flagged = set(report[rule].items)
    assert report[rule].status == "fail"
    assert flagged == delivered, (sorted(flagged - delivered), sorted(delivered - flagged))


def test_check_command(dirty: tuple[Path, dict[str, Any]], tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    root, _ = dirty
    args = ["--warehouse", str(root), "check", "--from", "2000-01-01", "--to", "2100-01-01"]
    with pytest.raises(SystemExit) as exc:
        main([*args, "--json", str(tmp_path / "r.json"), "--fail-on", "NEGS"])
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert "NEGS" in out and "FAIL (blocking)" in out and "not computable here" not in out
    assert "OVLS" in out and "FRES" in out  # the dirty simulator overlaps and delays sessions
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["blocking_failures"] == ["NEGS"] and not data["ok"]
    assert {r["rule"] for r in data["rules"]} == set(quality.load_rules())
    # one line per rule: the counts of all units, not of the worst one
    spread = [r for r in data["rules"] if len(r["units"]) > 1 and r["family"] == "session"]
    assert spread, "the simulator's sessions span one operational unit only"
    for r in spread:
        flagged = sum(u["flagged"] for u in r["units"])
        checked = sum(u["checked"] for u in r["units"])
        assert f"{flagged:,}/{checked:,}" in out, r["rule"]
    assert "window of every rule: [2000-01-01T00:00:00Z, 2100-01-01T00:00:00Z)" in out

    # QualiCharge's default windows (yesterday, 15 days ago) miss the simulator's March data
    with pytest.raises(SystemExit) as exc:
        main(["--warehouse", str(root), "check", "--fail-on", "none"])
    assert exc.value.code in (0, None)
    out = capsys.readouterr().out
    span = data["data_span"]
    assert "2026-02-01" < span["from"] < span["to"] < "2026-04-01", span  # the simulated weeks
    last = date.fromisoformat(span["to"][:10]) + timedelta(days=1)
    assert f"try `ocpiwh check --from {span['from'][:10]} --to {last}`" in out
    assert "window of status, pdc rules: [" in out
    assert "window of session, status-session rules: [" in out

    with pytest.raises(SystemExit) as exc:
        main([*args, "session", "--fail-on", "none", "--json", "-", "-p", "DUPS.threshold=1"])
    assert exc.value.code in (0, None)
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["fail_on"] == []
    dups = next(r for r in data["rules"] if r["rule"] == "DUPS")
    assert dups["status"] == "pass" and dups["params"]["threshold"] == 1.0

    with pytest.raises(SystemExit) as exc:
        main([*args, "-p", "DUPS.threshold=lots"])
    assert exc.value.code == 2
