"""Views over the raw lake: one schema for every OCPI version, latest/history, tombstones."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ocpi_objects import VERSIONS, cdr, location, session, tariff, token

from ocpiwh import warehouse
from ocpiwh.lake import LakeWriter, StateStore, write_batch

PUBLIC_VIEWS = {
    "locations",
    "evses",
    "connectors",
    "tariffs",
    "sessions",
    "cdrs",
    "tokens",
    "locations_history",
    "tariffs_history",
    "sessions_history",
    "cdrs_history",
    "tokens_history",
    "evse_status_events",
    "quarantine",
}
LINEAGE = {"_source", "_batch_id", "_fetched_at", "_ocpi_version", "_privacy", "_raw"}
# Facts 2.1.1 cannot carry (no cdr_token, no session_id, number prices, derived power flag…).
NOT_IN_211 = {
    "cdr_token_uid",
    "cdr_token_type",
    "cdr_token_country_code",
    "cdr_token_party_id",
    "session_id",
    "total_cost_incl_vat",
    "power_derived",
    "type",
    "publish",
    "evses",
}


def rows(root: Path, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return warehouse.query(root, sql, params).to_pylist()


def lake_for(root: Path, version: str) -> Path:
    for module, obj in (
        ("locations", location(version)),
        ("sessions", session(version)),
        ("cdrs", cdr(version)),
        ("tariffs", tariff(version)),
        ("tokens", token(version)),
    ):
        write_batch(root, source="sim", module=module, version=version, objects=[obj])
    return root


def comparable(root: Path, view: str, drop: set[str]) -> list[dict[str, Any]]:
    out = []
    for row in rows(root, f"SELECT * FROM {view} ORDER BY ALL"):
        out.append({k: v for k, v in row.items() if k not in LINEAGE | drop})
    return out


def test_every_view_exists_and_is_typed_on_an_empty_lake(tmp_path: Path) -> None:
    con = warehouse.connect(tmp_path)
    names = {
        r[0]
        for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal"
            " AND view_name NOT LIKE '\\_raw\\_%' ESCAPE '\\'"
        ).fetchall()
    }
    assert names >= PUBLIC_VIEWS
    empty = {v: warehouse.describe_view(con, v) for v in PUBLIC_VIEWS}
    for view in PUBLIC_VIEWS:
        assert con.execute(f"SELECT count(*) FROM {view}").fetchone() == (0,)
    con.close()
    full = lake_for(tmp_path / "full", "2.2.1")
    con = warehouse.connect(full)
    for view in PUBLIC_VIEWS:
        assert warehouse.describe_view(con, view) == empty[view], view
    con.close()


def test_same_objects_in_every_ocpi_version_give_the_same_rows(tmp_path: Path) -> None:
    roots = {v: lake_for(tmp_path / v, v) for v in VERSIONS}
    views = [
        "locations",
        "evses",
        "connectors",
        "tariffs",
        "sessions",
        "cdrs",
        "tokens",
        "evse_status_events",
        "sessions_history",
    ]
    json_cols = {"charging_periods", "tariffs", "elements", "opening_times", "tariff_alt_text"}
    for view in views:
        v221 = comparable(roots["2.2.1"], view, json_cols)
        assert v221, view
        assert comparable(roots["2.3.0"], view, json_cols) == v221, view
        drop = NOT_IN_211 | json_cols
        assert comparable(roots["2.1.1"], view, drop) == comparable(roots["2.2.1"], view, drop), (
            view
        )


def test_normalized_units_and_names(tmp_path: Path) -> None:
    root = lake_for(tmp_path, "2.1.1")
    (c1, c2) = rows(root, "SELECT * FROM connectors ORDER BY evse_uid")
    assert (c1["max_electric_power"], c1["power_derived"]) == (3 * 230 * 32, True)
    assert c2["max_electric_power"] == 50_000  # 2.1.1 voltage × amperage, in W
    assert c1["tariff_ids"] == ["T1"]
    (s,) = rows(root, "SELECT * FROM sessions")
    assert s["start_date_time"] == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert (s["kwh"], s["location_id"], s["evse_uid"], s["connector_id"]) == (
        12.5,
        "LOC1",
        "E1",
        "1",
    )
    assert (s["country_code"], s["party_id"]) == ("FR", "SIM")  # the platform's party
    (c,) = rows(root, "SELECT * FROM cdrs")
    assert c["end_date_time"] == datetime(2024, 3, 1, 11, 30, tzinfo=UTC)  # stop_date_time
    (t,) = rows(
        root,
        "SELECT json_extract_string(elements, '$[0].price_components[0].type') AS d FROM tariffs",
    )
    assert t["d"] == "ENERGY"
    (loc,) = rows(root, "SELECT * FROM locations")
    assert loc["last_updated"] == datetime(2024, 3, 1, 10, tzinfo=UTC)  # no 'Z' in 2.1.1 → UTC


def test_latest_version_wins_and_history_keeps_each_version_once(tmp_path: Path) -> None:
    v = "2.2.1"
    write_batch(
        tmp_path,
        source="sim",
        module="sessions",
        version=v,
        objects=[
            session(v, kwh=1.0, end=None, status="ACTIVE", last_updated="2024-03-01T10:10:00Z")
        ],
    )
    write_batch(
        tmp_path, source="sim", module="sessions", version=v, objects=[session(v, kwh=12.5)]
    )
    # an overlapping window fetches both versions again
    write_batch(
        tmp_path,
        source="sim",
        module="sessions",
        version=v,
        objects=[
            session(v, kwh=12.5),
            session(v, kwh=1.0, end=None, status="ACTIVE", last_updated="2024-03-01T10:10:00Z"),
        ],
    )
    # an older version arriving late does not win
    write_batch(
        tmp_path,
        source="sim",
        module="sessions",
        version=v,
        objects=[
            session(v, kwh=5.0, status="ACTIVE", end=None, last_updated="2024-03-01T10:20:00Z")
        ],
    )
    assert rows(tmp_path, "SELECT kwh, status FROM sessions") == [
        {"kwh": 12.5, "status": "COMPLETED"}
    ]
    hist = rows(
        tmp_path, "SELECT kwh, last_updated, valid_to FROM sessions_history ORDER BY last_updated"
    )
    assert [h["kwh"] for h in hist] == [1.0, 5.0, 12.5]
    assert hist[0]["valid_to"] == hist[1]["last_updated"]
    assert hist[-1]["valid_to"] is None


def test_tie_on_last_updated_goes_to_the_latest_batch(tmp_path: Path) -> None:
    v = "2.2.1"
    write_batch(tmp_path, source="sim", module="tokens", version=v, objects=[token(v)])
    changed = token(v) | {"valid": False}
    write_batch(tmp_path, source="sim", module="tokens", version=v, objects=[changed])
    assert rows(tmp_path, "SELECT valid FROM tokens") == [{"valid": False}]
    assert rows(tmp_path, "SELECT valid FROM tokens_history") == [{"valid": False}]


def _tombstone(root: Path, module: str, ids: list[str]) -> None:
    writer = LakeWriter(root, source="sim", module=module, platform_party=("FR", "SIM"))
    keys = pa.table({"country_code": ["FR"] * len(ids), "party_id": ["SIM"] * len(ids), "id": ids})
    result = writer.write_removed(keys)
    # committed like a sync's full listing does: readers see only what a manifest lists
    (rel,) = result.files
    StateStore(root, "sim").replace_files(module, [], rel)


def test_tombstones_hide_keys_until_they_reappear(tmp_path: Path) -> None:
    v = "2.2.1"
    write_batch(
        tmp_path,
        source="sim",
        module="locations",
        version=v,
        objects=[location(v, id="LOC1"), location(v, id="LOC2")],
    )
    _tombstone(tmp_path, "locations", ["LOC2"])
    assert rows(tmp_path, "SELECT id FROM locations") == [{"id": "LOC1"}]
    assert {r["location_id"] for r in rows(tmp_path, "SELECT * FROM evses")} == {"LOC1"}
    assert rows(tmp_path, "SELECT count(DISTINCT id) AS n FROM locations_history") == [{"n": 2}]
    # a tombstone of another module does not hide anything here
    _tombstone(tmp_path, "tariffs", ["LOC1"])
    assert rows(tmp_path, "SELECT id FROM locations") == [{"id": "LOC1"}]
    # seen again in a later batch (same version): alive again
    write_batch(
        tmp_path, source="sim", module="locations", version=v, objects=[location(v, id="LOC2")]
    )
    assert rows(tmp_path, "SELECT id FROM locations ORDER BY id") == [
        {"id": "LOC1"},
        {"id": "LOC2"},
    ]


def test_evse_status_events_one_row_per_change(tmp_path: Path) -> None:
    v = "2.2.1"
    versions = [
        ("2024-03-01T10:00:00Z", "AVAILABLE", "AVAILABLE", "2024-03-01T10:00:00Z"),
        ("2024-03-01T11:00:00Z", "CHARGING", "AVAILABLE", None),  # E1 changes
        ("2024-03-01T11:30:00Z", "CHARGING", "OUTOFORDER", None),  # E2 changes
        ("2024-03-01T12:00:00Z", "AVAILABLE", "OUTOFORDER", None),  # E1 back
    ]
    for lu, s1, s2, _ in versions:
        obj = location(v, last_updated=lu, status1=s1, status2=s2)
        write_batch(tmp_path, source="sim", module="locations", version=v, objects=[obj])
    # the same version again (overlap) adds no event
    obj = location(
        v, last_updated="2024-03-01T12:00:00Z", status1="AVAILABLE", status2="OUTOFORDER"
    )
    write_batch(tmp_path, source="sim", module="locations", version=v, objects=[obj])
    got = rows(
        tmp_path,
        "SELECT evse_uid, status, strftime(valid_from, '%H:%M') AS f, "
        "strftime(valid_to, '%H:%M') AS t FROM evse_status_events ORDER BY ALL",
    )
    assert got == [
        {"evse_uid": "E1", "status": "AVAILABLE", "f": "10:00", "t": "11:00"},
        {"evse_uid": "E1", "status": "AVAILABLE", "f": "12:00", "t": None},
        {"evse_uid": "E1", "status": "CHARGING", "f": "11:00", "t": "12:00"},
        {"evse_uid": "E2", "status": "AVAILABLE", "f": "10:00", "t": "11:30"},
        {"evse_uid": "E2", "status": "OUTOFORDER", "f": "11:30", "t": None},
    ]


def test_quarantine_view(tmp_path: Path) -> None:
    bad = session("2.2.1")
    del bad["id"]
    write_batch(tmp_path, source="sim", module="sessions", version="2.2.1", objects=[bad])
    (q,) = rows(tmp_path, "SELECT module, reason, _source FROM quarantine")
    assert q == {"module": "sessions", "reason": "missing id", "_source": "sim"}
    assert rows(tmp_path, "SELECT count(*) AS n FROM sessions") == [{"n": 0}]


def test_a_column_missing_from_older_files_is_null_not_an_error(tmp_path: Path) -> None:
    write_batch(tmp_path, source="sim", module="tokens", version="2.2.1", objects=[token("2.2.1")])
    (path,) = (tmp_path / "raw" / "tokens").rglob("*.parquet")
    old = pq.read_table(path).drop_columns(["default_profile_type", "language"])
    pq.write_table(
        old.set_column(old.column_names.index("id"), "id", pa.array(["U0"])),
        path.with_name("part-0-old.parquet"),
    )
    rel = path.with_name("part-0-old.parquet").relative_to(tmp_path).as_posix()
    StateStore(tmp_path, "sim").replace_files("tokens", [], rel)
    got = rows(tmp_path, "SELECT id, language FROM tokens ORDER BY id")
    assert got == [{"id": "U0", "language": None}, {"id": "U1", "language": None}]


def test_the_warehouse_folder_can_be_moved(tmp_path: Path) -> None:
    root = lake_for(tmp_path / "a", "2.2.1")
    moved = tmp_path / "b"
    shutil.move(root, moved)
    assert rows(moved, "SELECT count(*) AS n FROM sessions") == [{"n": 1}]


def test_read_only_connection_cannot_write_outside(tmp_path: Path) -> None:
    root = lake_for(tmp_path / "wh", "2.2.1")
    con = warehouse.connect(root)
    with pytest.raises(Exception, match=r"(?i)permission|disabled|access"):
        con.execute(f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'")
    con.close()
