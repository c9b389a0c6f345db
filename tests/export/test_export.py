"""Exports: atomic writes, manifest, formats, partitions, pseudonymous refusal, dynamique and
sessions mappings, and the simulator's full sync exported as valid IRVE files."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

import ocpiwh.cli.export  # noqa: F401  (registers `export` and `irve` until cli/commands.py does)
from ocpiwh import irve, warehouse
from ocpiwh.cli.main import main
from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.export import export, pseudonymous_feeds
from ocpiwh.lake import write_batch

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LU = "2026-03-09T10:00:00Z"
IRVE_TOML = """
[irve]
session_max_age_days = 30

[irve.defaults]
contact_amenageur = "amenageur@example.fr"
contact_operateur = "support@example.fr"
siren_amenageur = "130025265"
code_insee_commune = "75111"
raccordement = "Indirect"
restriction_gabarit = "Aucune"
telephone_operateur = "+33 1 23 45 67 89"
nom_amenageur = "Aménageur SAS"
"""


def conn(cid: str, std: str, power: int = 22000) -> dict[str, Any]:
    return {
        "id": cid,
        "standard": std,
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 32,
        "max_electric_power": power,
        "last_updated": LU,
    }


def ev(uid: str, status: str, conns: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uid": uid,
        "evse_id": f"FR*ABC*E{uid}",
        "status": status,
        "connectors": conns,
        "last_updated": LU,
    }


STATUSES = (
    "AVAILABLE",
    "CHARGING",
    "BLOCKED",
    "RESERVED",
    "INOPERATIVE",
    "OUTOFORDER",
    "UNKNOWN",
    "PLANNED",
    "REMOVED",
)


def small_lake(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    evses = [
        ev(f"{i}", s, [conn("1", "IEC_62196_T2"), conn("2", "DOMESTIC_F", 3700)])
        for i, s in enumerate(STATUSES, start=1)
    ]
    evses.append(
        ev("99", "AVAILABLE", [conn("1", "CHADEMO", 50000), conn("2", "IEC_62196_T2_COMBO", 50000)])
    )
    loc = {
        "country_code": "FR",
        "party_id": "ABC",
        "id": "FRABCP1",
        "publish": True,
        "parking_type": "ON_STREET",
        "name": "Gare",
        "address": "1 rue de la Gare",
        "city": "Paris",
        "postal_code": "75010",
        "country": "FRA",
        "coordinates": {"latitude": "48.876", "longitude": "2.359"},
        "operator": {"name": "Alpha"},
        "opening_times": {"twentyfourseven": True},
        "evses": evses,
        "last_updated": LU,
    }
    write_batch(root, source="t", module="locations", version="2.2.1", objects=[loc])
    later = json.loads(json.dumps(loc))
    later["evses"][0]["status"] = "CHARGING"
    later["evses"][0]["last_updated"] = later["last_updated"] = "2026-03-09T11:00:00Z"
    write_batch(root, source="t", module="locations", version="2.2.1", objects=[later])

    def cdr(i: int, start: str, end: str, kwh: float, **kw: Any) -> dict[str, Any]:
        o = {
            "country_code": "FR",
            "party_id": "ABC",
            "id": f"C{i}",
            "session_id": f"S{i}",
            "start_date_time": start,
            "end_date_time": end,
            "total_energy": kwh,
            "cdr_token": {
                "uid": f"TOKEN{i}",
                "type": "RFID",
                "contract_id": f"FR-ABC-C{i}",
                "country_code": "FR",
                "party_id": "ABC",
            },
            "cdr_location": {
                "id": "FRABCP1",
                "evse_uid": "1",
                "evse_id": "fr*abc*e1",
                "connector_id": "1",
            },
            "currency": "EUR",
            "total_cost": {"excl_vat": 1.0},
            "total_time": 1.0,
            "last_updated": end,
        }
        o.update(kw)
        return o

    cdrs = [
        cdr(1, "2026-03-09T08:00:00.500Z", "2026-03-09T09:00:00Z", 12.5),
        cdr(2, "2026-03-09T10:00:00Z", "2026-03-09T09:00:00Z", 3.0),  # ends before it starts
        cdr(3, "2026-03-01T08:00:00Z", "2026-03-09T08:00:01Z", 40.0),  # over 7 days
        cdr(4, "2026-03-09T08:00:00Z", "2026-03-09T09:00:00Z", 1200.0),  # over 1000 kWh
        cdr(5, "2026-01-01T08:00:00Z", "2026-01-01T09:00:00Z", 5.0),  # older than max age
        cdr(6, "2026-03-11T08:00:00Z", "2026-03-11T09:00:00Z", 5.0),  # in the future
        cdr(7, "2026-03-09T08:00:00Z", "2026-03-09T09:00:00Z", -12.5, credit=True),  # credit
    ]
    write_batch(root, source="t", module="cdrs", version="2.2.1", objects=cdrs)

    def sess(i: int, status: str, end: str | None, kwh: float) -> dict[str, Any]:
        return {
            "country_code": "FR",
            "party_id": "ABC",
            "id": f"S{i}",
            "start_date_time": "2026-03-09T12:00:00Z",
            "end_date_time": end,
            "kwh": kwh,
            "cdr_token": {
                "uid": "TOK",
                "type": "RFID",
                "contract_id": "FR-ABC-X",
                "country_code": "FR",
                "party_id": "ABC",
            },
            "auth_method": "WHITELIST",
            "location_id": "FRABCP1",
            "evse_uid": "99",
            "connector_id": "1",
            "currency": "EUR",
            "status": status,
            "last_updated": end or "2026-03-09T12:30:00Z",
        }

    sessions = [
        sess(1, "COMPLETED", "2026-03-09T09:00:00Z", 12.5),  # has CDR C1
        sess(20, "COMPLETED", "2026-03-09T13:00:00Z", 20.0),  # no CDR: fallback
        sess(21, "ACTIVE", None, 3.0),
        sess(22, "INVALID", "2026-03-09T13:00:00Z", 1.0),
    ]
    write_batch(root, source="t", module="sessions", version="2.2.1", objects=sessions)
    (root / "ocpiwh.toml").write_text('warehouse_id = "t"\n' + IRVE_TOML)
    return root


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    old = os.environ.get("OCPIWH_CONFIG_DIR")
    os.environ["OCPIWH_CONFIG_DIR"] = str(tmp_path_factory.mktemp("cfg"))
    yield small_lake(tmp_path_factory.mktemp("export") / "data")
    if old is None:
        os.environ.pop("OCPIWH_CONFIG_DIR", None)
    else:
        os.environ["OCPIWH_CONFIG_DIR"] = old


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# -- mappings --------------------------------------------------------------------------------


def test_dynamique_status_mapping(lake: Path, tmp_path: Path) -> None:
    result = export(lake, "irve_dynamique", tmp_path / "dyn.csv", now=NOW)
    lines = read_csv(tmp_path / "dyn.csv")
    rows = {r["id_pdc_itinerance"]: r for r in lines}
    assert len(lines) == len(rows)  # one row per point de recharge
    got = {k: (r["etat_pdc"], r["occupation_pdc"], r["etat_prise_type_2"]) for k, r in rows.items()}
    assert got == {
        "FRABCE1": ("en_service", "occupe", "fonctionnel"),  # latest version: CHARGING
        "FRABCE2": ("en_service", "occupe", "fonctionnel"),
        "FRABCE3": ("en_service", "occupe", "fonctionnel"),  # BLOCKED
        "FRABCE4": ("en_service", "reserve", "fonctionnel"),
        "FRABCE5": ("hors_service", "inconnu", "hors_service"),
        "FRABCE6": ("hors_service", "inconnu", "hors_service"),
        "FRABCE7": ("inconnu", "inconnu", "inconnu"),
        "FRABCE99": ("en_service", "libre", ""),  # PLANNED, REMOVED left out
    }
    assert rows["FRABCE99"]["etat_prise_type_chademo"] == "fonctionnel"
    assert rows["FRABCE99"]["etat_prise_type_ef"] == ""  # no such connector: empty
    assert rows["FRABCE1"]["horodatage"] == "2026-03-09T11:00:00Z"
    assert result.validation is not None and result.validation.ok
    # the window is [from, to): a state dated exactly `from` is in, one dated `to` is out
    at = {"from": "2026-03-09T11:00:00Z", "to": "2026-03-09T11:00:01Z"}
    export(lake, "irve_dynamique", tmp_path / "at.csv", params=at, now=NOW)
    assert [r["id_pdc_itinerance"] for r in read_csv(tmp_path / "at.csv")] == ["FRABCE1"]
    before = {"from": "2026-03-09T10:00:00Z", "to": "2026-03-09T11:00:00Z"}
    export(lake, "irve_dynamique", tmp_path / "before.csv", params=before, now=NOW)
    assert "FRABCE1" not in {r["id_pdc_itinerance"] for r in read_csv(tmp_path / "before.csv")}
    export(lake, "irve_dynamique", tmp_path / "b.csv", params={"blocked_as": "inconnu"}, now=NOW)
    assert {r["id_pdc_itinerance"]: r["occupation_pdc"] for r in read_csv(tmp_path / "b.csv")}[
        "FRABCE3"
    ] == "inconnu"


def test_dynamique_events_window(lake: Path, tmp_path: Path) -> None:
    out = tmp_path / "ev.jsonl"
    export(
        lake,
        "irve_dynamique_events",
        out,
        "jsonl",
        params={"from": "2026-03-09T10:30:00Z", "to": "2026-03-10T00:00:00Z"},
        now=NOW,
        max_status_age_days=2,
    )
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(e["id_pdc_itinerance"], e["occupation_pdc"], e["horodatage"]) for e in events] == [
        ("FRABCE1", "occupe", "2026-03-09T11:00:00Z")
    ]
    for at, want in (
        ({"from": "2026-03-09T11:00:00Z", "to": "2026-03-09T11:00:01Z"}, ["FRABCE1"]),
        ({"from": "2026-03-09T10:30:00Z", "to": "2026-03-09T11:00:00Z"}, []),
    ):  # [from, to): a change at `from` is in, one at `to` is out
        edge = tmp_path / "edge.jsonl"
        export(
            lake, "irve_dynamique_events", edge, "jsonl", params=at, now=NOW, max_status_age_days=2
        )
        got = [json.loads(line)["id_pdc_itinerance"] for line in edge.read_text().splitlines()]
        assert got == want, at
    everything = export(lake, "irve_dynamique_events", tmp_path / "all.csv", now=NOW)
    assert everything.validation is not None
    # QualiCharge refuses statuses older than a day: too old, not invalid
    assert everything.validation.too_old == 9 and everything.validation.invalid == 0
    kept = export(lake, "irve_dynamique_events", tmp_path / "kept.csv", now=NOW, keep_invalid=True)
    assert kept.rows == 9  # 8 pdc first seen + 1 change


def test_sessions_rules_and_fallback(lake: Path, tmp_path: Path) -> None:
    out = tmp_path / "sessions.jsonl"
    result = export(lake, "qualicharge_sessions", out, "jsonl", now=NOW)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines == [
        {
            "id_pdc_itinerance": "FRABCE1",
            "start": "2026-03-09T08:00:00Z",
            "end": "2026-03-09T09:00:00Z",
            "energy": 12.5,
        },
        {
            "id_pdc_itinerance": "FRABCE99",
            "start": "2026-03-09T12:00:00Z",
            "end": "2026-03-09T13:00:00Z",
            "energy": 20.0,
        },  # completed session without CDR
    ]
    assert result.validation is not None
    reasons = {e["rule"] for e in result.validation.errors.to_pylist()}
    assert reasons == {
        "qualicharge:start_after_end",
        "qualicharge:longer_than_7_days",
        "schema:maximum",
        "qualicharge:too_old",
        "qualicharge:future",
    }
    report = read_csv(tmp_path / "sessions.jsonl.report.csv")
    assert {r["rule"] for r in report} == reasons
    # the maximum age is configurable
    wide = export(
        lake, "qualicharge_sessions", tmp_path / "s.csv", now=NOW, max_session_age_days=365
    )
    assert wide.rows == 3


# -- writing ---------------------------------------------------------------------------------


def test_manifest(lake: Path, tmp_path: Path) -> None:
    out = tmp_path / "irve.csv"
    result = export(lake, "irve_statique", out, now=NOW)
    manifest = json.loads((tmp_path / "irve.csv.manifest.json").read_text())
    assert manifest["name"] == "irve_statique" and manifest["kind"] == "model"
    assert manifest["rows"] == result.rows == len(read_csv(out)) == 8
    import hashlib

    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["ocpi_versions"] == ["2.2.1"]
    assert manifest["privacy_fingerprints"] and manifest["privacy"]["pseudonymous_columns"] == []
    assert manifest["sources"][0]["name"] == "t" and manifest["last_fetched_at"]
    assert len(manifest["sql_sha256"]) == 64
    assert (
        manifest["parameters"]["irve_config"]["json"]["defaults"]["siren_amenageur"] == "130025265"
    )
    assert manifest["validation"]["valid"] == 8 and manifest["validation"]["invalid"] == 0


def test_formats_and_partitions(lake: Path, tmp_path: Path) -> None:
    export(lake, "evses", tmp_path / "evses.parquet", "parquet")
    assert pq.read_table(tmp_path / "evses.parquet").num_rows == 10
    part = tmp_path / "by_status"
    export(lake, "evses", part, "parquet", partition_by=["status"])
    dirs = sorted(p.name for p in part.iterdir())
    assert "status=AVAILABLE" in dirs and len(dirs) == 9
    marker = part / "status=AVAILABLE" / "keep.txt"
    marker.write_text("old")
    result = export(lake, "evses", part, "parquet", partition_by=["status"])  # replaced whole
    assert not marker.exists()
    assert len(result.files) == 9 and all(f["sha256"] for f in result.files)
    with pytest.raises(UsageError, match="parquet"):
        export(lake, "evses", tmp_path / "x.csv", "csv", partition_by=["status"])


def test_failing_query_leaves_no_file(lake: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    out.write_text("previous export\n")
    with pytest.raises(OcpiwhError):
        # a timestamp far outside the range makes the query fail while running
        export(lake, "qualicharge_sessions", out, params={"from": "2026-03-01", "to": "x"})
    with pytest.raises(OcpiwhError):
        export(lake, "occupancy", out, params={"from": "294276-01-01"})
    assert out.read_text() == "previous export\n"  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["s.csv"]  # no temporary file left


def test_crash_leaves_no_file(lake: Path, tmp_path: Path) -> None:
    out = tmp_path / "irve.csv"
    env = dict(os.environ, OCPIWH_CRASH_AT="export-written")
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import ocpiwh.cli.export; from ocpiwh.cli.main import main; main()",
            "--warehouse",
            str(lake),
            "export",
            "irve_statique",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == -9  # SIGKILL after the temporary file was written
    assert not out.exists() and not (tmp_path / "irve.csv.manifest.json").exists()
    export(lake, "irve_statique", out, now=NOW)  # the next export cleans the leftover up
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "irve.csv",
        "irve.csv.manifest.json",
        "irve.csv.report.csv",
    ]


def test_pseudonymous_refused_then_allowed(lake: Path, tmp_path: Path) -> None:
    assert "cdrs.cdr_token_uid" in pseudonymous_feeds("cdrs")
    assert pseudonymous_feeds("qualicharge_sessions") == []
    assert pseudonymous_feeds("irve_statique") == []
    with pytest.raises(UsageError, match="--allow-pseudonymous"):
        export(lake, "cdrs", tmp_path / "cdrs.csv")
    assert not (tmp_path / "cdrs.csv").exists()
    result = export(lake, "cdrs", tmp_path / "cdrs.csv", allow_pseudonymous=True)
    assert result.manifest["privacy"]["allowed"] is True
    assert "cdrs.cdr_token_contract_id" in result.manifest["privacy"]["pseudonymous_columns"]
    assert export(lake, "locations", tmp_path / "l.jsonl", None).rows == 1  # nothing pseudonymous


def test_pseudonymous_model_via_lineage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ocpiwh import models

    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "who.sql").write_text(
        "-- description: d\nSELECT id, cdr_token_uid AS who FROM sessions\n"
    )
    (folder / "safe.sql").write_text("-- description: d\nSELECT id, kwh FROM sessions\n")
    monkeypatch.setattr(models, "models_dir", lambda: folder)
    assert pseudonymous_feeds("who") == ["sessions.cdr_token_uid"]
    assert pseudonymous_feeds("safe") == []


def test_cli_export_summary(lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "irve.csv"
    try:
        main(["--warehouse", str(lake), "export", "irve_statique", "--out", str(out)])
    except SystemExit as exc:
        assert exc.code in (0, None)
    text = capsys.readouterr().out
    assert "8 valid, 0 invalid" in text and "manifest:" in text
    with pytest.raises(SystemExit) as refused:
        main(["--warehouse", str(lake), "export", "sessions", "--out", str(tmp_path / "s.csv")])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert "--allow-pseudonymous" in err and len(err.strip().splitlines()) == 1


# -- the simulator end to end ----------------------------------------------------------------


def test_simulator_sync_exports_valid_irve(tmp_path: Path) -> None:
    from ocpiwh.login import login
    from ocpiwh.simulator import SimConfig, serve_in_thread
    from ocpiwh.sync.engine import SyncOptions, sync

    root = tmp_path / "data"
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    cfg = SimConfig(
        seed=7, locations=25, sessions=1500, token="tok-1", clean=True, start=start, max_limit=500
    )
    with serve_in_thread(cfg) as sim:
        login(root, sim.versions_url, "tok-1")
        assert all(r.ok for r in sync(root, options=SyncOptions(lag=timedelta(0))))
        sim.advance(seconds=3600)
        assert all(r.ok for r in sync(root, options=SyncOptions(lag=timedelta(0))))
    with (root / "ocpiwh.toml").open("a") as fh:
        fh.write(IRVE_TOML)
    now = start + timedelta(days=1)
    checks = {
        "irve_statique": "statique",
        "irve_dynamique": "dynamique",
        "qualicharge_sessions": "sessions",
    }
    for name, schema in checks.items():
        out = tmp_path / f"{name}.csv"
        result = export(root, name, out, now=now)
        assert result.validation is not None
        assert result.rows > 0 and result.rows == result.validation.valid
        # the file as written passes the official schema, and QualiCharge's rules, with 0 errors
        for profile in ("irve", "qualicharge"):
            again = irve.validate(out, schema, profile=profile, now=now, max_session_age_days=30)
            assert again.ok, (name, profile, again.summary())
        # the simulator's Belgian operator has BE ids: valid IRVE, refused by QualiCharge; some
        # of its help_phone numbers are outside every numbering plan (QualiCharge refuses them)
        failures = {e["rule"] for e in result.validation.errors.to_pylist()}
        assert failures <= {
            "qualicharge:telephone",
            "qualicharge:id_pdc_itinerance",
            "qualicharge:id_station_itinerance",
            "export:station_incomplete",
            "qualicharge:too_old",
        }, failures
    con = warehouse.connect(root)
    try:
        published = con.execute(
            "SELECT count(*) FROM evses e JOIN locations l ON l.country_code = e.country_code "
            "AND l.party_id = e.party_id AND l.id = e.location_id WHERE l.publish "
            "AND e.status NOT IN ('REMOVED', 'PLANNED')"
        ).fetchall()[0][0]
    finally:
        con.close()
    kept = export(root, "irve_statique", tmp_path / "all.csv", keep_invalid=True, now=now)
    assert kept.rows == published
