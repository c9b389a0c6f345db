"""Time the push path to the QualiCharge stand-in: sessions through the ledger and HTTP
(chunking, gzip, in-flight record, answer record), without the export (bench_irve times it).

    .venv/bin/python bench/bench_push.py /tmp/pushbench --sessions 20000 --bulk-size 10
    .venv/bin/python bench/bench_push.py /tmp/pushbench --sessions 1000000 --bulk-size 1000

The stand-in runs in the same process (one more thread on the same cores): the figures are a
floor for the client side, not the real API's throughput.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from ocpiwh.push import Credentials, Ledger, QualiChargeClient
from ocpiwh.push.engine import KINDS, Pusher, Row, content_hash, plan
from ocpiwh.push.standin import StandIn, serve_standin


def sessions(n: int, points: list[str]) -> list[Row]:
    start = datetime.now(UTC) - timedelta(days=200)
    rows = []
    for i in range(n):
        s = start + timedelta(seconds=11 * i)
        body = {
            "id_pdc_itinerance": points[i % len(points)],
            "start": s.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": (s + timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "energy": round(5 + (i % 500) / 10, 3),
        }
        key = f"{body['id_pdc_itinerance']}|{body['start']}"
        rows.append(Row(key, content_hash(body), orjson.dumps(body)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--sessions", type=int, default=20_000)
    ap.add_argument("--bulk-size", type=int, default=10)
    args = ap.parse_args()
    shutil.rmtree(args.folder, ignore_errors=True)
    points = [f"FRABCE{i:07d}" for i in range(200)]
    si = StandIn({"bench": "bench-pw"}, bulk_max_size=args.bulk_size)
    si.statique.update({p: {"id_pdc_itinerance": p} for p in points})
    rows = sessions(args.sessions, points)
    with serve_standin(si):
        client = QualiChargeClient(Credentials(si.url, "bench", "bench-pw"))
        ledger = Ledger(args.folder)
        pusher = Pusher(ledger, client, KINDS["sessions"], args.bulk_size)
        t0 = time.perf_counter()
        create, update, _ = plan(rows, ledger, "sessions")
        pusher.send(create, update)
        took = time.perf_counter() - t0
        t1 = time.perf_counter()
        again, _, unchanged = plan(rows, ledger, "sessions")
        replan = time.perf_counter() - t1
        ledger.close()
        client.close()
    assert len(si.sessions) == args.sessions and not again and unchanged == args.sessions
    print(
        f"push sessions: {args.sessions:,} rows, bulk {args.bulk_size}, "
        f"{pusher.report.requests:,} requests in {took:.1f}s = {args.sessions / took:,.0f} rows/s, "
        f"{pusher.report.requests / took:,.0f} requests/s; rerun plan (nothing to send) {replan:.2f}s"
    )


if __name__ == "__main__":
    main()
