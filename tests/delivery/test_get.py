"""``ocpiwh get``: JSON lines of the real views and models, a real pipe closed early, and
``--follow`` seeing what a concurrent sync commits."""

from __future__ import annotations

import io
import json
import queue
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ocpiwh import output, warehouse
from ocpiwh.delivery import jsonlines as jl
from ocpiwh.delivery.relations import resolve
from ocpiwh.lake import open_store
from ocpiwh.models import get_model

from .conftest import interrupt, ocpiwh, run_sync, spawn


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_get_view_rows_and_time_form(synced: Path) -> None:
    done = ocpiwh(synced, "get", "sessions")
    assert done.returncode == 0, done.stderr
    rows = _lines(done.stdout)
    con = warehouse.connect(synced)
    try:
        want = con.execute("SELECT id, last_updated, kwh FROM sessions").fetchall()
    finally:
        con.close()
    assert len(rows) == len(want) > 100
    assert sorted((r["id"], r["last_updated"], r["kwh"]) for r in rows) == sorted(
        (i, _iso(lu), k) for i, lu, k in want
    )
    # one form for every time: seconds, Z; nested JSON embedded, not quoted
    assert all(r["last_updated"].endswith("Z") and "+" not in r["last_updated"] for r in rows)
    assert any(isinstance(r["charging_periods"], list) for r in rows)
    assert isinstance(rows[0]["_raw"], dict) and rows[0]["_raw"]["id"] == rows[0]["id"]
    # the pseudonymized columns are written, and said so once on stderr
    assert done.stderr.count("pseudonymized") == 1


def test_get_model_equals_model_run(synced: Path) -> None:
    done = ocpiwh(synced, "get", "session_durations", "--param", "from=2026-03-01")
    assert done.returncode == 0, done.stderr
    rows = _lines(done.stdout)
    con = warehouse.connect(synced)
    try:
        table = get_model("session_durations").run(con, {"from": "2026-03-01"})
    finally:
        con.close()
    want = sorted(
        (r["session_id"], r["kwh"], _iso(r["start_date_time"])) for r in table.to_pylist()
    )
    assert sorted((r["session_id"], r["kwh"], r["start_date_time"]) for r in rows) == want
    assert 0 < len(rows) < 2000
    assert "pseudonymized" not in done.stderr


def test_since_filters_on_last_updated(synced: Path) -> None:
    con = warehouse.connect(synced)
    try:
        times = sorted(r[0] for r in con.execute("SELECT last_updated FROM sessions").fetchall())
    finally:
        con.close()
    cut = times[len(times) // 2]
    done = ocpiwh(synced, "get", "sessions", "--since", _iso(cut))
    assert done.returncode == 0, done.stderr
    got = _lines(done.stdout)
    assert len(got) == sum(1 for t in times if t >= cut)
    assert min(r["last_updated"] for r in got) == _iso(cut)
    bad = ocpiwh(synced, "get", "ind_pdc", "--since", "2026-01-01")
    assert bad.returncode == 2 and "no time column" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_closed_pipe_exits_zero_promptly(synced: Path) -> None:
    """`get sessions | head -1`: a real pipe whose reader leaves after one line."""
    shell = (
        f"set -o pipefail; {sys.executable} -m ocpiwh --warehouse {synced} get sessions "
        "2>err.txt | head -1"
    )
    started = time.monotonic()
    done = subprocess.run(
        ["bash", "-c", shell], capture_output=True, text=True, cwd=synced, timeout=60
    )
    assert done.returncode == 0, (done.returncode, (synced / "err.txt").read_text())
    assert len(done.stdout.splitlines()) == 1 and json.loads(done.stdout)["id"]
    err = (synced / "err.txt").read_text()
    assert "Traceback" not in err and "error" not in err.lower(), err
    assert time.monotonic() - started < 30


def _reader(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _take(lines: queue.Queue[str], n: int, timeout: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        try:
            out.append(json.loads(lines.get(timeout=0.2)))
        except queue.Empty:
            continue
    return out


def _versions(root: Path) -> set[tuple[str, str]]:
    con = warehouse.connect(root)
    try:
        rows = con.execute("SELECT id, last_updated FROM sessions").fetchall()
    finally:
        con.close()
    return {(i, _iso(lu)) for i, lu in rows}


def test_follow_sees_a_concurrent_sync(synced: Path, sim: Any) -> None:
    before = _versions(synced)
    proc = spawn(synced, "get", "sessions", "--follow", "--interval", "0.2")
    try:
        lines = _reader(proc)
        first = _take(lines, len(before), 60)
        assert {(r["id"], r["last_updated"]) for r in first} == before
        seen = before
        for _ in range(2):  # two commits, each followed before the next one
            sim.advance(seconds=1800)
            run_sync(synced)
            now = _versions(synced)
            fresh = now - seen  # versions this commit brought (in the view's latest state)
            assert len(fresh) > 5
            got = _take(lines, len(fresh), 60)
            assert {(r["id"], r["last_updated"]) for r in got} == fresh
            assert len(got) == len(fresh)  # nothing twice
            seen = now
        assert _take(lines, 1, 1.0) == []  # and nothing more
    finally:
        rc, stderr = interrupt(proc)
    assert rc == 130, stderr
    assert "Traceback" not in stderr


def test_follow_ends_when_the_reader_leaves_while_idle(synced: Path) -> None:
    """Nothing to write (a --since in the future), the reader goes: exit 0 at once, not at
    the next commit."""
    shell = (
        f"set -o pipefail; {sys.executable} -m ocpiwh --warehouse {synced} get sessions "
        "--follow --interval 60s --since 2100-01-01 2>err.txt | true"
    )
    started = time.monotonic()
    done = subprocess.run(["bash", "-c", shell], cwd=synced, timeout=60)
    assert done.returncode == 0, (synced / "err.txt").read_text()
    assert time.monotonic() - started < 40  # far less than the 60 s interval
    assert "Traceback" not in (synced / "err.txt").read_text()


def _model_rows(root: Path) -> set[tuple[Any, ...]]:
    con = warehouse.connect(root)
    try:
        table = get_model("session_durations").run(con)
    finally:
        con.close()
    return {(r["session_id"], r["status"], r["kwh"]) for r in table.to_pylist()}


def test_follow_a_model_writes_new_and_changed_rows(synced: Path, sim: Any) -> None:
    before = _model_rows(synced)
    proc = spawn(synced, "get", "session_durations", "--follow", "--interval", "0.2")
    try:
        lines = _reader(proc)
        first = _take(lines, len(before), 60)
        assert {(r["session_id"], r["status"], r["kwh"]) for r in first} == before
        sim.advance(seconds=2400)
        run_sync(synced)
        fresh = _model_rows(synced) - before
        assert any(s == "COMPLETED" for _, s, _ in fresh)  # sessions that ended meanwhile
        got = _take(lines, len(fresh), 60)
        assert len(got) == len(fresh)
        assert {(r["session_id"], r["status"], r["kwh"]) for r in got} == fresh
        assert _take(lines, 1, 1.0) == []
    finally:
        rc, stderr = interrupt(proc)
    assert rc == 130, stderr


def test_duckdb_and_python_encodings_agree(synced: Path) -> None:
    """The fast path (DuckDB's to_json) and the Python path (orjson) write the same objects,
    on every view and a model; all take the fast path (locations too: times nested in evses)."""
    store = open_store(synced)
    con = warehouse.connect(store)
    try:
        for name in [*warehouse.view_order(), "session_durations", "irve_statique"]:
            rel = resolve(store, name)
            sql = f"SELECT * FROM ({rel.sql})"
            cols = jl.json_columns(con, sql, rel.params)
            fast = jl._as_json_sql(con, sql, rel.params, cols) is not None
            assert fast, name
            streamed = io.BytesIO()
            n = jl.stream_query(con, sql, rel.params, jl.Sink(streamed), cols)
            reader = con.sql(sql, params=rel.params or None).to_arrow_reader(1000)
            slow = b"".join(output.jsonl_batch(batch, cols) for batch in reader)
            a = [json.loads(line) for line in streamed.getvalue().splitlines()]
            b = [json.loads(line) for line in slow.splitlines()]
            assert len(a) == n == len(b), name
            key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
            assert sorted(a, key=key) == sorted(b, key=key), name
            assert [list(r) for r in a[:1]] == [list(r) for r in b[:1]]  # column order
    finally:
        con.close()


def test_nested_times_and_non_finite_floats_render_alike_on_both_paths() -> None:
    """Times and NaN deep in lists of structs: DuckDB's path writes what output.jsonl_batch
    writes (valid JSON: DuckDB alone would write NaN); an interval falls back to Python."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    sql = (
        "SELECT [{'t': TIMESTAMPTZ '2026-06-01 08:00:00.25+00', 'f': [1.5, 'nan'::DOUBLE], "
        "'c': [{'d': TIMESTAMP '2026-06-01 09:00:00'}], 'e': NULL::STRUCT(g TIMESTAMP)}, NULL] "
        "AS x, 'inf'::DOUBLE AS y, ['a'] AS plain"
    )
    assert jl._as_json_sql(con, sql, {}, ()) is not None
    fast = io.BytesIO()
    assert jl.stream_query(con, sql, {}, jl.Sink(fast)) == 1
    slow = b"".join(output.jsonl_batch(b) for b in con.sql(sql).to_arrow_reader(10))
    assert fast.getvalue() == slow
    assert json.loads(fast.getvalue()) == {
        "x": [
            {
                "t": "2026-06-01T08:00:00.250000Z",
                "f": [1.5, None],
                "c": [{"d": "2026-06-01T09:00:00Z"}],
                "e": None,
            },
            None,
        ],
        "y": None,
        "plain": ["a"],
    }
    assert jl._as_json_sql(con, "SELECT INTERVAL 90 MINUTE AS i", {}, ()) is None
    timed = io.BytesIO()
    jl.stream_query(con, "SELECT INTERVAL 90 MINUTE AS i", {}, jl.Sink(timed))
    assert json.loads(timed.getvalue()) == {"i": "PT1H30M"}
