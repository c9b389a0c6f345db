"""Time `ocpiwh models run energy_by_operator` against the same query in plain DuckDB.

Both run as subprocesses over the same files (command start included): ocpiwh through its
CLI (views: latest version per key + tombstones, bound parameters), plain DuckDB as a
`python -c` with the query hand-written over read_parquet (latest version per key, same
semantics minus tombstones: the benchmark lake has none). Best of --repeat runs.

    .venv/bin/python bench/gen_lake.py /tmp/benchlake              # 10,000,000 sessions
    .venv/bin/python bench/bench_models.py /tmp/benchlake --repeat 3
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

WINDOWS = {
    "month": ("2024-03-01", "2024-04-01", "day"),
    "year": ("2024-01-01", "2025-01-01", "month"),
}

PLAIN = """
import duckdb, sys
con = duckdb.connect()
con.execute("SET TimeZone='UTC'")
con.execute("SET enable_progress_bar = false")
con.execute("SET file_search_path=$p", {{"p": sys.argv[1]}})
rows = con.sql('''
WITH s AS (
    SELECT * FROM read_parquet('raw/sessions/**/*.parquet', union_by_name = true, hive_partitioning = true)
    QUALIFY row_number() OVER (PARTITION BY country_code, party_id, id
                               ORDER BY last_updated DESC, _batch_id DESC) = 1
), l AS (
    SELECT * FROM read_parquet('raw/locations/**/*.parquet', union_by_name = true, hive_partitioning = true)
    QUALIFY row_number() OVER (PARTITION BY country_code, party_id, id
                               ORDER BY last_updated DESC, _batch_id DESC) = 1
)
SELECT date_trunc('{grain}', s.start_date_time) AS period_start,
       COALESCE(l.operator_name, '(unknown)') AS operator_name, s.country_code, s.party_id,
       count(*) AS sessions, COALESCE(sum(s.kwh), 0) AS kwh
FROM s LEFT JOIN l ON l.country_code = s.country_code AND l.party_id = s.party_id AND l.id = s.location_id
WHERE s.start_date_time >= TIMESTAMPTZ '{start}' AND s.start_date_time < TIMESTAMPTZ '{end}'
  AND s.status IS DISTINCT FROM 'INVALID'
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4''').fetchall()
print(len(rows))
"""


def timed(cmd: list[str], repeat: int) -> tuple[float, str]:
    best, output = float("inf"), ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        best = min(best, time.perf_counter() - t0)
        output = proc.stdout
    return best, output


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ocpiwh = str(Path(sys.executable).parent / "ocpiwh")
    print("| window | ocpiwh models run (s) | plain DuckDB (s) | ratio |")
    print("|---|---|---|---|")
    for label, (start, end, grain) in WINDOWS.items():
        ours, out_ours = timed(
            [
                ocpiwh,
                "--warehouse",
                str(args.root),
                "models",
                "run",
                "energy_by_operator",
                "--param",
                f"from={start}",
                "--param",
                f"to={end}",
                "--param",
                f"grain={grain}",
                "--format",
                "csv",
            ],
            args.repeat,
        )
        plain, out_plain = timed(
            [sys.executable, "-c", PLAIN.format(start=start, end=end, grain=grain), str(args.root)],
            args.repeat,
        )
        n_ours = len(out_ours.strip().splitlines()) - 1
        assert n_ours == int(out_plain.strip()), (n_ours, out_plain)
        print(
            f"| {label} ({start} → {end}, per {grain}, {n_ours} rows) | {ours:.2f} | "
            f"{plain:.2f} | {ours / plain:.2f}× |"
        )


if __name__ == "__main__":
    main()
