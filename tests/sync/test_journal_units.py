"""The batch journal and recovery, judged file by file on a real local lake, in-process.

The crash tests (``test_crash_safety.py``, ``test_compact.py``) kill real syncs; these pin the
rules recovery applies to what a kill leaves behind — which journal counts as committed,
which files go, what is left alone — one case at a time, fast enough for mutation testing
(``make mutate``: a subprocess would not see the mutant).
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from ocpiwh.lake import journal as jr
from ocpiwh.lake.compaction import GARBAGE, GARBAGE_GRACE
from ocpiwh.lake.manifest import ModuleState, StateStore, manifests
from ocpiwh.lake.recovery import Recovery, recover
from ocpiwh.lake.store import LocalStore

SRC, MOD = "cpo", "sessions"


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "data")


def _file(store: LocalStore, rel: str) -> str:
    store.write(rel, b"PAR1 not really parquet")
    return rel


def _journal(store: LocalStore, batch_id: str, files: list[str], **extra: Any) -> str:
    body = {"kind": "batch", "batch_id": batch_id, "source": SRC, "module": MOD}
    body |= {"window_end": "2026-03-02T12:00:00Z", "files": files, **extra}
    store.write(jr.journal_rel(batch_id), orjson.dumps(body))
    return jr.journal_rel(batch_id)


def _state(store: LocalStore, **kw: Any) -> None:
    store.write(f"state/{SRC}/{MOD}.json", ModuleState(**kw).to_json())


def _raw(n: int) -> str:
    return f"raw/{MOD}/source={SRC}/part-{n}.parquet"


# --- crashpoint ---------------------------------------------------------------------------


def _calls_until_killed(spec: str | None, names: list[str]) -> tuple[int, int | None]:
    """Fork; the child calls crashpoint(name) for each name, writing a byte after each call.

    Returns (calls survived, the signal that ended the child or None if it exited)."""
    saved = os.environ.pop("OCPIWH_CRASH_AT", None)
    jr.crashpoint(names[0])  # here too, unarmed: mutmut maps a test to what it reaches in-process
    if saved is not None:
        os.environ["OCPIWH_CRASH_AT"] = saved
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: same (possibly mutated) code, fresh counters
        os.close(read_fd)
        code = 0
        try:
            jr._crash_counts.clear()
            if spec is None:
                os.environ.pop("OCPIWH_CRASH_AT", None)
            else:
                os.environ["OCPIWH_CRASH_AT"] = spec
            for name in names:
                jr.crashpoint(name)
                os.write(write_fd, b".")
        except BaseException:
            code = 3
        os._exit(code)
    os.close(write_fd)
    survived = b""
    while chunk := os.read(read_fd, 64):
        survived += chunk
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    assert not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3), "crashpoint raised"
    return len(survived), os.WTERMSIG(status) if os.WIFSIGNALED(status) else None


def test_crashpoint_kills_at_its_first_reach_by_default() -> None:
    assert _calls_until_killed("staged", ["page", "staged", "page"]) == (1, signal.SIGKILL)


def test_crashpoint_kills_at_the_nth_reach_of_its_own_point() -> None:
    names = ["page", "published", "page", "published", "page", "published"]
    assert _calls_until_killed("page:3", names) == (4, signal.SIGKILL)
    assert _calls_until_killed("published:2", names) == (3, signal.SIGKILL)


def test_crashpoint_is_inert_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OCPIWH_CRASH_AT", raising=False)
    jr.crashpoint("page")  # in this process too (mutmut sees which tests reach crashpoint)
    monkeypatch.setenv("OCPIWH_CRASH_AT", "committed")
    jr.crashpoint("page")
    assert _calls_until_killed(None, ["page", "staged"]) == (2, None)
    assert _calls_until_killed("", ["page", "staged"]) == (2, None)
    assert _calls_until_killed("committed", ["page", "staged"]) == (2, None)
    assert _calls_until_killed("page:4", ["page"] * 3) == (3, None)


# --- journal ------------------------------------------------------------------------------


def test_batch_ids_sort_by_time_and_are_unique() -> None:
    ids = [jr.new_batch_id() for _ in range(300)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"\d{8}T\d{12}-\d{4}-[0-9a-f]{6}", i) for i in ids)
    stamps = [i.split("-")[0] for i in ids]
    assert stamps == sorted(stamps)
    now = datetime.now(UTC)
    assert abs(datetime.strptime(stamps[-1], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC) - now) < (
        timedelta(seconds=60)
    )
    counters = [int(i.split("-")[1]) for i in ids]
    assert all((b - a) % 10_000 == 1 for a, b in itertools.pairwise(counters))


def test_batch_ids_keep_four_counter_digits_past_ten_thousand() -> None:
    counters = {int(jr.new_batch_id().split("-")[1]) for _ in range(10_001)}
    assert counters == set(range(10_000))


def test_batch_ids_are_utc_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kathmandu")  # +05:45
    time.tzset()
    try:
        stamp = jr.new_batch_id().split("-")[0]
    finally:
        monkeypatch.undo()
        time.tzset()
    when = datetime.strptime(stamp, "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    assert abs(when - datetime.now(UTC)) < timedelta(minutes=5)


def test_journal_path() -> None:
    assert jr.JOURNALS == "state/journal/"
    assert jr.journal_rel("b1") == "state/journal/b1.json"


def test_pending_journals_reads_each_json_and_marks_torn_ones(store: LocalStore) -> None:
    assert jr.pending_journals(store) == []
    path = _journal(store, "b1", [_raw(1)])
    store.write("state/journal/b2.json", b'{"batch_id": "b2", "fi')  # torn mid-write
    store.write("state/journal/b3.json", b"")  # created, nothing written
    store.write("state/journal/b4.json.tmp", b"{}")  # not a journal
    store.write("state/journal/a.tmp", b"{}")  # nor this, listed first
    got = {j["batch_id"]: j for j in jr.pending_journals(store)}
    assert set(got) == {"b1", "b2", "b3"}
    assert got["b1"]["files"] == [_raw(1)] and got["b1"]["_path"] == path
    assert got["b1"]["kind"] == "batch"
    for torn in ("b2", "b3"):
        assert got[torn] == {
            "batch_id": torn,
            "files": [],
            "kind": "corrupt",
            "_path": f"state/journal/{torn}.json",
        }


def test_rollback_removes_the_files_and_the_journal_and_counts_what_existed(
    store: LocalStore,
) -> None:
    files = [_file(store, _raw(1)), _file(store, _raw(2)), _raw(3)]  # 3 was never published
    keep = _file(store, _raw(4))
    _journal(store, "b1", files)
    (journal,) = jr.pending_journals(store)
    assert jr.rollback(store, journal) == 2
    assert not any(store.exists(f) for f in files)
    assert store.exists(keep)
    assert jr.pending_journals(store) == []


def test_rollback_of_a_journal_naming_no_files_drops_it(store: LocalStore) -> None:
    store.write(jr.journal_rel("b1"), orjson.dumps({"batch_id": "b1"}))
    (journal,) = jr.pending_journals(store)
    assert jr.rollback(store, journal) == 0
    assert jr.pending_journals(store) == []


def test_discard_batches_rolls_back_only_the_named_batches(store: LocalStore) -> None:
    _journal(store, "b1", [_file(store, _raw(1)), _file(store, _raw(2))])
    _journal(store, "b2", [_file(store, _raw(3))])
    _journal(store, "b3", [_file(store, _raw(4))])
    assert jr.discard_batches(store, ["b1", "b3", "b9"]) == 3
    assert [j["batch_id"] for j in jr.pending_journals(store)] == ["b2"]
    assert store.exists(_raw(3))
    assert not store.exists(_raw(1)) and not store.exists(_raw(4))
    assert jr.discard_batches(store, []) == 0


def test_drop_journals_forgets_only_the_named_ones(store: LocalStore) -> None:
    _journal(store, "b1", [_file(store, _raw(1))])
    _journal(store, "b2", [_file(store, _raw(2))])
    jr.drop_journals(store, ["b1"])
    assert [j["batch_id"] for j in jr.pending_journals(store)] == ["b2"]
    assert store.exists(_raw(1))  # the files of a committed batch stay


def test_manifests_read_while_another_module_drops_its_journal(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Modules commit in parallel threads: one drops its journal between another's listing
    of ``state/`` (reading the manifests) and the stat of that journal. The listing is a
    snapshot in which the journal is simply absent (a CI run once failed a sync here)."""
    _state(store, window_end=datetime(2026, 3, 2, tzinfo=UTC), files=[_raw(1)])
    _journal(store, "b1", [_raw(1)])
    _journal(store, "b2", [_raw(2)])
    real_stat = os.stat
    dropped: list[str] = []

    def stat_after_drop(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path).endswith("b1.json") and not dropped:
            jr.drop_journals(store, ["b1"])  # the other module's commit, at the worst instant
            dropped.append(str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat_after_drop)
    states = manifests(store)
    listed = [rel for rel, _ in store.list("state/journal/")]
    monkeypatch.undo()
    assert dropped, "the journal was never stat'ed: the test no longer hits the race"
    assert states[(SRC, MOD)].files == [_raw(1)]
    assert listed == [jr.journal_rel("b2")]


def test_a_delete_racing_another_delete_reports_the_object_gone(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another thread removes the object between this delete's decision and its unlink:
    the object is gone either way, which is what delete reports (not an error)."""
    rel = _file(store, _raw(1))
    real_unlink = os.unlink

    def raced_unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        real_unlink(path)  # the other deleter, first
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", raced_unlink)
    assert store.delete(rel) is False
    monkeypatch.undo()
    assert not store.exists(rel)
    assert store.delete(rel) is False


def test_clean_staging(store: LocalStore) -> None:
    jr.clean_staging(store)  # no staging folder: nothing to do, no error
    (store.staging() / "b1" / "raw").mkdir(parents=True)
    (store.staging() / "b1" / "raw" / "x.parquet").write_bytes(b"x")
    jr.clean_staging(store)
    assert not store.staging().exists()


# --- recovery -----------------------------------------------------------------------------


def _lake_files(store: LocalStore) -> set[str]:
    return {rel for rel, _ in store.list("raw/")}


def test_a_batch_its_manifest_lists_is_kept(store: LocalStore) -> None:
    files = [_file(store, _raw(1)), _file(store, _raw(2))]
    _state(store, files=[_file(store, _raw(0)), *files], batches=["b1"])
    _journal(store, "b1", files)
    assert recover(store) == Recovery(rolled_back=0, files_removed=0, committed=1)
    assert _lake_files(store) == {_raw(0), _raw(1), _raw(2)}
    assert jr.pending_journals(store) == []


def test_each_committed_batch_is_counted(store: LocalStore) -> None:
    one, two = [_file(store, _raw(1))], [_file(store, _raw(2))]
    _state(store, files=[*one, *two], batches=["b1", "b2"])
    _journal(store, "b1", one)
    _journal(store, "b2", two)
    assert recover(store) == Recovery(rolled_back=0, files_removed=0, committed=2)
    assert _lake_files(store) == {_raw(1), _raw(2)}


def test_a_batch_its_manifest_does_not_list_is_removed(store: LocalStore) -> None:
    """The issue's mutant: a journal with a window_end is not committed for that."""
    _state(store, files=[_file(store, _raw(0))], batches=["b0"])
    _journal(store, "b1", [_file(store, _raw(1)), _file(store, _raw(2))])
    assert recover(store.root) == Recovery(rolled_back=1, files_removed=2, committed=0)
    assert _lake_files(store) == {_raw(0)}
    assert jr.pending_journals(store) == []


def test_a_batch_listed_only_in_part_is_removed(store: LocalStore) -> None:
    _state(store, files=[_file(store, _raw(1))], batches=["b1"])
    _journal(store, "b1", [_raw(1), _file(store, _raw(2))])
    assert recover(store) == Recovery(rolled_back=1, files_removed=2, committed=0)
    assert _lake_files(store) == set()


@pytest.mark.parametrize("missing", ["source", "module"])
def test_a_journal_without_its_owner_is_removed(store: LocalStore, missing: str) -> None:
    files = [_file(store, _raw(1))]
    _state(store, files=files, batches=["b1"])
    _journal(store, "b1", files, **{missing: None})
    assert recover(store) == Recovery(rolled_back=1, files_removed=1, committed=0)
    assert _lake_files(store) == set()


def test_legacy_state_judges_by_the_last_windows_batch_ids(store: LocalStore) -> None:
    # a state written before manifests: no "files" key, the batch ids of its last window
    store.write(f"state/{SRC}/{MOD}.json", orjson.dumps({"batches": ["b1"]}))
    _journal(store, "b1", [_file(store, _raw(1))])
    _journal(store, "b2", [_file(store, _raw(2))])
    assert recover(store) == Recovery(rolled_back=1, files_removed=1, committed=1)
    assert _lake_files(store) == {_raw(1)}
    # and the legacy module got its manifest, from what was left in its folder
    assert StateStore(store, SRC).load(MOD).files == [_raw(1)]


def test_a_journal_naming_no_file_is_judged_by_batch_id(store: LocalStore) -> None:
    _state(store, files=[_file(store, _raw(1))], batches=["b1"])
    _journal(store, "b1", [])
    _journal(store, "b2", [])
    assert recover(store) == Recovery(rolled_back=1, files_removed=0, committed=1)
    assert _lake_files(store) == {_raw(1)}
    assert jr.pending_journals(store) == []


def test_a_module_with_no_state_keeps_nothing(store: LocalStore) -> None:
    _journal(store, "b1", [_file(store, _raw(1))])
    _journal(store, "b2", [])
    assert recover(store) == Recovery(rolled_back=2, files_removed=1, committed=0)
    assert _lake_files(store) == set()


def test_a_torn_journal_goes_and_staging_is_emptied(store: LocalStore) -> None:
    _state(store, files=[_file(store, _raw(1))], batches=["b1"])
    store.write("state/journal/b2.json", b'{"kind": "bat')
    (store.staging() / "b3").mkdir(parents=True)
    assert recover(store) == Recovery(rolled_back=1, files_removed=0, committed=0)
    assert store.list("state/journal/") == []
    assert not store.staging().exists()
    assert _lake_files(store) == {_raw(1)}


def test_recovery_finishes_compactions_and_collects_old_garbage(store: LocalStore) -> None:
    old, new = [_file(store, _raw(1)), _file(store, _raw(2))], _file(store, _raw(9))
    _state(store, files=[*old], batches=["b1"])
    store.write(  # a compaction killed before its commit point: rolled back
        jr.journal_rel("compact-1"),
        orjson.dumps(
            {
                "kind": "compact",
                "batch_id": "compact-1",
                "new": new,
                "old": old,
                "owner": [SRC, MOD],
            }
        ),
    )
    gone = _file(store, _raw(5))
    at = (datetime.now(UTC) - GARBAGE_GRACE - timedelta(minutes=1)).isoformat()
    store.write(f"{GARBAGE}compact-0.json", orjson.dumps({"files": [gone], "at": at}))
    assert recover(store) == Recovery()
    assert _lake_files(store) == set(old)
    assert store.list(GARBAGE) == [] and store.list("state/journal/") == []
