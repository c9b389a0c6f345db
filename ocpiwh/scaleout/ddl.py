"""DDL that mounts the lake on an existing Spark or Trino cluster (``ocpiwh lake ddl``).

Raw tables ``_raw_<module>`` are external Parquet tables over ``<location>/raw/<module>``
(Hive partitions ``source=`` and, for sessions and CDRs, ``year=``/``month=``), with the typed
columns of :func:`ocpiwh.warehouse.raw_columns`; the public views follow, compiled from
``sql/views/*.sql`` (sqlglot + :mod:`ocpiwh.scaleout.transforms`) in dependency order.

    print(lake_ddl("spark", "s3a://bucket/ocpiwh"))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlglot import exp

from ocpiwh import lake, warehouse
from ocpiwh.errors import UsageError
from ocpiwh.lake import Location, Store, open_store
from ocpiwh.paths import MODULES

DIALECTS: tuple[str, ...] = ("spark", "trino")


def spark_type(duckdb_type: str) -> str:
    """A DuckDB column type (``VARCHAR``, ``TIMESTAMPTZ``, ``STRUCT(…)[]``) as a Spark type."""
    return exp.DataType.build(duckdb_type, dialect="duckdb").sql(dialect="spark")


def _trino_timestamps(dt: exp.DataType) -> exp.DataType:
    """The Hive connector stores no time zone: TIMESTAMPTZ → TIMESTAMP(3) (UTC instants)."""

    def fix(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.DataType) and node.this in (
            exp.DataType.Type.TIMESTAMPTZ,
            exp.DataType.Type.TIMESTAMPLTZ,
        ):
            return exp.DataType.build("TIMESTAMP(3)", dialect="trino")
        return node

    out = dt.transform(fix)
    assert isinstance(out, exp.DataType)
    return out


def trino_type(duckdb_type: str) -> str:
    """A DuckDB column type as a Trino (Hive connector) type."""
    dt = exp.DataType.build(duckdb_type, dialect="duckdb")
    return _trino_timestamps(dt).sql(dialect="trino")


def column_type(duckdb_type: str, dialect: str) -> str:
    return spark_type(duckdb_type) if dialect == "spark" else trino_type(duckdb_type)


def empty_select(cols: Sequence[tuple[str, str]], dialect: str) -> str:
    """A typed relation with no rows (a module without files yet)."""
    q = "`" if dialect == "spark" else '"'
    return (
        "SELECT "
        + ", ".join(f"CAST(NULL AS {column_type(t, dialect)}) AS {q}{c}{q}" for c, t in cols)
        + " WHERE 1 = 0"
    )


def partitions(module: str) -> list[tuple[str, str]]:
    """Hive partition columns of a module's folder (name, DuckDB type)."""
    if module in lake.PARTITIONED_BY_START:
        return [("source", "VARCHAR"), ("year", "INTEGER"), ("month", "INTEGER")]
    return [("source", "VARCHAR")]


def _location(base: str, module: str) -> str:
    return f"{base.rstrip('/')}/raw/{module}"


def default_location(root: Location | Store) -> str:
    """The warehouse folder as a ``file:`` URI; an object store's URL (``s3a://`` for the
    Hadoop S3 connector that Spark uses)."""
    store = open_store(root)
    if store.local_root is not None:
        return store.local_root.as_uri()
    return "s3a://" + store.url.partition("://")[2]


def raw_table_ddl(module: str, location: str, dialect: str, schema: str | None = None) -> list[str]:
    """CREATE TABLE for ``_raw_<module>`` over ``<location>/raw/<module>``, then its partition
    discovery statement."""
    cols = [*warehouse.raw_columns(module), *partitions(module)]
    parts = [c for c, _ in partitions(module)]
    path = _location(location, module)
    if dialect == "spark":
        name = f"`_raw_{module}`"
        body = ",\n  ".join(f"`{c}` {column_type(t, 'spark')}" for c, t in cols)
        return [
            f"CREATE TABLE IF NOT EXISTS {name} (\n  {body}\n)\nUSING parquet\n"
            f"OPTIONS (path '{path}', pathGlobFilter '*.parquet')\n"
            f"PARTITIONED BY ({', '.join(parts)})",
            f"MSCK REPAIR TABLE {name}",
        ]
    name = f'"_raw_{module}"'
    body = ",\n  ".join(f'"{c}" {column_type(t, "trino")}' for c, t in cols)
    arr = ", ".join(f"'{p}'" for p in parts)
    sync_schema = f"'{schema or 'default'}'"  # the CALL takes a literal schema name
    return [
        f"CREATE TABLE IF NOT EXISTS {name} (\n  {body}\n)\nWITH (\n"
        f"  external_location = '{path}',\n  format = 'PARQUET',\n"
        f"  partitioned_by = ARRAY[{arr}]\n)",
        f"CALL system.sync_partition_metadata({sync_schema}, '_raw_{module}', 'FULL')",
    ]


def view_ddl(name: str, dialect: str) -> str:
    from ocpiwh.scaleout.compile import compile_view

    body = compile_view(name, dialect)
    target = f"`{name}`" if dialect == "spark" else f'"{name}"'
    return f"CREATE OR REPLACE VIEW {target} AS\n{body}"


def lake_ddl_statements(
    dialect: str,
    location: str,
    *,
    schema: str | None = None,
    views: bool = True,
    present: Iterable[str] | None = None,
) -> list[str]:
    """Every statement (no trailing semicolon): raw tables, partition discovery, views.

    ``present``: the modules that have files (default: all). A module without files gets a
    typed empty view instead of a table (partition discovery fails on a missing folder):
    generate the DDL again once it has files.
    """
    if dialect not in DIALECTS:
        raise UsageError(f"unknown dialect {dialect!r}; choose one of {', '.join(DIALECTS)}")
    out: list[str] = []
    if schema:
        # views resolve the names they read in the schema current when they are created
        q = f"`{schema}`" if dialect == "spark" else f'"{schema}"'
        out += [f"CREATE SCHEMA IF NOT EXISTS {q}", f"USE {q}"]
    have = set(present) if present is not None else {*MODULES, lake.REMOVED}
    for module in (*MODULES, lake.REMOVED):
        if module in have:
            out += raw_table_ddl(module, location, dialect, schema)
        else:
            out.append(_empty_view(module, dialect))
    # quarantine/<module>/source=…/ is not one Hive layout: it is left to the local warehouse
    out.append(_empty_view("quarantine", dialect))
    if views:
        out += [view_ddl(name, dialect) for name in warehouse.view_order()]
    return out


ALL_MODULES: tuple[str, ...] = (*MODULES, lake.REMOVED)
"""Modules with a raw table (quarantine is not one Hive layout)."""


def present_modules(root: Location | Store) -> list[str]:
    """Modules of the warehouse at ``root`` that have Parquet files."""
    store = open_store(root)
    return [m for m in (*MODULES, lake.REMOVED) if store.has_files(f"raw/{m}/")]


def _empty_view(module: str, dialect: str) -> str:
    cols = warehouse.raw_columns(module)
    name = f"`_raw_{module}`" if dialect == "spark" else f'"_raw_{module}"'
    return f"CREATE OR REPLACE VIEW {name} AS {empty_select(cols, dialect)}"


def lake_ddl(
    dialect: str,
    location: str,
    *,
    schema: str | None = None,
    views: bool = True,
    present: Iterable[str] | None = None,
) -> str:
    """The DDL as one script (statements end with ``;``)."""
    header = (
        f"-- ocpiwh lake on {dialect}: raw tables over {location}/raw, then the views.\n"
        "-- Generated by `ocpiwh lake ddl`; rerun after upgrading ocpiwh (views may change).\n"
    )
    return (
        header
        + "\n\n".join(
            s + ";"
            for s in lake_ddl_statements(
                dialect, location, schema=schema, views=views, present=present
            )
        )
        + "\n"
    )
