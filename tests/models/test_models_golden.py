"""Every model × golden case: hand-made OCPI objects → exact expected rows, and audits pass.

The expected files are the specification: this test only reads them. After a deliberate
change, rewrite them with `python tests/models/update_golden.py [MODEL[/CASE] ...]` and review
the diff by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from golden_lake import build_lake, golden_cases, to_csv

from ocpiwh import afir, models, warehouse

CASES = golden_cases()


# IRVE/QualiCharge models have their golden tests in tests/irve (statique) and
# tests/export (dynamique, events, sessions).
IRVE_MODELS = {
    "irve_statique", "irve_dynamique", "irve_dynamique_events", "qualicharge_sessions",
    "irve_sites", "irve_pdc", "irve_status_map",  # tested in tests/irve (test_open_data …)
    "qualicharge_session_rows",  # through qualicharge_sessions (tests/export) and qc_sessions
}  # fmt: skip


def test_every_model_has_a_golden_case() -> None:
    # AFIR publications: golden documents in tests/afir (update_golden.py)
    others = IRVE_MODELS | afir.DUCKDB_ONLY_MODELS
    assert {c.parent.name for c in CASES} == set(models.load_models()) - others


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_golden(case: Path, tmp_path: Path) -> None:
    model = models.get_model(case.parent.name)
    root = build_lake(case, tmp_path)
    params = json.loads((case / "params.json").read_text())
    con = warehouse.connect(root)
    try:
        table = model.run(con, params)
        failures = model.run_audits(con, params, result=table)
    finally:
        con.close()
    got = to_csv(table)
    expected_file = case / "expected.csv"
    assert expected_file.exists(), (
        f"{expected_file} is missing: write it with "
        f"`python tests/models/update_golden.py {case.parent.name}/{case.name}` and review it"
    )
    assert got == expected_file.read_text()
    assert {k: v.num_rows for k, v in failures.items()} == dict.fromkeys(model.audits, 0)
