"""Behaviours docs/architecture.md promises that no other test exercised: the writer's lock,
the automatic compaction, the platform clock's fallbacks, and the typing engine's split of
a batch it cannot fit in memory."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pytest

from ocpiwh.lake import (
    AUTO_THRESHOLD,
    JsonLines,
    LakeWriter,
    committed_files,
    compaction_due,
    new_batch_id,
    open_store,
    warehouse_lock,
)
from ocpiwh.ocpi import OcpiClient, RetryPolicy
from ocpiwh.simulator import serve_in_thread
from ocpiwh.sync.engine import platform_now

from .conftest import TOKEN, assert_matches_truth, cli, do_login, run_sync, sim_config


def test_a_second_writer_gets_one_line_while_a_sync_holds_the_lock(root: Path) -> None:
    with serve_in_thread(sim_config()) as sim:
        do_login(root, sim)
        with warehouse_lock(root):
            busy = cli(root, "sync", "--lag", "0s", env={"OCPIWH_TOKEN": TOKEN})
        assert busy.returncode == 1
        lines = [line for line in busy.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "busy" in lines[0], busy.stderr
        assert not (root / "raw").exists()  # the refused sync wrote nothing
        assert cli(root, "sync", "--lag", "0s", env={"OCPIWH_TOKEN": TOKEN}).returncode == 0


def _files_per_partition(root: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in committed_files(open_store(root), "raw/sessions/"):
        folder = f.rsplit("/", 1)[0]
        counts[folder] = counts.get(folder, 0) + 1
    return counts


@pytest.mark.parametrize("compact", [False, True])
def test_a_sync_compacts_partitions_past_the_threshold(root: Path, compact: bool) -> None:
    """Deferred: the backfill leaves its small files; the next sync merges them, even one
    that fetches nothing new; with compaction off, nothing ever does."""
    with serve_in_thread(sim_config(sessions=3_000, max_limit=50)) as sim:
        do_login(root, sim)
        run_sync(root, batch_rows=50, compact=compact, modules=["sessions"])
        backfill = _files_per_partition(root)
        assert max(backfill.values()) > AUTO_THRESHOLD, backfill  # not inside the backfill
        assert_matches_truth(root, sim, "2.3.0", modules=("sessions",))
        results = run_sync(root, batch_rows=50, compact=compact, modules=["sessions"])
        assert sum(m.written for r in results for m in r.modules) == 0  # nothing new
        counts = _files_per_partition(root)
        if compact:
            assert max(counts.values()) <= AUTO_THRESHOLD, counts
            assert sum(counts.values()) < sum(backfill.values())
        else:  # the same syncs without it keep many small files: the threshold matters
            assert counts == backfill
        assert_matches_truth(root, sim, "2.3.0", modules=("sessions",))


def test_a_partition_below_the_threshold_of_earlier_files_waits(root: Path) -> None:
    """Only files written before the running sync count towards the threshold."""
    with serve_in_thread(sim_config(sessions=3_000, max_limit=50)) as sim:
        do_login(root, sim)
        before = new_batch_id()
        run_sync(root, batch_rows=50, compact=False, modules=["sessions"])
        after = new_batch_id()
        store = open_store(root)
        assert not compaction_due(store, min_files=AUTO_THRESHOLD + 1, fresh_from=before)
        due = compaction_due(store, min_files=AUTO_THRESHOLD + 1, fresh_from=after)
        assert due and all(len(files) > AUTO_THRESHOLD for _, files in due)


def _client(headers: dict[str, str], body: dict[str, Any]) -> OcpiClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=orjson.dumps(body), headers=headers)

    return OcpiClient(
        token="t0ken-123456",
        version="2.2.1",
        transport=httpx.MockTransport(answer),
        retry=RetryPolicy(max_attempts=1),
    )


def test_platform_clock_is_the_envelope_timestamp() -> None:
    body = {"data": {}, "status_code": 1000, "timestamp": "2026-05-01T10:00:00Z"}
    client = _client({"Date": "Fri, 01 May 2026 12:00:00 GMT"}, body)
    assert platform_now(client, "http://cpo.test/ocpi/2.2.1") == datetime(
        2026, 5, 1, 10, tzinfo=UTC
    )


def test_platform_clock_falls_back_to_the_http_date() -> None:
    """No envelope timestamp: the HTTP Date header is the platform's clock, never ours."""
    body = {"data": {}, "status_code": 1000}
    client = _client({"Date": "Fri, 01 May 2026 12:00:00 GMT"}, body)
    assert platform_now(client, "http://cpo.test/ocpi/2.2.1") == datetime(
        2026, 5, 1, 12, tzinfo=UTC
    )


def test_platform_clock_without_any_says_it_uses_the_local_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = _client({}, {"data": {}, "status_code": 1000})
    before = datetime.now(UTC)
    with caplog.at_level(logging.WARNING, logger="ocpiwh.sync"):
        now = platform_now(client, "http://cpo.test/ocpi/2.2.1")
    assert before <= now <= datetime.now(UTC)
    assert "local clock" in caplog.text


def test_a_batch_duckdb_cannot_fit_is_split_and_every_row_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over its memory cap the typing engine raises; the batch is typed in halves (files of
    the same batch) until each fits, and no row is lost or duplicated."""
    real = LakeWriter._copy_valid
    sizes: list[int] = []

    def capped(self: LakeWriter, con: duckdb.DuckDBPyConnection, stage: Path, batch: str) -> int:
        rows = int(con.execute("SELECT count(*) FROM typed").fetchall()[0][0])
        sizes.append(rows)
        if rows > 30:
            raise duckdb.OutOfMemoryException("Out of Memory Error: simulated cap")
        return real(self, con, stage, batch)

    monkeypatch.setattr(LakeWriter, "_copy_valid", capped)
    tokens = [
        {
            "country_code": "FR",
            "party_id": "MSP",
            "uid": f"U{i:03d}",
            "type": "RFID",
            "contract_id": f"FR-MSP-C{i:05d}",
            "issuer": "MSP",
            "valid": True,
            "whitelist": "ALWAYS",
            "last_updated": "2026-03-01T10:00:00Z",
        }
        for i in range(100)
    ]
    writer = LakeWriter(tmp_path, source="sim", module="tokens", platform_party=("FR", "SIM"))
    try:
        result = writer.write(
            version="2.2.1", lines=JsonLines.of([orjson.dumps(t) for t in tokens])
        )
    finally:
        writer.close()
    assert sizes[:3] == [100, 50, 25]  # split, then split again until it fits
    assert sum(n for n in sizes if n <= 30) == 100
    assert result.rows == 100 and len(result.files) > 1
    assert all(result.batch_id in f for f in result.files)
    con = duckdb.connect()
    try:
        listing = ", ".join(f"'{tmp_path / f}'" for f in result.files)
        ids = [r[0] for r in con.execute(f"SELECT id FROM read_parquet([{listing}])").fetchall()]
    finally:
        con.close()
    assert sorted(ids) == sorted(t["uid"] for t in tokens)
