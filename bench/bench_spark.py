"""energy_by_operator on DuckDB vs Apache Spark (local mode), same lake files, same cores.

    .venv/bin/python bench/gen_lake.py /tmp/benchlake --sessions 10000000
    taskset -c 0,1 .venv/bin/python bench/bench_spark.py /tmp/benchlake --master 'local[2]'

Prints wall-clock seconds per engine (best of --repeat runs, Spark session start and view
registration reported apart) and checks that both return the same rows.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "spark"))

from compare import assert_same

from ocpiwh import models, warehouse
from ocpiwh.scaleout import spark as sx


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--model", default="energy_by_operator")
    ap.add_argument("--param", action="append", default=[], help="k=v")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    args = ap.parse_args()
    params = dict(p.split("=", 1) for p in args.param)
    model = models.get_model(args.model)

    con = warehouse.connect(args.root, read_only=False)
    con.execute(f"SET threads = {args.threads}")
    best = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        duck = model.run(con, params)
        best = min(best, time.perf_counter() - t)
    print(f"duckdb  {args.model}: {best:8.2f} s  ({duck.num_rows} rows, {args.threads} threads)")

    t = time.perf_counter()
    spark = sx.session(args.master, "ocpiwh-bench", **{"spark.driver.memory": "4g"})
    print(f"spark   session start: {time.perf_counter() - t:8.2f} s ({args.master})")
    t = time.perf_counter()
    sx.register_views(spark, args.root)
    print(f"spark   views:         {time.perf_counter() - t:8.2f} s")
    best = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        result = sx.run_model(spark, args.root, args.model, params, register=False)
        best = min(best, time.perf_counter() - t)
    print(f"spark   {args.model}: {best:8.2f} s  ({result.num_rows} rows)")
    assert_same(duck, result, args.model)
    print("same rows: yes")
    spark.stop()


if __name__ == "__main__":
    main()
