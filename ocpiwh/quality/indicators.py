"""QualiCharge indicators (``sql/models/ind_*.sql``) and the ``up`` roll-up of their rows.

Every indicator model returns QualiCharge's row shape: ``code, level, target, period,
category, value, extras, timestamp``. :func:`roll_up` historicizes daily rows into weeks or
months as QualiCharge's ``up`` flow does: one row per (code, level, target, category, period),
``value`` = the mean of the source values, ``extras.history`` = size, min, max, last, var,
mean, std, sum, and ``extras.from`` = the source period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import duckdb
import pyarrow as pa

from ocpiwh import models, warehouse
from ocpiwh.errors import UsageError
from ocpiwh.irve.config import model_values
from ocpiwh.lake import Location, Store

CODES: tuple[str, ...] = (
    "i1", "i4", "i7", "t1", "e4", "u5", "u6", "u9", "u10", "u11", "u12", "u13", "u14",
)  # fmt: skip
PERIODS: dict[str, str] = {"d": "day", "w": "week", "m": "month", "q": "quarter", "y": "year"}
LEVELS: dict[str, str] = {
    "0": "national",
    "1": "region",
    "2": "department",
    "3": "EPCI",
    "4": "commune",
    "5": "operational unit",
    "6": "aménageur",
}

UP_SQL = """
SELECT
    code,
    level,
    target,
    $to_period AS period,
    category,
    avg(value) AS value,
    to_json({
        'from': min(period),
        'history': {
            'size': count(*), 'min': min(value), 'max': max(value),
            'last': arg_max(value, "timestamp"), 'var': COALESCE(var_samp(value), 0),
            'mean': avg(value), 'std': COALESCE(stddev_samp(value), 0), 'sum': sum(value)
        }
    })::VARCHAR AS extras,
    timezone('UTC', date_trunc($part, timezone('UTC', "timestamp"))) AS "timestamp"
FROM indicator_rows
GROUP BY code, level, target, category, timezone('UTC', date_trunc($part, timezone('UTC', "timestamp")))
ORDER BY code, level, "timestamp", target, category
"""


def _codes(codes: Sequence[str] | None) -> list[str]:
    if not codes:
        return list(CODES)
    out = []
    for c in codes:
        for part in str(c).split(","):
            code = part.strip().lower()
            if not code:
                continue
            if code not in CODES:
                raise UsageError(f"no indicator {part.strip()!r}; indicators: {', '.join(CODES)}")
            out.append(code)
    return list(dict.fromkeys(out))


def run_indicators(
    root: Location | Store,
    codes: Sequence[str] | None = None,
    *,
    period: str = "d",
    level: int | str = 0,
    from_: datetime | date | str | None = None,
    to: datetime | date | str | None = None,
) -> pa.Table:
    """Run indicator models (default: all) and concatenate their rows; ``[irve]`` of
    ``ocpiwh.toml`` fills ``irve_config`` (SIREN, INSEE code, raccordement, num_pdl) and the
    geography (region, department, EPCI, commune from the shipped COG table)."""
    if period not in PERIODS:
        raise UsageError(f"--period must be one of {', '.join(PERIODS)}, got {period!r}")
    if str(level) not in LEVELS:
        raise UsageError(f"--level must be one of {', '.join(LEVELS)}, got {level!r}")
    registry = models.load_models()
    values: dict[str, Any] = {"period": period, "level": str(level)}
    if from_ is not None:
        values["from"] = from_
    if to is not None:
        values["to"] = to
    con = warehouse.connect(root)
    try:
        values = model_values(root, con, ("irve_config",), values)
        tables = [registry[f"ind_{code}"].run(con, values) for code in _codes(codes)]
    finally:
        con.close()
    return pa.concat_tables(tables) if tables else pa.table({})


def roll_up(rows: pa.Table, to_period: str) -> pa.Table:
    """QualiCharge's ``up``: indicator rows of a shorter period → one row per ``to_period``."""
    if to_period not in PERIODS or to_period == "d":
        raise UsageError(f"roll-up period must be one of w, m, q, y; got {to_period!r}")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("indicator_rows", rows)
        return warehouse.run_sql(con, UP_SQL, {"to_period": to_period, "part": PERIODS[to_period]})
    finally:
        con.close()
