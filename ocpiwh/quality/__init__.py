"""Data quality and indicators, QualiCharge-style, computed locally over the warehouse.

    from ocpiwh import quality
    report = quality.run_checks(root)                                  # CheckReport
    report.ok, report.failed, report["DUPS"].units, report.to_json()
    quality.run_checks(root, from_="2026-03-01", to="2026-03-02", params={"DUPS.threshold": 0.01})
    table = quality.run_indicators(root, ["u10", "u9"], period="d", level=5)   # Arrow table
    weekly = quality.roll_up(table, "w")                               # QualiCharge's `up`

Rules live in ``sql/checks/`` (one file per rule, thresholds as bound parameters), indicators
in ``sql/models/ind_*.sql``. See docs/quality.md.
"""

from __future__ import annotations

from ocpiwh.quality.checks import (
    DEFAULT_FAIL_ON,
    NOT_COMPUTABLE,
    CheckReport,
    QualityConfig,
    Rule,
    RuleResult,
    UnitResult,
    Window,
    load_rules,
    parse_fail_on,
    run_checks,
    windows,
)
from ocpiwh.quality.indicators import CODES, LEVELS, PERIODS, roll_up, run_indicators

__all__ = [
    "CODES",
    "DEFAULT_FAIL_ON",
    "LEVELS",
    "NOT_COMPUTABLE",
    "PERIODS",
    "CheckReport",
    "QualityConfig",
    "Rule",
    "RuleResult",
    "UnitResult",
    "Window",
    "load_rules",
    "parse_fail_on",
    "roll_up",
    "run_checks",
    "run_indicators",
    "windows",
]
