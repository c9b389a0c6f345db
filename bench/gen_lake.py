"""Generate a benchmark lake: N sessions (default 10,000,000) straight into Parquet.

Real layout and columns: ``raw/sessions/source=bench/year=YYYY/month=MM/part-<batch>.parquet``
with every column of ``sql/normalize/sessions.sql`` plus lineage, built with DuckDB ``range()``
(no Python per row). Locations (2,000, 20 operators, 4 EVSEs each) go through the real lake
writer. 3 % of sessions also have an earlier ACTIVE version (so the views' dedupe has work).
``_raw`` is a short JSON stub (the real one would be ~1 kB per row).

    .venv/bin/python bench/gen_lake.py /tmp/benchlake --sessions 10000000
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ocpiwh import warehouse
from ocpiwh.lake import BatchRecord, ModuleState, StateStore, write_batch

MONTHS = [(y, m) for y in (2023, 2024) for m in range(1, 13)]
LOCATIONS = 2000
OPERATORS = 20


def locations() -> list[dict[str, object]]:
    out = []
    for i in range(LOCATIONS):
        evses = []
        for e in range(4):
            dc = e == 3
            evses.append(
                {
                    "uid": f"E{e}",
                    "evse_id": f"FR*BEN*E{i}{e}",
                    "status": "AVAILABLE",
                    "connectors": [
                        {
                            "id": "1",
                            "standard": "IEC_62196_T2_COMBO" if dc else "IEC_62196_T2",
                            "format": "CABLE" if dc else "SOCKET",
                            "power_type": "DC" if dc else "AC_3_PHASE",
                            "max_voltage": 500 if dc else 230,
                            "max_amperage": 300 if dc else 32,
                            "max_electric_power": 150000 if dc else 22000,
                            "tariff_ids": ["T1"],
                            "last_updated": "2023-01-01T00:00:00Z",
                        }
                    ],
                    "last_updated": "2023-01-01T00:00:00Z",
                }
            )
        out.append(
            {
                "country_code": "FR",
                "party_id": "BEN",
                "id": f"L{i:05d}",
                "publish": True,
                "name": f"Site {i}",
                "address": "x",
                "city": "Paris",
                "country": "FRA",
                "coordinates": {"latitude": "48.85", "longitude": "2.35"},
                "operator": {"name": f"Operator {i % OPERATORS:02d}"},
                "evses": evses,
                "time_zone": "Europe/Paris",
                "last_updated": "2023-01-01T00:00:00Z",
            }
        )
    return out


def session_select(lo: int, hi: int, year: int, month: int, batch: str, version_shift: bool) -> str:
    """One month of sessions; ``version_shift`` writes the earlier ACTIVE versions instead."""
    cols = [c for c, _ in warehouse.raw_columns("sessions")]
    start = f"TIMESTAMPTZ '{year:04d}-{month:02d}-01 00:00:00+00'"
    n_seconds = f"epoch({start} + INTERVAL 1 MONTH) - epoch({start})"
    expr = {
        "country_code": "'FR'",
        "party_id": "'BEN'",
        "id": "'S' || i",
        "start_date_time": f"{start} + to_seconds((hash(i) % ({n_seconds}))::BIGINT)",
        "end_date_time": "NULL"
        if version_shift
        else f"{start} + to_seconds((hash(i) % ({n_seconds}))::BIGINT) "
        "+ to_seconds((1200 + hash(i * 3) % 34800)::BIGINT)",
        "kwh": "1.5" if version_shift else "round(2 + (hash(i * 7) % 6000) / 100.0, 3)",
        "cdr_token_uid": "'U' || (hash(i * 11) % 200000)",
        "cdr_token_type": "'RFID'",
        "cdr_token_contract_id": "'FR-BEN-C' || (hash(i * 11) % 200000)",
        "cdr_token_country_code": "'FR'",
        "cdr_token_party_id": "'EMS'",
        "auth_method": "'WHITELIST'",
        "authorization_reference": "NULL",
        "location_id": f"printf('L%05d', hash(i * 13) % {LOCATIONS})",
        "evse_uid": "'E' || (hash(i * 17) % 4)",
        "connector_id": "'1'",
        "meter_id": "NULL",
        "currency": "'EUR'",
        "total_cost_excl_vat": "round((hash(i * 7) % 6000) / 400.0, 2)",
        "total_cost_incl_vat": "round((hash(i * 7) % 6000) / 400.0 * 1.2, 2)",
        "status": "'ACTIVE'"
        if version_shift
        else "CASE WHEN hash(i * 19) % 100 = 0 THEN 'INVALID' ELSE 'COMPLETED' END",
        "last_updated": f"{start} + to_seconds((hash(i) % ({n_seconds}))::BIGINT) + INTERVAL "
        + ("5 MINUTE" if version_shift else "12 HOUR"),
        "_source": "'bench'",
        "_batch_id": f"'{batch}'",
        "_fetched_at": "TIMESTAMPTZ '2025-01-01 00:00:00+00'",
        "_ocpi_version": "'2.2.1'",
        "_privacy": "'bench'",
        "_raw": "'{\"id\":\"S' || i || '\"}'",
    }
    typed = dict(warehouse.raw_columns("sessions"))
    select = ", ".join(f"CAST({expr[c]} AS {typed[c]}) AS {c}" for c in cols)
    where = " WHERE hash(i * 23) % 100 < 3" if version_shift else ""
    return f"SELECT {select} FROM range({lo}, {hi}) AS r(i){where}"


def generate(root: Path, sessions: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    write_batch(
        root,
        source="bench",
        module="locations",
        version="2.2.1",
        objects=locations(),
        fetched_at=datetime(2023, 1, 1, tzinfo=UTC),
    )
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    per_month = sessions // len(MONTHS)
    records: list[BatchRecord] = []
    for k, (year, month) in enumerate(MONTHS):
        lo = k * per_month
        hi = sessions if k == len(MONTHS) - 1 else lo + per_month
        folder = (
            root / "raw" / "sessions" / "source=bench" / f"year={year:04d}" / f"month={month:02d}"
        )
        folder.mkdir(parents=True, exist_ok=True)
        for shift, batch in (
            (True, "20250101T000000000000-0000-000000"),
            (False, "20250101T000000000001-0001-000000"),
        ):
            sql = session_select(lo, hi, year, month, batch, shift)
            path = folder / f"part-{batch}.parquet"
            rows = con.execute(
                f"COPY ({sql}) TO '{path}' (FORMAT parquet, COMPRESSION zstd, "
                "ROW_GROUP_SIZE 256000)"
            ).fetchall()[0][0]
            records.append(
                BatchRecord(
                    batch_id=batch,
                    module="sessions",
                    version="2.2.1",
                    rows=int(rows),
                    quarantined=0,
                    bytes=path.stat().st_size,
                    privacy="bench",
                    window_from=None,
                    window_to=None,
                    files=[str(path.relative_to(root))],
                )
            )
    con.close()
    # the lake reads the files its manifests list (ocpiwh.lake.manifest): commit them
    StateStore(root, "bench").commit("sessions", ModuleState(), records)
    print(f"{sessions:,} sessions in {root} ({time.perf_counter() - t0:.1f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path)
    ap.add_argument("--sessions", type=int, default=10_000_000)
    args = ap.parse_args()
    generate(args.root, args.sessions)


if __name__ == "__main__":
    main()
