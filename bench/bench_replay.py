"""Sync CPU cost against a server that is not the bottleneck (the replay server).

    .venv/bin/python -m bench.bench_replay --sessions 100000 --latency 0 --latency 20
    .venv/bin/python -m bench.bench_replay --sessions 1000000 --case sessions-2.2.1 --latency 0

For each case (modules × OCPI version), size and added latency, one replay server
(``bench/replay.py``: the simulator's pages rendered once, served from memory) in its own
process, and in the same run, alternating ``--repeat`` times:

* **ceiling** — a minimal client: httpx keep-alive, pages of 1,000, 4 requests in flight,
  orjson parse, the objects written to one Parquet file;
* **ocpiwh** — the real ``ocpiwh sync`` (privacy and typing included) in a child process,
  into a fresh warehouse; peak RSS and CPU time (user + sys) from ``wait4``.

Printed: objects/s of each, their ratio, CPU-seconds per million objects of each (the
minimal client's from ``getrusage`` around it), peak RSS of the sync.

With ``--idle N``, each case then times N syncs that find nothing new (the warehouse of a
finished sync, the same server): the fixed cost of a run (start-up, the probe of each
module's window, the views refresh, exit), median and range of wall and CPU time, each
checkout in turn.

    .venv/bin/python -m bench.bench_replay --sessions 100000 --case sessions-2.2.1 --latency 0 --repeat 0 --idle 9
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

TOKEN = "bench-token"
CASES = {
    "sessions-2.2.1": (("sessions",), "2.2.1"),
    "sessions+cdrs-2.2.1": (("sessions", "cdrs"), "2.2.1"),
    "sessions-2.1.1": (("sessions",), "2.1.1"),
    "sessions+cdrs-2.1.1": (("sessions", "cdrs"), "2.1.1"),
}


@dataclass
class Run:
    objects: int
    seconds: float
    cpu: float
    rss_mb: float = 0.0

    @property
    def rate(self) -> float:
        return self.objects / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_m(self) -> float:
        return self.cpu / self.objects * 1e6 if self.objects else 0.0


class ReplayServer:
    """``python -m bench.replay`` in its own process."""

    def __init__(self, sessions: int, version: str, modules: tuple[str, ...], latency: int) -> None:
        cmd = [sys.executable, "-u", "-m", "bench.replay", "--sessions", str(sessions),
               "--version", version, "--latency-ms", str(latency), "--token", TOKEN]  # fmt: skip
        for m in modules:
            cmd += ["--module", m]
        self.version = version
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("serving "):
                self.versions_url = line.split()[-1]
                self.base = self.versions_url.rsplit("/ocpi/", 1)[0]
                return
        raise RuntimeError("the replay server did not start")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def minimal_client(server: ReplayServer, modules: tuple[str, ...], out: Path) -> Run:
    """The ceiling: fetch (4 in flight), parse, write one Parquet file; nothing else."""
    token = TOKEN if server.version == "2.1.1" else base64.b64encode(TOKEN.encode()).decode()
    schema = pa.schema([("json", pa.string())])
    lock = threading.Lock()
    n = 0
    t, cpu = time.monotonic(), _cpu()
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    with (
        httpx.Client(headers={"Authorization": f"Token {token}"}, timeout=120, limits=limits) as c,
        pq.ParquetWriter(out, schema) as w,
        ThreadPoolExecutor(4) as pool,
    ):
        details = orjson.loads(c.get(f"{server.base}/ocpi/{server.version}").content)["data"]
        urls = {e["identifier"]: e["url"] for e in details["endpoints"]}

        def page(url: str, offset: int) -> int:
            params = {"date_from": "1970-01-01T00:00:00Z", "offset": str(offset), "limit": "1000"}
            r = c.get(url, params=params)
            r.raise_for_status()
            total = int(r.headers["x-total-count"])
            data = orjson.loads(r.content)["data"]
            table = pa.table({"json": [orjson.dumps(o).decode() for o in data]})
            with lock:
                w.write_table(table)
            return total if offset == 0 else len(data)

        for module in modules:
            url = urls[module]
            total = page(url, 0)
            n += min(total, 1000)
            n += sum(
                pool.map(page, [url] * len(range(1000, total, 1000)), range(1000, total, 1000))
            )
    return Run(n, time.monotonic() - t, _cpu() - cpu)


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (the sync's privacy workers)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += tree_rss(int(child))
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def ocpiwh(root: Path, *args: str, checkout: Path | None = None) -> Run:
    """The CLI in a child process: objects from its run log, CPU from wait4 (the process
    and the worker processes it waited for), peak RSS of the whole process tree (sampled
    every 20 ms: the sum over processes, which wait4's per-process maximum is not)."""
    env = {**os.environ, "OCPIWH_TOKEN": TOKEN, "OCPIWH_CONFIG_DIR": str(root / ".config")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed ocpiwh starts from bytecode
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout)
    cmd = [sys.executable, "-m", "ocpiwh", "--warehouse", str(root), "-q", *args]
    t = time.monotonic()
    proc = subprocess.Popen(cmd, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    elapsed = time.monotonic() - t
    if status != 0:
        raise RuntimeError(f"{' '.join(args)} failed with status {status}")
    log = root / "state" / "default" / "runs.jsonl"
    runs = log.read_bytes().splitlines() if log.exists() else []
    fetched = sum(m["fetched"] for m in orjson.loads(runs[-1])["modules"]) if runs else 0
    rss = max(peak, usage.ru_maxrss * 1024) / 2**20
    return Run(fetched, elapsed, usage.ru_utime + usage.ru_stime, rss)


def sync_args(modules: tuple[str, ...]) -> list[str]:
    args = ["sync", "--lag", "0s", "--concurrency", "4"]
    for m in modules:
        args += ["-m", m]
    return args


def sync(
    server: ReplayServer, modules: tuple[str, ...], root: Path, checkout: Path | None = None
) -> Run:
    shutil.rmtree(root, ignore_errors=True)
    ocpiwh(root, "login", server.versions_url, "--version", server.version, checkout=checkout)
    return ocpiwh(root, *sync_args(modules), checkout=checkout)


def idle_syncs(
    server: ReplayServer,
    modules: tuple[str, ...],
    work: Path,
    runs: int,
    checkouts: list[tuple[str, Path | None]],
) -> dict[str, list[Run]]:
    """``runs`` syncs with nothing new per checkout, in turn, each on its own warehouse
    (synced once first)."""
    roots = {tag: work / f"idle{i}" for i, (tag, _) in enumerate(checkouts)}
    for tag, checkout in checkouts:
        sync(server, modules, roots[tag], checkout)
    times: dict[str, list[Run]] = {tag: [] for tag, _ in checkouts}
    for _ in range(runs):
        for tag, checkout in checkouts:
            times[tag].append(ocpiwh(roots[tag], *sync_args(modules), checkout=checkout))
    return times


def _spread(values: list[float]) -> str:
    values = sorted(values)
    return f"{values[len(values) // 2]:.3f} ({values[0]:.3f}–{values[-1]:.3f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, action="append")
    ap.add_argument("--latency", type=int, action="append", help="ms added per response")
    ap.add_argument("--case", action="append", choices=sorted(CASES))
    ap.add_argument("--repeat", type=int, default=1, help="alternating ceiling/ocpiwh pairs")
    ap.add_argument(
        "--compare", type=Path, help="another checkout whose sync runs too, after ours, each round"
    )
    ap.add_argument("--idle", type=int, default=0, help="then N syncs with nothing new (each)")
    args = ap.parse_args()
    sizes = args.sessions or [100_000]
    latencies = args.latency if args.latency is not None else [0, 20]
    cases = args.case or list(CASES)
    print(
        f"{'case':<20} {'sessions':>9} {'lat':>4} {'ceiling/s':>9} {'ocpiwh/s':>9} {'ratio':>6} "
        f"{'cpu-s/M ceil':>12} {'cpu-s/M ocpiwh':>14} {'objects':>9} {'RSS MB':>6}"
    )
    with tempfile.TemporaryDirectory(prefix="ocpiwh-bench-") as tmp:
        work = Path(tmp)
        for n in sizes:
            for case in cases:
                modules, version = CASES[case]
                for lat in latencies:
                    server = ReplayServer(n, version, modules, lat)
                    try:
                        for _ in range(args.repeat):
                            ceiling = minimal_client(server, modules, work / "minimal.parquet")
                            runs = [("", sync(server, modules, work / "wh"))]
                            if args.compare:
                                other = sync(server, modules, work / "wh", args.compare)
                                runs.append((f" [{args.compare.name}]", other))
                            for tag, ours in runs:
                                print(
                                    f"{case + tag:<20} {n:>9,} {lat:>4} {ceiling.rate:>9,.0f} "
                                    f"{ours.rate:>9,.0f} {ours.rate / ceiling.rate:>6.0%} "
                                    f"{ceiling.cpu_per_m:>12.1f} {ours.cpu_per_m:>14.1f} "
                                    f"{ours.objects:>9,} {ours.rss_mb:>6.0f}",
                                    flush=True,
                                )
                        if args.idle:
                            checkouts: list[tuple[str, Path | None]] = [("this", None)]
                            if args.compare:
                                checkouts.append((args.compare.name, args.compare))
                            idle = idle_syncs(server, modules, work, args.idle, checkouts)
                            for tag, idle_runs in idle.items():
                                print(
                                    f"{case} {n:,} {lat} ms, nothing new [{tag}]: wall "
                                    f"{_spread([r.seconds for r in idle_runs])} s, CPU "
                                    f"{_spread([r.cpu for r in idle_runs])} s",
                                    flush=True,
                                )
                    finally:
                        server.close()


if __name__ == "__main__":
    main()
