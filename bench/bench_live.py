"""A sync against a live platform, and the cost of resuming a killed backfill.

    .venv/bin/python -m bench.bench_live --sessions 100000 --resume-sessions 1000000

1. **Live paging.** For 0, 0.1, 1 and 5 updates per page served (the simulator's live
   mode), a first `ocpiwh sync -m sessions` of ``--sessions`` sessions in pages of 1,000:
   list requests against the window's page count (the simulator's own counter), and wall time.
2. **Resume.** A first sync of ``--resume-sessions`` sessions (sub-windows of 100k) killed
   (SIGKILL, at the commit of the sub-window that reaches 50 % and 90 %), then run again: what
   the rerun fetched and how long it took, against one clean sync of the same platform.

Each measurement gets its own simulator process (bench.bench_sync.Simulator) and warehouse.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.bench_sync import TOKEN, Simulator

WINDOW = 100_000


def _ocpiwh(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, float]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ocpiwh", "--warehouse", str(root), "-q", *args],
        env={**os.environ, "OCPIWH_TOKEN": TOKEN, **(env or {})},
        capture_output=True,
        text=True,
    )
    return proc.returncode, time.perf_counter() - started


def _stats(sim: Simulator) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(f"{sim.base}/admin/stats", timeout=60).json()
    return data.get("data", data)


def _last_run(root: Path) -> dict[str, Any]:
    lines = (root / "state" / "default" / "runs.jsonl").read_bytes().splitlines()
    run: dict[str, Any] = orjson.loads(lines[-1])
    return run


def live_paging(sessions: int, rate: float) -> None:
    sim = Simulator(sessions, 0)
    try:
        with tempfile.TemporaryDirectory(prefix="ocpiwh-live-") as tmp:
            root = Path(tmp) / "wh"
            rc, _ = _ocpiwh(root, "login", sim.versions_url)
            assert rc == 0
            httpx.post(f"{sim.base}/admin/live", params={"rate": rate}, timeout=60)
            before = _stats(sim)["list_requests"]["sessions"]
            rc, seconds = _ocpiwh(root, "sync", "-m", "sessions", "--lag", "0s")
            assert rc == 0, "sync failed"
            stats = _stats(sim)
            requests = stats["list_requests"]["sessions"] - before
            run = _last_run(root)["modules"][0]
            pages = math.ceil(int(run["fetched"]) / 1000)
            window_pages = math.ceil(sessions / 1000)
            print(
                f"{rate:>5} upd/page  {requests:>5} requests for {window_pages} pages "
                f"({requests / window_pages:.2f}x; {pages} pages kept)  "
                f"{stats['live']['updates']:>6} updates  {seconds:6.1f} s",
                flush=True,
            )
    finally:
        sim.close()


def resume(sessions: int) -> None:
    sim = Simulator(sessions, 0)
    try:
        with tempfile.TemporaryDirectory(prefix="ocpiwh-resume-") as tmp:
            clean = Path(tmp) / "clean"
            _ocpiwh(clean, "login", sim.versions_url)
            rc, full = _ocpiwh(clean, "sync", "-m", "sessions", "--lag", "0s")
            assert rc == 0
            total = int(_last_run(clean)["modules"][0]["fetched"])
            print(f"clean first sync: {total:,} sessions in {full:.1f} s", flush=True)
            windows = math.ceil(total / WINDOW)
            for share in (0.5, 0.9):
                root = Path(tmp) / f"killed-{share}"
                _ocpiwh(root, "login", sim.versions_url)
                point = f"committed:{max(1, round(windows * share))}"
                rc, before_kill = _ocpiwh(
                    root, "sync", "-m", "sessions", "--lag", "0s", env={"OCPIWH_CRASH_AT": point}
                )
                assert rc == -9, rc
                rc, rerun = _ocpiwh(root, "sync", "-m", "sessions", "--lag", "0s")
                assert rc == 0
                fetched = int(_last_run(root)["modules"][0]["fetched"])
                print(
                    f"killed at {share:.0%} ({point}, after {before_kill:.1f} s): rerun fetched "
                    f"{fetched:,} ({fetched / total:.0%} of the sessions) in {rerun:.1f} s "
                    f"({rerun / full:.0%} of a clean sync)",
                    flush=True,
                )
    finally:
        sim.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--resume-sessions", type=int, default=1_000_000)
    parser.add_argument("--rates", type=float, nargs="*", default=[0, 0.1, 1, 5])
    args = parser.parse_args()
    print(f"live paging, {args.sessions:,} sessions, pages of 1,000:")
    for rate in args.rates:
        live_paging(args.sessions, rate)
    print(f"\nresume after a kill, {args.resume_sessions:,} sessions, sub-windows of {WINDOW:,}:")
    resume(args.resume_sessions)


if __name__ == "__main__":
    main()
