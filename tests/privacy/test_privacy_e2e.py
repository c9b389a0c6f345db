"""Privacy end to end: a real sync from the simulator over HTTP, then the whole warehouse
folder is searched — every file's bytes, and every Parquet value decoded (zstd would hide a
clear-text leak from a byte search) — for the personal values the simulator generated."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from ocpiwh import warehouse
from ocpiwh.login import login
from ocpiwh.ocpi import RetryPolicy
from ocpiwh.simulator import SimConfig, serve_in_thread
from ocpiwh.sync.engine import SyncOptions, sync

TOKEN = "privacy-e2e-token"
FAST = RetryPolicy(max_attempts=5, base_delay=0.001, max_delay=0.01)
PERSONAL = (
    "uid",
    "contract_id",
    "auth_id",
    "visual_number",
    "authorization_reference",
    "meter_id",
    "invoice_reference_id",
    "group_id",
)


def personal_values(obj: Any) -> Iterator[str]:
    """Every value under a personal field name, at any depth (cdr_token.uid, auth_id …)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("location", "cdr_location", "evses"):
                continue  # EVSE uids are public technical ids, not people
            if k in PERSONAL and isinstance(v, str) and len(v) >= 6:
                yield v
            elif k == "energy_contract" and isinstance(v, dict) and v.get("contract_id"):
                yield str(v["contract_id"])
            else:
                yield from personal_values(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from personal_values(v)


def decoded_text(root: Path) -> Iterator[tuple[Path, bytes]]:
    """Every file's raw bytes, plus each Parquet file's decoded values as text."""
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        yield path, path.read_bytes()
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            yield path, repr(table.to_pylist()).encode()


@pytest.fixture
def sim() -> Iterator[Any]:
    cfg = SimConfig(
        seed=11,
        sessions=800,
        locations=15,
        token=TOKEN,
        clean=False,
        start=datetime(2026, 4, 1, tzinfo=UTC),
    )
    with serve_in_thread(cfg) as s:
        yield s


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OCPIWH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("OCPIWH_TOKEN", raising=False)
    return tmp_path / "config"


@pytest.mark.parametrize("version", ["2.1.1", "2.2.1", "2.3.0"])
def test_no_personal_value_reaches_disk_or_output(tmp_path: Path, sim: Any, version: str) -> None:
    root = tmp_path / "data"
    login(root, sim.versions_url, TOKEN, version=version, retry=FAST)
    env = {**os.environ, "OCPIWH_TOKEN": TOKEN}
    run = subprocess.run(
        [sys.executable, "-m", "ocpiwh", "--warehouse", str(root), "-v", "sync", "--lag", "0s"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    secrets = set()
    for module in ("tokens", "sessions", "cdrs"):
        secrets.update(personal_values(sim.truth(module, version)))
    assert len(secrets) > 100  # the simulator really generated personal data
    output = (run.stdout + run.stderr).encode()
    leaks = []
    for path, blob in decoded_text(root):
        leaks.extend((path.name, s) for s in secrets if s.encode() in blob)
    leaks.extend(("output", s) for s in secrets if s.encode() in output)
    assert not leaks, leaks[:5]
    # … and the data is still there, pseudonymized
    con = warehouse.connect(root)
    try:
        n = con.execute(
            "SELECT count(*) FROM sessions WHERE cdr_token_contract_id LIKE 'ps_%'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert n > 0


def _pseudonyms(root: Path) -> tuple[set[str], int, int]:
    con = warehouse.connect(root)
    try:
        uids = {r[0] for r in con.execute("SELECT uid FROM tokens").fetchall()}
        linked = con.execute(
            "SELECT count(*) FROM sessions s JOIN tokens t ON t.uid = s.cdr_token_uid"
        ).fetchall()[0][0]
        cdr_linked = con.execute(
            "SELECT count(*) FROM cdrs c JOIN sessions s ON s.id = c.session_id "
            "AND s.cdr_token_uid = c.cdr_token_uid AND "
            "s.cdr_token_contract_id = c.cdr_token_contract_id"
        ).fetchall()[0][0]
    finally:
        con.close()
    return uids, linked, cdr_linked


def test_pseudonyms_link_modules_and_syncs_and_differ_across_warehouses(
    tmp_path: Path, sim: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    login(a, sim.versions_url, TOKEN, retry=FAST)
    sync(a, options=SyncOptions(lag=timedelta(0), retry=FAST))
    uids_a, linked, cdr_linked = _pseudonyms(a)
    truth_tokens = {t["uid"] for t in sim.truth("tokens")}
    truth_linked = sum(1 for s in sim.truth("sessions") if s["cdr_token"]["uid"] in truth_tokens)
    assert linked == truth_linked > 0  # a session and its token share one pseudonym
    assert cdr_linked > 0  # a CDR and its session too
    sim.advance(seconds=6 * 3600)
    sync(a, options=SyncOptions(lag=timedelta(0), retry=FAST))
    _, linked_after, _ = _pseudonyms(a)
    assert linked_after > linked  # new sessions of the same tokens: same pseudonyms
    # another warehouse has another key: no pseudonym in common
    monkeypatch.setenv("OCPIWH_CONFIG_DIR", str(tmp_path / "other-config"))
    login(b, sim.versions_url, TOKEN, retry=FAST)
    sync(b, options=SyncOptions(lag=timedelta(0), retry=FAST))
    uids_b, _, _ = _pseudonyms(b)
    assert len(uids_a) == len(uids_b) > 0 and not uids_a & uids_b


def test_privacy_pass_lets_exactly_that_field_through(tmp_path: Path, sim: Any) -> None:
    root = tmp_path / "data"
    login(root, sim.versions_url, TOKEN, retry=FAST)
    sync(
        root,
        options=SyncOptions(
            lag=timedelta(0), retry=FAST, privacy_passes=("sessions:cdr_token.uid",)
        ),
    )
    con = warehouse.connect(root)
    try:
        uids = {r[0] for r in con.execute("SELECT cdr_token_uid FROM sessions").fetchall()}
        contracts = {
            r[0] for r in con.execute("SELECT cdr_token_contract_id FROM sessions").fetchall()
        }
        cdr_uids = {r[0] for r in con.execute("SELECT cdr_token_uid FROM cdrs").fetchall()}
        policy = {r[0] for r in con.execute("SELECT DISTINCT _privacy FROM sessions").fetchall()}
    finally:
        con.close()
    truth = {s["cdr_token"]["uid"] for s in sim.truth("sessions")}
    assert uids == truth  # in clear
    assert all(c.startswith("ps_") for c in contracts)  # the rest unchanged
    assert all(u.startswith("ps_") for u in cdr_uids)  # only the named module
    assert len(policy) == 1 and "pass" in next(iter(policy))  # recorded per batch
