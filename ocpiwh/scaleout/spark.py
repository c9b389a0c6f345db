"""Run the views and models on Apache Spark, over the very same lake files.

    from ocpiwh.scaleout import spark as sx
    session = sx.session()                        # local[2], UTC, no UI
    table = sx.run_model(session, Path("data"), "energy_by_operator", {"grain": "week"})

The views are temporary views generated from ``sql/views/*.sql`` (sqlglot + our transforms,
:mod:`ocpiwh.scaleout.transforms`); the raw layer is read with ``USING parquet`` and the typed
columns of :func:`ocpiwh.warehouse.raw_columns` (a column no file has yet reads as NULL, like
DuckDB's ``union_by_name``). Results come back as a pyarrow table with UTC timestamps.

pyspark is optional (``pip install 'ocpiwh[spark]'`` or ``pip install pyspark``) and needs Java 17+.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ocpiwh import lake, warehouse
from ocpiwh.errors import OcpiwhError, UsageError
from ocpiwh.models import Model, get_model
from ocpiwh.paths import MODULES, Warehouse
from ocpiwh.scaleout.compile import compile_model, compile_view
from ocpiwh.scaleout.ddl import empty_select, spark_type
from ocpiwh.sqltext import identifier, literal

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

RAW_MODULES: tuple[str, ...] = (*MODULES, lake.REMOVED, "quarantine")

SESSION_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.parquet.mergeSchema": "false",
}
"""Configuration :func:`session` sets; UTC matters: DuckDB's views and models run in UTC."""


def session(master: str = "local[2]", app_name: str = "ocpiwh", **conf: str) -> SparkSession:
    """A Spark session (created or reused) with UTC session time zone and quiet logs."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - depends on the environment
        raise OcpiwhError(
            "pyspark is not installed", hint="pip install pyspark (and Java 17 or later)"
        ) from None
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in {**SESSION_CONF, **conf}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def raw_view_statements(root: Path | str, module: str) -> list[str]:
    """Statements creating the temporary view ``_raw_<module>`` over the lake at ``root``.

    ``root`` is a local folder or a URI Spark can read (``s3a://bucket/prefix``).
    """
    cols = warehouse.raw_columns(module)
    name = f"_raw_{module}"
    folder = _module_folder(root, module)
    if folder is None:
        return [
            f"CREATE OR REPLACE TEMPORARY VIEW {identifier(name, 'spark')} AS {empty_select(cols, 'spark')}"
        ]
    files = f"_files_{module}"
    schema = ", ".join(f"{identifier(c, 'spark')} {spark_type(t)}" for c, t in cols)
    options = {"path": folder, "pathGlobFilter": "*.parquet"}
    if module == "quarantine":  # quarantine/<module>/source=…: not a Hive layout
        options["recursiveFileLookup"] = "true"
    opts = ", ".join(f"{k} {literal(v, 'spark')}" for k, v in options.items())
    select = ", ".join(identifier(c, "spark") for c, _ in cols)
    return [
        f"CREATE OR REPLACE TEMPORARY VIEW {identifier(files, 'spark')} ({schema}) USING parquet OPTIONS ({opts})",
        f"CREATE OR REPLACE TEMPORARY VIEW {identifier(name, 'spark')} AS SELECT {select} FROM {identifier(files, 'spark')}",
    ]


def _module_folder(root: Path | str, module: str) -> str | None:
    """Folder (or URI) of a module's files; None for a local folder without Parquet files."""
    if isinstance(root, str) and "://" in root:
        base = root.rstrip("/")
        return f"{base}/quarantine" if module == "quarantine" else f"{base}/raw/{module}"
    wh = Warehouse(Path(root).expanduser().resolve())
    folder = wh.quarantine if module == "quarantine" else wh.raw / module
    if not (folder.is_dir() and any(folder.rglob("*.parquet"))):
        return None
    return str(folder)


def view_statements(root: Path | str) -> list[str]:
    """Every statement :func:`register_views` runs: raw views, then public views in order."""
    statements: list[str] = []
    for module in RAW_MODULES:
        statements += raw_view_statements(root, module)
    for name in warehouse.view_order():
        body = compile_view(name, "spark")
        statements.append(
            f"CREATE OR REPLACE TEMPORARY VIEW {identifier(name, 'spark')} AS\n{body}"
        )
    return statements


def register_views(spark: SparkSession, root: Path | str) -> None:
    """(Re)create every view of the warehouse at ``root`` as temporary views of ``spark``."""
    for statement in view_statements(root):
        spark.sql(statement)


def bind(
    model: Model, params: Mapping[str, Any] | None, placeholders: Mapping[str, str]
) -> dict[str, Any]:
    """Bound values for the compiled model's placeholders (``p_from`` → value of ``from``)."""
    bound = model.bind(params)
    return {target: bound[source] for target, source in placeholders.items()}


def model_dataframe(
    spark: SparkSession, name: str | Model, params: Mapping[str, Any] | None = None
) -> Any:
    """A DataFrame of the model over views already registered on ``spark``."""
    model = name if isinstance(name, Model) else get_model(name)
    compiled = compile_model(model, "spark")
    args = bind(model, params, compiled.params)
    return spark.sql(compiled.sql, args=args or None)


def run_model(
    spark: SparkSession,
    root: Path | str,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    register: bool = True,
) -> pa.Table:
    """Run model ``name`` on Spark over the lake at ``root``; a pyarrow table (UTC times).

    Parameters are validated and typed as for DuckDB (:meth:`Model.bind`) and bound as
    Spark named parameters, never pasted into the SQL. ``register=False`` reuses the views
    already on the session (see :func:`register_views`).
    """
    model = get_model(name)
    if register:
        register_views(spark, root)
    try:
        df = model_dataframe(spark, model, params)
        table: pa.Table = df.toArrow()
    except UsageError:
        raise
    except Exception as exc:  # pyspark raises many types (AnalysisException, Py4JJavaError…)
        text = " ".join(str(exc).split())
        raise OcpiwhError(f"Spark error in model {name}: {text[:400]}") from None
    return table
