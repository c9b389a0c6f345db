"""Time and peak memory of the AFIR publications for 50,000 refill points (12,500 locations ×
4 EVSEs through the lake writer, one ad-hoc tariff), against a plain DuckDB
``COPY (<the model's query>) TO … (FORMAT json)`` of the same rows (no validation, no envelope).

Each measurement runs in a fresh interpreter (peak RSS is that process's ``ru_maxrss``).

    .venv/bin/python bench/bench_afir.py /tmp/afirbench --points 50000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_irve import LU, location
from ocpiwh import afir, models, warehouse
from ocpiwh.afir.config import AfirConfig
from ocpiwh.afir.publish import model_params
from ocpiwh.lake import open_store, write_batch
from ocpiwh.sqltext import literal

TOML = 'warehouse_id = "bench"\n\n[afir]\ncountry = "FR"\nnational_identifier = "FR-BENCH"\n'


def tariff() -> dict[str, Any]:
    pc = [{"type": "ENERGY", "price": 0.45, "vat": 20.0, "step_size": 1}]
    return {"country_code": "FR", "party_id": "BEN", "id": "T1", "currency": "EUR",
            "type": "AD_HOC_PAYMENT", "elements": [{"price_components": pc}], "last_updated": LU}  # fmt: skip


def make_lake(root: Path, points: int) -> None:
    if (root / "raw" / "locations").exists():
        return
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    n = points // 4
    for lo in range(0, n, 5000):
        batch = [location(i) for i in range(lo, min(n, lo + 5000))]
        write_batch(root, source="bench", module="locations", version="2.2.1", objects=batch)
    write_batch(root, source="bench", module="tariffs", version="2.2.1", objects=[tariff()])
    (root / "ocpiwh.toml").write_text(TOML)
    print(f"{n:,} locations ({points:,} refill points) in {time.perf_counter() - t0:.1f} s")


def measure(root: Path, what: str) -> dict[str, Any]:
    """One measurement in this process (called in a child)."""
    t0 = time.perf_counter()
    if what.startswith("copy:"):
        name = what.split(":", 1)[1]
        store = open_store(root)
        model = models.get_model(name)
        params = model_params(store, model, AfirConfig.load(store), None)
        con = warehouse.connect(store, read_only=False)
        out = root / f"{name}.copy.jsonl"
        con.execute(
            f"COPY ({model.expanded_sql}) TO {literal(str(out))} (FORMAT json)", params or None
        )
        con.close()
        size, sites = out.stat().st_size, None
    else:
        result = afir.publish(root, what, root / f"{what}.json", now=datetime.now(UTC))
        size, sites = result.manifest["bytes"], result.sites
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": time.perf_counter() - t0,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "bytes": size,
        "sites": sites,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--points", type=int, default=50_000)
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.root, args.measure)))
        return
    make_lake(args.root, args.points)
    for name in ("afir_table", "afir_status"):
        row = {}
        for what in (f"copy:{name}", name):
            done = subprocess.run(
                [sys.executable, __file__, str(args.root), "--measure", what],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            row[what] = json.loads(done.stdout.strip().splitlines()[-1])
        c, p = row[f"copy:{name}"], row[name]
        print(
            f"{name}: {p['sites']:,} sites | plain COPY (FORMAT json) {c['seconds']:.2f} s "
            f"(CPU {c['cpu_s']:.1f} s), {c['peak_rss_mb']:.0f} MB RSS, {c['bytes'] / 1e6:.1f} MB | "
            f"publication (validated) {p['seconds']:.2f} s (CPU {p['cpu_s']:.1f} s), "
            f"{p['peak_rss_mb']:.0f} MB RSS, {p['bytes'] / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main()
