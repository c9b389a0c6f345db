"""Sync throughput against the practical ceiling, peak memory, and incremental cost.

    .venv/bin/python -m bench.bench_sync --sessions 100000 --sessions 1000000

For each size and each added latency (0 and 20 ms per response), in the same run:

* **ceiling** — a minimal client that only fetches the same pages: httpx keep-alive,
  server-maximum page size, orjson parse, one Parquet file of the objects written;
* **ocpiwh** — the real `ocpiwh sync -m sessions -m cdrs` (privacy stage and typed
  parsing included) in a child process; its peak RSS comes from ``wait4``.

Each measurement gets a freshly started simulator (a first, uncached pull), run as a
separate process. Finally an incremental sync after ~1% of the sessions changed (the
platform clock moved forward) is timed against the full sync.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

TOKEN = "bench-token"
B64 = {"Authorization": "Token " + base64.b64encode(TOKEN.encode()).decode()}
START = "2026-06-01T00:00:00"


@dataclass
class Run:
    objects: int
    seconds: float
    rss_mb: float | None = None

    @property
    def rate(self) -> float:
        return self.objects / self.seconds if self.seconds else 0.0


class Simulator:
    """`ocpiwh simulate` in its own process, on a free port."""

    def __init__(self, sessions: int, latency_ms: int) -> None:
        code = (
            "import datetime as d; from ocpiwh.simulator.cli import simulate; "
            f"simulate(port=0, sessions={sessions}, locations=2000, clean=True, "
            f"token={TOKEN!r}, latency_ms={latency_ms}, max_limit=1000)"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-c", code], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if "serving" in line:
                self.versions_url = line.split()[-1]
                self.base = self.versions_url.rsplit("/ocpi/", 1)[0]
                return
        raise RuntimeError("the simulator did not start")

    def advance(self, seconds: int) -> None:
        httpx.post(f"{self.base}/admin/advance", params={"seconds": seconds}, timeout=600)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def minimal_client(sim: Simulator, out: Path) -> Run:
    """The practical ceiling: fetch, parse, write one Parquet file; nothing else."""
    n = 0
    t = time.monotonic()
    schema = pa.schema([("json", pa.string())])
    with httpx.Client(headers=B64, timeout=120) as c, pq.ParquetWriter(out, schema) as w:
        details = orjson.loads(c.get(f"{sim.base}/ocpi/2.2.1").content)["data"]
        urls = {e["identifier"]: e["url"] for e in details["endpoints"]}
        for module in ("sessions", "cdrs"):
            url: str | None = urls[module]
            params: dict[str, str] | None = {"date_from": "1970-01-01T00:00:00Z", "limit": "1000"}
            while url:
                r = c.get(url, params=params)
                params = None
                data = orjson.loads(r.content)["data"]
                n += len(data)
                w.write_table(pa.table({"json": [orjson.dumps(o).decode() for o in data]}))
                url = r.links.get("next", {}).get("url")
    return Run(n, time.monotonic() - t)


def ocpiwh(root: Path, *args: str) -> Run:
    """Run the CLI in a child process; objects fetched from its run log, RSS from wait4."""
    env = {**os.environ, "OCPIWH_TOKEN": TOKEN, "OCPIWH_CONFIG_DIR": str(root / ".config")}
    cmd = [sys.executable, "-m", "ocpiwh", "--warehouse", str(root), "-q", *args]
    t = time.monotonic()
    proc = subprocess.Popen(cmd, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - t
    if status != 0:
        raise RuntimeError(f"{' '.join(args)} failed with status {status}")
    runs = (root / "state" / "default" / "runs.jsonl").read_bytes().splitlines()
    fetched = sum(m["fetched"] for m in orjson.loads(runs[-1])["modules"]) if runs else 0
    return Run(fetched, elapsed, usage.ru_maxrss / 1024)


def login(root: Path, sim: Simulator) -> None:
    env = {**os.environ, "OCPIWH_TOKEN": TOKEN, "OCPIWH_CONFIG_DIR": str(root / ".config")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ocpiwh",
            "--warehouse",
            str(root),
            "-q",
            "login",
            sim.versions_url,
            "--version",
            "2.2.1",
        ],
        env=env,
        check=True,
    )


SYNC = ("sync", "-m", "sessions", "-m", "cdrs", "--lag", "0s", "--concurrency", "4")


def bench(sessions: int, latency_ms: int, work: Path) -> tuple[Run, Run]:
    sim = Simulator(sessions, latency_ms)
    try:
        ceiling = minimal_client(sim, work / f"minimal-{sessions}-{latency_ms}.parquet")
    finally:
        sim.close()
    sim = Simulator(sessions, latency_ms)
    root = work / f"wh-{sessions}-{latency_ms}"
    try:
        login(root, sim)
        ours = ocpiwh(root, *SYNC)
    finally:
        sim.close()
    return ceiling, ours


def bench_incremental(sessions: int, work: Path) -> tuple[Run, Run]:
    sim = Simulator(sessions, 0)
    root = work / f"wh-incr-{sessions}"
    try:
        login(root, sim)
        full = ocpiwh(root, *SYNC)
        # ~1% of the sessions: the simulator spreads its sessions over 30 days of history
        sim.advance(int(30 * 86400 * 0.01))
        incr = ocpiwh(root, *SYNC)
    finally:
        sim.close()
    return full, incr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, action="append")
    ap.add_argument("--latency", type=int, action="append", help="ms added per response")
    ap.add_argument("--no-incremental", action="store_true")
    args = ap.parse_args()
    sizes = args.sessions or [100_000]
    latencies = args.latency if args.latency is not None else [0, 20]
    print(
        f"{'sessions':>9} {'latency':>7} {'ceiling obj/s':>13} {'ocpiwh obj/s':>12} "
        f"{'ratio':>6} {'objects':>9} {'peak RSS MB':>11}"
    )
    with tempfile.TemporaryDirectory(prefix="ocpiwh-bench-") as tmp:
        work = Path(tmp)
        for n in sizes:
            for lat in latencies:
                ceiling, ours = bench(n, lat, work)
                print(
                    f"{n:>9,} {lat:>5}ms {ceiling.rate:>13,.0f} {ours.rate:>12,.0f} "
                    f"{ours.rate / ceiling.rate:>6.0%} {ours.objects:>9,} {ours.rss_mb:>11.0f}",
                    flush=True,
                )
            if not args.no_incremental:
                full, incr = bench_incremental(n, work)
                print(
                    f"{n:>9,} incremental after ~1% changed: {incr.objects:,} objects in "
                    f"{incr.seconds:.1f}s = {incr.seconds / full.seconds:.1%} of the full sync "
                    f"({full.seconds:.1f}s); peak RSS {incr.rss_mb:.0f} MB",
                    flush=True,
                )


if __name__ == "__main__":
    main()
