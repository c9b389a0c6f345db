"""Every row ocpiwh declares valid is accepted by QualiCharge's models (re-stated in
qc_models.py on the libraries QualiCharge uses), and every refused row names its rule."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

pytest.importorskip("pydantic_extra_types")
pytest.importorskip("email_validator")
pytest.importorskip("shapely")

from pydantic import ValidationError
from qc_models import FrPhone, Statique, csv_row, session_model, status_model

from ocpiwh import irve
from ocpiwh.export import export
from ocpiwh.irve.phone import check_phone

PHONES = [
    "01 44 27 63 50", "0144276350", "+33 1 44 27 63 50", "0033 1 44 27 63 50", "+33144276350",
    "06 12 34 56 78", "07 00 00 00 00", "09 70 12 34 56", "0800 123 456", "08 99 12 34 56",
    "+33 8 12 34 56 7", "+338123456789", "111111111", "3631", "0 800 00", "01 44 27 63 5",
    "01 44 27 63 500", "+44 20 7946 0958", "+1 650-253-0000", "+262 262 12 34 56",
    "0262 12 34 56", "+590 590 12 34 56", "05 90 12 34 56", "appelez-nous", "+33 (0)1 44 27 63 50",
    "tel:+33-1-44-27-63-50", "01.44.27.63.50", "+999 123 456",
]  # fmt: skip


def _accepted(model: Any, value: Any) -> bool:
    try:
        model(value) if model is FrPhone else model.model_validate(value)
    except (ValidationError, ValueError):
        return False
    return True


class _Phone(Statique.__base__):  # type: ignore[name-defined,misc]
    telephone_operateur: FrPhone


@pytest.mark.parametrize("raw", PHONES)
def test_phone_verdict_matches_qualicharge(raw: str) -> None:
    e164, why = check_phone(raw)
    qc = _accepted(_Phone, {"telephone_operateur": raw})
    assert (e164 is not None) == qc, (raw, e164, why)
    if e164 is not None:  # what ocpiwh writes is accepted too, and stays the same number
        assert e164.startswith("+") and _accepted(_Phone, {"telephone_operateur": e164})
        assert check_phone(e164)[0] == e164


def _session(start: datetime) -> dict[str, Any]:
    return {
        "id_pdc_itinerance": "FRA68E680210015",
        "start": start.isoformat().replace("+00:00", "Z"),
        "end": (start + timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),
        "energy": 10.0,
    }


def _status(at: datetime) -> dict[str, Any]:
    return {
        "id_pdc_itinerance": "FRA68E680210015",
        "etat_pdc": "en_service",
        "occupation_pdc": "libre",
        "horodatage": at.isoformat().replace("+00:00", "Z"),
    }


@pytest.mark.parametrize("days", [15.0, 30.0, 0.5])
def test_session_age_boundary(days: float) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    limit = now - timedelta(days=days)
    rows = [
        _session(limit),
        _session(limit - timedelta(seconds=1)),
        _session(limit + timedelta(minutes=1)),
    ]
    report = irve.validate(
        pa.Table.from_pylist(rows), "sessions", now=now, max_session_age_days=days
    )
    assert (report.valid, report.invalid, report.too_old) == (2, 0, 1)
    [err] = report.errors.to_pylist()
    assert err["row"] == 2 and err["rule"] == "qualicharge:too_old"
    limit_text = "12 hours" if days == 0.5 else f"{days:g} days"
    assert (
        f"(older than {limit_text}: --max-age-days or [irve] session_max_age_days)" in err["value"]
    )
    # QualiCharge's model with the same limit (a minute of margin: its clock runs on)
    model = session_model(days * 86400)
    assert _accepted(model, _session(limit + timedelta(minutes=1)))
    assert not _accepted(model, _session(limit - timedelta(seconds=1)))


def test_status_freshness_boundary() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    day = now - timedelta(days=1)
    rows = [_status(day), _status(day - timedelta(seconds=1)), _status(now - timedelta(hours=2))]
    table = pa.Table.from_pylist(rows)
    unchecked = irve.validate(table, "dynamique", now=now)  # the open-data snapshot
    assert unchecked.ok
    report = irve.validate(table, "dynamique", now=now, max_status_age_days=1)
    assert (report.valid, report.invalid, report.too_old) == (2, 0, 1)
    assert report.age_limits() == [
        "older than 1 day: --max-status-age-days or [irve] status_max_age_days"
    ]
    assert "1 too old to submit" in report.summary()
    model = status_model()
    assert _accepted(model, _status(now - timedelta(hours=2)))
    assert not _accepted(model, _status(day - timedelta(seconds=1)))


def test_too_old_and_invalid_counted_apart() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    old = now - timedelta(days=40)
    broken_and_old = _session(old) | {"energy": 2000.0}
    report = irve.validate(
        pa.Table.from_pylist([_session(old), broken_and_old, _session(now - timedelta(days=1))]),
        "sessions",
        now=now,
    )
    assert (report.valid, report.invalid, report.too_old) == (1, 1, 1)


# -- end to end: a dirty simulated platform, exported, checked by QualiCharge's models --------

IRVE_TOML = """
[irve]
[irve.defaults]
contact_amenageur = "amenageur@example.fr"
contact_operateur = "support@example.fr"
siren_amenageur = "130025265"
code_insee_commune = "75056"
raccordement = "Indirect"
restriction_gabarit = "Aucune"
nom_amenageur = "Aménageur SAS"
telephone_operateur = "01 23 45 67 89"
"""


@pytest.fixture(scope="module")
def sim_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ocpiwh.login import login
    from ocpiwh.simulator import SimConfig, serve_in_thread
    from ocpiwh.sync.engine import SyncOptions, sync

    root = tmp_path_factory.mktemp("qc") / "data"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    cfg = SimConfig(seed=11, locations=40, sessions=800, token="tok-1", start=start, max_limit=500)
    with serve_in_thread(cfg) as sim:
        login(root, sim.versions_url, "tok-1")
        sync(root, options=SyncOptions(lag=timedelta(0)))
        sim.advance(seconds=3600)
        sync(root, options=SyncOptions(lag=timedelta(0)))
    with (root / "ocpiwh.toml").open("a") as fh:
        fh.write(IRVE_TOML)
    return root


def _written(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    with path.open(encoding="utf-8") as fh:
        return [csv_row(r) for r in csv.DictReader(fh)]


@pytest.mark.parametrize(
    ("name", "suffix", "model"),
    [
        ("irve_statique", ".csv", Statique),
        ("irve_dynamique_events", ".jsonl", status_model()),
        ("qualicharge_sessions", ".jsonl", session_model()),
    ],
)
def test_every_valid_row_is_accepted_by_qualicharge(
    sim_root: Path, tmp_path: Path, name: str, suffix: str, model: Any
) -> None:
    out = tmp_path / f"{name}{suffix}"
    result = export(sim_root, name, out, None)
    report = result.validation
    assert report is not None and result.rows == report.valid
    refused = []
    for row in _written(out):
        try:
            model.model_validate(row)
        except ValidationError as exc:
            refused.append((row.get("id_pdc_itinerance"), str(exc).splitlines()[:3]))
    assert refused == []
    # every row left out names at least one rule
    left_out = report.invalid + report.too_old
    named = {r["row"] for r in report.errors.to_pylist() if r["rule"]}
    assert len(named) == left_out
    assert result.rows > 0, report.summary()
