"""Throughput of the privacy filter on typical 2.2.1 sessions (not a unit test; CPU time).

.venv/bin/python -m tests.privacy.perf_privacy [N]
"""

from __future__ import annotations

import random
import sys
import time
from typing import Any

import orjson

from ocpiwh.privacy import PrivacyProfile, compile_filter


def session(i: int, rng: random.Random) -> dict[str, Any]:
    driver = rng.randrange(20_000)  # 20k distinct drivers: realistic pseudonym-cache misses
    periods = [
        {
            "start_date_time": f"2024-03-09T1{p}:17:09Z",
            "dimensions": [
                {"type": "ENERGY", "volume": rng.random() * 10},
                {"type": "MAX_POWER", "volume": 22.0},
                {"type": "STATE_OF_CHARGE", "volume": rng.randrange(100)},
            ],
            "tariff_id": "T12",
        }
        for p in range(rng.randrange(1, 5))
    ]
    return {
        "country_code": "FR",
        "party_id": "ABC",
        "id": f"S{i}",
        "start_date_time": "2024-03-09T10:17:09Z",
        "end_date_time": "2024-03-09T11:17:09Z",
        "kwh": round(rng.random() * 50, 3),
        "cdr_token": {
            "country_code": "FR",
            "party_id": "MSP",
            "uid": f"04A2{driver:010X}",
            "type": "RFID",
            "contract_id": f"FR-MSP-C{driver:08d}-X",
        },
        "auth_method": "WHITELIST",
        "authorization_reference": f"AR{i}",
        "location_id": f"LOC{rng.randrange(500)}",
        "evse_uid": "E1",
        "connector_id": "1",
        "meter_id": "M-42",
        "currency": "EUR",
        "charging_periods": periods,
        "total_cost": {"excl_vat": 8.5, "incl_vat": 10.2},
        "status": "COMPLETED",
        "last_updated": "2024-03-09T11:17:09Z",
    }


def main(n: int = 200_000) -> None:
    rng = random.Random(1)
    objs = [orjson.loads(orjson.dumps(session(i, rng))) for i in range(n)]
    f = compile_filter("sessions", "2.2.1", PrivacyProfile(), bytes(32))
    t0 = time.process_time()
    for o in objs:
        f(o)
    dt = time.process_time() - t0
    t1 = time.process_time()
    for o in objs:
        orjson.dumps(f(o))
    dt2 = time.process_time() - t1
    print(f"filter only:        {n / dt:>10,.0f} sessions/s ({dt / n * 1e6:.2f} µs each)")
    print(f"filter + dumps:     {n / dt2:>10,.0f} sessions/s")
    print(f"stats: {f.stats.as_dict()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
