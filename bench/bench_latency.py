"""Interactive latency: what one `ocpiwh` command costs as a whole process.

    .venv/bin/python -m bench.bench_latency                       # this checkout
    .venv/bin/python -m bench.bench_latency --compare /work/main  # and another, interleaved

Builds a small demo warehouse (`ocpiwh demo`, with this checkout), then times each
command as a fresh process (`python -m ocpiwh …`, start to exit, output discarded): `--help`,
`sql "select 1"`, `models run energy_by_operator`, `status`, and the floor: `python -c`
running `select 1` in DuckDB alone. One warm-up run each (page cache, .pyc), then --runs
rounds; within a round every command of every checkout runs once, in turn, so a noisy
neighbour hits them alike. Reported: the median wall time and its range (min–max), and the
median CPU time (user + system, from the child's rusage: less sensitive to a loaded machine).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PLAIN = "import duckdb; duckdb.connect().sql('select 1').fetchall()"


def commands(root: Path) -> dict[str, list[str]]:
    wh = ["-m", "ocpiwh", "-w", str(root)]
    return {
        "--help": ["-m", "ocpiwh", "--help"],
        'sql "select 1"': [*wh, "sql", "select 1"],
        "models run energy_by_operator": [*wh, "models", "run", "energy_by_operator"],
        "status": [*wh, "status"],
    }


def timed(args: list[str], checkout: Path | None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child process; ``checkout`` is the ocpiwh it
    imports (PYTHONPATH; run from a neutral folder, since ``-m`` puts the cwd first)."""
    env = dict(os.environ)
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=tempfile.gettempdir(),
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def build_demo(root: Path, sessions: int) -> None:
    env = dict(os.environ, PYTHONPATH=str(HERE))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ocpiwh",
            "-q",
            "-w",
            str(root),
            "demo",
            "--sessions",
            str(sessions),
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tempfile.gettempdir(),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="rounds (default 5)")
    ap.add_argument("--sessions", type=int, default=2000, help="demo size (default 2000)")
    ap.add_argument(
        "--compare", type=Path, action="append", default=[], help="another checkout to time too"
    )
    ap.add_argument("--warehouse", type=Path, help="use this demo warehouse (else built)")
    args = ap.parse_args()
    checkouts: dict[str, Path | None] = {"this": HERE}
    checkouts |= {str(c): c.resolve() for c in args.compare}
    with tempfile.TemporaryDirectory(prefix="ocpiwh-latency-") as tmp:
        root = args.warehouse or Path(tmp) / "demo"
        if args.warehouse is None:
            t0 = time.perf_counter()
            build_demo(root, args.sessions)
            print(
                f"demo warehouse ({args.sessions} sessions) built in {time.perf_counter() - t0:.1f} s"
            )
        cases: list[tuple[str, str, list[str], Path | None]] = [
            ("python -c (DuckDB only)", "-", ["-c", PLAIN], None)
        ]
        for label, checkout in checkouts.items():
            cases += [(name, label, argv, checkout) for name, argv in commands(root).items()]
        for _, _, argv, checkout in cases:  # warm-up: page cache, .pyc files
            timed(argv, checkout)
        walls: dict[int, list[float]] = {i: [] for i in range(len(cases))}
        cpus: dict[int, list[float]] = {i: [] for i in range(len(cases))}
        for _ in range(args.runs):
            for i, (_, _, argv, checkout) in enumerate(cases):
                wall, cpu = timed(argv, checkout)
                walls[i].append(wall)
                cpus[i].append(cpu)
    print(f"\n{args.runs} runs each, interleaved; load average {os.getloadavg()[0]:.1f}\n")
    print("| command | checkout | wall median (s) | wall min–max (s) | CPU median (s) |")
    print("|---|---|---|---|---|")
    for i, (name, label, _, _) in enumerate(cases):
        w = walls[i]
        print(
            f"| `{name}` | {label} | {statistics.median(w):.3f} | {min(w):.3f}–{max(w):.3f} "
            f"| {statistics.median(cpus[i]):.3f} |"
        )


if __name__ == "__main__":
    main()
