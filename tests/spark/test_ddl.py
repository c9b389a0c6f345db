"""`ocpiwh lake ddl`: Spark DDL runs in local Spark and serves the models; Trino DDL parses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from compare import assert_same

from ocpiwh import models, warehouse
from ocpiwh.scaleout import compile_model, ddl
from ocpiwh.scaleout import spark as sx

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def mounted(spark: Any, lake: Path) -> Any:
    """A session (own temp views and current schema) with the lake mounted by the Spark DDL."""
    s = spark.newSession()
    present = ddl.present_modules(lake)
    for statement in ddl.lake_ddl_statements(
        "spark", lake.as_uri(), schema="ocpiwh_ddl", present=present
    ):
        s.sql(statement)
    return s


def test_spark_ddl_tables_read_every_row(
    mounted: Any, lake: Path, duck: duckdb.DuckDBPyConnection
) -> None:
    for module in ("locations", "sessions", "cdrs", "tariffs", "tokens"):
        n_spark = mounted.sql(f"SELECT count(*) FROM ocpiwh_ddl.`_raw_{module}`").collect()[0][0]
        n_duck = duck.sql(f"SELECT count(*) FROM _raw_{module}").fetchall()[0][0]
        assert n_spark == n_duck > 0, module
    parts = mounted.sql("SHOW PARTITIONS ocpiwh_ddl.`_raw_sessions`").collect()
    assert parts and all(str(r[0]).startswith("source=") for r in parts)


@pytest.mark.parametrize("view", ["sessions", "locations", "evses", "connectors"])
def test_spark_ddl_views_match_duckdb(
    mounted: Any, duck: duckdb.DuckDBPyConnection, view: str
) -> None:
    got = mounted.sql(f"SELECT * FROM ocpiwh_ddl.`{view}`").toArrow()
    want = duck.sql(f'SELECT * FROM "{view}"').to_arrow_table()
    assert_same(want, got, view)


@pytest.mark.parametrize("name", ["energy_by_operator", "session_durations"])
def test_models_run_on_mounted_lake(
    mounted: Any, duck: duckdb.DuckDBPyConnection, name: str
) -> None:
    mounted.sql("USE ocpiwh_ddl")
    model = models.get_model(name)
    got = sx.model_dataframe(mounted, model, {"grain": "week"} if "grain" in model.params else None)
    want = model.run(duck, {"grain": "week"} if "grain" in model.params else None)
    assert_same(want, got.toArrow(), name)


def test_spark_ddl_shape(lake: Path) -> None:
    text = ddl.lake_ddl("spark", "s3a://bucket/wh")
    assert "CREATE TABLE IF NOT EXISTS `_raw_sessions`" in text
    assert "OPTIONS (path 's3a://bucket/wh/raw/sessions'" in text
    assert "PARTITIONED BY (source, year, month)" in text
    assert "`evses` ARRAY<STRUCT<uid: STRING" in text
    assert "CREATE OR REPLACE VIEW `sessions` AS" in text
    assert "EXCLUDE" not in text.upper().replace("EXCLUDED", "")


def test_trino_ddl_parses_back(lake: Path) -> None:
    statements = ddl.lake_ddl_statements("trino", "s3://bucket/wh", schema="ocpi")
    tables = [s for s in statements if s.startswith("CREATE TABLE")]
    assert len(tables) == 6
    for statement in statements:
        tree = sqlglot.parse_one(statement, read="trino")
        assert tree is not None
    sessions = next(s for s in tables if '"_raw_sessions"' in s)
    tree = sqlglot.parse_one(sessions, read="trino")
    props = {p.sql("trino") for p in tree.find_all(sqlglot.exp.Property)}
    assert "external_location='s3://bucket/wh/raw/sessions'" in props
    assert "format='PARQUET'" in props
    assert "PARTITIONED_BY=ARRAY['source', 'year', 'month']" in props
    # partition columns last, as the Hive connector requires
    cols = [c.name for c in tree.find_all(sqlglot.exp.ColumnDef)]
    assert cols[-3:] == ["source", "year", "month"]
    assert '"start_date_time" TIMESTAMP(3)' in sessions
    views = [s for s in statements if s.startswith("CREATE OR REPLACE VIEW")]
    assert {v.split('"')[1] for v in views} >= set(warehouse.view_order())


@pytest.mark.parametrize("name", ["session_durations", "energy_by_operator", "irve_statique"])
def test_trino_models_parse(name: str) -> None:
    compiled = compile_model(models.get_model(name), "trino")
    tree = sqlglot.parse_one(compiled.sql, read="trino")
    sql = tree.sql("trino").upper()
    for duckdb_only in ("EXCLUDE", "EPOCH(", "REGEXP_FULL_MATCH", "STRUCT_EXTRACT", "LIST_"):
        assert duckdb_only not in sql, (name, duckdb_only)


def test_cli_prints_ddl(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import ocpiwh.cli.commands
    import ocpiwh.cli.lake  # noqa: F401
    from ocpiwh.cli.main import main

    with pytest.raises(SystemExit) as done:
        main(["--warehouse", str(lake), "lake", "ddl", "--dialect", "spark"])
    assert done.value.code in (0, None)
    out = capsys.readouterr().out
    assert f"path '{lake.resolve().as_uri()}/raw/sessions'" in out
    with pytest.raises(SystemExit) as bad:
        main(["--warehouse", str(lake), "lake", "ddl", "--dialect", "oracle"])
    assert bad.value.code == 2
