"""Before/after of issue 14's IRVE figures in one process, runs interleaved (the same load for
both sides on a shared machine): the COPY floor, the validation query of an older checkout
(``--base``: a folder holding its ``ocpiwh/``) and of this one, and the model reading each lake
view per reference vs. the locations read once. CPU seconds, best of ``--repeat``.

    git archive <commit> ocpiwh sql | tar -x -C /tmp/base
    .venv/bin/python bench/ab_irve.py /tmp/irvebench/statique irve_statique --base /tmp/base
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ocpiwh import models, warehouse
from ocpiwh.irve import IrveConfig
from ocpiwh.irve.schema import MODEL_SCHEMAS


def _module(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _base_validate(base: Path) -> Any:
    """The older checkout's ``ocpiwh.irve.validate``, importing its own ``checkplan`` (when it
    has one) instead of this checkout's."""
    ours = importlib.import_module("ocpiwh.irve.checkplan")
    plan = base / "ocpiwh" / "irve" / "checkplan.py"
    if plan.exists():
        sys.modules["ocpiwh.irve.checkplan"] = _module(plan, "base_checkplan")
    try:
        return _module(base / "ocpiwh" / "irve" / "validate.py", "base_validate")
    finally:
        sys.modules["ocpiwh.irve.checkplan"] = ours


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="a lake of bench/bench_irve.py")
    ap.add_argument("model", choices=("irve_statique", "qualicharge_sessions"))
    ap.add_argument("--base", type=Path, required=True, help="older checkout (ocpiwh/ inside)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-model", action="store_true", help="the COPY and validation queries only")
    args = ap.parse_args()
    schema = MODEL_SCHEMAS[args.model]
    new = importlib.import_module("ocpiwh.irve.validate")
    old = _base_validate(args.base)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    con = warehouse.connect(args.root, read_only=False)
    m = models.get_model(args.model)
    cfg = IrveConfig.load(args.root)
    if schema == "statique":
        cfg.add_geography(con)
    params = {"irve_config": cfg.to_json()}
    table = m.run(con, params)
    con.register("_rows", table)
    con.execute("CREATE TEMP TABLE _export AS SELECT * FROM _rows")
    con.unregister("_rows")
    bound = m.bind(params)
    values = {k: bound[k] for k in m.placeholders}
    age = {"now": now, "max_session_age_days": 100000}
    floor = args.root / "ab_floor.csv"
    steps: dict[str, Callable[[], Any]] = {
        "COPY (floor)": lambda: con.execute(f"COPY _export TO '{floor}' (FORMAT CSV, HEADER true)"),
        "validation query, before": lambda: old.check_table(con, "_export", schema, **age),
        "validation query, after": lambda: new.check_table(con, "_export", schema, **age),
        "model, views read per reference": lambda: warehouse.run_sql(con, m.expanded_sql, values),
        "model, locations read once": lambda: m.run(con, params),
    }
    if args.no_model:
        steps = {k: v for k, v in steps.items() if not k.startswith("model")}
    runs: dict[str, list[float]] = {label: [] for label in steps}
    for _ in range(args.repeat):
        for label, fn in steps.items():
            c0 = time.process_time()
            fn()
            runs[label].append(time.process_time() - c0)
    floor = min(runs["COPY (floor)"])
    for label, cpus in runs.items():
        cpu, median = min(cpus), statistics.median(cpus)
        print(
            f"{args.model} | {label} | CPU {cpu:.3f} s (median {median:.3f} s) | "
            f"{cpu / floor:.2f}× the COPY"
        )
    con.close()


if __name__ == "__main__":
    main()
