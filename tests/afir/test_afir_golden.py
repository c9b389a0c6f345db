"""Golden AFIR publications of a hand-written lake, per OCPI version (tests/afir/afir_lake.py;
the golden files are written by tests/afir/update_golden.py, never by this test)."""

from __future__ import annotations

import csv
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from afir_lake import DELTA_SINCE, NOW, PARKING, VERSIONS, build_lake, locations

from ocpiwh import afir, models, warehouse
from ocpiwh.afir.config import AfirConfig
from ocpiwh.afir.publish import model_params
from ocpiwh.afir.schema import UPSTREAM_ENV, site_errors
from ocpiwh.cli.main import main
from ocpiwh.errors import UsageError
from ocpiwh.lake import open_store, write_batch

GOLDEN = Path(__file__).parent / "golden"
CASES = (("afir_table", None), ("afir_status", None), ("afir_status_delta", DELTA_SINCE))


def _sites(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if "payload" in doc:
        pub = doc["payload"]["aegiEnergyInfrastructureTablePublication"]
        return list(pub["energyInfrastructureTable"][0]["energyInfrastructureSite"])
    pub = doc["messageContainer"]["payload"][0]["aegiEnergyInfrastructureStatusPublication"]
    return list(pub["energyInfrastructureSiteStatus"])


@pytest.fixture(scope="module", params=VERSIONS)
def lake(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    version = str(request.param)
    return version, build_lake(tmp_path_factory.mktemp("afir") / "wh", version)


@pytest.fixture(scope="module")
def pubs(lake: tuple[str, Path]) -> dict[str, afir.AfirResult]:
    """Each case published once per version (the tests below read them)."""
    _, root = lake
    return {
        case: afir.publish(
            root,
            case.removesuffix("_delta"),
            root.parent / f"{case}.json",
            since=since,
            now=datetime.fromisoformat(NOW),
        )
        for case, since in CASES
    }


@pytest.mark.parametrize(("case", "since"), CASES)
def test_golden(
    lake: tuple[str, Path], pubs: dict[str, afir.AfirResult], case: str, since: str | None
) -> None:
    version, _ = lake
    result = pubs[case]
    out = result.out
    model = case.removesuffix("_delta")
    golden = GOLDEN / version / f"{case}.json"
    assert orjson.loads(out.read_bytes()) == orjson.loads(golden.read_bytes())
    report = out.with_name(out.name + ".report.csv")
    assert report.read_text() == golden.with_name(golden.name + ".report.csv").read_text()
    doc = orjson.loads(out.read_bytes())
    assert afir.validate_document(model, doc) == []
    if os.environ.get(UPSTREAM_ENV):  # the profile's own schemas (tools/afir_schemas.py)
        assert afir.validate_document(model, doc, os.environ[UPSTREAM_ENV]) == []
    manifest = orjson.loads(result.manifest_path.read_bytes())
    assert manifest["afir"]["sites"] == len(_sites(doc)) == result.sites
    assert manifest["afir"]["publication"] == ("delta" if since else "snapshot")


def test_invalid_site_reported_never_emitted(pubs: dict[str, afir.AfirResult]) -> None:
    result = pubs["afir_table"]
    ids = {s["idG"] for s in _sites(orjson.loads(result.out.read_bytes()))}
    assert ids == {"FR*TST*FULL1", "FR*TST*HOURS2"}  # BROKEN3 invalid, PRIVATE4 not public
    assert result.invalid_sites == 1
    with result.report_path.open() as fh:
        failing = [r for r in csv.DictReader(fh) if r["rule"].startswith("schema:")]
    assert {r["key"] for r in failing} == {"FR*TST*BROKEN3"}
    assert any("currentType" in r["value"] for r in failing)
    status = pubs["afir_status"]
    ids = {s["reference"]["idG"] for s in _sites(orjson.loads(status.out.read_bytes()))}
    assert "FR*TST*PRIVATE4" not in ids and "FR*TST*FULL1" in ids


def test_refill_points_powers_and_statuses(
    lake: tuple[str, Path], pubs: dict[str, afir.AfirResult]
) -> None:
    version, _ = lake
    table = pubs["afir_table"]
    # 2.1.1 has no max_electric_power: V × A × phases, as the normalization derives it
    ccs, t2 = (800 * 200, 230 * 32 * 3) if version == "2.1.1" else (150000, 22000)
    full = next(
        s for s in _sites(orjson.loads(table.out.read_bytes())) if s["idG"] == "FR*TST*FULL1"
    )
    station = full["energyInfrastructureStation"][0]
    points = {
        p["aegiElectricChargingPoint"]["idG"]: p["aegiElectricChargingPoint"]
        for p in station["refillPoint"]
    }
    assert set(points) == {"FR*TST*FULL1*E1", "FR*TST*FULL1*E2"}  # E9 is REMOVED
    assert points["FR*TST*FULL1*E2"]["currentType"] == {"value": "dc"}
    # the profile: the first available power is the maximum
    assert points["FR*TST*FULL1*E2"]["availableChargingPower"] == [ccs, 50000]
    assert station["totalMaximumPower"] == t2 + ccs
    assert station["numberOfRefillPoints"] == 2
    status = pubs["afir_status"]
    site = next(
        s
        for s in _sites(orjson.loads(status.out.read_bytes()))
        if s["reference"]["idG"] == "FR*TST*FULL1"
    )
    got = {
        p["aegiElectricChargingPointStatus"]["reference"]["idG"]: p[
            "aegiElectricChargingPointStatus"
        ]["status"]["value"]
        for p in site["energyInfrastructureStationStatus"][0]["refillPointStatus"]
    }
    assert got == {"FR*TST*FULL1*E1": "charging", "FR*TST*FULL1*E2": "outOfOrder"}


def _station(result: afir.AfirResult, site_id: str) -> dict[str, Any]:
    sites = _sites(orjson.loads(result.out.read_bytes()))
    return dict(next(s for s in sites if s["idG"] == site_id)["energyInfrastructureStation"][0])


def test_parking_places(lake: tuple[str, Path], pubs: dict[str, afir.AfirResult]) -> None:
    """OCPI 2.3.0 Parking → DedicatedParkingSpaces (one space each, cm → m, kg → t); earlier
    versions have none, and never get any."""
    version, _ = lake
    station = _station(pubs["afir_table"], "FR*TST*FULL1")
    if version != "2.3.0":
        assert "dedicatedParkingSpaces" not in station
        return
    spaces = {s["idG"]: s for s in station["dedicatedParkingSpaces"]}
    assert set(spaces) == {"FR*TST*FULL1*parking*P1", "FR*TST*FULL1*parking*P2"}
    car, truck = spaces["FR*TST*FULL1*parking*P1"], spaces["FR*TST*FULL1*parking*P2"]
    assert car["numberOfSpaces"] == truck["numberOfSpaces"] == 1
    assert car["userSpecific"] == [{"value": "personsWithDisabilities"}]  # DISABLED
    assert "userSpecific" not in truck
    assert car["name"]["values"][0]["value"] == "12"  # physical_reference
    assert car["dimension"] == {"length": 6.0, "width": 3.5}
    assert car["amenities"] == {"illuminated": True, "roofed": True}
    assert truck["amenities"] == {"illuminated": False}  # roofed unknown: not invented
    (vehicles,) = truck["applicableForVehicles"]
    assert {t["value"] for t in vehicles["vehicleType"]} == {"van", "heavyGoodsVehicle"}
    eu = vehicles["comVehicleCharacteristicsExtensionG"]["VehicleCharacteristicsExtended"]
    assert [c["value"] for c in eu["euVehicleCategory"]] == ["n1", "n2", "n3"]
    assert vehicles["grossWeightCharacteristic"][0]["grossVehicleWeight"] == 12.0
    assert vehicles["heightCharacteristic"][0]["vehicleHeight"] == 4.0
    assert vehicles["lengthCharacteristic"][0]["vehicleLength"] == 12.0
    assert vehicles["widthCharacteristic"][0]["vehicleWidth"] == 2.55
    assert {c["comparisonOperator"]["value"] for c in vehicles["heightCharacteristic"]} == {
        "lessThanOrEqualTo"
    }
    assert station["accessibility"] == [{"value": "disabilityAccessible"}]


def test_plug_and_charge(lake: tuple[str, Path], pubs: dict[str, afir.AfirResult]) -> None:
    """2.3.0 connector capability ISO_15118_2_PLUG_AND_CHARGE → smartRechargingServices
    plugAndCharge (the profile: mandatory when available); never guessed before 2.3.0."""
    version, _ = lake
    station = _station(pubs["afir_table"], "FR*TST*FULL1")
    got = {
        p["aegiElectricChargingPoint"]["idG"]: p["aegiElectricChargingPoint"].get(
            "smartRechargingServices"
        )
        for p in station["refillPoint"]
    }
    dc = [{"value": "plugAndCharge"}] if version == "2.3.0" else None
    assert got == {"FR*TST*FULL1*E1": None, "FR*TST*FULL1*E2": dc}


def test_payment_means_on_the_ad_hoc_rate(
    lake: tuple[str, Path], pubs: dict[str, afir.AfirResult]
) -> None:
    """The EVSE's payment terminal (capabilities) on its ad-hoc rate (AFIR A20-A22), where the
    profile's annotated example puts it; a point without one gets no payment member."""
    version, _ = lake
    station = _station(pubs["afir_table"], "FR*TST*FULL1")
    rates = {
        p["aegiElectricChargingPoint"]["idG"]: [
            r
            for e in p["aegiElectricChargingPoint"].get("electricEnergy", [])
            for r in e["energyRate"]
        ]
        for p in station["refillPoint"]
    }
    if version == "2.1.1":  # 2.1.1 tariffs have no type: no ad-hoc rate at all
        assert rates == {"FR*TST*FULL1*E1": [], "FR*TST*FULL1*E2": []}
        return
    (e1,) = rates["FR*TST*FULL1*E1"]  # CREDIT_CARD_PAYABLE
    (e2,) = rates["FR*TST*FULL1*E2"]  # RFID only
    assert e1["payment"] == {"paymentMeans": [{"value": "paymentCreditCard"}]}
    assert "payment" not in e2


def test_times_of_day(pubs: dict[str, afir.AfirResult]) -> None:
    """Local times of day with the profile's trailing Z (a `format: time` validator refuses
    "08:00:00"); an OCPI end at 24:00 is midnight."""
    sites = _sites(orjson.loads(pubs["afir_table"].out.read_bytes()))
    hours = next(s for s in sites if s["idG"] == "FR*TST*HOURS2")["operatingHours"]
    periods = hours["afacOperatingHoursSpecification"]["overallPeriod"]["validPeriod"]
    got = [
        (
            p["recurringDayWeekMonthPeriod"][0]["comDayWeekMonth"]["applicableDay"][0]["value"],
            p["recurringTimePeriodOfDay"][0]["startTimeOfPeriod"],
            p["recurringTimePeriodOfDay"][0]["endTimeOfPeriod"],
        )
        for p in periods
    ]
    assert got[0] == ("monday", "08:00:00Z", "20:00:00Z")
    assert got[-2:] == [
        ("saturday", "09:00:00Z", "13:00:00Z"),
        ("sunday", "18:00:00Z", "00:00:00Z"),
    ]
    site = next(s for s in sites if s["idG"] == "FR*TST*HOURS2")
    no_z = orjson.loads(orjson.dumps(site).replace(b'"08:00:00Z"', b'"08:00:00"'))
    assert any("08:00:00" in e.message for e in site_errors("afir_table", no_z))


def test_energy_mix(pubs: dict[str, afir.AfirResult]) -> None:
    """Location.energy_mix → the station's electricEnergy: 100 % renewable or not (AFIR B10) and
    the impacts per kWh (2.1.1 names the impact's kind `source`, 2.2+ `category`)."""
    station = _station(pubs["afir_table"], "FR*TST*FULL1")
    assert station["electricEnergy"] == [
        {"isGreenEnergy": False, "carbonDioxideImpact": 56.0, "nuclearWasteImpact": 0.0015}
    ]
    assert "electricEnergy" not in _station(pubs["afir_table"], "FR*TST*HOURS2")  # no mix


def test_a_parking_change_is_a_new_station_version(tmp_path: Path) -> None:
    """Static data must be republished when only a parking place changes: the station's and
    site's versionG change, the refill points' do not."""
    root = build_lake(tmp_path / "wh", "2.3.0")
    before = afir.publish(root, "afir_table", tmp_path / "before.json")
    changed = locations("2.3.0", later=True)[0]
    changed["parking_places"] = [{**PARKING[0], "roofed": False}, PARKING[1]]
    changed["last_updated"] = "2026-03-02T09:45:00Z"
    write_batch(
        root,
        source="t",
        module="locations",
        version="2.3.0",
        objects=[changed],
        platform_party=("FR", "TST"),
    )
    after = afir.publish(root, "afir_table", tmp_path / "after.json")
    old, new = _station(before, "FR*TST*FULL1"), _station(after, "FR*TST*FULL1")
    assert old["versionG"] != new["versionG"]
    assert [p["aegiElectricChargingPoint"]["versionG"] for p in old["refillPoint"]] == [
        p["aegiElectricChargingPoint"]["versionG"] for p in new["refillPoint"]
    ]
    assert new["dedicatedParkingSpaces"][0]["amenities"] == {"illuminated": True, "roofed": False}


def test_audits(lake: tuple[str, Path]) -> None:
    """The AFIR models' audits hold on every version's lake."""
    _, root = lake
    cfg = AfirConfig.load(root)
    con = warehouse.connect(root)
    try:
        for name in ("afir_refill_points", *afir.AFIR_MODELS):
            model = models.get_model(name)
            params = model_params(open_store(root), model, cfg, None)
            failures = model.run_audits(con, params)
            assert model.audits and {k: v.num_rows for k, v in failures.items()} == dict.fromkeys(
                model.audits, 0
            )
    finally:
        con.close()


def test_delta_since_a_previous_publication(tmp_path: Path) -> None:
    root = build_lake(tmp_path / "wh", "2.3.0")
    first = afir.publish(root, "afir_status", tmp_path / "first.json")
    assert first.data_until is not None
    delta = afir.publish(
        root, "afir_status", tmp_path / "delta.json", since=tmp_path / "first.json"
    )
    assert delta.sites == 0 and delta.kind == "delta"  # nothing changed since
    assert afir.validate_document("afir_status", orjson.loads(delta.out.read_bytes())) == []


def test_since_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="neither a publication file nor a time"):
        afir.parse_since("yesterday")
    stray = tmp_path / "stray.json"
    stray.write_text("{}")
    with pytest.raises(UsageError, match="no AFIR manifest"):
        afir.parse_since(str(stray))


def _cli(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    return int(exit_.value.code or 0)


def test_cli_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = build_lake(tmp_path / "wh", "2.2.1")
    out = tmp_path / "status.json"
    w = ("--warehouse", str(root), "export")
    assert _cli(*w, "afir_status", "--out", str(out)) == 0
    assert _cli(*w, "afir_status", "--out", str(tmp_path / "d.json"), "--since", str(out)) == 0
    printed = capsys.readouterr().out
    assert "afir_status" in printed and "0 invalid" in printed
    assert _cli(*w, "afir_table", "--out", str(tmp_path / "t.json"), "--since", str(out)) == 2
    assert "afir_status only" in capsys.readouterr().err
    assert _cli(*w, "afir_table", "--out", str(tmp_path / "t.csv")) == 2
    assert "FILE.json" in capsys.readouterr().err
