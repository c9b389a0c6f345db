"""Transforms no shipped model exercises today, checked on hand-written DuckDB SQL (no Spark)."""

from __future__ import annotations

import duckdb
import sqlglot
from sqlglot import exp

from ocpiwh.scaleout.transforms import transform

# two inlined models, each with its own CTE ``cfg`` (as irve_statique and ind_pdc have)
TWO_CFG = (
    "WITH a AS (WITH cfg AS (SELECT 1 AS x) SELECT x FROM cfg), "
    "b AS (WITH cfg AS (SELECT 2 AS x) SELECT x FROM cfg) "
    "SELECT a.x AS ax, b.x AS bx FROM a CROSS JOIN b"
)


def _cte_names(sql: str, dialect: str) -> list[str]:
    return [c.alias_or_name for c in sqlglot.parse_one(sql, read=dialect).find_all(exp.CTE)]


def test_nested_ctes_of_the_same_name_stay_distinct_once_hoisted() -> None:
    tree = sqlglot.parse_one(TWO_CFG, read="duckdb")
    assert _cte_names(tree.sql(dialect="spark"), "spark").count("cfg") == 2  # what Spark refuses
    spark = transform(tree, "spark").sql(dialect="spark")
    names = _cte_names(spark, "spark")
    assert len(names) == len(set(names)), spark
    assert {"a__cfg", "b__cfg"} <= set(names)
    # each reader still reads its own cfg: the same rows as DuckDB
    back = sqlglot.transpile(spark, read="spark", write="duckdb")[0]
    assert duckdb.sql(back).fetchall() == duckdb.sql(TWO_CFG).fetchall() == [(1, 2)]


def test_materialized_ctes_compile_plain_for_spark_and_trino() -> None:
    """``AS MATERIALIZED`` (DuckDB: one evaluation of a CTE over a large constant) is not
    Spark or Trino syntax: the transform drops it, the result stays the same."""
    sql = "WITH cfg AS MATERIALIZED (SELECT 1 AS x) SELECT a.x + b.x AS y FROM cfg a, cfg b"
    tree = sqlglot.parse_one(sql, read="duckdb")
    for dialect in ("spark", "trino"):
        out = transform(tree, dialect).sql(dialect=dialect)
        assert "MATERIALIZED" not in out.upper(), out
        back = sqlglot.transpile(out, read=dialect, write="duckdb")[0]
        assert duckdb.sql(back).fetchall() == duckdb.sql(sql).fetchall() == [(2,)]
    assert "MATERIALIZED" in transform(tree, "duckdb").sql(dialect="duckdb")
