"""The privacy stage in worker processes (``ocpiwh.sync.privacy_workers``): the same lake,
the same counters, and no process left behind by a killed or interrupted sync."""

from __future__ import annotations

import multiprocessing
import os
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest
from waiting import wait_until

from ocpiwh.config import Config
from ocpiwh.errors import OcpiwhError
from ocpiwh.jsontexts import pack
from ocpiwh.privacy import FilterStats, PrivacyProfile, Sites, compile_filter
from ocpiwh.simulator import Faults, serve_in_thread
from ocpiwh.sync import privacy_workers
from ocpiwh.sync.engine import SourceResult
from ocpiwh.sync.privacy_workers import PrivacyWorkers, recv_buffer

from .conftest import TOKEN, assert_matches_truth, cli, do_login, run_sync, sim_config

KEY = bytes(range(32))


def lake_rows(root: Path, folder: str, columns: str) -> list[tuple[Any, ...]]:
    """Every row of a lake folder's Parquet files, sorted (batch ids and times left out)."""
    files = sorted(str(p) for p in (root / folder).rglob("*.parquet"))
    if not files:
        return []
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"SELECT {columns} FROM read_parquet($f, union_by_name = true) ORDER BY ALL",
            {"f": files},
        ).fetchall()
    finally:
        con.close()
    return rows


def privacy_counts(results: list[SourceResult]) -> dict[str, tuple[Any, ...]]:
    return {
        m.module: (m.fetched, m.written, m.quarantined, m.unknown_fields, m.unknown_field_paths)
        for r in results
        for m in r.modules
    }


@pytest.mark.parametrize("version", ["2.1.1", "2.3.0"])
def test_workers_write_the_same_lake_as_the_sync_process(
    tmp_path: Path, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dirty world (private 2.1.1 sites, 2.3.0's unknown fields, bare values, malformed
    objects), synced once with
    every page filtered in a worker process and once in the sync process: every stored
    ``_raw``, every quarantined payload and reason, and every privacy counter equal."""
    offloaded: list[str] = []
    original = PrivacyWorkers.filter_page

    def counting(self: PrivacyWorkers, module: str, v: str, data: Any) -> Any:
        offloaded.append(module)
        return original(self, module, v, data)

    monkeypatch.setattr(PrivacyWorkers, "filter_page", counting)
    cfg = sim_config(clean=False, faults=Faults(rate_malformed=0.03), sessions=600)
    results = {}
    key = b""
    with serve_in_thread(cfg) as sim:
        for name, workers in (("in-process", 0), ("workers", 1)):
            root = tmp_path / name
            do_login(root, sim, version)
            key_file = Config.load(root).pseudonym_key_file
            if key:  # the same pseudonyms in both warehouses
                key_file.parent.mkdir(parents=True, exist_ok=True)
                key_file.write_bytes(key)
                key_file.chmod(0o600)
            results[name] = run_sync(root, privacy_workers=workers, privacy_workers_from=1)
            key = key_file.read_bytes()
    assert {"sessions", "cdrs", "locations", "tokens"} <= set(offloaded)
    assert privacy_counts(results["workers"]) == privacy_counts(results["in-process"])
    assert sum(m.quarantined for m in results["workers"][0].modules) > 0
    if version == "2.3.0":  # the simulator's undocumented fields
        assert sum(m.unknown_fields for m in results["workers"][0].modules) > 0
    for folder, columns in (
        ("raw", "_source, country_code, party_id, id, _raw"),
        ("quarantine", "module, reason, payload"),
    ):
        a = lake_rows(tmp_path / "in-process", folder, columns)
        b = lake_rows(tmp_path / "workers", folder, columns)
        assert a, folder
        assert a == b, folder


def test_a_page_filtered_in_a_worker_equals_the_in_process_filter() -> None:
    """Same texts, same non-objects, same counters; the counters are per page."""
    profile = PrivacyProfile(sites=Sites(ocpi211_public=True))
    objects = [
        {"id": "s1", "auth_id": "ABC123456", "kwh": 3.5, "extra": {"x": 1}},
        {"id": "s2", "cdr_token": {"uid": "0123456789", "type": "RFID"}, "kwh": "7"},
        42,
        {"id": "s3", "last_updated": "2026-01-01T00:00:00Z", "meter_id": "M-1"},
    ]
    page = orjson.dumps(objects)
    local = compile_filter("sessions", "2.2.1", profile, KEY)
    want_docs, want_others = local.filter_page(page)
    workers = PrivacyWorkers(profile, KEY, 1)
    try:
        for _ in range(2):
            packed, others, stats = workers.filter_page("sessions", "2.2.1", page)
            assert packed == pack(want_docs)
            assert others == want_others == [42]
            assert stats.as_dict() == local.stats.as_dict()  # one page's worth, each time
    finally:
        workers.close()
    assert stats.objects == 3 and stats.pseudonymized >= 1
    assert b"0123456789" not in packed[0] and b"ABC123456" not in packed[0]


def test_pages_in_flight_in_one_worker_each_get_their_own_reply() -> None:
    """Eight threads share one worker (two pages in its pipe at a time): every reply is
    the filter of the page its thread sent, the failure of one page is that page's alone,
    and the worker goes on."""
    profile = PrivacyProfile()
    local = compile_filter("sessions", "2.2.1", profile, KEY)
    pages = [
        orjson.dumps([{"id": f"s{t}-{i}-{j}", "auth_id": f"U{t}{i}{j}"} for j in range(50)])
        for t in range(8)
        for i in range(12)
    ]
    want = {p: pack(local.filter_page(p)[0]) for p in pages}
    workers = PrivacyWorkers(profile, KEY, 1)
    failures: list[BaseException] = []

    def run(mine: list[bytes]) -> None:
        try:
            for n, page in enumerate(mine):
                if n == 5:  # a failing page among the others
                    with pytest.raises(RuntimeError, match="failed in a worker process"):
                        workers.filter_page("no-such-module", "2.2.1", page)
                packed, _, _ = workers.filter_page("sessions", "2.2.1", page)
                assert packed == want[page]
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(pages[t::8],)) for t in range(8)]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert not any(th.is_alive() for th in threads), "a thread waits for its reply"
    finally:
        workers.close()
    assert not failures, failures


def test_recv_buffer_reads_send_bytes_messages_into_one_buffer() -> None:
    """The framing is ``Connection.send_bytes``'s, a large buffer is reused, a small one
    replaced, the 2 GiB header form is read, and a closed pipe is an EOFError."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    messages = [b"", b"x" * 10, bytes(range(256)) * 8192, b"tail"]  # 2 MiB > the pipe
    sender = threading.Thread(target=lambda: [writer.send_bytes(m) for m in messages])
    sender.start()
    got = []
    reuse = bytearray(100)
    for m in messages:
        buf, view = recv_buffer(reader, reuse)
        got.append(bytes(view))
        assert (buf is reuse) == (len(m) <= 100)
    sender.join()
    assert got == messages
    os.write(writer.fileno(), struct.pack("!i", -1) + struct.pack("!Q", 5) + b"large")
    buf, view = recv_buffer(reader)
    assert bytes(view) == b"large" and len(buf) == 5
    writer.close()
    with pytest.raises(EOFError):
        recv_buffer(reader)


def test_filter_stats_take_zeroes_in_place() -> None:
    s = FilterStats(objects=3, dropped=2)
    s.unknown_fields_dropped["x"] += 1
    taken = s.take()
    assert taken.objects == 3 and taken.unknown_fields_dropped == {"x": 1}
    assert s.as_dict() == FilterStats().as_dict()


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _workers_of(pid: int) -> list[int]:
    return [
        p
        for p in _children(pid)
        if _alive(p) and b"ocpiwh.sync.privacy_workers" in Path(f"/proc/{p}/cmdline").read_bytes()
    ]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_workers_are_out_of_ctrl_c_reach_and_die_with_a_killed_sync() -> None:
    """Ctrl-C is the sync's (its first one stops at a safe point): the workers run in a
    process group of their own, which the terminal's SIGINT does not reach. Once the sync
    process is killed, they exit by themselves instead of waiting for pages forever."""
    script = textwrap.dedent(
        f"""
        import sys
        from ocpiwh.privacy import PrivacyProfile
        from ocpiwh.sync.privacy_workers import PrivacyWorkers
        w = PrivacyWorkers(PrivacyProfile(), {KEY!r}, 2)
        w.filter_page("sessions", "2.2.1", b'[{{"id": "a"}}]')
        print("ready", flush=True)
        for line in sys.stdin:
            packed, _, _ = w.filter_page("sessions", "2.2.1", b'[{{"id": "b"}}]')
            print(packed.buf.decode(), flush=True)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as a terminal's foreground job: a group of its own
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        assert proc.stdout.readline() == "ready\n"
        workers = _workers_of(proc.pid)
        assert len(workers) == 2, workers
        assert all(os.getpgid(w) != os.getpgid(proc.pid) for w in workers)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        assert orjson.loads(proc.stdout.readline()) == {"id": "b"}
        os.killpg(proc.pid, signal.SIGKILL)  # the whole job, as the kernel's OOM killer or kill -9
        proc.wait()
        wait_until(lambda: not any(_alive(p) for p in workers), 10, "a worker outlived its sync")
    finally:
        proc.kill()
        proc.wait()


def test_a_dead_worker_fails_its_window_with_a_clear_error() -> None:
    workers = PrivacyWorkers(PrivacyProfile(), KEY, 1)
    try:
        workers.filter_page("sessions", "2.2.1", b"[]")
        (victim,) = _workers_of(os.getpid())
        os.kill(victim, signal.SIGKILL)
        for _ in range(2):  # the next page fails, and the one after as fast (no hang)
            with pytest.raises(OcpiwhError, match="privacy worker process died") as info:
                workers.filter_page("sessions", "2.2.1", b"[]")
            assert "--privacy-workers 0" in (info.value.hint or "")
    finally:
        workers.close()
    with pytest.raises(OcpiwhError, match="closing"):
        workers.filter_page("sessions", "2.2.1", b"[]")


def test_a_worker_that_fails_to_start_leaves_the_others_usable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second of two workers cannot start: a clear error, then the first one filters
    (it must not wait for a place in a pipe nobody gave out)."""
    started: list[int] = []
    real_init = privacy_workers._Worker.__init__

    def second_fails(self: Any) -> None:
        started.append(1)
        if len(started) == 2:
            raise OSError(24, "Too many open files")
        real_init(self)

    monkeypatch.setattr(privacy_workers._Worker, "__init__", second_fails)
    workers = PrivacyWorkers(PrivacyProfile(), KEY, 2)
    try:
        with pytest.raises(OcpiwhError, match="could not start a privacy worker process"):
            workers.filter_page("sessions", "2.2.1", b'[{"id": "a"}]')
        done: list[Any] = []
        t = threading.Thread(
            target=lambda: done.append(workers.filter_page("sessions", "2.2.1", b'[{"id": "b"}]'))
        )
        t.start()
        t.join(30)
        assert not t.is_alive(), "the page waits for a worker for ever"
        assert done[0][0] == pack([b'{"id":"b"}'])
    finally:
        workers.close()


def test_small_windows_never_start_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the threshold no process is started (a small incremental sync pays nothing)."""
    started: list[int] = []
    monkeypatch.setattr(PrivacyWorkers, "_start", lambda self: started.append(1))
    with serve_in_thread(sim_config(sessions=300)) as sim:
        root = tmp_path / "data"
        do_login(root, sim)
        run_sync(root, privacy_workers=1)
    assert not started


def test_a_failure_of_the_filter_in_a_worker_is_raised_with_its_traceback() -> None:
    """Not a dead worker (that window is fetched again): a bug, raised in the sync as such;
    the worker goes on with the next page."""
    workers = PrivacyWorkers(PrivacyProfile(), KEY, 1)
    try:
        with pytest.raises(RuntimeError, match=r"(?s)failed in a worker process.*Traceback"):
            workers.filter_page("no-such-module", "2.2.1", b"[]")
        packed, _, _ = workers.filter_page("sessions", "2.2.1", b'[{"id": "c"}]')
        assert packed == pack([b'{"id":"c"}'])
        padded, _, _ = workers.filter_page("sessions", "2.2.1", b'[{"id": "c "}]')
        assert padded == pack([b'{"id":"c "}']) and not padded.unpadded
    finally:
        workers.close()


def _marked(marker: str) -> list[int]:
    """Processes whose environment carries ``marker`` (a killed sync's orphans included)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes() and _alive(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
@pytest.mark.parametrize("point", ["page:6", "published:2"])
def test_a_sync_killed_while_its_workers_filter_leaves_none_and_reruns_exactly(
    tmp_path: Path, point: str
) -> None:
    """Killed (SIGKILL, at a page or a published batch) with every page going through a
    worker: no worker is left behind, and the rerun equals the platform's truth."""
    root = tmp_path / "data"
    marker = f"OCPIWH_TEST_RUN={os.getpid()}-{point}-{time.monotonic_ns()}"
    script = textwrap.dedent(
        f"""
        from datetime import timedelta
        from ocpiwh.sync.engine import SyncOptions, sync
        sync({str(root)!r}, options=SyncOptions(lag=timedelta(0), privacy_workers=1,
                                                 privacy_workers_from=1))
        """
    )
    name, _, value = marker.partition("=")
    env = {**os.environ, "OCPIWH_CRASH_AT": point, "OCPIWH_TOKEN": TOKEN, name: value}
    with serve_in_thread(sim_config()) as sim:
        do_login(root, sim)
        killed = subprocess.run([sys.executable, "-c", script], env=env, timeout=120)
        assert killed.returncode == -signal.SIGKILL
        wait_until(lambda: not _marked(marker), 10, "a worker outlived its killed sync")
        run_sync(root, privacy_workers=1, privacy_workers_from=1)
        assert_matches_truth(root, sim, "2.3.0")


def test_the_cli_filters_a_large_window_in_workers_unless_told_not_to(tmp_path: Path) -> None:
    """`ocpiwh sync` over HTTP: a window of 21,000 sessions (X-Total-Count past the
    threshold) goes to the worker, which `-v` says; `--privacy-workers 0` keeps it in the
    sync process; both lakes hold the same sessions."""
    counts = {}
    with serve_in_thread(sim_config(sessions=21_000)) as sim:
        for n in (1, 0):
            root = tmp_path / f"workers-{n}"
            do_login(root, sim)
            args = ("-v", "sync", "--lag", "0s", "-m", "sessions", "--privacy-workers", str(n))
            run = cli(root, *args, env={"OCPIWH_TOKEN": TOKEN})
            assert run.returncode == 0, run.stderr
            assert ("filtered in 1 worker process" in run.stderr) == (n == 1), run.stderr
            counts[n] = lake_rows(root, "raw", "count(*)")
    assert counts[0] == counts[1] and counts[1][0][0] >= 20_000
