"""``ocpiwh get sessions | wc -l`` against DuckDB's own JSON writer, on N generated sessions.

    .venv/bin/python bench/bench_get.py /tmp/benchget --sessions 1000000

The lake comes from bench/gen_lake.py (its session files are then listed in the sessions
manifest, as a sync would). Both commands read the same ``sessions`` view (latest version
per key, tombstones applied) and write JSON lines to a pipe; ``/usr/bin/time`` gives the
wall time and peak RSS of each. Figures go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from bench import gen_lake
from ocpiwh import warehouse
from ocpiwh.cli.shell import find_duckdb_cli
from ocpiwh.lake import ModuleState, StateStore, open_store


def register(root: Path) -> None:
    """List the generated session files in the sessions manifest (the commit a sync makes)."""
    store = open_store(root)
    files = [rel for rel, _ in store.list("raw/sessions/") if rel.endswith(".parquet")]
    state = ModuleState(files=sorted(files))
    store.write("state/bench/sessions.json", state.to_json())
    StateStore(store, "bench").load("sessions")


def timed(cmd: str, cwd: Path) -> tuple[int, float, int]:
    """(lines, seconds, peak RSS in MB) of ``cmd | wc -l``."""
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; /usr/bin/time -f 'TIME %e %M' {cmd} | wc -l"],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=True,
    )
    m = re.search(r"TIME ([\d.]+) (\d+)", done.stderr)
    assert m, done.stderr
    return int(done.stdout.strip()), float(m[1]), int(m[2]) // 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--sessions", type=int, default=1_000_000)
    args = ap.parse_args()
    root: Path = args.root.resolve()
    if not (root / "state" / "bench" / "sessions.json").exists():
        gen_lake.generate(root, args.sessions)
        register(root)
    warehouse.refresh(root)
    duckdb = find_duckdb_cli()
    get = f"{sys.executable} -m ocpiwh -q --warehouse {root} get sessions"
    rows = [("ocpiwh get sessions", *timed(get, root))]
    if duckdb:
        copy = "COPY (SELECT * FROM sessions) TO '/dev/stdout' (FORMAT json)"
        rows.append(
            ("duckdb COPY … (FORMAT json)", *timed(f'{duckdb} warehouse.duckdb -c "{copy}"', root))
        )
    print("| command | rows | seconds | rows/s | peak RSS |")
    print("|---|---|---|---|---|")
    for name, n, secs, rss in rows:
        print(f"| {name} | {n:,} | {secs:.1f} | {n / secs:,.0f} | {rss} MB |")


if __name__ == "__main__":
    main()
