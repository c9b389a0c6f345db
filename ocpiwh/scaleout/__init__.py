"""Scale-out: the same lake and models on Apache Spark or Trino.

- :mod:`ocpiwh.scaleout.transforms` — sqlglot rewrites that make DuckDB-dialect SQL (views and
  models) run on Spark and Trino with DuckDB's results.
- :mod:`ocpiwh.scaleout.ddl` — ``CREATE TABLE`` / ``CREATE VIEW`` statements that mount the lake
  on an existing Spark or Trino cluster (``ocpiwh lake ddl``).
- :mod:`ocpiwh.scaleout.spark` — run a model on local or remote Spark (pyspark, optional).
"""

from __future__ import annotations

from ocpiwh.scaleout.compile import compile_model, compile_view
from ocpiwh.scaleout.transforms import TRANSFORMS, transform

__all__ = ["TRANSFORMS", "compile_model", "compile_view", "transform"]
