"""Raw throughput of the bundled OCPI simulator, served from a separate process.

    .venv/bin/python -m bench.bench_simulator --sessions 100000 --sessions 1000000

For each size: start ``ocpiwh simulate --clean`` in a child process, then pull every
session (OCPI 2.2.1, page size 1000) with plain httpx clients (keep-alive, orjson parse):
twice following ``Link`` sequentially (first pull: nothing rendered yet; second pull: from
the page cache where it fits), then with concurrent clients fetching offsets. Reports the
server's start time and peak RSS (``VmHWM``).
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson

TOKEN = "bench-token"
HEADERS = {"Authorization": "Token " + base64.b64encode(TOKEN.encode()).decode()}


def start_server(sessions: int) -> tuple[subprocess.Popen[str], str, float]:
    code = (
        "from ocpiwh.simulator.cli import simulate; "
        f"simulate(port=0, sessions={sessions}, locations=500, clean=True, token={TOKEN!r})"
    )
    t = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-u", "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "serving" in line:
            return proc, line.split()[-1], time.monotonic() - t
    raise RuntimeError("simulator did not start")


def sequential(url: str) -> tuple[int, int, float]:
    n = nbytes = 0
    t = time.monotonic()
    with httpx.Client(headers=HEADERS, timeout=60) as c:
        next_url: str | None = url
        params: dict[str, Any] | None = {"date_from": "2000-01-01T00:00:00Z", "limit": 1000}
        while next_url:
            r = c.get(next_url, params=params)
            params = None
            n += len(orjson.loads(r.content)["data"])
            nbytes += len(r.content)
            next_url = r.links.get("next", {}).get("url")
    return n, nbytes, time.monotonic() - t


def concurrent(url: str, workers: int) -> tuple[int, int, float]:
    t = time.monotonic()
    first = httpx.get(
        url, headers=HEADERS, params={"date_from": "2000-01-01T00:00:00Z", "limit": 1}
    )
    total = int(first.headers["X-Total-Count"])
    offsets = list(range(0, total, 1000))
    clients = [httpx.Client(headers=HEADERS, timeout=60) for _ in range(workers)]

    def fetch(k: int) -> tuple[int, int]:
        c = clients[k % workers]
        r = c.get(
            url, params={"date_from": "2000-01-01T00:00:00Z", "offset": offsets[k], "limit": 1000}
        )
        return len(orjson.loads(r.content)["data"]), len(r.content)

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(fetch, range(len(offsets))))
    for c in clients:
        c.close()
    return sum(r[0] for r in results), sum(r[1] for r in results), time.monotonic() - t


def peak_rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sessions", type=int, action="append", help="world size (repeatable)")
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    sizes = args.sessions or [100_000, 1_000_000]
    print(
        f"{'sessions':>10} {'mode':>14} {'objects':>9} {'s':>7} {'obj/s':>9} {'MB/s':>7}"
        "  startup  peak RSS"
    )
    for size in sizes:
        proc, versions_url, startup = start_server(size)
        try:
            base = versions_url.rsplit("/ocpi/", 1)[0]
            url = base + "/ocpi/2.2.1/cpo/sessions"
            runs = [("first pull", sequential(url)), ("second pull", sequential(url)),
                    (f"concurrent x{args.workers}", concurrent(url, args.workers))]  # fmt: skip
            rss = peak_rss_mib(proc.pid)
            for mode, (n, nbytes, secs) in runs:
                print(f"{size:>10} {mode:>14} {n:>9} {secs:>7.2f} {n / secs:>9.0f} "
                      f"{nbytes / secs / 1e6:>7.1f}  {startup:>6.1f}s {rss:>6.0f} MiB")  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
