"""One IRVE id normalization (``irve_id`` in sql/models/_functions.sql.in) for every model
and rule: lower-case OCPI ids (EVSE ids of the locations, of the CDRs, of the status history,
location ids) come out upper-case in each of them, and the SQL holds no other copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lake import WINDOW, Evse, Location, Spec, build, cdr, t

from ocpiwh import models, quality, resources, warehouse
from ocpiwh.errors import OcpiwhError
from ocpiwh.irve import IrveConfig


@pytest.fixture(scope="module")
def lower(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One station whose ids are all written in lower case, charging once."""
    cycle = [("AVAILABLE", t("08:00")), ("CHARGING", t("09:00")), ("AVAILABLE", t("10:00"))]
    evse = Evse("1", 22, "IEC_62196_T2", cycle, evse_id="fr*abc*e1")
    session = cdr("S1", "1", t("09:00"), t("10:00"), 12.0, loc="frabcp1")
    session["cdr_location"]["evse_id"] = " fr*abc*e1 "
    spec = Spec(locations=[Location("frabcp1", [evse])], cdrs=[session])
    return build(spec, tmp_path_factory.mktemp("lower") / "data")


def run(root: Path, name: str) -> list[dict[str, object]]:
    con = warehouse.connect(root)
    try:
        params = models.get_model(name).all_params
        values = {"irve_config": IrveConfig.load(root).to_json()} if "irve_config" in params else {}
        return models.get_model(name).run(con, values).to_pylist()
    finally:
        con.close()


def test_models_upper_case_the_ids(lower: Path) -> None:
    assert [r["id_pdc_itinerance"] for r in run(lower, "irve_pdc")] == ["FRABCE1"]
    # the CDR's own evse_id (lower case, spaces around), not the locations mirror's
    rows = run(lower, "qualicharge_session_rows")
    assert [r["id_pdc_itinerance"] for r in rows] == ["FRABCE1"]
    statique = run(lower, "irve_statique")
    assert [(r["id_pdc_itinerance"], r["id_station_itinerance"]) for r in statique] == [
        ("FRABCE1", "FRABCP1")  # the station id from the lower-case location id
    ]
    pdc = run(lower, "ind_pdc")
    assert {r["id_station_itinerance"] for r in pdc} == {"FRABCP1"}


def test_rules_upper_case_the_ids(lower: Path) -> None:
    """FRET reads the status history itself: its points must match qc_statuses' ids."""
    report = quality.run_checks(lower, **WINDOW, rules=["FRET", "FRES"])
    for code in ("FRET", "FRES"):
        units = report[code].units
        assert [u.unit for u in units] == ["FRABC"], code
        assert units[0].checked >= 1, code


def test_one_definition() -> None:
    """No SQL file spells the normalization again: every one calls irve_id."""
    copies = []
    for path in sorted(resources.sql_dir().rglob("*.sql")):
        text = path.read_text()
        if re.search(r"\[\^A-Z0-9\]", text):
            copies.append(path.name)
    assert copies == []
    assert "irve_id" in models.sql_functions()


def test_a_wrong_call_is_one_clear_error() -> None:
    with pytest.raises(OcpiwhError, match="takes one argument"):
        models.inline_functions("SELECT irve_id(a, b) FROM t", "x.sql")
    assert models.inline_functions("SELECT 1", "x.sql") == "SELECT 1"
