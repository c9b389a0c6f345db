"""Deferred compaction: what a query pays over a backfill's uncompacted files.

    .venv/bin/python -m bench.bench_deferred --sessions 1000000

A first ``ocpiwh sync -m sessions`` from the replay server (``bench/replay.py``) leaves its
batch files uncompacted (the next sync merges them). Queries through the warehouse views
(latest-version dedupe, tombstone check) are timed over those files, then the next sync
(nothing new to fetch, so it only compacts) is timed, then the same queries again. Best of
``--repeat``, each query on a fresh connection (as a command would).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from bench.bench_replay import ReplayServer, ocpiwh, sync
from ocpiwh import warehouse
from ocpiwh.lake import committed_files, open_store

QUERIES = {
    "count + sum(kwh), all sessions": "SELECT count(*), sum(kwh) FROM sessions",
    "kWh per operator per day": (
        "SELECT party_id, date_trunc('day', start_date_time) AS d, sum(kwh) "
        "FROM sessions GROUP BY ALL ORDER BY ALL"
    ),
    "one week, per location": (
        "SELECT location_id, count(*), avg(kwh) FROM sessions "
        "WHERE start_date_time >= TIMESTAMPTZ '2026-05-20' "
        "AND start_date_time < TIMESTAMPTZ '2026-05-27' GROUP BY ALL"
    ),
}


def timed(root: Path, sql: str, repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (user + sys of this process: DuckDB's threads)."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        t, cpu = time.monotonic(), _cpu()
        con = warehouse.connect(root)
        try:
            con.execute(sql).fetchall()
        finally:
            con.close()
        best = min(best, time.monotonic() - t)
        best_cpu = min(best_cpu, _cpu() - cpu)
    return best, best_cpu


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    server = ReplayServer(args.sessions, "2.2.1", ("sessions",), 0)
    with tempfile.TemporaryDirectory(prefix="ocpiwh-bench-") as tmp:
        root = Path(tmp) / "wh"
        try:
            first = sync(server, ("sessions",), root)
            files = len(committed_files(open_store(root), "raw/sessions/"))
            print(f"first sync: {first.objects:,} sessions in {first.seconds:.1f}s "
                  f"({first.cpu:.1f} CPU-s), {files} files left uncompacted")  # fmt: skip
            before = {name: timed(root, sql, args.repeat) for name, sql in QUERIES.items()}
            second = ocpiwh(root, "sync", "--lag", "0s", "-m", "sessions")
            after_files = len(committed_files(open_store(root), "raw/sessions/"))
            print(f"next sync (compacts): {second.seconds:.1f}s ({second.cpu:.1f} CPU-s), "
                  f"{files} files into {after_files}")  # fmt: skip
        finally:
            server.close()
        for name, sql in QUERIES.items():
            (wall, cpu), (wall0, cpu0) = timed(root, sql, args.repeat), before[name]
            print(f"{name:<32} uncompacted {wall0:.3f}s ({cpu0:.2f} CPU-s)  compacted "
                  f"{wall:.3f}s ({cpu:.2f} CPU-s)  ratio {wall0 / wall:.2f}x wall, "
                  f"{cpu0 / cpu:.2f}x CPU")  # fmt: skip


if __name__ == "__main__":
    main()
