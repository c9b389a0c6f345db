"""The open-data boundary: publish = false, private driveways and undeclared OCPI 2.1.1 sites
never reach an IRVE or QualiCharge file; 2.1.1 sites need an explicit declaration."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from ocpi_fixtures import build_lake

from ocpiwh.export import export

BASE = """warehouse_id = "od"
[irve]
[irve.defaults]
contact_operateur = "support@alpha.example"
"""
SIM_211 = "FRSIME0211"  # the 2.1.1 location of ocpi_fixtures (no publish flag)
DRIVEWAY = "FRABCE2PARK4"  # ON_DRIVEWAY
UNPUBLISHED = "FRABCE5PRIV"  # publish = false


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_lake(tmp_path_factory.mktemp("od") / "data")


def _ids(path: Path) -> set[str]:
    with path.open(encoding="utf-8") as fh:
        return {r["id_pdc_itinerance"] for r in csv.DictReader(fh)}


@pytest.mark.parametrize("name", ["irve_statique", "irve_dynamique", "irve_dynamique_events"])
def test_undeclared_211_sites_stay_out_with_one_warning(
    lake: Path, tmp_path: Path, name: str
) -> None:
    (lake / "ocpiwh.toml").write_text(BASE)
    out = tmp_path / f"{name}.csv"
    result = export(lake, name, out, keep_invalid=True)
    ids = _ids(out)
    assert ids and SIM_211 not in ids and DRIVEWAY not in ids and UNPUBLISHED not in ids
    assert len(result.warnings) == 1 and "ocpi211_public" in result.warnings[0]
    assert result.manifest["open_data"]["undeclared"] == 1
    assert result.manifest["open_data"]["ON_DRIVEWAY (a private driveway)"] == 1


def test_declared_211_sites_are_exported_and_the_warning_stops(lake: Path, tmp_path: Path) -> None:
    (lake / "ocpiwh.toml").write_text(BASE.replace("[irve]\n", "[irve]\nocpi211_public = true\n"))
    result = export(lake, "irve_statique", tmp_path / "a.csv", keep_invalid=True)
    assert SIM_211 in _ids(tmp_path / "a.csv") and result.warnings == []
    assert DRIVEWAY not in _ids(tmp_path / "a.csv")
    # per location: the overrides CSV says no, whatever the section says
    (lake / "ov.csv").write_text("location_id,public\nFRSIMP0211,false\n")
    (lake / "ocpiwh.toml").write_text(
        BASE.replace("[irve]\n", '[irve]\nocpi211_public = true\noverrides = "ov.csv"\n')
    )
    result = export(lake, "irve_statique", tmp_path / "b.csv", keep_invalid=True)
    assert SIM_211 not in _ids(tmp_path / "b.csv") and result.warnings == []
    # … or yes, without the section
    (lake / "ov.csv").write_text("location_id,public\nFRSIMP0211,true\n")
    (lake / "ocpiwh.toml").write_text(BASE.replace("[irve]\n", '[irve]\noverrides = "ov.csv"\n'))
    result = export(lake, "irve_statique", tmp_path / "c.csv", keep_invalid=True)
    assert SIM_211 in _ids(tmp_path / "c.csv") and result.warnings == []


def _cdr(cc_party: tuple[str, str], loc: str, uid: str, evse_id: str) -> dict[str, object]:
    cc, party = cc_party
    return {
        "country_code": cc, "party_id": party, "id": f"C-{loc}", "session_id": f"S-{loc}",
        "start_date_time": "2026-01-10T08:00:00Z", "end_date_time": "2026-01-10T09:00:00Z",
        "total_energy": 10.0, "currency": "EUR", "total_cost": {"excl_vat": 1.0},
        "total_time": 1.0, "last_updated": "2026-01-10T09:00:00Z",
        "cdr_token": {"uid": "T", "type": "RFID", "contract_id": "FR-X-1", "country_code": cc,
                      "party_id": party},
        "cdr_location": {"id": loc, "evse_uid": uid, "evse_id": evse_id, "connector_id": "1"},
    }  # fmt: skip


def test_sessions_of_sites_that_are_not_public_stay_out(tmp_path: Path) -> None:
    from ocpiwh import warehouse
    from ocpiwh.lake import write_batch

    root = build_lake(tmp_path / "data")
    cdrs = [
        _cdr(("FR", "SIM"), "FRSIMP0211", "0211", "FR*SIM*E0211"),  # 2.1.1, undeclared
        _cdr(("FR", "ABC"), "PRIVATE1", "PR", "FR*ABC*E5PRIV"),  # publish = false
        _cdr(("FR", "ABC"), "FRABCP0001", "STD-01", "FR*ABC*E1STD01"),  # public
    ]
    write_batch(root, source="t", module="cdrs", version="2.2.1", objects=cdrs)
    warehouse.refresh(root)
    (root / "ocpiwh.toml").write_text(BASE)
    out = tmp_path / "s.csv"
    export(root, "qualicharge_sessions", out, keep_invalid=True)
    assert _ids(out) == {"FRABCE1STD01"}
    (root / "ocpiwh.toml").write_text(BASE.replace("[irve]\n", "[irve]\nocpi211_public = true\n"))
    export(root, "qualicharge_sessions", out, keep_invalid=True)
    assert _ids(out) == {"FRABCE1STD01", "FRSIME0211"}


def test_the_privacy_stage_reads_the_same_declarations(tmp_path: Path) -> None:
    """[irve] ocpi211_public and the public column become the privacy stage's Sites: a
    public row naming another party does not apply; a not-public row applies to any."""
    from ocpiwh.irve import IrveConfig
    from ocpiwh.privacy import Sites

    (tmp_path / "ov.csv").write_text(
        "location_id,country_code,party_id,public\n"
        "HOME,,,false\nSHOP,FR,ABC,true\nOTHER,BE,XYZ,true\nNEVER,BE,XYZ,false\n"
    )
    cfg = IrveConfig.from_mapping({"overrides": "ov.csv"}, base=tmp_path)
    assert cfg.sites(("FR", "ABC")) == Sites(
        None, frozenset({"SHOP"}), frozenset({"HOME", "NEVER"})
    )
    cfg = IrveConfig.from_mapping({"ocpi211_public": False}, base=tmp_path)
    assert cfg.sites(("FR", "ABC")) == Sites(False)
