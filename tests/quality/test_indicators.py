"""Indicators through the library and the CLI, and QualiCharge's `up` roll-up (golden rows
of each indicator are in tests/models/golden/ind_*)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

import ocpiwh.cli.check  # noqa: F401  (registers `indicators` until cli/commands.py does)
from ocpiwh import quality
from ocpiwh.cli.main import main
from ocpiwh.errors import UsageError
from ocpiwh.lake import write_batch

GOLDEN = Path(__file__).parents[1] / "models" / "golden" / "ind_u10" / "unit_day"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ind") / "data"
    for path in sorted((GOLDEN / "input").glob("*.json")):
        _, module, version = path.stem.split("-", 2)
        write_batch(
            root, source="t", module=module, version=version, objects=json.loads(path.read_text())
        )
    (root / "ocpiwh.toml").write_text(
        'warehouse_id = "i"\n[irve.defaults]\nsiren_amenageur = "130025265"\nraccordement = "Direct"\n'
    )
    return root


def test_run_indicators_reads_the_irve_config(lake: Path) -> None:
    t = quality.run_indicators(lake, ["i1", "u10"], level=6, from_="2026-03-09", to="2026-03-10")
    rows = {(r["code"], r["target"]): r["value"] for r in t.to_pylist()}
    assert rows == {("i1", "130025265"): 3.0, ("u10", "130025265"): 4.0}
    assert t.column_names == [
        "code",
        "level",
        "target",
        "period",
        "category",
        "value",
        "extras",
        "timestamp",
    ]
    with pytest.raises(UsageError, match="no indicator"):
        quality.run_indicators(lake, ["x9"])
    with pytest.raises(UsageError, match="--level"):
        quality.run_indicators(lake, ["i1"], level=7)


@pytest.mark.parametrize(
    ("level", "paris", "lyon"),
    [
        (1, "11", "84"),  # Île-de-France, Auvergne-Rhône-Alpes
        (2, "75", "69"),
        (3, "200054781", "200046977"),  # Métropole du Grand Paris, Métropole de Lyon
        (4, "75056", "69123"),  # communes, not arrondissements (75010, 69002 are postal codes)
    ],
)
def test_indicators_by_territory(lake: Path, level: int, paris: str, lyon: str) -> None:
    """The golden lake has two points in Paris (75010) and one in Lyon (69002): the COG table
    gives each level's target from the derived INSEE code."""
    t = quality.run_indicators(lake, ["i1"], level=level, from_="2026-03-09", to="2026-03-10")
    assert {r["target"]: r["value"] for r in t.to_pylist()} == {paris: 2.0, lyon: 1.0}
    assert set(t.column("level").to_pylist()) == {level}


def test_roll_up_days_to_weeks() -> None:
    def row(day: int, value: float) -> dict[str, object]:
        return {"code": "u10", "level": 0, "target": "00", "period": "d", "category": None,
                "value": value, "extras": None, "timestamp": datetime(2026, 3, day, tzinfo=UTC)}  # fmt: skip

    daily = pa.Table.from_pylist([row(9, 2.0), row(10, 4.0), row(15, 6.0), row(16, 1.0)])
    weekly = quality.roll_up(daily, "w").to_pylist()
    assert [(r["timestamp"].day, r["period"], r["value"]) for r in weekly] == [
        (9, "w", 4.0),
        (16, "w", 1.0),
    ]
    extras = json.loads(weekly[0]["extras"])
    assert extras["from"] == "d"
    assert extras["history"] == {"size": 3, "min": 2.0, "max": 6.0, "last": 6.0, "var": 4.0,
                                 "mean": 4.0, "std": 2.0, "sum": 12.0}  # fmt: skip
    monthly = quality.roll_up(daily, "m").to_pylist()
    assert len(monthly) == 1 and monthly[0]["value"] == 3.25
    with pytest.raises(UsageError):
        quality.roll_up(daily, "d")


def test_indicators_command(lake: Path, tmp_path: Path) -> None:
    out = tmp_path / "u.csv"
    with pytest.raises(SystemExit) as exc:
        main(["--warehouse", str(lake), "indicators", "run", "u10", "u11", "--level", "5",
              "--from", "2026-03-09", "--to", "2026-03-10", "--up", "w", "-f", "csv", "-o", str(out)])  # fmt: skip
    assert exc.value.code in (0, None)
    import csv

    rows = list(csv.reader(out.read_text().splitlines()))
    assert rows[0] == [
        "code",
        "level",
        "target",
        "period",
        "category",
        "value",
        "extras",
        "timestamp",
    ]
    assert [(r[0], r[1], r[2], r[3], float(r[5])) for r in rows[1:]] == [
        ("u10", "5", "FRABC", "w", 4.0),
        ("u11", "5", "FRABC", "w", 2.0),
    ]
