"""Views stored in warehouse.duckdb are reused only while they are the current commit's."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import orjson
import pytest
from ocpi_objects import location, session

from ocpiwh import catalogue, output, warehouse
from ocpiwh.cli.main import main
from ocpiwh.lake import write_batch

ORDERED = "SELECT * EXCLUDE (_fetched_at) FROM sessions_history ORDER BY id, _batch_id"


def lake(root: Path) -> Path:
    write_batch(
        root, source="sim", module="locations", version="2.2.1", objects=[location("2.2.1")]
    )
    write_batch(root, source="sim", module="sessions", version="2.2.1", objects=[session("2.2.1")])
    return root


def reads_stored_views(con: duckdb.DuckDBPyConnection) -> bool:
    """Does ``sessions`` resolve to the view of the attached warehouse.duckdb?"""
    row = con.execute(
        "SELECT database_name FROM duckdb_views() WHERE view_name = 'sessions'"
    ).fetchall()
    return row == [(catalogue.STORED_ALIAS,)]


def sessions_ids(root: Path) -> list[str]:
    return [
        r["id"] for r in warehouse.query(root, "SELECT id FROM sessions ORDER BY id").to_pylist()
    ]


def test_current_stored_views_are_reused_and_read_the_same_rows(tmp_path: Path) -> None:
    root = lake(tmp_path / "wh")
    built = warehouse.connect(root)  # no warehouse.duckdb yet: built on the connection
    assert not reads_stored_views(built)
    expected = built.execute(ORDERED).fetchall()
    built.close()
    warehouse.refresh(root)
    con = warehouse.connect(root)
    try:
        assert reads_stored_views(con)
        assert con.execute(ORDERED).fetchall() == expected
        assert con.execute("SELECT count(*) FROM _manifest").fetchone() == (2,)
        con.execute("CREATE TEMP TABLE scratch AS SELECT 1 AS x")  # a reader's own objects
        with pytest.raises(duckdb.Error, match="file system operations are disabled"):
            con.execute(f"COPY (SELECT 1) TO '{tmp_path / 'out.csv'}'")  # the read-only guard
    finally:
        con.close()


def test_a_commit_after_the_catalogue_was_stored_is_seen(tmp_path: Path) -> None:
    root = lake(tmp_path / "wh")
    warehouse.refresh(root)
    assert sessions_ids(root) == ["S1"]
    write_batch(  # a commit, without refreshing warehouse.duckdb
        root, source="sim", module="sessions", version="2.2.1", objects=[session("2.2.1", id="S2")]
    )
    con = warehouse.connect(root)
    try:
        assert not reads_stored_views(con)  # stale: built from the manifests instead
    finally:
        con.close()
    assert catalogue.connect_stored(root) is None
    assert sessions_ids(root) == ["S1", "S2"]
    warehouse.refresh(root)
    con = warehouse.connect(root)
    try:
        assert reads_stored_views(con)
        assert [r[0] for r in con.execute("SELECT id FROM sessions ORDER BY id").fetchall()] == [
            "S1",
            "S2",
        ]
    finally:
        con.close()


def test_the_sql_command_sees_a_commit_after_the_catalogue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = lake(tmp_path / "wh")
    warehouse.refresh(root)

    def ids() -> list[str]:
        with pytest.raises(SystemExit) as done:
            main(["-w", str(root), "sql", "SELECT id FROM sessions ORDER BY id", "-f", "jsonl"])
        assert done.value.code in (0, None)
        return [orjson.loads(line)["id"] for line in capsys.readouterr().out.splitlines()]

    assert ids() == ["S1"]
    write_batch(
        root, source="sim", module="sessions", version="2.2.1", objects=[session("2.2.1", id="S3")]
    )
    assert ids() == ["S1", "S3"]


def test_a_catalogue_written_during_a_commit_is_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = lake(tmp_path / "wh")
    real = warehouse.create_views

    def commit_while_building(con: duckdb.DuckDBPyConnection, where: Path) -> None:
        real(con, where)  # views of the first snapshot, then a commit lands
        write_batch(
            root,
            source="sim",
            module="sessions",
            version="2.2.1",
            objects=[session("2.2.1", id="S9")],
        )

    monkeypatch.setattr(warehouse, "create_views", commit_while_building)
    warehouse.refresh(root)
    monkeypatch.undo()
    probe = duckdb.connect()
    probe.execute("ATTACH $db AS wh (READ_ONLY)", {"db": str(root / "warehouse.duckdb")})
    assert catalogue.stored_fingerprint(probe) is None  # NULL: never matches
    probe.close()
    assert catalogue.connect_stored(root) is None
    assert sessions_ids(root) == ["S1", "S9"]


def test_changed_view_definitions_are_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = lake(tmp_path / "wh")
    warehouse.refresh(root)
    assert catalogue.connect_stored(root) is not None
    monkeypatch.setattr(catalogue, "CATALOGUE_FORMAT", "another")
    assert catalogue.connect_stored(root) is None


def test_a_manifest_without_its_file_list_is_never_fingerprinted(tmp_path: Path) -> None:
    root = lake(tmp_path / "wh")
    assert catalogue.fingerprint(root) is not None
    state = root / "state" / "sim" / "sessions.json"
    legacy = orjson.loads(state.read_bytes())
    del legacy["files"]  # written before manifests listed their files: read by listing
    state.write_bytes(orjson.dumps(legacy))
    assert catalogue.fingerprint(root) is None


def test_a_moved_warehouse_keeps_its_catalogue(tmp_path: Path) -> None:
    root = lake(tmp_path / "wh")
    warehouse.refresh(root)
    moved = tmp_path / "moved"
    shutil.copytree(root, moved)
    con = catalogue.connect_stored(moved)
    assert con is not None
    try:
        assert con.execute("SELECT id FROM sessions").fetchall() == [("S1",)]
    finally:
        con.close()


def test_a_database_held_by_a_writer_falls_back_to_building(tmp_path: Path) -> None:
    root = lake(tmp_path / "wh")
    database = warehouse.refresh(root)
    assert database is not None
    writer = duckdb.connect(str(database))  # e.g. the DuckDB shell, read-write
    try:
        assert catalogue.connect_stored(root) is None
        assert sessions_ids(root) == ["S1"]
    finally:
        writer.close()


def test_an_object_store_location_has_no_stored_catalogue() -> None:
    assert catalogue.connect_stored("s3://bucket/prefix") is None


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, kwh, start_date_time, last_updated, NULL AS nothing FROM sessions ORDER BY id",
        "SELECT 2.50::DECIMAL(10, 3) AS d, 1.5::FLOAT AS f, sum(range) AS h, true AS b, "
        "DATE '2024-03-01' AS day, TIME '10:00:00' AS t, TIMESTAMP '2024-03-01 10:00:00' AS ts "
        "FROM range(3)",
        "SELECT range AS n, range::VARCHAR AS s FROM range(120) ORDER BY range DESC",  # > 50 rows
        "SELECT [1, 2] AS l, {'a': INTERVAL 1 MONTH} AS s",  # nested: shown through Arrow
        "SHOW TABLES",
    ],
)
def test_the_sql_table_reads_as_the_arrow_table(
    sessions_lake: Path, capsys: pytest.CaptureFixture[str], sql: str
) -> None:
    """The table of plain columns printed from Python values, without pyarrow, is the
    table printed from the Arrow result."""
    warehouse.refresh(sessions_lake)
    with pytest.raises(SystemExit) as done:
        main(["-w", str(sessions_lake), "sql", sql])
    assert done.value.code in (0, None)
    shown = capsys.readouterr().out
    assert shown == output.table_text(warehouse.query(sessions_lake, sql))


def test_materialize_refuses_what_it_would_change() -> None:
    con = duckdb.connect()
    assert not catalogue.materialize(con, "SELECT 1 AS a, 2 AS a")  # would be renamed a_1
    assert not catalogue.materialize(con, "PRAGMA version")  # not a query
    assert not catalogue.materialize(con, "SHOW TABLES")  # would list its own table
    assert catalogue.materialize(con, "SELECT [1] AS l FROM range(3)")
    assert catalogue.plain_rows(con, 2) is None  # a list shows through Arrow
    assert catalogue.materialize(con, "FROM range(70) ORDER BY range DESC")
    assert catalogue.plain_rows(con, 2) == catalogue.Rows(["range"], [True], [(69,), (68,)], 70)
    con.close()
