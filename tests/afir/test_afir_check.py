"""``ocpiwh check --profile afir``: per site, AFIR entries missing, invalid or stale."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest
from afir_lake import NOW, T1, build_lake

from ocpiwh import models
from ocpiwh.afir import compliance
from ocpiwh.cli.main import main


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_lake(tmp_path_factory.mktemp("afir-check") / "wh", "2.2.1")


def _found(report: compliance.AfirCompliance) -> set[tuple[str, str, str]]:
    return {(f.site_id, f.entry, f.problem) for f in report.findings}


def test_missing_invalid_and_stale_status(root: Path) -> None:
    report = compliance.check(root, now=datetime.fromisoformat(NOW))
    found = _found(report)
    assert report.sites == 3  # PRIVATE4 is not public
    assert ("FR*TST*BROKEN3", "valid", "invalid") in found
    assert ("FR*TST*HOURS2", "operator", "missing") in found
    assert ("FR*TST*HOURS2", "evseId", "missing") in found
    assert not any(e == "operator" for s, e, _ in found if s == "FR*TST*FULL1")
    # statuses changed more than 60 s ago and no AFIR feed published them
    assert {s for s, e, p in found if (e, p) == ("status", "stale")} == {
        "FR*TST*FULL1",
        "FR*TST*HOURS2",
        "FR*TST*BROKEN3",
    }
    # static data changed less than 24 h ago: not stale yet
    assert not any(e == "static data" for _, e, _ in found)


def test_static_stale_after_24_hours(root: Path) -> None:
    t1 = datetime.fromisoformat(T1)
    within = _found(compliance.check(root, now=t1 + timedelta(hours=23)))
    after = _found(compliance.check(root, now=t1 + timedelta(hours=25)))
    assert ("FR*TST*FULL1", "static data", "stale") not in within
    assert ("FR*TST*FULL1", "static data", "stale") in after


def test_cli_json(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--warehouse", str(root), "check", "--profile", "afir", "--json", "-"])
    assert exit_.value.code == 1
    doc = orjson.loads(capsys.readouterr().out)
    assert doc["profile"] == "afir" and doc["sites"] == 3 and doc["ok"] is False
    assert {"table": "A,B,F", "entry": "valid", "problem": "invalid", "sites": 1} in doc["summary"]
    # the annex of 2025/655: status is dynamic data (Table F), an EVSE ID static (Table B)
    tables = {(r["entry"], r["table"]) for r in doc["summary"]}
    assert ("status", "F1-F2") in tables and ("evseId", "B1") in tables


def test_every_missing_entry_has_its_afir_data_type() -> None:
    """Each entry afir_table can report missing names its data types in the annex of 2025/655."""
    sql = models.get_model("afir_table").sql
    entries = set(
        re.findall(r"THEN '([A-Za-z]+)' END", sql.split("AS missing")[0].split("list_filter([")[-1])
    )
    assert entries and entries <= set(compliance.TABLES)
