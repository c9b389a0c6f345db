"""What ``ocpiwh status`` reports, as data: sources, windows, row counts, last run.

Never includes a secret: tokens are reported only as where they come from.
"""

from __future__ import annotations

import os
from typing import Any

import duckdb

from ocpiwh.config import Config, format_party
from ocpiwh.lake import Location, ModuleState, StateStore, Store, manifests, parquet_source
from ocpiwh.paths import MODULES

States = dict[tuple[str, str], ModuleState]


def _aggregate(
    con: duckdb.DuckDBPyConnection, store: Store, states: States, prefix: str, select: str
) -> tuple[int, ...] | None:
    source = parquet_source(store, prefix, states=states)
    if source is None:
        return None
    row = con.execute(
        f"SELECT {select} FROM read_parquet({source}, union_by_name = true)"
    ).fetchall()[0]
    return tuple(int(v) for v in row)


def _counts(
    con: duckdb.DuckDBPyConnection, store: Store, states: States, module: str, source: str
) -> tuple[int, int]:
    row = _aggregate(
        con,
        store,
        states,
        f"raw/{module}/source={source}/",
        "count(*), count(DISTINCT (country_code, party_id, id))",
    )
    return (row[0], row[1]) if row else (0, 0)


def _quarantined(
    con: duckdb.DuckDBPyConnection, store: Store, states: States, module: str, source: str
) -> int:
    row = _aggregate(con, store, states, f"quarantine/{module}/source={source}/", "count(*)")
    return row[0] if row else 0


def warehouse_status(root: Location | Store) -> dict[str, Any]:
    config = Config.load(root)
    root = config.store
    key_file = config.pseudonym_key_file
    info: dict[str, Any] = {
        "warehouse": str(root),
        "warehouse_id": config.warehouse_id,
        "privacy": "default"
        + (f" + pass {', '.join(config.privacy_passes)}" if config.privacy_passes else ""),
        "pseudonym_key": str(key_file) if key_file.exists() else "not created yet",
        "sources": [],
    }
    states = manifests(root)  # read once: every count below reads the same commit
    con = duckdb.connect()  # one for every count: a connection costs ~30 ms to open
    try:
        root.register(con)
        _sources(info, config, root, states, con)
    finally:
        con.close()
    return info


def _sources(
    info: dict[str, Any],
    config: Config,
    root: Store,
    states: States,
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Append each configured source, its modules' windows and counts, to ``info``."""
    for name, src in sorted(config.sources.items()):
        store = StateStore(root, name)
        batches = store.batches()
        runs = store.runs()
        token = (
            "from OCPIWH_TOKEN"
            if os.environ.get("OCPIWH_TOKEN")
            else "stored (0600)"
            if config.has_stored_token(name)
            else "missing"
        )
        modules = []
        for module in MODULES:
            endpoint = src.sender_url(module)
            st = store.load(module)
            rows, keys = _counts(con, root, states, module, name)
            modules.append(
                {
                    "module": module,
                    "endpoint": endpoint,
                    "window_end": st.window_end.isoformat() if st.window_end else None,
                    "last_full": st.last_full.isoformat() if st.last_full else None,
                    "backfill": st.backfill,
                    "interrupted": st.interrupted,
                    "rows": rows,
                    "keys": keys,
                    "quarantined": _quarantined(con, root, states, module, name),
                    "privacy": sorted({b["privacy"] for b in batches if b.get("module") == module}),
                }
            )
        info["sources"].append(
            {
                "name": name,
                "url": src.url,
                "version": src.version,
                "platform_party": format_party(src.platform_party),
                "party": format_party(src.party),
                "token": token,
                "modules": modules,
                "last_run": runs[-1] if runs else None,
            }
        )


__all__ = ["warehouse_status"]
