"""Row-for-row comparison of DuckDB and Spark results (pyarrow tables)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from typing import Any

import pyarrow as pa

REL_TOL = 1e-9
ABS_TOL = 1e-6


def _norm(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise AssertionError(f"naive timestamp {value!r}: every time must be UTC-aware")
        return value.astimezone(dt.UTC)
    if isinstance(value, list):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _norm(v)) for k, v in value.items()))
    return value


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # floats rounded so that two engines' last-bit differences do not change the order
    return tuple(
        (v is None, round(v, 6) if isinstance(v, float) else repr(v) if v is not None else "")
        for v in row
    )


def rows(table: pa.Table) -> list[tuple[Any, ...]]:
    out = [tuple(_norm(v) for v in r.values()) for r in table.to_pylist()]
    return sorted(out, key=_sort_key)


def _same(a: Any, b: Any) -> bool:
    if (isinstance(a, float) and isinstance(b, float | int)) or (
        isinstance(b, float) and isinstance(a, float | int)
    ):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(a, str) and isinstance(b, str) and a != b and a[:1] in "[{" and b[:1] in "[{":
        # JSON text: Spark re-renders numbers (0.0003 → 3.0E-4); compare the values
        try:
            return _same(_norm(json.loads(a)), _norm(json.loads(b)))
        except ValueError:
            return False
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def assert_same(duck: pa.Table, spark: pa.Table, what: str) -> None:
    """Same column names, same rows (sorted; floats within tolerance; times in UTC)."""
    assert spark.column_names == duck.column_names, (
        f"{what}: columns differ\n duckdb {duck.column_names}\n spark  {spark.column_names}"
    )
    d, s = rows(duck), rows(spark)
    assert len(d) == len(s), f"{what}: {len(d)} rows in DuckDB, {len(s)} in Spark"
    for i, (x, y) in enumerate(zip(d, s, strict=True)):
        if not _same(x, y):
            diffs = [
                (name, xv, yv)
                for name, xv, yv in zip(duck.column_names, x, y, strict=True)
                if not _same(xv, yv)
            ]
            raise AssertionError(f"{what}: row {i} differs (column, duckdb, spark): {diffs}")
