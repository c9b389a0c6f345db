"""Every rule: a passing golden dataset (the clean station) and a failing one (one mutation
per rule, or a replaced base table for the rules ocpiwh's mapping satisfies by construction)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from lake import MUTATIONS, WINDOW, build, clean, mutated

from ocpiwh import models, quality, warehouse
from ocpiwh.errors import UsageError
from ocpiwh.irve import IrveConfig
from ocpiwh.quality.checks import compute_bases, load_registry

RULES = list(quality.load_rules())
BY_CONSTRUCTION = {"PDCL", "ADDR", "ERRT", "DUPT", "DECL", "BLK1"}


@pytest.fixture(scope="module")
def clean_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(clean(), tmp_path_factory.mktemp("clean") / "data")


@pytest.fixture(scope="module")
def clean_bases(clean_lake: Path) -> dict[str, pa.Table]:
    con = warehouse.connect(clean_lake)
    try:
        cfg = IrveConfig.load(clean_lake)
        return compute_bases(con, load_registry(), irve_config=cfg.to_json())
    finally:
        con.close()


def test_every_rule_is_covered() -> None:
    assert set(RULES) == set(MUTATIONS) | BY_CONSTRUCTION | {"OVRT"}
    assert len(RULES) == 43
    for code, rule in quality.load_rules().items():
        assert rule.meaning and rule.fails and rule.source, code
        assert "threshold" in rule.params or code in ("RATS", "FRES", "FRET"), code


def test_clean_lake_passes_every_rule(clean_lake: Path) -> None:
    report = quality.run_checks(clean_lake, **WINDOW)
    assert [r.code for r in report.results] == RULES
    statuses = {r.code: r.status for r in report.results}
    assert statuses == dict.fromkeys(RULES, "pass"), report.failed
    assert report.ok
    assert {u.unit for r in report.results for u in r.units} == {"FRABC"}


@pytest.mark.parametrize("code", sorted(MUTATIONS))
def test_rule_fails_on_its_golden_dataset(code: str, tmp_path: Path) -> None:
    spec, items = mutated(code)
    root = build(spec, tmp_path / "data")
    report = quality.run_checks(root, **WINDOW, rules=[code])
    result = report[code]
    assert result.status == "fail", (code, [u.to_dict() for u in result.units])
    assert result.items == items


def _replace(table: pa.Table, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=table.schema)


def test_rules_true_by_construction_fail_on_given_bases(
    clean_lake: Path, clean_bases: dict[str, pa.Table]
) -> None:
    """PDCL, ADDR (irve_statique writes one address and nbre_pdc = rows per station), ERRT
    (the status mapping never writes occupe with hors_service), DUPT and DECL (one event per
    observed change, every EVSE has a status) hold on ocpiwh's own data: fed a broken base
    table, they fail."""
    statique = clean_bases["qc_statique"].to_pylist()
    statuses = clean_bases["qc_statuses"].to_pylist()
    bad_statique = copy.deepcopy(statique)
    bad_statique[0]["nbre_pdc"] = 3
    bad_statique[1]["adresse_station"] = "2 rue Ailleurs 75010 Paris"  # BLK1 too
    bad_statuses = [dict(s) for s in statuses if s["id_pdc_itinerance"] != "FRABCE2"]
    bad_statuses.append(dict(bad_statuses[0]))  # DUPT: same point, same horodatage
    bad_statuses[1] = {**bad_statuses[1], "etat_pdc": "hors_service", "occupation_pdc": "occupe"}
    bases = {
        "qc_statique": _replace(clean_bases["qc_statique"], bad_statique),
        "qc_statuses": _replace(clean_bases["qc_statuses"], bad_statuses),
    }
    report = quality.run_checks(clean_lake, **WINDOW, bases=bases, rules=sorted(BY_CONSTRUCTION))
    assert {r.code: r.status for r in report.results} == dict.fromkeys(BY_CONSTRUCTION, "fail")
    assert report["PDCL"].items == report["ADDR"].items == report["BLK1"].items == ["FRABCP1"]
    assert report["DECL"].items == ["FRABCE2"]
    assert len(report["ERRT"].items) == len(report["DUPT"].items) == 1


def test_thresholds_are_parameters(clean_lake: Path) -> None:
    report = quality.run_checks(clean_lake, **WINDOW, params={"OVRT.max_per_day": "2"})
    assert report["OVRT"].status == "fail"
    assert report["OVRT"].items == ["FRABCE1@2026-03-09", "FRABCE2@2026-03-09"]
    assert report["OVRT"].fails_when == "point-days with > 2 statuses > 0"
    # tolerate them: threshold = 2 point-days
    report = quality.run_checks(
        clean_lake, **WINDOW, params={"OVRT.max_per_day": 2, "ovrt.threshold": 2}, rules=["OVRT"]
    )
    assert report["OVRT"].status == "pass" and report["OVRT"].params["threshold"] == 2.0


def test_quality_section_of_the_config(tmp_path: Path) -> None:
    spec, _ = mutated("DUPS")
    spec.quality_toml = '\n[quality]\nfail_on = ["DUPS"]\n[quality.ENEZ]\nthreshold = 0.5\n'
    root = build(spec, tmp_path / "data")
    report = quality.run_checks(root, **WINDOW)
    assert report.fail_on == ("DUPS",) and not report.ok
    assert report["ENEZ"].params["threshold"] == 0.5
    # --param wins over [quality]
    report = quality.run_checks(root, **WINDOW, params={"DUPS.threshold": 0.9})
    assert report.ok and report["DUPS"].status == "pass"


@pytest.mark.parametrize(
    "params,message",
    [
        ({"DUPS.threshold": "0.1; DROP TABLE cdrs"}, "must be a float"),
        ({"FTRT.min_date": "2024-01-01' OR '1'='1"}, "must be a timestamp"),
        ({"DUPS.thresold": "1"}, "no parameter 'thresold'"),
        ({"XXXX.threshold": "1"}, "no rule XXXX"),
        ({"threshold": "1"}, "expected RULE.NAME"),
    ],
)
def test_hostile_or_wrong_parameters_are_refused(
    clean_lake: Path, params: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        quality.run_checks(clean_lake, **WINDOW, params=params)


def test_hostile_configuration_value_is_data(tmp_path: Path) -> None:
    spec = clean()
    spec.irve["siren_amenageur"] = "1'); DROP TABLE x; --"
    root = build(spec, tmp_path / "data")
    report = quality.run_checks(root, **WINDOW, rules=["SIRI", "AMEM2"])
    assert report["SIRI"].status == "fail" and report["AMEM2"].status == "pass"


def test_rule_sql_binds_every_value() -> None:
    """No rule pastes a value: every parameter is a $placeholder declared in the header."""
    for code, rule in quality.load_rules().items():
        used = models.Model._placeholders(rule.model.tree)
        assert used <= set(rule.model.params), code
        assert used >= set(rule.params), code


def test_default_windows() -> None:
    from datetime import date

    w = quality.windows(today=date(2026, 3, 20))
    assert w["status"].to_dict() == {
        "from": "2026-03-19T00:00:00Z",
        "to": "2026-03-20T00:00:00Z",
    }
    assert w["session"].to_dict() == {
        "from": "2026-03-04T00:00:00Z",
        "to": "2026-03-05T00:00:00Z",
    }
    assert w["status-session"] == w["session"]
    one = quality.windows("2026-03-01")
    assert one["session"].end.isoformat() == "2026-03-02T00:00:00+00:00"
    with pytest.raises(UsageError, match="empty window"):
        quality.windows("2026-03-02", "2026-03-01")


def test_fail_on() -> None:
    rules = list(quality.load_rules())
    assert quality.parse_fail_on(None, rules) == quality.DEFAULT_FAIL_ON
    assert quality.parse_fail_on("none", rules) == ()
    assert quality.parse_fail_on("all", rules) == tuple(rules)
    assert quality.parse_fail_on("negs, dups", rules) == ("NEGS", "DUPS")
    with pytest.raises(UsageError, match="unknown rule"):
        quality.parse_fail_on("NOPE", rules)


def test_families_select_rules_and_every_rule_is_computable(clean_lake: Path) -> None:
    report = quality.run_checks(clean_lake, **WINDOW, rules=["session"])
    assert {r.family for r in report.results} == {"session"}
    assert {"FRES", "OVLS"} <= {r.code for r in report.results}
    assert report.not_computable == {}
    assert quality.run_checks(clean_lake, **WINDOW, rules=["INSE", "FRET"]).ok
