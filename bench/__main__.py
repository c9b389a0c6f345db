"""`make bench`: every benchmark at a size that finishes in minutes; figures go to stdout.

The figures recorded in docs/benchmarks.md come from the larger runs shown there (each
script's --help says how). Run one with `.venv/bin/python -m bench.bench_sync --help`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(*args: str) -> None:
    print(f"\n$ {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, *args], check=True, cwd=HERE.parent)


def main() -> None:
    run("-m", "bench.bench_simulator", "--sessions", "100000")
    run("-m", "bench.bench_sync", "--sessions", "100000")
    run("-m", "bench.bench_replay", "--sessions", "100000", "--case", "sessions+cdrs-2.2.1")
    run("-m", "bench.bench_stages")
    with tempfile.TemporaryDirectory(prefix="ocpiwh-bench-") as tmp:
        lake = str(Path(tmp) / "lake")
        run("bench/gen_lake.py", lake, "--sessions", "1000000")
        run("bench/bench_models.py", lake, "--repeat", "2")
        run("bench/bench_jq.py", lake, "--sessions", "200000")


if __name__ == "__main__":
    main()
