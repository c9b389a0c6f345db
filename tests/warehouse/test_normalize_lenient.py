"""The normalize SQL's lenient typing and its quarantine reasons, through the real writer.

Each lenient scalar is parsed once per row (a CTE the output and ``_error`` share) and the
prices are read from one ``json_transform`` of the price: these tests pin what that must
not change ('#NA', blanks, numbers as strings, timestamps without 'Z', the reason strings,
every price shape the reference macros ``ocpi_price_excl``/``ocpi_price_incl`` know).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from ocpi_objects import cdr, session

from ocpiwh import warehouse
from ocpiwh.lake import housekeeping_connection, write_batch
from ocpiwh.lake.layout import normalize_macros

PRICES: list[Any] = [
    12.5,
    "12.5",
    " 7 ",
    "#NA",
    None,
    True,
    [1, 2],
    {},
    {"excl_vat": 10, "incl_vat": 12},
    {"excl_vat": "10", "incl_vat": " 12 "},
    {"excl_vat": " #NA ", "incl_vat": "x", "before_taxes": 3},
    {"excl_vat": 10},
    {"excl_vat": 10, "incl_vat": None},
    {"excl_vat": 10, "incl_vat": None, "before_taxes": 4, "taxes": [{"amount": 1}]},
    {"before_taxes": 10, "taxes": [{"amount": 2}, {"amount": "1"}]},
    {"before_taxes": "10", "taxes": []},
    {"before_taxes": 10, "taxes": "x"},
    {"before_taxes": 10, "taxes": [{"amount": "#NA"}]},
    {"incl_vat": 5, "before_taxes": 4, "taxes": [{"amount": 9}]},
    {"excl_vat": {"a": 1}, "incl_vat": [1]},
    {"excl_vat": 1e-7, "incl_vat": 1e308, "before_taxes": 2},
    {"excl_vat": True, "incl_vat": False},
]


@pytest.mark.parametrize("price", PRICES, ids=lambda p: orjson.dumps(p).decode())
def test_prices_read_once_equal_the_reference_macros(price: Any) -> None:
    con = housekeeping_connection()
    try:
        con.execute(normalize_macros())
        got = con.execute(
            """SELECT ocpi_cost_excl(json_type(p), ocpi_price_parts(p), p),
                      ocpi_cost_incl(json_type(p), ocpi_price_parts(p), p),
                      ocpi_price_excl(p), ocpi_price_incl(p)
               FROM (SELECT json_extract(CAST($doc AS VARCHAR), '$.p') AS p)""",
            {"doc": orjson.dumps({"p": price}).decode()},
        ).fetchone()
    finally:
        con.close()
    assert got is not None
    assert (got[0], got[1]) == (got[2], got[3])


def _typed(root: Path, module: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
    write_batch(root, source="sim", module=module, version="2.2.1", objects=objects)
    view = f"{module}_history"
    valid = {r["id"]: r for r in warehouse.query(root, f"SELECT * FROM {view}").to_pylist()}
    bad = warehouse.query(root, "SELECT reason, payload FROM quarantine").to_pylist()
    reasons = {orjson.loads(r["payload"])["n"]: r["reason"] for r in bad}
    return {"valid": valid, "reasons": reasons}


def _variant(base: dict[str, Any], n: int, **changes: Any) -> dict[str, Any]:
    obj = {**base, "id": f"S{n}", "n": n}
    for k, v in changes.items():
        if v is _DROP:
            obj.pop(k, None)
        else:
            obj[k] = v
    return obj


_DROP = object()


def test_sessions_lenient_values_and_reasons(tmp_path: Path) -> None:
    base = session("2.2.1")
    objects = [
        _variant(base, 1, kwh=" 12.5 ", last_updated="2026-03-01T10:00:00"),
        _variant(base, 2, kwh="#NA", end_date_time="", total_cost="3.5"),
        _variant(
            base, 3, kwh=7, end_date_time=" #NA ", total_cost={"excl_vat": "2", "incl_vat": None}
        ),
        _variant(base, 4, id=" #NA "),
        _variant(base, 5, last_updated="not a date"),
        _variant(base, 6, start_date_time=_DROP),
        _variant(base, 7, end_date_time="2026-13-40T00:00:00Z"),
        _variant(base, 8, kwh="twelve"),
        _variant(base, 9, id="", last_updated="bad"),  # the first reason wins
        _variant(base, 10, start_date_time=_DROP, start_datetime="2026-03-01T09:00:00+01:00"),
    ]
    got = _typed(tmp_path, "sessions", objects)
    s1, s2, s3, s10 = (got["valid"][f"S{i}"] for i in (1, 2, 3, 10))
    assert s1["kwh"] == 12.5
    assert s1["last_updated"] == datetime(2026, 3, 1, 10, tzinfo=UTC)  # no 'Z': UTC
    assert (s2["kwh"], s2["end_date_time"], s2["total_cost_excl_vat"]) == (None, None, None)
    assert (s3["kwh"], s3["end_date_time"]) == (7.0, None)
    assert (s3["total_cost_excl_vat"], s3["total_cost_incl_vat"]) == (2.0, None)
    assert s10["start_date_time"] == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert got["reasons"] == {
        4: "missing id",
        5: "missing or invalid last_updated",
        6: "missing or invalid start_date_time",
        7: "invalid end_date_time",
        8: "kwh is not a number",
        9: "missing id",
    }


def test_cdrs_lenient_values_and_reasons(tmp_path: Path) -> None:
    base = cdr("2.2.1")
    objects = [
        _variant(
            base,
            1,
            total_energy="12.5",
            total_time=" 2 ",
            end_date_time=_DROP,
            stop_date_time="2026-03-01T11:00:00",
        ),
        _variant(base, 2, total_energy="#NA", total_time=""),
        _variant(base, 3, total_cost={"before_taxes": "10", "taxes": [{"amount": 2}]}),
        _variant(base, 4, id="#NA"),
        _variant(base, 5, last_updated=""),
        _variant(base, 6, start_date_time="soon"),
        _variant(base, 7, end_date_time="x"),
        _variant(base, 8, total_energy="lots"),
        _variant(base, 9, total_time=[1]),
    ]
    got = _typed(tmp_path, "cdrs", objects)
    c1, c2, c3 = (got["valid"][f"S{i}"] for i in (1, 2, 3))
    assert (c1["total_energy"], c1["total_time"]) == (12.5, 2.0)
    assert c1["end_date_time"] == datetime(2026, 3, 1, 11, tzinfo=UTC)
    assert (c2["total_energy"], c2["total_time"]) == (None, None)
    assert (c3["total_cost_excl_vat"], c3["total_cost_incl_vat"]) == (10.0, 12.0)
    assert got["reasons"] == {
        4: "missing id",
        5: "missing or invalid last_updated",
        6: "missing or invalid start_date_time",
        7: "invalid end_date_time",
        8: "total_energy is not a number",
        9: "total_time is not a number",
    }
