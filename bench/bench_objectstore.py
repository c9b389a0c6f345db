"""Sync throughput into an S3-compatible object store against the same sync to local disk.

    .venv/bin/python -m bench.bench_objectstore --sessions 100000

In the same run, for each size: the real ``ocpiwh sync -m sessions -m cdrs`` (child process,
peak RSS from ``wait4``) into a local folder, then into ``s3://…`` on a moto S3 server
started on loopback (a separate process). Each sync gets a freshly started simulator. moto
is a Python server sharing the machine's 2 cores with the simulator and the client, so the
object-store figure is a floor: a real S3 or MinIO costs the client machine less.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from bench.bench_sync import SYNC, TOKEN, Run, Simulator


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class S3Server:
    """moto in server mode, in its own process."""

    def __init__(self) -> None:
        port = _free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        self.env = {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench-secret",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def bucket(self) -> str:
        from pyarrow import fs as pafs

        name = f"bench-{secrets.token_hex(4)}"
        pafs.S3FileSystem(
            endpoint_override=self.endpoint,
            scheme="http",
            region="us-east-1",
            access_key="bench",
            secret_key="bench-secret",
            allow_bucket_creation=True,
        ).create_dir(name)
        return name

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def _cli(warehouse: str, config: Path, env: dict[str, str], *args: str) -> Run:
    full = {**os.environ, **env, "OCPIWH_TOKEN": TOKEN, "OCPIWH_CONFIG_DIR": str(config)}
    cmd = [sys.executable, "-m", "ocpiwh", "--warehouse", warehouse, "-q", *args]
    t = time.monotonic()
    proc = subprocess.Popen(cmd, env=full)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - t
    if status != 0:
        raise RuntimeError(f"{' '.join(args)} failed with status {status}")
    return Run(0, elapsed, usage.ru_maxrss / 1024)


def _fetched(warehouse: str, env: dict[str, str]) -> int:
    os.environ.update(env)
    from ocpiwh.lake import open_store

    runs = (open_store(warehouse).read("state/default/runs.jsonl") or b"").splitlines()
    return sum(m["fetched"] for m in orjson.loads(runs[-1])["modules"]) if runs else 0


def sync_into(warehouse: str, env: dict[str, str], sessions: int, work: Path) -> Run:
    sim = Simulator(sessions, 0)
    config = work / f"config-{secrets.token_hex(3)}"
    try:
        _cli(warehouse, config, env, "login", sim.versions_url, "--version", "2.2.1")
        run = _cli(warehouse, config, env, *SYNC)
    finally:
        sim.close()
    run.objects = _fetched(warehouse, env)
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, action="append")
    args = ap.parse_args()
    print(
        f"{'sessions':>9} {'target':>12} {'objects':>9} {'seconds':>8} {'obj/s':>8} "
        f"{'vs local':>8} {'peak RSS MB':>11}"
    )
    with tempfile.TemporaryDirectory(prefix="ocpiwh-bench-") as tmp:
        work = Path(tmp)
        server = S3Server()
        try:
            for n in args.sessions or [100_000]:
                local = sync_into(str(work / f"wh-{n}"), {}, n, work)
                remote = sync_into(f"s3://{server.bucket()}/lake", server.env, n, work)
                for name, run in (("local disk", local), ("object store", remote)):
                    print(
                        f"{n:>9,} {name:>12} {run.objects:>9,} {run.seconds:>8.1f} "
                        f"{run.rate:>8,.0f} {run.rate / local.rate:>8.0%} {run.rss_mb:>11.0f}",
                        flush=True,
                    )
        finally:
            server.close()


if __name__ == "__main__":
    main()
