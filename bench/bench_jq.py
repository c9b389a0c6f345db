"""The average session duration, as the ocpi-tool README computes it, against ocpiwh.

    .venv/bin/python bench/bench_jq.py /tmp/benchlake --sessions 1000000

ocpi-tool streams sessions as concatenated JSON objects (`ocpi get sessions > s.json`) and
its README averages durations with `jq -s`. Here the same sessions (taken from a lake made
by bench/gen_lake.py, 2.2.1 shape) are written once as such a stream, then timed:
`jq -s '…' s.json` vs `ocpiwh sql "SELECT avg(…) FROM sessions"` on the lake.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

JQ = (
    "[.[] | select(.end_date_time != null) | "
    '((.end_date_time | sub("\\\\.[0-9]+"; "") | fromdateiso8601) - '
    '(.start_date_time | sub("\\\\.[0-9]+"; "") | fromdateiso8601))] | add / length'
)
SQL = (
    "SELECT avg(epoch(end_date_time) - epoch(start_date_time)) FROM sessions "
    "WHERE end_date_time IS NOT NULL"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="a lake made by bench/gen_lake.py")
    ap.add_argument("--sessions", type=int, default=1_000_000)
    args = ap.parse_args()
    if not shutil.which("jq"):
        sys.exit("jq is not installed (apt-get install jq)")
    with tempfile.TemporaryDirectory() as tmp:
        stream = Path(tmp) / "sessions.json"
        duckdb.sql(
            f"""COPY (SELECT id, country_code, party_id,
                        strftime(start_date_time, '%Y-%m-%dT%H:%M:%SZ') AS start_date_time,
                        strftime(end_date_time, '%Y-%m-%dT%H:%M:%SZ') AS end_date_time, kwh
                      FROM read_parquet('{args.root}/raw/sessions/**/*.parquet')
                      LIMIT {args.sessions})
                TO '{stream}' (FORMAT json)"""
        )
        t = time.perf_counter()
        jq = subprocess.run(
            ["jq", "-s", JQ, str(stream)], capture_output=True, text=True, check=True
        )
        t_jq = time.perf_counter() - t
        # ocpiwh over a lake of the same sessions: the first N of the bench lake
        lake = Path(tmp) / "lake"
        (lake / "raw" / "sessions" / "source=bench").mkdir(parents=True)
        duckdb.sql(
            f"""COPY (SELECT * FROM read_parquet('{args.root}/raw/sessions/**/*.parquet')
                      LIMIT {args.sessions})
                TO '{lake}/raw/sessions/source=bench/part-0.parquet' (FORMAT parquet)"""
        )
        (lake / "ocpiwh.toml").write_text('warehouse_id = "bench"\n')
        t = time.perf_counter()
        ours = subprocess.run(
            [
                sys.executable,
                "-m",
                "ocpiwh",
                "--warehouse",
                str(lake),
                "sql",
                SQL,
                "--format",
                "csv",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        t_ours = time.perf_counter() - t
    a = float(jq.stdout.strip())
    b = float(ours.stdout.strip().splitlines()[-1])
    print(
        f"{args.sessions:,} sessions: jq -s {t_jq:.2f} s, ocpiwh sql {t_ours:.2f} s "
        f"(command start included): {t_jq / t_ours:.0f}x; averages {a:.1f} s vs {b:.1f} s"
    )


if __name__ == "__main__":
    main()
